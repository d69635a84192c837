// Typo tolerance: the vocabulary of plain words the index has seen, and a lookup of the words within a
// small edit distance of a query term that matched nothing.
//
// Words are kept per length with a 26-bit "which letters occur" mask each. One edit changes at most two
// bits of that mask, so a scan over the words of nearby lengths rejects almost every word with an XOR and
// a popcount before computing an edit distance. That keeps a lookup around a millisecond over a vocabulary
// of hundreds of thousands of words, without the memory of a deletion dictionary.

/** Words of these lengths take part (shorter ones have too many neighbours; longer ones are rarely typed). */
export const TYPO_MIN_LENGTH = 3;
export const TYPO_MAX_LENGTH = 24;

/** Edit distance allowed for a query term of this length: none under 4 letters, 1 up to 7, then 2. */
export function allowedEdits(length: number): number {
  return length < 4 ? 0 : length < 8 ? 1 : 2;
}

function isPlainWord(term: string): boolean {
  if (term.length < TYPO_MIN_LENGTH || term.length > TYPO_MAX_LENGTH) return false;
  for (let i = 0; i < term.length; i++) {
    const c = term.charCodeAt(i);
    if (c < 97 || c > 122) return false;
  }
  return true;
}

function letterMask(term: string): number {
  let m = 0;
  for (let i = 0; i < term.length; i++) m |= 1 << (term.charCodeAt(i) - 97);
  return m;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent transposition), or max+1 once it exceeds max. */
export function editDistance(a: string, b: string, max: number): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return max + 1;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const cb = b.charCodeAt(j - 1);
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca === cb ? 0 : 1));
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[m] <= max ? prev[m] : max + 1;
}

class Bucket {
  terms: string[] = [];
  masks = new Int32Array(64);
  push(term: string, mask: number): void {
    if (this.terms.length === this.masks.length) {
      const next = new Int32Array(this.masks.length * 2);
      next.set(this.masks);
      this.masks = next;
    }
    this.masks[this.terms.length] = mask;
    this.terms.push(term);
  }
}

export class Vocabulary {
  private readonly seen = new Set<string>();
  private readonly buckets: Bucket[] = Array.from({ length: TYPO_MAX_LENGTH + 1 }, () => new Bucket());

  get size(): number {
    return this.seen.size;
  }

  /** Remember a term (only plain lower-case words of typo-able length are kept). */
  add(term: string): void {
    if (!isPlainWord(term) || this.seen.has(term)) return;
    this.seen.add(term);
    this.buckets[term.length].push(term, letterMask(term));
  }

  has(term: string): boolean {
    return this.seen.has(term);
  }

  /** Known words within `maxEdits` of `term` (the term itself excluded), with their distance. */
  near(term: string, maxEdits: number): { term: string; edits: number }[] {
    if (maxEdits <= 0 || !isPlainWord(term)) return [];
    const mask = letterMask(term);
    const out: { term: string; edits: number }[] = [];
    const lo = Math.max(TYPO_MIN_LENGTH, term.length - maxEdits);
    const hi = Math.min(TYPO_MAX_LENGTH, term.length + maxEdits);
    for (let len = lo; len <= hi; len++) {
      const b = this.buckets[len];
      const masks = b.masks;
      const n = b.terms.length;
      for (let k = 0; k < n; k++) {
        if (popcount(masks[k] ^ mask) > 2 * maxEdits) continue;
        const cand = b.terms[k];
        if (cand === term) continue;
        const d = editDistance(term, cand, maxEdits);
        if (d <= maxEdits) out.push({ term: cand, edits: d });
      }
    }
    return out;
  }
}
