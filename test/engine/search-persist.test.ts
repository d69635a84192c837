// The index stays in step with every change, survives a restart through save/load (and refuses a stale or
// damaged file), and can be built in the background while it answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INDEX_VERSION, SearchIndex, type SearchRequest } from '../../src/engine/search';
import { Corpus, DAY, generate, NOW, oracle } from './searchFixtures';
import { tempDir } from './storeHelpers';

const QUERIES: SearchRequest[] = [
  { query: 'search recall evaluation' },
  { query: 'parseJsonConfig' },
  { query: 'snake case' },
  { query: 'serch memroy' },
  { query: 'latency', taskId: 'task-2' },
  { query: 'cache journal', filePathPrefix: 'src/' },
  { query: 'heap', tagsAny: ['bug', 'perf'], tier: 'stashed' },
  { query: 'engine', types: ['code', 'log'], createdAfter: NOW - 20 * DAY },
  { query: '', tagsAll: ['ui'] },
  { query: 'xylophone quartz zephyr', limit: 3, maxTokens: 40 },
];

function answers(idx: SearchIndex): unknown[] {
  return QUERIES.map((q) => idx.search({ limit: 200, ...q }, NOW));
}

function tmpDir(): string {
  return tempDir('search');
}

/** The index's answer agrees with the oracle on which segments match and how many terms each. */
function agreesWithOracle(c: Corpus, idx: SearchIndex, req: SearchRequest): void {
  if (req.query.trim() === '') return;
  const res = idx.search({ ...req, limit: 1000, maxTokens: undefined }, NOW);
  const want = oracle(c, req);
  assert.equal(res.total, want.counts.size, `total for ${JSON.stringify(req)}`);
  for (const h of res.hits) assert.equal(h.matched, want.counts.get(h.id), `matched terms of ${h.id} for ${JSON.stringify(req)}`);
  if (want.counts.size <= 1000) assert.equal(res.hits.length, want.counts.size);
}

test('save then load answers every query exactly as before', async () => {
  const c = generate(2000, 5);
  const idx = c.index();
  const dir = tmpDir();
  const saved = await idx.save(dir, 42);
  assert.ok(saved.bytes > 100_000);
  assert.equal(fs.readdirSync(dir).join(','), 'search-index.jsonl', 'no temp file left behind');
  const loaded = await SearchIndex.load(dir, 42, c.table, c.getTexts);
  assert.ok(loaded);
  assert.deepEqual(loaded.stats(), idx.stats());
  assert.deepEqual(answers(loaded), answers(idx));
  // It still knows what each segment was indexed from: re-sending an unchanged segment does nothing.
  loaded.update(5, c.texts.get(5) as string);
  assert.equal(loaded.stats().keys, 2000);
  // The loaded index keeps working: add, update, remove, save again, load again.
  c.put(2001, 'a brand new quokka segment');
  loaded.add(2001, 'a brand new quokka segment');
  c.setText(7, 'rewritten about wombats');
  loaded.update(7, 'rewritten about wombats');
  c.delete(8);
  loaded.remove(8);
  assert.deepEqual(loaded.search({ query: 'quokka' }, NOW).hits.map((h) => h.id), [2001]);
  assert.deepEqual(loaded.search({ query: 'wombats' }, NOW).hits.map((h) => h.id), [7]);
  for (const q of QUERIES) agreesWithOracle(c, loaded, q);
  await loaded.save(dir, 43);
  const again = await SearchIndex.load(dir, 43, c.table, c.getTexts);
  assert.ok(again);
  assert.deepEqual(answers(again), answers(loaded));
  assert.deepEqual(again.stats(), { ...loaded.stats(), deadKeys: loaded.stats().deadKeys });
});

test('a stale, missing, foreign-version or damaged index file is refused (null), so the caller rebuilds', async () => {
  const c = generate(300, 9);
  const idx = c.index();
  const dir = tmpDir();
  assert.equal(await SearchIndex.load(dir, 1, c.table, c.getTexts), null, 'missing');
  await idx.save(dir, 7);
  assert.equal(await SearchIndex.load(dir, 8, c.table, c.getTexts), null, 'stale watermark');
  assert.ok(await SearchIndex.load(dir, 7, c.table, c.getTexts), 'current');
  const file = path.join(dir, 'search-index.jsonl');
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.replace(`"version":"${INDEX_VERSION}"`, '"version":"0.old"'));
  assert.equal(await SearchIndex.load(dir, 7, c.table, c.getTexts), null, 'other version');
  fs.writeFileSync(file, text.slice(0, Math.floor(text.length * 0.6)));
  assert.equal(await SearchIndex.load(dir, 7, c.table, c.getTexts), null, 'torn file');
  const lines = text.split('\n');
  fs.writeFileSync(file, [...lines.slice(0, 3), '{not json', ...lines.slice(4)].join('\n'));
  assert.equal(await SearchIndex.load(dir, 7, c.table, c.getTexts), null, 'damaged chunk');
  fs.writeFileSync(file, 'garbage');
  assert.equal(await SearchIndex.load(dir, 7, c.table, c.getTexts), null, 'garbage');
});

test('changes made while a save runs stay in memory and are not in the file', async () => {
  const c = generate(1500, 3);
  const idx = c.index();
  const dir = tmpDir();
  const before = idx.search({ query: 'gamma' }, NOW);
  const saving = idx.save(dir, 100);
  c.put(1501, 'gamma ray burst');
  idx.add(1501, 'gamma ray burst');
  await saving;
  assert.deepEqual(idx.search({ query: 'burst' }, NOW).hits.map((h) => h.id), [1501]);
  const loaded = await SearchIndex.load(dir, 100, c.table, c.getTexts);
  assert.ok(loaded);
  assert.equal(loaded.has(1501), false);
  assert.equal(loaded.search({ query: 'burst' }, NOW).total, 0);
  assert.deepEqual(loaded.search({ query: 'gamma' }, NOW), before);
});

test('add, update, stash/restore, tag change and delete keep search in step', () => {
  const c = new Corpus();
  c.put(1, 'the flaky socket test times out', { tier: 'working', tags: ['ci'] });
  c.put(2, 'socket server accepts the request', { tier: 'stashed' });
  c.put(3, 'render the panel view');
  const idx = c.index();
  const q = (req: SearchRequest): number[] => idx.search(req, NOW).hits.map((h) => h.id);
  assert.deepEqual(q({ query: 'socket' }).sort(), [1, 2]);

  c.put(4, 'socket pool exhausted');
  idx.add(4, 'socket pool exhausted');
  assert.deepEqual(q({ query: 'socket' }).sort(), [1, 2, 4]);

  c.setText(2, 'websocket upgrade handshake');
  idx.update(2, 'websocket upgrade handshake');
  assert.deepEqual(q({ query: 'socket' }).sort(), [1, 4]);
  assert.deepEqual(q({ query: 'handshake' }), [2]);
  assert.equal(idx.stats().deadKeys, 1);

  // Stash and restore are a column change: no index call at all.
  const keys = idx.stats().keys;
  c.setTier(1, 'stashed');
  assert.deepEqual(q({ query: 'socket', tier: 'stashed' }).sort(), [1, 4]);
  c.setTier(1, 'working');
  assert.deepEqual(q({ query: 'socket', tier: 'working' }), [1]);

  // Tags are indexed with the text: a tag change (the engine re-sends the same text) re-indexes once;
  // sending it again with nothing changed does nothing.
  c.setTags(4, ['pool', 'ci']);
  idx.update(4, 'socket pool exhausted');
  assert.equal(idx.stats().keys, keys + 1);
  idx.update(4, 'socket pool exhausted');
  assert.equal(idx.stats().keys, keys + 1);
  assert.deepEqual(q({ query: 'socket', tagsAll: ['ci'] }).sort(), [1, 4]);
  assert.deepEqual(q({ query: 'ci' }).sort(), [1, 4]);

  c.delete(1);
  idx.remove(1);
  assert.deepEqual(q({ query: 'socket' }), [4]);
  assert.equal(idx.has(1), false);
  assert.deepEqual(idx.stats(), { segments: 3, keys: 6, deadKeys: 3, vocabulary: idx.stats().vocabulary, building: false });
  // A row deleted from the table but not yet from the index is never returned.
  c.delete(4);
  assert.deepEqual(q({ query: 'socket' }), []);
  for (const req of [{ query: 'socket handshake render' }, { query: 'panel', tier: 'stashed' as const }]) agreesWithOracle(c, idx, req);
});

test('a background build answers while it runs (partial) and ends identical to a direct build', async () => {
  const c = generate(2500, 21);
  const direct = c.index();
  const bg = new SearchIndex(c.table, c.getTexts);
  const progress: [number, number | undefined][] = [];
  const ids = Array.from({ length: 2500 }, (_, i) => i + 1);
  const building = bg.buildInBackground(ids, (done, total) => progress.push([done, total]), { total: 2500, batch: 100 });
  let sawPartial = false;
  while (bg.stats().building) {
    const r = bg.search({ query: 'search' }, NOW);
    if (r.partial) sawPartial = true;
    await new Promise((res) => setImmediate(res));
  }
  const done = await building;
  assert.equal(done.indexed, 2500);
  assert.ok(sawPartial, 'queries during the build are answered and marked partial');
  assert.deepEqual(progress[progress.length - 1], [2500, 2500]);
  assert.equal(bg.search({ query: 'search' }, NOW).partial, false);
  assert.deepEqual(answers(bg), answers(direct));
  // Running it again indexes nothing: everything is in already.
  assert.equal((await bg.buildInBackground(ids)).indexed, 0);
});

test('a background build can be cancelled and resumed', async () => {
  const c = generate(2000, 4);
  const idx = new SearchIndex(c.table, c.getTexts);
  const ctrl = new AbortController();
  const ids = Array.from({ length: 2000 }, (_, i) => i + 1);
  function* abortingAt1000(): Generator<number> {
    for (const id of ids) {
      if (id === 1000) ctrl.abort();
      yield id;
    }
  }
  const run = idx.buildInBackground(abortingAt1000(), undefined, { batch: 50, signal: ctrl.signal });
  await assert.rejects(run, (e: unknown) => e instanceof Error && e.message === 'The search index build was cancelled.');
  const part = idx.stats().segments;
  assert.equal(part, 1000, 'stopped after the batch in which it was cancelled');
  const rest = await idx.buildInBackground(ids);
  assert.equal(rest.indexed, 2000 - part);
  assert.deepEqual(answers(idx), answers(c.index()));
});

test('compaction drops the postings of dead keys and answers like a fresh build', async () => {
  const c = generate(1500, 13);
  const idx = c.index();
  for (let id = 1; id <= 300; id++) {
    const text = `${c.texts.get(id) as string} rewritten ${id % 7 === 0 ? 'zanzibar' : ''}`;
    c.setText(id, text);
    idx.update(id, text);
  }
  for (let id = 301; id <= 400; id++) {
    c.delete(id);
    idx.remove(id);
  }
  assert.equal(idx.stats().deadKeys, 400);
  const running = idx.compact();
  // Changes while it runs land in the compacted index too.
  c.put(1501, 'a zanzibar quokka');
  idx.add(1501, 'a zanzibar quokka');
  const done = await running;
  assert.equal(done.droppedKeys, 400);
  assert.equal(idx.stats().segments, 1401);
  assert.deepEqual(idx.search({ query: 'quokka' }, NOW).hits.map((h) => h.id), [1501]);
  const fresh = c.index();
  assert.deepEqual(answers(idx), answers(fresh));
  assert.deepEqual(idx.search({ query: 'zanzibar', limit: 100 }, NOW).hits.map((h) => h.id), fresh.search({ query: 'zanzibar', limit: 100 }, NOW).hits.map((h) => h.id));
  await assert.rejects(Promise.all([idx.compact(), idx.compact()]), (e: unknown) => e instanceof Error && e.message === 'The search index is already being compacted.');
});
