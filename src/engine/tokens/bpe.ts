// Byte-pair merge that returns how many tokens one pre-tokenized piece becomes.
//
// Same rule as tiktoken and js-tiktoken: if the piece's bytes are one token, that is 1; otherwise start
// from single bytes and repeatedly merge the adjacent pair whose concatenation has the lowest rank (the
// leftmost one on a tie) until no adjacent pair is a token. Only the count is kept.
//
// Short pieces (almost all of them) use a flat array scan, which is fastest for a handful of parts.
// Long pieces (a run of one character, a minified blob, a long base64 string) use a linked list and a
// min-heap keyed by (rank, position), which pops exactly the pair the scan would pick, in O(n log n)
// instead of the O(n^2) that makes js-tiktoken crawl on them.

import type { BpeTables } from './ranks';

const NONE = 0x7fffffff;
/** Pieces up to this many bytes use the flat scan. */
const SMALL = 96;
/** Heap keys are rank * 2^32 + position: exact in a double for ranks < 2^20 and positions < 2^32. */
const POS = 4294967296;

export class BpeMerger {
  private readonly ranks = new Int32Array(SMALL);
  private readonly pairs = new Int32Array(SMALL);

  constructor(private readonly tables: BpeTables) {}

  /** Number of tokens bytes[0..n) encodes to. */
  count(bytes: Uint8Array, n: number): number {
    if (n <= 1) return n;
    const t = this.tables;
    if (n <= t.maxTokenLength && t.lookup(bytes, 0, n) >= 0) return 1;
    return n <= SMALL ? this.countSmall(bytes, n) : countLarge(t, bytes, n);
  }

  private countSmall(bytes: Uint8Array, n: number): number {
    const t = this.tables;
    const byteRank = t.byteRank;
    const r = this.ranks;
    const p = this.pairs;
    for (let i = 0; i < n; i++) r[i] = byteRank[bytes[i]];
    let m = n;
    for (let i = 0; i < m - 1; i++) {
      const merged = t.pair(r[i], r[i + 1]);
      p[i] = merged < 0 ? NONE : merged;
    }
    while (m > 1) {
      let best = NONE;
      let at = -1;
      for (let i = 0; i < m - 1; i++) {
        if (p[i] < best) {
          best = p[i];
          at = i;
        }
      }
      if (at < 0) break;
      // Part `at` absorbs part `at + 1`; the parts and pair ranks after it shift left by one.
      r[at] = best;
      for (let j = at + 1; j < m - 1; j++) r[j] = r[j + 1];
      for (let j = at + 1; j < m - 2; j++) p[j] = p[j + 1];
      m--;
      if (at < m - 1) {
        const merged = t.pair(r[at], r[at + 1]);
        p[at] = merged < 0 ? NONE : merged;
      }
      if (at > 0) {
        const merged = t.pair(r[at - 1], r[at]);
        p[at - 1] = merged < 0 ? NONE : merged;
      }
    }
    return m;
  }
}

/** The heap version for long pieces. Parts are identified by their first byte's position. */
function countLarge(t: BpeTables, bytes: Uint8Array, n: number): number {
  const rank = new Int32Array(n); // token rank of the part starting here; -1 once absorbed
  const next = new Int32Array(n); // start of the next part, n at the end
  const prev = new Int32Array(n); // start of the previous part, -1 at the start
  const pair = new Int32Array(n); // merged rank of this part and the next, NONE if they do not merge
  let heap = new Float64Array(Math.max(16, n));
  let size = 0;

  const push = (key: number): void => {
    if (size === heap.length) {
      const bigger = new Float64Array(heap.length * 2);
      bigger.set(heap);
      heap = bigger;
    }
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= key) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = key;
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap[--size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  };

  const byteRank = t.byteRank;
  for (let i = 0; i < n; i++) {
    rank[i] = byteRank[bytes[i]];
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  for (let i = 0; i < n - 1; i++) {
    const merged = t.pair(rank[i], rank[i + 1]);
    pair[i] = merged < 0 ? NONE : merged;
    if (merged >= 0) push(merged * POS + i);
  }

  let parts = n;
  while (size > 0) {
    const key = pop();
    const r = Math.floor(key / POS);
    const at = key - r * POS;
    // Stale entry: the part was absorbed, or its pair changed since this entry was pushed.
    if (rank[at] < 0 || pair[at] !== r) continue;
    const absorbed = next[at];
    rank[at] = r;
    rank[absorbed] = -1;
    const after = next[absorbed];
    next[at] = after;
    if (after < n) prev[after] = at;
    parts--;
    if (after < n) {
      const merged = t.pair(r, rank[after]);
      pair[at] = merged < 0 ? NONE : merged;
      if (merged >= 0) push(merged * POS + at);
    } else {
      pair[at] = NONE;
    }
    const before = prev[at];
    if (before >= 0) {
      const merged = t.pair(rank[before], r);
      pair[before] = merged < 0 ? NONE : merged;
      if (merged >= 0) push(merged * POS + before);
    }
  }
  return parts;
}
