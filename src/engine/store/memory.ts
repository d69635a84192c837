// A SegmentStore that keeps everything in memory: the reference behaviour for the durable store, and the
// store of tests and one-shot runs that need nothing on disk.

import type { Segment, SegmentMeta } from '../model';
import type { SegmentPatch, SegmentStore } from './types';
import { ContextGcError } from '../model';

export class MemoryStore implements SegmentStore {
  private readonly rows = new Map<number, Segment>();
  private readonly kv = new Map<string, string>();
  private closed = false;

  scanMeta(visit: (meta: SegmentMeta) => void): void {
    const ids = [...this.rows.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const { text: _text, ...meta } = this.rows.get(id)!;
      visit(structuredClone(meta));
    }
  }
  getText(id: number): string | undefined {
    return this.rows.get(id)?.text;
  }
  getTexts(ids: readonly number[]): Map<number, string> {
    const out = new Map<number, string>();
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row) out.set(id, row.text);
    }
    return out;
  }
  getTitles(ids: readonly number[]): Map<number, string> {
    const out = new Map<number, string>();
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row) out.set(id, row.title);
    }
    return out;
  }
  insert(segments: readonly Segment[]): void {
    this.check();
    for (const s of segments) {
      if (this.rows.has(s.id)) throw new ContextGcError('invalid_argument', `Segment ${s.id} already exists.`);
      this.rows.set(s.id, structuredClone(s));
    }
  }
  update(patches: readonly SegmentPatch[]): void {
    this.check();
    for (const p of patches) {
      const row = this.rows.get(p.id);
      if (!row) throw new ContextGcError('not_found', `Segment ${p.id} does not exist.`);
      Object.assign(row, structuredClone(p));
    }
  }
  delete(ids: readonly number[]): void {
    this.check();
    for (const id of ids) this.rows.delete(id);
  }
  getKv(key: string): string | undefined {
    return this.kv.get(key);
  }
  setKv(key: string, value: string): void {
    this.check();
    this.kv.set(key, value);
  }
  async commit(): Promise<void> {
    this.check();
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  private check(): void {
    if (this.closed) throw new ContextGcError('store_closed', 'The store is closed.');
  }
}
