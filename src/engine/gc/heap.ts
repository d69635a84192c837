// A binary min-heap over parallel typed arrays (score, id): O(n) heapify, O(log n) pop.
// GC uses it to take the lowest-scoring segments until a token target is met, without sorting everything.

export class MinHeap {
  private size = 0;
  constructor(
    private readonly scores: Float64Array,
    private readonly ids: Int32Array,
    length: number,
  ) {
    this.size = length;
    for (let i = (length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  get length(): number {
    return this.size;
  }

  /** Removes the lowest (score, id) pair; ties go to the lower id so plans are deterministic. */
  pop(): { id: number; score: number } | undefined {
    if (this.size === 0) return undefined;
    const id = this.ids[0];
    const score = this.scores[0];
    this.size--;
    if (this.size > 0) {
      this.scores[0] = this.scores[this.size];
      this.ids[0] = this.ids[this.size];
      this.down(0);
    }
    return { id, score };
  }

  private less(a: number, b: number): boolean {
    const sa = this.scores[a];
    const sb = this.scores[b];
    return sa < sb || (sa === sb && this.ids[a] < this.ids[b]);
  }

  private down(i: number): void {
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const m = r < n && this.less(r, l) ? r : l;
      if (!this.less(m, i)) return;
      const s = this.scores[i];
      this.scores[i] = this.scores[m];
      this.scores[m] = s;
      const d = this.ids[i];
      this.ids[i] = this.ids[m];
      this.ids[m] = d;
      i = m;
    }
  }
}
