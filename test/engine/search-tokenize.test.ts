// The search tokenizer (identifier parts, paths, stopwords, offsets), the edit distance behind typo
// tolerance, and the relevance slots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeText, forEachTerm, tokenize } from '../../src/engine/search';
import { isTermSpan, keep, RESOLUTION, slotOf } from '../../src/engine/search/tokenize';
import { editDistance, Vocabulary } from '../../src/engine/search/typo';
import { osa, rng } from './searchFixtures';

test('identifiers yield the whole word and its parts', () => {
  assert.deepEqual(tokenize('parseJsonConfig'), ['parsejsonconfig', 'parse', 'json', 'config']);
  assert.deepEqual(tokenize('snake_case_name'), ['snake_case_name', 'snake', 'case', 'name']);
  assert.deepEqual(tokenize('HTTPServer'), ['httpserver', 'http', 'server']);
  assert.deepEqual(tokenize('JSONParser getID IOError'), ['jsonparser', 'json', 'parser', 'getid', 'get', 'id', 'ioerror', 'io', 'error']);
  assert.deepEqual(tokenize('v2Api base64Encode x86_64'), ['v2api', 'v2', 'api', 'base64encode', 'base64', 'encode', 'x86_64', 'x86', '64']);
  assert.deepEqual(tokenize('__init__ _private trailing_'), ['init', 'private', 'trailing']);
  assert.deepEqual(tokenize('SCREAMING_CASE'), ['screaming_case', 'screaming', 'case']);
});

test('paths split into their segments; punctuation separates words', () => {
  assert.deepEqual(tokenize('src/engine/search/searchIndex.ts:42'), ['src', 'engine', 'search', 'searchindex', 'search', 'index', 'ts', '42']);
  assert.deepEqual(tokenize('C:\\Users\\dev\\my-app\\package.json'), ['users', 'dev', 'my', 'app', 'package', 'json']);
  assert.deepEqual(tokenize('foo.bar(baz)=>qux; a-b'), ['foo', 'bar', 'baz', 'qux']);
});

test('stopwords, single characters and over-long words are dropped; parts of long words stay', () => {
  assert.deepEqual(tokenize('The cat and a dog: x y z'), ['cat', 'dog']);
  const blob = 'a'.repeat(60);
  assert.deepEqual(tokenize(blob), []);
  assert.deepEqual(tokenize(`${'b'.repeat(30)}_${'c'.repeat(30)}`), ['b'.repeat(30), 'c'.repeat(30)]);
});

test('non-ASCII letters are word characters and lower-cased', () => {
  assert.deepEqual(tokenize('Café naïve STRASSE Straße 日本語 emoji😀here'), ['café', 'naïve', 'strasse', 'straße', '日本語', 'emoji', 'here']);
});

test('term offsets point at the characters of the original text', () => {
  const text = 'call parseJsonConfig(path) now';
  const seen: [string, string][] = [];
  forEachTerm(text, (t, s, e) => seen.push([t, text.slice(s, e)]));
  assert.deepEqual(seen, [
    ['call', 'call'],
    ['parsejsonconfig', 'parseJsonConfig'],
    ['parse', 'parse'],
    ['json', 'Json'],
    ['config', 'Config'],
    ['path', 'path'],
    ['now', 'now'],
  ]);
});

test('every term is a substring of the lower-cased text (the filter plan relies on it)', () => {
  const r = rng(3);
  const alphabet = 'abcXYZ_019 /.-éß\n';
  for (let i = 0; i < 500; i++) {
    let s = '';
    for (let k = 0; k < 40; k++) s += alphabet[Math.floor(r() * alphabet.length)];
    const lower = s.toLowerCase();
    for (const t of tokenize(s)) assert.ok(lower.includes(t), `${JSON.stringify(t)} in ${JSON.stringify(s)}`);
  }
});

test('relevance slots: more occurrences and an early position give a better (lower) slot', () => {
  assert.equal(slotOf(1, 0, 10), 1);
  assert.equal(slotOf(5, 0, 10), 0);
  assert.equal(slotOf(1, 50, 100), 3);
  assert.equal(slotOf(1, 500, 1000), RESOLUTION - 1);
  const a = analyzeText('alpha beta alpha gamma alpha');
  assert.deepEqual(a.terms, ['alpha', 'beta', 'gamma']);
  assert.deepEqual(Array.from(a.slots), [0, 1, 1]);
});

test('edit distance (with transpositions) agrees with a plain full-matrix reference', () => {
  const r = rng(8);
  const letters = 'abcde';
  const word = (): string => Array.from({ length: 1 + Math.floor(r() * 8) }, () => letters[Math.floor(r() * letters.length)]).join('');
  for (let i = 0; i < 3000; i++) {
    const a = word();
    const b = word();
    const d = osa(a, b);
    for (const max of [1, 2]) assert.equal(editDistance(a, b, max), d <= max ? d : max + 1, `${a} ${b} max ${max}`);
  }
});

test('the vocabulary finds words within the allowed edits and keeps only plain words', () => {
  const v = new Vocabulary();
  for (const w of ['search', 'seance', 'march', 'starch', 'research', 'x86', 'snake_case', 'ab', 'searches']) v.add(w);
  assert.equal(v.size, 6);
  const near = (t: string, e: number): string[] => v.near(t, e).map((x) => `${x.term}:${x.edits}`).sort();
  assert.deepEqual(near('serch', 1), ['search:1']);
  assert.deepEqual(near('sarch', 1), ['march:1', 'search:1', 'starch:1']);
  assert.deepEqual(near('reserach', 2), ['research:1']);
  assert.deepEqual(near('serches', 2), ['searches:1']);
  assert.deepEqual(near('search', 1), ['starch:1'], 'the word itself is not its own neighbour');
  assert.deepEqual(near('Search', 1), [], 'only lower-case words are looked up');
});

test('isTermSpan says exactly which spans of a word the tokenizer visits', () => {
  const r = rng(5);
  const alphabet = 'abXYZ_019';
  for (let i = 0; i < 3000; i++) {
    let word = '';
    const n = 1 + Math.floor(r() * 12);
    for (let k = 0; k < n; k++) word += alphabet[Math.floor(r() * alphabet.length)];
    const text = ` ${word}.`;
    const visited = new Set<string>();
    forEachTerm(text, (_t, s, e) => visited.add(`${s},${e}`));
    for (let p = 1; p <= n + 1; p++) {
      for (let e = p + 1; e <= n + 1; e++) {
        const kept = keep(text.slice(p, e).toLowerCase());
        assert.equal(kept && isTermSpan(text, 1, n + 1, p, e), visited.has(`${p},${e}`), `${JSON.stringify(word)} [${p - 1}, ${e - 1})`);
      }
    }
  }
});
