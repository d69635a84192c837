// Every filter, alone and combined, against a brute-force oracle on a generated corpus; and the two query
// plans (walk postings vs read the filtered texts) must give the very same answer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SearchRequest, SearchResult } from '../../src/engine/search';
import { Corpus, DAY, DIRS, FILES, generate, NOW, oracle, rng, TAGS, TYPES, WORDS } from './searchFixtures';
import * as fs from 'node:fs';
import { SearchIndex } from '../../src/engine/search';
import { tempDir } from './storeHelpers';

const corpus = generate(3000, 11);
// textCost Infinity: never read texts (index plan); 0 (and charCost 0): read texts whenever a task/file/tag filter exists.
const byIndex = corpus.index({ textCost: Infinity });
const byFilter = corpus.index({ textCost: 0, charCost: 0 });

function check(c: Corpus, idx: SearchIndex, req: SearchRequest, label: string): SearchResult {
  const res = idx.search({ ...req, limit: 1000 }, NOW);
  const want = oracle(c, req);
  assert.deepEqual(res.terms, want.terms, `${label}: terms`);
  assert.deepEqual(res.corrections, want.corrections, `${label}: corrections`);
  assert.equal(res.total, want.counts.size, `${label}: total`);
  const got = new Map(res.hits.map((h) => [h.id, h.matched]));
  if (want.counts.size <= 1000) {
    assert.deepEqual([...got.keys()].sort((a, b) => a - b), [...want.counts.keys()].sort((a, b) => a - b), `${label}: ids`);
  } else {
    // Only the best 1000 come back: none left out may match more terms than the weakest returned.
    const weakest = Math.min(...got.values());
    for (const [id, n] of want.counts) if (!got.has(id)) assert.ok(n <= weakest, `${label}: ${id} matched ${n} but was left out`);
  }
  for (const [id, n] of got) assert.equal(n, want.counts.get(id), `${label}: matched terms of ${id}`);
  for (let i = 1; i < res.hits.length; i++) {
    const a = res.hits[i - 1];
    const b = res.hits[i];
    assert.ok(a.matched >= b.matched, `${label}: more terms first`);
    assert.ok(a.score > b.score || (a.score === b.score && a.id > b.id), `${label}: scores descending`);
    assert.equal(Math.floor(a.score), a.matched, `${label}: integer part of the score is the matched count`);
  }
  return res;
}

function checkBothPlans(req: SearchRequest, label: string): [SearchResult, SearchResult] {
  const a = check(corpus, byIndex, req, `${label} [index plan]`);
  const b = check(corpus, byFilter, req, `${label} [filter plan]`);
  assert.equal(a.plan === 'none' ? 'none' : 'index', a.plan, label);
  assert.deepEqual({ ...b, plan: a.plan }, a, `${label}: both plans answer the same`);
  return [a, b];
}

test('the generated corpus has what the filter tests need', () => {
  assert.equal(corpus.table.count, 3000);
  assert.equal(byIndex.stats().segments, 3000);
  assert.ok(corpus.table.idsForTask('task-3').length > 100);
  assert.ok(corpus.table.idsForTag('bug').length > 100);
});

test('each filter alone matches the oracle, through both plans', () => {
  const q = 'search recall evaluation';
  const cases: [string, SearchRequest][] = [
    ['no filter', { query: q }],
    ['filePath', { query: q, filePath: 'src/engine/index.ts' }],
    ['filePathPrefix', { query: q, filePathPrefix: 'src/engine/' }],
    ['filePathPrefix of a deeper dir', { query: q, filePathPrefix: 'src/engine/search/' }],
    ['filePathPrefix partial name', { query: q, filePathPrefix: 'src/eng' }],
    ['taskId', { query: q, taskId: 'task-3' }],
    ['tagsAny', { query: q, tagsAny: ['bug', 'perf'] }],
    ['tagsAll', { query: q, tagsAll: ['bug', 'perf'] }],
    ['types', { query: q, types: ['decision', 'log'] }],
    ['tier stashed', { query: q, tier: 'stashed' }],
    ['tier working', { query: q, tier: 'working' }],
    ['created range', { query: q, createdAfter: NOW - 30 * DAY, createdBefore: NOW - 10 * DAY }],
    ['touched range', { query: q, touchedAfter: NOW - 20 * DAY }],
    ['project of this index', { query: q, project: undefined }],
  ];
  for (const [label, req] of cases) {
    const [a] = checkBothPlans(req, label);
    assert.ok(a.total > 0, `${label}: the case is not empty`);
  }
});

test('filters that cannot match give no hits (unknown task, file, tag, prefix)', () => {
  for (const req of [
    { query: 'search', taskId: 'no-such-task' },
    { query: 'search', filePath: 'nope.ts' },
    { query: 'search', filePathPrefix: 'zzz/' },
    { query: 'search', tagsAll: ['bug', 'no-such-tag'] },
    { query: 'search', tagsAny: ['no-such-tag'] },
  ] as SearchRequest[]) {
    const r = byIndex.search(req, NOW);
    assert.equal(r.total, 0);
    assert.deepEqual(r.hits, []);
    assert.equal(r.plan, 'none');
  }
  // An unknown tag among known ones in tagsAny is just ignored.
  checkBothPlans({ query: 'search', tagsAny: ['no-such-tag', 'ui'] }, 'tagsAny with an unknown tag');
});

test('random filter combinations and queries match the oracle, through both plans', () => {
  const r = rng(99);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const typo = (w: string): string => {
    const i = 1 + Math.floor(r() * (w.length - 2));
    return w.slice(0, i) + w.slice(i + 1);
  };
  let nonEmpty = 0;
  const defaults = corpus.index();
  for (let round = 0; round < 120; round++) {
    const nTerms = 1 + Math.floor(r() * 3);
    const words: string[] = [];
    for (let k = 0; k < nTerms; k++) {
      const x = r();
      if (x < 0.45) words.push(WORDS[Math.floor(WORDS.length * Math.pow(r(), 2.2))]);
      else if (x < 0.6) words.push(pick(WORDS));
      else if (x < 0.7) words.push(typo(pick(WORDS.filter((w) => w.length >= 5))));
      else if (x < 0.8) words.push(pick(['parseJsonConfig', 'snake_case', 'json', 'module3', 'README', 'needs review', 'flaky']));
      else if (x < 0.9) words.push(pick(['engine', 'webview', 'e2e', 'scripts']));
      else words.push(pick(['qqqzzz', 'the', '42', 'x']));
    }
    const req: SearchRequest = { query: words.join(' ') };
    if (r() < 0.3) req.filePath = pick(FILES);
    if (r() < 0.3) req.filePathPrefix = pick(DIRS);
    if (r() < 0.4) req.taskId = `task-${Math.floor(r() * 11)}`;
    if (r() < 0.3) req.tagsAny = [pick(TAGS), pick(TAGS)];
    if (r() < 0.2) req.tagsAll = [pick(TAGS)].concat(r() < 0.3 ? [pick(TAGS)] : []);
    if (r() < 0.4) req.types = [pick(TYPES), pick(TYPES)];
    if (r() < 0.4) req.tier = r() < 0.5 ? 'working' : 'stashed';
    if (r() < 0.3) req.createdAfter = NOW - Math.floor(r() * 60) * DAY;
    if (r() < 0.3) req.createdBefore = NOW - Math.floor(r() * 30) * DAY;
    if (r() < 0.2) req.touchedAfter = NOW - Math.floor(r() * 40) * DAY;
    if (r() < 0.2) req.touchedBefore = NOW - Math.floor(r() * 20) * DAY;
    const [a] = checkBothPlans(req, `round ${round}: ${JSON.stringify(req)}`);
    if (a.total > 0) nonEmpty++;
    const d = check(corpus, defaults, req, `round ${round} default plan choice`);
    assert.deepEqual({ ...d, plan: a.plan }, a, `round ${round}: the default plan choice answers the same`);
    // A small limit takes other paths (the last term is only probed): the same best hits and total.
    for (const idx of [byIndex, byFilter, defaults]) {
      const small = idx.search({ ...req, limit: 7 }, NOW);
      assert.deepEqual(small.hits, a.hits.slice(0, 7), `round ${round}: limit 7 gives the first 7`);
      assert.equal(small.total, a.total, `round ${round}: limit 7 total`);
    }
  }
  assert.ok(nonEmpty > 60, `most rounds have hits (${nonEmpty})`);
});

test('the plan follows selectivity: a few filtered segments are read, a broad filter walks the postings', () => {
  const idx = corpus.index({ textCost: 50, charCost: 0 });
  const common = 'search index';
  const narrow = idx.search({ query: common, filePath: 'src/engine/search/index.ts' }, NOW);
  assert.equal(narrow.plan, 'filter');
  const broad = idx.search({ query: common, taskId: 'task-1' }, NOW);
  assert.equal(broad.plan, 'index');
  const rare = idx.search({ query: 'xylophone', filePath: 'src/engine/search/index.ts' }, NOW);
  assert.equal(rare.plan, 'index', 'a rare term has fewer postings than the filter has segments');
  const columnsOnly = idx.search({ query: common, tier: 'stashed', types: ['log'] }, NOW);
  assert.equal(columnsOnly.plan, 'index', 'tier/type/time filters are column checks on the postings');
});

test('the plan weighs text length: a few long segments are walked through the postings, a few short ones read', () => {
  const c = new Corpus();
  for (let id = 1; id <= 5000; id++) c.put(id, `common word number ${id}`);
  for (let id = 5001; id <= 5020; id++) c.put(id, `common short ${id}`, { filePath: 'short.ts' });
  for (let id = 5021; id <= 5040; id++) c.put(id, `common ${'long text '.repeat(2000)}`, { filePath: 'long.ts' });
  const idx = c.index();
  assert.equal(idx.search({ query: 'common', filePath: 'short.ts' }, NOW).plan, 'filter');
  assert.equal(idx.search({ query: 'common', filePath: 'long.ts' }, NOW).plan, 'index');
  assert.equal(idx.search({ query: 'common', filePath: 'long.ts' }, NOW).total, 20);
});

test('the filter plan reads only the filtered segments’ texts, the index plan none but the hits’', () => {
  const before = corpus.textReads;
  const res = byFilter.search({ query: 'search', filePath: 'src/engine/search/index.ts', limit: 5 }, NOW);
  const filtered = corpus.table.idsForFile('src/engine/search/index.ts').length;
  assert.equal(res.plan, 'filter');
  assert.equal(corpus.textReads - before, filtered + res.hits.length);
  const mid = corpus.textReads;
  const res2 = byIndex.search({ query: 'search', filePath: 'src/engine/search/index.ts', limit: 5 }, NOW);
  assert.equal(res2.plan, 'index');
  assert.equal(corpus.textReads - mid, res2.hits.length);
});

test('tag filters stay exact after tags are removed (stale postings) and segments deleted', () => {
  const c = generate(800, 17);
  for (let id = 1; id <= 800; id += 3) c.setTags(id, []);
  for (let id = 2; id <= 800; id += 7) c.setTags(id, ['bug']);
  for (let id = 5; id <= 800; id += 11) c.delete(id);
  const plans = [c.index({ textCost: Infinity }), c.index({ textCost: 0, charCost: 0 })];
  for (const req of [
    { query: 'search index', tagsAny: ['bug', 'perf'] },
    { query: 'search', tagsAny: ['bug'] },
    { query: 'recall', tagsAll: ['bug'] },
    { query: 'cache memory', tagsAll: ['bug', 'perf'] },
    { query: 'query', tagsAny: ['ui'], tier: 'stashed' as const },
  ]) {
    const [a, b] = plans.map((idx) => check(c, idx, req, JSON.stringify(req)));
    assert.deepEqual({ ...b, plan: a.plan }, a);
    for (const limit of [3, 20]) assert.deepEqual(plans[0].search({ ...req, limit }, NOW).hits, a.hits.slice(0, limit));
  }
});

test('recent and task filters skip postings by key block and stay exact through re-indexing, late imports, compaction and a reload', async () => {
  const c = generate(2500, 23, { ordered: true });
  let idx = c.index({ textCost: Infinity });
  const internals = (x: SearchIndex) => x as unknown as { postings(term: string): (number[] | null)[]; startAfter(arr: number[], after: number): number; filterBlocks: Uint8Array | null };
  const run = (label: string): void => {
    for (const taskId of ['task-2', 'task-9']) {
      for (const query of ['search', 'search index recall', 'cache memory query', 'serch', 'engine json']) {
        for (const extra of [{}, { tier: 'stashed' as const }, { createdAfter: NOW - 10 * DAY }, { tagsAny: ['bug', 'ui'] }]) {
          const req: SearchRequest = { query, taskId, ...extra };
          const res = check(c, idx, req, `${label}: ${JSON.stringify(req)}`);
          for (const limit of [3, 20]) assert.deepEqual(idx.search({ ...req, limit }, NOW).hits, res.hits.slice(0, limit), `${label}: limit ${limit} of ${JSON.stringify(req)}`);
        }
      }
    }
    for (const days of [1, 5, 12, 30, 59, 61]) {
      for (const query of ['search', 'search index recall', 'cache memory query', 'serch', 'engine json']) {
        for (const extra of [{}, { tier: 'stashed' as const }, { createdBefore: NOW - 2 * DAY }]) {
          const req: SearchRequest = { query, createdAfter: NOW - days * DAY, ...extra };
          const res = check(c, idx, req, `${label}: ${JSON.stringify(req)}`);
          for (const limit of [3, 20]) {
            const small = idx.search({ ...req, limit }, NOW);
            assert.deepEqual(small.hits, res.hits.slice(0, limit), `${label}: limit ${limit} of ${JSON.stringify(req)}`);
            assert.equal(small.total, res.total);
          }
        }
      }
    }
  };
  run('fresh');
  // The bound does skip: a recent filter starts a common word's posting list far from its start.
  const list = internals(idx).postings('search').find((a) => a !== null && a.length > 50) as number[];
  assert.ok(internals(idx).startAfter(list, NOW - 5 * DAY) > list.length / 2);
  // A task's segments sit in few key blocks: the walk skips postings outside them.
  idx.search({ query: 'search', taskId: 'task-3' }, NOW);
  assert.ok(internals(idx).filterBlocks !== null);
  // Old segments re-indexed (new keys, old creation times), recent ones deleted, old-dated imports added.
  for (let id = 1; id <= 2500; id += 9) {
    c.setText(id, `${c.texts.get(id) as string} search recall`);
    idx.update(id, c.texts.get(id) as string);
  }
  for (let id = 3; id <= 2500; id += 17) {
    c.setTags(id, ['bug']);
    idx.update(id, c.texts.get(id) as string);
  }
  for (let id = 2400; id <= 2500; id += 4) {
    c.delete(id);
    idx.remove(id);
  }
  for (let id = 2501; id <= 2540; id++) {
    const text = `imported search cache note ${id}`;
    c.put(id, text, { createdAt: NOW - (id % 50) * DAY, touchedAt: NOW - DAY, taskId: `task-${id % 10}` });
    idx.add(id, text);
  }
  run('after changes');
  await idx.compact();
  run('after compaction');
  const dir = tempDir('search-created');
  await idx.save(dir, 1);
  idx = (await SearchIndex.load(dir, 1, c.table, c.getTexts, { textCost: Infinity })) as SearchIndex;
  assert.ok(idx);
  run('after a reload');
  fs.rmSync(dir, { recursive: true, force: true });
});
