// Ranking on small hand-made corpora: more matched terms first, relevance, recency and metadata boosts,
// identifier parts, typos, snippets, limits, and request validation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContextGcError } from '../../src/engine/model';
import { Corpus, DAY, NOW, rng } from './searchFixtures';

function ids(c: Corpus, query: string, extra: object = {}): number[] {
  return c.index().search({ query, ...extra }, NOW).hits.map((h) => h.id);
}

test('"search evaluation recall" finds segments with some of the terms, most terms first', () => {
  const c = new Corpus();
  c.put(1, 'We ran the search evaluation last week and it went fine.');
  c.put(2, 'Recall dropped after the tokenizer change.');
  c.put(3, 'Nothing relevant in this one.');
  c.put(4, 'Search quality report: recall at 10, and the evaluation protocol.');
  c.put(5, 'Search search search search search, all day long.');
  const r = c.index().search({ query: 'search evaluation recall' }, NOW);
  assert.deepEqual(r.terms, ['search', 'evaluation', 'recall']);
  assert.deepEqual(r.hits.map((h) => [h.id, h.matched]), [[4, 3], [1, 2], [5, 1], [2, 1]]);
  assert.equal(r.total, 4);
  assert.equal(r.plan, 'index');
  // No segment holds the whole phrase, yet the query answers.
  assert.ok(![...c.texts.values()].some((t) => t.toLowerCase().includes('search evaluation recall')));
});

test('a segment with more distinct terms beats one repeating a single term many times', () => {
  const c = new Corpus();
  c.put(1, 'cache cache cache cache cache cache cache cache cache cache');
  c.put(2, 'the eviction policy of the cache is lru');
  assert.deepEqual(ids(c, 'cache eviction'), [2, 1]);
});

test('within the same number of terms, frequency and an early position rank higher', () => {
  const c = new Corpus();
  const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt labore';
  c.put(1, `${filler} ${filler} journal`);
  c.put(2, `journal replay after a crash: ${filler}`);
  c.put(3, `journal ${filler} journal ${filler} journal`);
  assert.deepEqual(ids(c, 'journal'), [3, 2, 1]);
});

test('rarer terms weigh more than common ones among equal matched counts', () => {
  const c = new Corpus();
  for (let i = 1; i <= 8; i++) c.put(i, `error number ${i} in the build`);
  c.put(20, 'a segfault happened');
  c.put(21, 'an error happened');
  const r = c.index().search({ query: 'segfault error' }, NOW);
  assert.equal(r.hits[0].id, 20);
  assert.ok(r.hits.findIndex((h) => h.id === 21) > 0);
});

test('recency breaks ties: the more recently touched of two equal segments ranks first', () => {
  const c = new Corpus();
  c.put(1, 'deploy the rollback script', { touchedAt: NOW - 30 * DAY });
  c.put(2, 'deploy the rollback script', { touchedAt: NOW - 1 * DAY });
  c.put(3, 'deploy the rollback script', { touchedAt: NOW - 10 * DAY });
  assert.deepEqual(ids(c, 'rollback'), [2, 3, 1]);
});

test('tags and file paths match query terms and boost; a type named in the query boosts that type', () => {
  const c = new Corpus();
  c.put(1, 'the login flow checks the password', { filePath: 'src/auth/login.ts' });
  c.put(2, 'notes about something else', { tags: ['auth'] });
  c.put(3, 'nothing to see');
  c.put(4, 'we use oauth tokens', {});
  const r = c.index().search({ query: 'auth' }, NOW);
  assert.deepEqual(r.hits.map((h) => h.id).sort(), [1, 2]);
  // The tag is an exact match of the whole tag; the path match is one segment of the path.
  assert.deepEqual(r.hits.map((h) => h.id), [2, 1]);
  assert.deepEqual(r.hits[1].matches, [], 'a path-only match has nothing to highlight in the text');

  const d = new Corpus();
  d.put(1, 'we chose redis for the cache', { type: 'note' });
  d.put(2, 'we chose redis for the cache', { type: 'decision' });
  d.put(3, 'we chose redis for the cache', { type: 'log' });
  assert.deepEqual(ids(d, 'cache decision'), [2, 3, 1], 'decision first; then newest id among equals');
  assert.deepEqual(ids(d, 'cache decisions').slice(0, 1), [2], 'plural type names count too');
});

test('code identifiers are found by their parts, and the exact identifier ranks first', () => {
  const c = new Corpus();
  c.put(1, 'function parseJsonConfig(path) { return JSON.parse(read(path)); }', { type: 'code' });
  c.put(2, 'we parse the json and then the config');
  c.put(3, 'const snake_case_name = load_user_settings();');
  c.put(4, 'class HTTPServer extends EventEmitter {}');
  c.put(5, 'see src/engine/search/tokenize.ts for details');
  const idx = c.index();
  const q = (query: string): number[] => idx.search({ query }, NOW).hits.map((h) => h.id);
  assert.deepEqual(q('parseJsonConfig'), [1, 2]);
  assert.deepEqual(idx.search({ query: 'parseJsonConfig' }, NOW).hits.map((h) => h.matched), [4, 3]);
  assert.deepEqual(q('json config').sort(), [1, 2]);
  assert.deepEqual(q('snake case'), [3]);
  assert.deepEqual(q('snake_case_name'), [3]);
  assert.deepEqual(q('user settings'), [3]);
  assert.deepEqual(q('server'), [4]);
  assert.deepEqual(q('http'), [4]);
  assert.deepEqual(q('event emitter'), [4]);
  assert.deepEqual(q('tokenize'), [5]);
  assert.deepEqual(q('engine search'), [5]);
  assert.deepEqual(q('src/engine/search/tokenize.ts'), [5]);
});

test('typos: an unknown term is replaced by close words from the index, and says so', () => {
  const c = new Corpus();
  c.put(1, 'search evaluation notes');
  c.put(2, 'the reranker improved recall');
  c.put(3, 'search index layout');
  c.put(4, 'a seance is not a search');
  const idx = c.index();
  const r = idx.search({ query: 'serch evalution' }, NOW);
  assert.deepEqual(r.corrections, [
    { term: 'serch', variants: ['search'] },
    { term: 'evalution', variants: ['evaluation'] },
  ]);
  assert.deepEqual(r.hits.map((h) => [h.id, h.matched]), [[1, 2], [4, 1], [3, 1]]);
  // A typo match scores below an exact match of the same word.
  const exact = idx.search({ query: 'search' }, NOW).hits.find((h) => h.id === 3)?.score ?? 0;
  const typo = idx.search({ query: 'serch' }, NOW).hits.find((h) => h.id === 3)?.score ?? 0;
  assert.ok(typo < exact);
  // Transposition, and two edits for long words.
  assert.deepEqual(idx.search({ query: 'recalll' }, NOW).hits.map((h) => h.id), [2]);
  assert.deepEqual(idx.search({ query: 'rerankre' }, NOW).hits.map((h) => h.id), [2]);
  assert.deepEqual(idx.search({ query: 'evaluatoin' }, NOW).corrections, [{ term: 'evaluatoin', variants: ['evaluation'] }]);
  // A known word is never "corrected"; short words and hopeless ones find nothing.
  assert.deepEqual(idx.search({ query: 'seance' }, NOW).corrections, []);
  assert.deepEqual(idx.search({ query: 'sarch' }, NOW).hits.map((h) => h.id), [4, 3, 1]);
  assert.equal(idx.search({ query: 'ixd' }, NOW).total, 0);
  assert.equal(idx.search({ query: 'qwertyuiop' }, NOW).total, 0);
});

test('snippets show the best window around the matches with highlight offsets', () => {
  const c = new Corpus();
  const long = 'Intro words here. '.repeat(20) + 'Then the journal replay found a torn record at the end. ' + 'Outro words. '.repeat(20);
  c.put(1, long);
  c.put(2, 'parseJsonConfig is here');
  const idx = c.index();
  const h = idx.search({ query: 'torn record' }, NOW).hits[0];
  assert.ok(h.snippet.startsWith('…') && h.snippet.endsWith('…'));
  assert.ok(h.snippet.length <= 162);
  assert.deepEqual(h.matches.map(([s, e]) => h.snippet.slice(s, e)), ['torn', 'record']);
  const h2 = idx.search({ query: 'json' }, NOW).hits[0];
  assert.equal(h2.snippet, 'parseJsonConfig is here');
  assert.deepEqual(h2.matches, [[5, 9]]);
  const h3 = idx.search({ query: 'parseJsonConfig' }, NOW).hits[0];
  assert.deepEqual(h3.matches, [[0, 15]]);
});

test('snippets find matches deep in long texts and never highlight a term inside another word', () => {
  const c = new Corpus();
  const text = 'terrors and mirrors, '.repeat(4000) + 'then one real error appeared. ' + 'filler text '.repeat(100);
  c.put(1, text);
  const h = c.index().search({ query: 'error' }, NOW).hits[0];
  assert.equal(h.id, 1);
  assert.deepEqual(h.matches.map(([s, e]) => h.snippet.slice(s, e)), ['error']);
  assert.ok(h.snippet.includes('then one real error appeared.'));
});

test('limit and maxTokens bound the hits; tokens come from the table', () => {
  const c = new Corpus();
  for (let i = 1; i <= 30; i++) c.put(i, `retry backoff attempt ${i}`, { tokens: 100 + i, touchedAt: NOW - i * 1000 });
  const idx = c.index();
  const all = idx.search({ query: 'retry', limit: 1000 }, NOW);
  assert.equal(all.total, 30);
  assert.deepEqual(all.hits.map((h) => h.id), Array.from({ length: 30 }, (_, i) => i + 1));
  const five = idx.search({ query: 'retry', limit: 5 }, NOW);
  assert.deepEqual(five.hits.map((h) => h.id), [1, 2, 3, 4, 5]);
  assert.equal(five.total, 30);
  assert.deepEqual(five.hits.map((h) => h.tokens), [101, 102, 103, 104, 105]);
  const capped = idx.search({ query: 'retry', limit: 5, maxTokens: 250 }, NOW);
  assert.deepEqual(capped.hits.map((h) => h.id), [1, 2]);
  assert.equal(capped.skippedForTokens, 3);
  const tiny = idx.search({ query: 'retry', limit: 5, maxTokens: 50 }, NOW);
  assert.deepEqual(tiny.hits, []);
  assert.equal(tiny.skippedForTokens, 5);
});

test('stopwords, empty queries, browsing by filter, projects', () => {
  const c = new Corpus();
  c.put(1, 'the plan for the task', { taskId: 't1', touchedAt: NOW - 5 * DAY });
  c.put(2, 'another note', { taskId: 't1', touchedAt: NOW - 1 * DAY });
  c.put(3, 'unrelated', { taskId: 't2' });
  const idx = c.index({ project: 'alpha' });
  const stop = idx.search({ query: 'the of and' }, NOW);
  assert.deepEqual([stop.total, stop.terms, stop.plan], [0, [], 'none']);
  const browse = idx.search({ query: '', taskId: 't1' }, NOW);
  assert.deepEqual(browse.hits.map((h) => [h.id, h.matched]), [[2, 0], [1, 0]]);
  assert.equal(browse.total, 2);
  assert.throws(
    () => idx.search({ query: '  ' }, NOW),
    (e: unknown) => ContextGcError.is(e, 'invalid_argument') && e.message === 'An empty search needs a task, file path or tag filter to list; give a query or one of those filters.',
  );
  assert.equal(idx.search({ query: 'plan', project: 'alpha' }, NOW).total, 1);
  assert.equal(idx.search({ query: 'plan', project: 'beta' }, NOW).total, 0);
});

test('bad requests are refused with a reason and a message that says what to do', () => {
  const c = new Corpus();
  c.put(1, 'x y z');
  const idx = c.index();
  const cases: [object, string][] = [
    [{ query: 3 }, '`query` must be a string (it may be empty when a task, file or tag filter is given).'],
    [{ query: 'a', limit: 0 }, '`limit` must be an integer from 1 to 1000, got 0.'],
    [{ query: 'a', limit: 1001 }, '`limit` must be an integer from 1 to 1000, got 1001.'],
    [{ query: 'a', maxTokens: -1 }, '`maxTokens` must be a positive integer, got -1.'],
    [{ query: 'a', types: ['blob'] }, 'Unknown segment type "blob"; use one of message, code, log, note, decision, summary.'],
    [{ query: 'a', tier: 'cold' }, 'Unknown tier "cold"; use working or stashed.'],
    [{ query: 'a', tagsAny: 'bug' }, '`tagsAny` must be an array of tag strings.'],
    [{ query: 'a', taskId: 5 }, '`taskId` must be a string.'],
    [{ query: 'a', createdAfter: 'yesterday' }, '`createdAfter` must be a time in ms since the epoch.'],
  ];
  for (const [req, message] of cases) {
    assert.throws(
      () => idx.search(req as never, NOW),
      (e: unknown) => ContextGcError.is(e, 'invalid_argument') && e.message === message,
      message,
    );
  }
});

test('hundreds of candidates tied on relevance: exactly the most recently touched win, in any id order, through both plans', () => {
  // Ids 1..500 hold the same text (equal relevance for every query below), 501..700 another; touch times
  // are a shuffle, so recency does not follow the id. Scoring runs in batches, newest key first, and skips
  // what cannot rank: the answer must still be the exact best by (score, id).
  const r = rng(3);
  const order = Array.from({ length: 700 }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const c = new Corpus();
  for (let id = 1; id <= 700; id++) c.put(id, id <= 500 ? 'alpha beta gamma' : 'alpha delta', { taskId: 't', touchedAt: NOW - order[id - 1] * 60_000 });
  const byIndex = c.index({ textCost: Infinity });
  const byFilter = c.index({ textCost: 0, charCost: 0 });
  const newest = (ids: number[], k: number): number[] => [...ids].sort((a, b) => order[a - 1] - order[b - 1]).slice(0, k);
  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const cases: [string, number, number[] | null, number][] = [
    ['beta', 7, newest(range(1, 500), 7), 500],
    ['alpha beta', 7, newest(range(1, 500), 7), 700],
    ['gamma alpha', 300, newest(range(1, 500), 300), 700],
    ['alpha beta gamma', 7, newest(range(1, 500), 7), 700],
    ['delta gamma', 7, null, 700],
    ['deta alpha', 9, null, 700],
  ];
  for (const [query, limit, want, total] of cases) {
    const a = byIndex.search({ query, limit, taskId: 't' }, NOW);
    const b = byFilter.search({ query, limit, taskId: 't' }, NOW);
    assert.equal(a.plan, 'index', query);
    assert.equal(b.plan, 'filter', query);
    assert.deepEqual({ ...b, plan: 'index' }, a, `${query}: both plans answer the same`);
    assert.deepEqual(byIndex.search({ query, limit }, NOW), a, `${query}: the same without the filter`);
    assert.equal(a.total, total, query);
    if (want) assert.deepEqual(a.hits.map((h) => h.id), want, query);
  }
  assert.deepEqual(byIndex.search({ query: 'deta', limit: 1 }, NOW).corrections, [{ term: 'deta', variants: ['beta', 'delta'] }]);
});
