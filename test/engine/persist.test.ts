// The engine over the real durable store: restart round trips keep segments, totals, the current task
// and search results; the saved search index is reused when current and rebuilt when stale.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContextEngine } from '../../src/engine/engine';
import { openSqliteStore } from '../../src/engine/store/sqlite';
import { TestClock, words } from './helpers';
import { tempDir } from './storeHelpers';

async function open(dir: string, clock = new TestClock()) {
  const store = await openSqliteStore(dir, { purpose: 'test', backgroundSnapshots: false });
  return ContextEngine.open({ store, clock, project: 'p', searchDir: path.join(dir, 'search'), settings: { budget: 1000 } });
}

const corpus = [
  { type: 'code' as const, text: 'export function parseJsonConfig(path: string) { return JSON.parse(read(path)); }', filePath: 'src/config.ts', tags: ['config'] },
  { type: 'note' as const, text: 'Search evaluation: measure recall on the golden set', tags: ['search'] },
  { type: 'decision' as const, text: 'Keep the journal append-only and fsync every group commit', taskId: 'store' },
  { type: 'log' as const, text: words(40, 'timeout'), taskId: 'store' },
];

test('a restart keeps segments, ids, totals, the current task, pins, tiers and search results', async () => {
  const dir = tempDir('persist');
  const a = await open(dir);
  await a.setCurrentTask('store');
  await a.addMany(corpus);
  await a.pin([3]);
  await a.stash([4]);
  await a.whenSearchReady();
  const queries = ['json config', 'search evaluation recall', 'journal fsync', 'timeout'];
  const before = queries.map((q) => a.search({ query: q }).hits.map((h) => [h.id, h.score]));
  const totals = a.totals();
  await a.close();

  const b = await open(dir);
  await b.whenSearchReady();
  assert.deepEqual(b.totals(), totals);
  assert.equal(b.currentTask, 'store');
  assert.equal(b.getMeta(3).pinned, true);
  assert.equal(b.getMeta(4).tier, 'stashed');
  assert.deepEqual(queries.map((q) => b.search({ query: q }).hits.map((h) => [h.id, h.score])), before);
  assert.deepEqual(before[0].map(([id]) => id), [1]);
  assert.equal((await b.add({ type: 'note', text: 'after restart' })).id, 5);
  await b.close();
});

test('the saved index is used only when current: a change after saving forces a rebuild with the same results', async () => {
  const dir = tempDir('persist');
  const a = await open(dir);
  await a.addMany(corpus);
  await a.whenSearchReady();
  await a.close();
  assert.ok(fs.existsSync(path.join(dir, 'search', 'search-index.jsonl')), 'the index was saved on close');

  // Change the store behind the index's back (no engine): the saved watermark is now stale.
  const store = await openSqliteStore(dir, { purpose: 'test', backgroundSnapshots: false });
  store.setKv('changeSeq', '999');
  await store.close();

  const b = await open(dir);
  const partial = b.search({ query: 'json config' });
  await b.whenSearchReady();
  const full = b.search({ query: 'json config' });
  assert.equal(full.partial, false);
  assert.deepEqual(full.hits.map((h) => h.id), [1]);
  assert.ok(partial.hits.length <= 1);
  await b.close();
});

test('search follows every change: add, update, stash, restore, delete', async () => {
  const dir = tempDir('persist');
  const e = await open(dir);
  const [m] = await e.addMany([{ type: 'note', text: 'the flux capacitor' }]);
  await e.whenSearchReady();
  assert.deepEqual(e.search({ query: 'capacitor' }).hits.map((h) => h.id), [m.id]);
  await e.updateText(m.id, 'the warp core');
  assert.deepEqual(e.search({ query: 'capacitor' }).hits, []);
  assert.deepEqual(e.search({ query: 'warp' }).hits.map((h) => h.id), [m.id]);
  await e.stash([m.id]);
  assert.deepEqual(e.search({ query: 'warp', tier: 'stashed' }).hits.map((h) => h.id), [m.id]);
  assert.deepEqual(e.search({ query: 'warp', tier: 'working' }).hits, []);
  await e.restore([m.id]);
  assert.deepEqual(e.search({ query: 'warp', tier: 'working' }).hits.map((h) => h.id), [m.id]);
  await e.delete([m.id], { confirm: true });
  assert.deepEqual(e.search({ query: 'warp' }).hits, []);
  await e.close();
});
