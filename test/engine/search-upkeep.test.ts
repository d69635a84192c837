// The engine keeps its saved search index fresh without a clean close: it saves it once changes stop
// (debounced, in the background), a crash then costs only the changes since (re-indexed at the next open,
// found from the table's hashes, no full build), and dead keys are compacted away when they pile up.
// Real sql.js store files, real FlexSearch; a crash is a copy of the store and index directories taken
// while the engine is still open (every acknowledged change is durable, nothing was closed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContextEngine, type EngineOptions } from '../../src/engine/engine';
import { openSqliteStore } from '../../src/engine/store/sqlite';
import type { SearchRequest } from '../../src/engine/search';
import { TestClock } from './helpers';
import { tempDir } from './storeHelpers';

const WORDS = ['journal', 'fsync', 'snapshot', 'webview', 'budget', 'tokens', 'search', 'index', 'recall', 'cache', 'parser', 'config', 'stash', 'restore', 'latency'];

function textOf(i: number): string {
  const w = (k: number) => WORDS[(i * 7 + k * 3) % WORDS.length];
  return `${w(0)} ${w(1)} note ${i}: parseJsonConfig ${w(2)} ${w(3)} ${i % 5 === 0 ? 'quokka' : 'wombat'}`;
}

async function open(dir: string, clock: TestClock, opts: Partial<EngineOptions> = {}, progress?: (done: number, total: number | undefined) => void): Promise<ContextEngine> {
  const store = await openSqliteStore(path.join(dir, 'store'), { purpose: 'test', backgroundSnapshots: false });
  return ContextEngine.open({ store, clock, project: 'p', searchDir: path.join(dir, 'search'), settings: { budget: 1_000_000 }, onSearchProgress: progress, ...opts });
}

function savedWatermark(dir: string): number | null {
  const file = path.join(dir, 'search', 'search-index.jsonl');
  if (!fs.existsSync(file)) return null;
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return (JSON.parse(buf.subarray(0, n).toString('utf8').split('\n')[0]) as { watermark: number }).watermark;
  } finally {
    fs.closeSync(fd);
  }
}

const changeSeq = (e: ContextEngine): number => Number(e.store.getKv('changeSeq'));

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A crash image: the directories as they are now, without the live lock. */
function crashCopy(from: string): string {
  const to = tempDir('upkeep-crash');
  fs.cpSync(from, to, { recursive: true, filter: (src) => path.basename(src) !== 'store.lock' });
  return to;
}

const QUERIES: SearchRequest[] = [
  { query: 'quokka' },
  { query: 'journal fsync snapshot' },
  { query: 'parse json config', limit: 50 },
  { query: 'wombat', tier: 'stashed' },
  { query: 'cache recall', tagsAny: ['perf'] },
  { query: 'webvew budgte' },
  { query: 'platypus' },
  { query: 'zebra lagoon' },
];

function answers(e: ContextEngine): unknown[] {
  return QUERIES.map((q) => {
    const r = e.search({ limit: 100, ...q });
    return { total: r.total, partial: r.partial, corrections: r.corrections, hits: r.hits.map((h) => [h.id, h.score, h.matched, h.snippet]) };
  });
}

test('the index is saved once changes stop for the idle delay, not before, and not again without new index changes', async () => {
  const dir = tempDir('upkeep-idle');
  const clock = new TestClock();
  const e = await open(dir, clock, { searchMaintenance: { idleMs: 1000 } });
  await e.whenSearchReady();
  await e.addMany(Array.from({ length: 30 }, (_, i) => ({ type: 'note' as const, text: textOf(i) })));
  const t0 = Date.now();
  // Changes keep coming for a while: each one restarts the delay.
  for (let k = 0; k < 6; k++) {
    await new Promise((r) => setTimeout(r, 150));
    await e.add({ type: 'note', text: `late note ${k} platypus` });
    if (Date.now() - t0 < 900) assert.equal(savedWatermark(dir), null, 'no save while changes keep coming');
  }
  const last = Date.now();
  await new Promise((r) => setTimeout(r, 300));
  if (Date.now() - last < 900) assert.equal(savedWatermark(dir), null, 'no save before the idle delay has passed');
  await until('the idle save', () => savedWatermark(dir) === changeSeq(e));
  assert.ok(Date.now() - last >= 1000, 'saved after the idle delay');
  // A change to columns only (stash) moves the watermark but not what is indexed: no new save.
  const mark = changeSeq(e);
  await e.stash([1]);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(savedWatermark(dir), mark);
  // Close saves the watermark too, so the next open loads it as current.
  await e.close();
  assert.equal(savedWatermark(dir), mark + 1);
});

test('after a crash the saved index catches up on the changes since its save, and answers like the live engine', async () => {
  const dir = tempDir('upkeep-crash-src');
  const clock = new TestClock();
  const a = await open(dir, clock, { searchMaintenance: { idleMs: 200 } });
  await a.whenSearchReady();
  const first = await a.addMany(Array.from({ length: 400 }, (_, i) => ({ type: 'note' as const, text: textOf(i), tags: i % 3 === 0 ? ['perf'] : [] })));
  await until('the idle save', () => savedWatermark(dir) === changeSeq(a));
  const savedAt = changeSeq(a);
  // Changes after the save, each segment changed once: add, re-text, re-tag, delete, stash.
  const ids = first.map((m) => m.id);
  await a.addMany([{ type: 'note', text: 'a new platypus in the journal' }, { type: 'decision', text: 'zebra lagoon decision', tags: ['perf'] }]);
  await a.updateText(ids[10], 'rewritten: now about the zebra and its lagoon');
  await a.updateText(ids[11], 'rewritten: quokka quokka journal');
  await a.setTags(ids[13], ['perf']);
  await a.delete([ids[15], ids[25]], { confirm: true });
  await a.stash([ids[30], ids[31]]);
  assert.ok(changeSeq(a) > savedAt);
  const crashed = crashCopy(dir);
  assert.equal(savedWatermark(crashed), savedAt, 'the crash image holds the index of the idle save');

  const progress: [number, number | undefined][] = [];
  const b = await open(crashed, clock, { searchMaintenance: { idleMs: 0 } }, (done, total) => progress.push([done, total]));
  await b.whenSearchReady();
  // Only the segments whose indexed content changed were re-indexed: 2 added, 2 re-texted, 1 re-tagged.
  assert.deepEqual(progress[progress.length - 1], [5, 5]);
  assert.equal(b.searchStats()?.segments, a.searchStats()?.segments);
  assert.deepEqual(answers(b), answers(a));
  // A full build from scratch finds the same segments, with the same matched counts (scores may differ a
  // little: term rarity counts the postings of dead keys, which a fresh build has none of).
  const fresh = crashCopy(dir);
  fs.rmSync(path.join(fresh, 'search'), { recursive: true });
  const c = await open(fresh, clock, { searchMaintenance: { idleMs: 0 } });
  await c.whenSearchReady();
  for (const q of QUERIES) {
    const got = b.search({ ...q, limit: 1000 });
    const want = c.search({ ...q, limit: 1000 });
    assert.equal(got.total, want.total, JSON.stringify(q));
    assert.deepEqual(new Map(got.hits.map((h) => [h.id, h.matched])), new Map(want.hits.map((h) => [h.id, h.matched])), JSON.stringify(q));
  }
  // And the caught-up index is what b saves on close: the next open loads it as current, no re-indexing.
  await b.close();
  const progress2: unknown[] = [];
  const b2 = await open(crashed, clock, {}, (done, total) => progress2.push([done, total]));
  await b2.whenSearchReady();
  assert.deepEqual(progress2, []);
  assert.deepEqual(answers(b2), answers(a));
  await Promise.all([a.close(), b2.close(), c.close()]);
});

test('dead keys past the share are compacted at idle; answers equal a fresh build, before and after a reload', async () => {
  const dir = tempDir('upkeep-compact');
  const clock = new TestClock();
  const a = await open(dir, clock, { searchMaintenance: { idleMs: 150, compactShare: 0.3, compactMinDead: 50 } });
  await a.whenSearchReady();
  const made = await a.addMany(Array.from({ length: 300 }, (_, i) => ({ type: 'note' as const, text: textOf(i), tags: i % 4 === 0 ? ['perf'] : [] })));
  await until('the idle save', () => savedWatermark(dir) === changeSeq(a));
  // 60 re-texts and 40 deletes: 100 dead keys of 360, under the share; 20 more re-texts pass it.
  for (let k = 0; k < 60; k++) await a.updateText(made[k].id, `${textOf(k)} edited journal ${k % 2 === 0 ? 'lagoon' : ''}`);
  await a.delete(made.slice(100, 140).map((m) => m.id), { confirm: true });
  await until('the idle save', () => savedWatermark(dir) === changeSeq(a));
  assert.equal(a.searchStats()?.deadKeys, 100, 'under the share: not compacted');
  for (let k = 60; k < 80; k++) await a.updateText(made[k].id, `${textOf(k)} edited again zebra`);
  await until('the compacting save', () => savedWatermark(dir) === changeSeq(a));
  assert.equal(a.searchStats()?.deadKeys, 0);
  assert.equal(a.searchStats()?.segments, 260);

  const fresh = crashCopy(dir);
  fs.rmSync(path.join(fresh, 'search'), { recursive: true });
  const c = await open(fresh, clock, { searchMaintenance: { idleMs: 0 } });
  await c.whenSearchReady();
  assert.deepEqual(answers(a), answers(c));
  const reloaded = await open(crashCopy(dir), clock, { searchMaintenance: { idleMs: 0 } });
  assert.deepEqual(answers(reloaded), answers(c));
  await Promise.all([a.close(), c.close(), reloaded.close()]);
});

test('closing while an idle save runs leaves one complete, current index file and no temp file', async () => {
  const clock = new TestClock();
  for (const delay of [0, 15, 30, 60]) {
    const dir = tempDir('upkeep-close');
    const a = await open(dir, clock, { searchMaintenance: { idleMs: 10 } });
    await a.whenSearchReady();
    await a.addMany(Array.from({ length: 1500 }, (_, i) => ({ type: 'note' as const, text: `${textOf(i)} ${textOf(i + 1)}` })));
    await new Promise((r) => setTimeout(r, delay));
    const want = answers(a);
    const mark = changeSeq(a);
    await a.close();
    assert.deepEqual(fs.readdirSync(path.join(dir, 'search')), ['search-index.jsonl'], `delay ${delay}: no temp file`);
    assert.equal(savedWatermark(dir), mark, `delay ${delay}: the file is current`);
    const progress: unknown[] = [];
    const b = await open(dir, clock, { searchMaintenance: { idleMs: 0 } }, (done, total) => progress.push([done, total]));
    assert.deepEqual(progress, [], `delay ${delay}: loaded as current`);
    assert.deepEqual(answers(b), want);
    await b.close();
  }
});
