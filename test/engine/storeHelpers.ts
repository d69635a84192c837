// Helpers for the store tests: temp dirs, full segments, and a canonical dump of a store's contents
// (every field, every text, chosen kv keys) to compare a durable store with MemoryStore.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hashText, titleOf, type Segment } from '../../src/engine/model';
import type { SegmentStore } from '../../src/engine/store/types';

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under the OS temp dir, removed when the test process exits. */
export function tempDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cgc-${name}-`));
  made.push(dir);
  return dir;
}

export function fullSegment(id: number, over: Partial<Segment> = {}): Segment {
  const text = over.text ?? `Segment ${id} title line\nbody of ${id} with ünïcödé ✓ and "quotes"`;
  return {
    id,
    text,
    type: 'code',
    tier: 'working',
    taskId: `task-${id % 3}`,
    filePath: `src/mod${id % 5}/file${id}.ts`,
    lineStart: id,
    lineEnd: id + 10,
    tags: [`tag${id % 4}`, 'shared'],
    source: 'editor',
    refs: id > 1 ? [id - 1] : [],
    pinned: id % 2 === 0,
    generation: id % 3 === 0 ? 'old' : 'young',
    survivals: id % 4,
    createdAt: 1_700_000_000_000 + id,
    touchedAt: 1_700_000_500_000 + id,
    tokens: 10 + id,
    encoding: id % 2 ? 'o200k_base' : 'cl100k_base',
    textHash: hashText(text),
    title: titleOf(text),
    chars: text.length,
    ...over,
  };
}

export interface Dump {
  segments: Segment[];
  titles: [number, string][];
  kv: [string, string | undefined][];
}

/** Everything a store holds, in a canonical form (deepStrictEqual-comparable). */
export function dump(store: SegmentStore, kvKeys: readonly string[] = []): Dump {
  const metas: Segment[] = [];
  store.scanMeta((m) => metas.push({ ...m, text: '' }));
  const ids = metas.map((m) => m.id);
  const texts = store.getTexts(ids);
  for (const m of metas) m.text = texts.get(m.id)!;
  const titles = [...store.getTitles(ids)].sort((a, b) => a[0] - b[0]);
  return { segments: metas, titles, kv: kvKeys.map((k) => [k, store.getKv(k)]) };
}

/** Name, size and content hash of every file in `dir` (to prove nothing was written). */
export function fileState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const st = fs.statSync(path.join(dir, name));
    out[name] = `${st.size}:${st.mtimeMs}:${hashText(fs.readFileSync(path.join(dir, name), 'latin1'))}`;
  }
  return out;
}
