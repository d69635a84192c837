// A bounded piece -> token count cache with two generations (an approximate LRU that costs one extra
// Map lookup). New entries go into the young map; when it fills, it becomes the old map and the
// previous old map is dropped; a hit in the old map is copied back into the young one. At most
// 2 x generationSize entries are alive, so memory stays bounded however much text is counted.

export class PieceCache {
  private young = new Map<string, number>();
  private old = new Map<string, number>();

  constructor(private readonly generationSize: number) {}

  get(piece: string): number | undefined {
    const hit = this.young.get(piece);
    if (hit !== undefined) return hit;
    const aged = this.old.get(piece);
    if (aged !== undefined) this.set(piece, aged);
    return aged;
  }

  set(piece: string, count: number): void {
    this.young.set(piece, count);
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }
}
