// The token counter must give exactly js-tiktoken's counts (special-token text counted as ordinary text,
// like `encode(text, [], [])`), for every kind of text, in both encodings, however large the input.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { getEncoding, type Tiktoken } from 'js-tiktoken';
import { ContextGcError, ENCODINGS, type Encoding } from '../../src/engine/model';
import { bpeTables, createTokenCounter } from '../../src/engine/tokens';
import { mulberry32 } from '../../bench/corpus';

const references = new Map<Encoding, Tiktoken>();
/** js-tiktoken's count with no special tokens allowed or disallowed: every character is ordinary text. */
function reference(text: string, encoding: Encoding): number {
  return tiktoken(encoding).encode(text, [], []).length;
}
function tiktoken(encoding: Encoding): Tiktoken {
  let enc = references.get(encoding);
  if (!enc) references.set(encoding, (enc = getEncoding(encoding)));
  return enc;
}

const counters = { o200k_base: createTokenCounter('o200k_base'), cl100k_base: createTokenCounter('cl100k_base') };

/** Counts verified with js-tiktoken 1.0.21: [text, o200k_base, cl100k_base]. */
const KNOWN: Array<[string, number, number]> = [
  ['hello world', 2, 2],
  ['', 0, 0],
  ['<|endoftext|>', 7, 7],
  ['a<|endoftext|>b <|fim_prefix|><|endofprompt|>', 21, 21],
  ['日本語のテキストです。こんにちは世界', 10, 14],
  ['🎉👩‍👩‍👧 family 🇯🇵 flags', 16, 24],
  ['e\u0301 cafe\u0301 Z\u0351\u0361a', 10, 10],
  ['مرحبا بالعالم', 4, 10],
  ['a\uD800b\uDFFFc', 5, 5],
  ['  \t\n\n   \r\n\t\t  x   ', 6, 6],
  ['export function add(a: number, b: number): number {\n  return a + b; // sum\n}\n', 23, 23],
  ["I'm sure they'll say it's John's DON'T", 7, 12],
  ['1234567890 3.14159 0xDEADBEEF', 15, 15],
  ['https://example.com/path/to/file.ts?x=1#frag', 14, 14],
];

function listFiles(root: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    const p = path.join(root, e.name);
    if (e.isDirectory()) listFiles(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Source, prose, JSON and minified JS cut from node_modules, plus random Unicode, in random-sized segments. */
function buildCorpus(n: number, seed: number): { texts: string[]; chars: number; kinds: Record<string, number> } {
  const rnd = mulberry32(seed);
  const nm = path.resolve(__dirname, '../../node_modules');
  const files = listFiles(nm)
    .filter((f) => !f.includes(`${path.sep}ranks${path.sep}`) && !f.endsWith(`js-tiktoken${path.sep}dist${path.sep}index.js`))
    .sort();
  const pools: Record<string, string[]> = { ts: [], js: [], md: [], json: [], minified: [] };
  for (const f of files) {
    const size = fs.statSync(f).size;
    if (size < 200 || size > 3_000_000) continue;
    const kind = f.endsWith('.min.js') ? 'minified' : f.endsWith('.d.ts') || f.endsWith('.ts') ? 'ts' : /\.[cm]?js$/.test(f) ? 'js' : f.endsWith('.md') ? 'md' : f.endsWith('.json') ? 'json' : '';
    if (kind && pools[kind].length < 400) pools[kind].push(fs.readFileSync(f, 'utf8'));
  }
  const kinds: Record<string, number> = { ts: 0, js: 0, md: 0, json: 0, minified: 0, unicode: 0 };
  const order = ['ts', 'js', 'md', 'json', 'minified', 'unicode'];
  const texts: string[] = [];
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const kind = order[i % order.length];
    // Mostly short (a few to a few hundred characters), sometimes long (up to ~6,000).
    const len = Math.floor(Math.exp(rnd() * Math.log(rnd() < 0.05 ? 6000 : 800))) + 1;
    let text: string;
    if (kind === 'unicode') {
      text = randomUnicode(rnd, len);
    } else {
      const pool = pools[kind];
      const src = pool[Math.floor(rnd() * pool.length)];
      const at = Math.floor(rnd() * Math.max(1, src.length - len));
      text = src.slice(at, at + len);
    }
    kinds[kind]++;
    chars += text.length;
    texts.push(text);
  }
  return { texts, chars, kinds };
}

const SCRIPTS: Array<[number, number]> = [
  [0x20, 0x7e], [0xa0, 0xff], [0x100, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x5ff], [0x600, 0x6ff],
  [0x900, 0x97f], [0xe00, 0xe7f], [0x1100, 0x11ff], [0x3040, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3],
  [0x300, 0x36f], [0x2000, 0x206f], [0x2190, 0x22ff], [0xfe00, 0xfe0f], [0x1f300, 0x1faff], [0x1d400, 0x1d7ff],
  [0x660, 0x669], [0xe000, 0xe0ff], [0xd800, 0xdfff],
];
const SEPARATORS = [' ', ' ', ' ', '\n', '\t', '  ', '\r\n', '\u00a0', '\u3000', '\u200d', ', ', '. ', "'s ", '  \n'];

/** Runs of characters from one script (lone surrogates included), joined by assorted whitespace and punctuation. */
function randomUnicode(rnd: () => number, len: number): string {
  let s = '';
  while (s.length < len) {
    const [lo, hi] = SCRIPTS[Math.floor(rnd() * SCRIPTS.length)];
    const run = 1 + Math.floor(rnd() * 12);
    for (let k = 0; k < run; k++) s += String.fromCodePoint(lo + Math.floor(rnd() * (hi - lo + 1)));
    s += SEPARATORS[Math.floor(rnd() * SEPARATORS.length)];
  }
  return s;
}

describe('token counter: known strings', () => {
  for (const [text, o, cl] of KNOWN) {
    it(`counts ${JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text)} as ${o} (o200k_base) and ${cl} (cl100k_base)`, () => {
      assert.equal(counters.o200k_base.count(text), o);
      assert.equal(counters.cl100k_base.count(text), cl);
      assert.equal(reference(text, 'o200k_base'), o);
      assert.equal(reference(text, 'cl100k_base'), cl);
    });
  }

  it('counts the empty string as 0 without loading anything', () => {
    assert.equal(createTokenCounter('cl100k_base').count(''), 0);
  });

  it('defaults to o200k_base', () => {
    const c = createTokenCounter();
    assert.equal(c.encoding, 'o200k_base');
    assert.equal(c.count('日本語のテキストです。こんにちは世界'), 10);
  });

  it('counts special-token text as ordinary text where js-tiktoken`s default encode throws', () => {
    const text = 'before <|endoftext|> after <|endofprompt|>';
    assert.throws(() => tiktoken('o200k_base').encode(text), /special token that is not allowed: <\|endoftext\|>/);
    for (const enc of ENCODINGS) assert.equal(counters[enc].count(text), reference(text, enc));
    assert.equal(counters.o200k_base.count(text), 16);
  });

  it('rejects an unknown encoding with a typed error', () => {
    assert.throws(
      () => createTokenCounter('p50k_base' as Encoding),
      (err: unknown) => ContextGcError.is(err, 'invalid_argument') && err.message === 'Unknown encoding "p50k_base": use o200k_base or cl100k_base.',
    );
  });

  it('shares one set of rank tables per encoding between counters', () => {
    const a = createTokenCounter('o200k_base');
    a.count('x y');
    assert.equal(bpeTables('o200k_base'), bpeTables('o200k_base'));
    assert.notEqual(bpeTables('o200k_base'), bpeTables('cl100k_base'));
    assert.equal(bpeTables('o200k_base').tokenCount, 199998);
    assert.equal(bpeTables('cl100k_base').tokenCount, 100256);
  });
});

describe('token counter: long pieces and huge inputs', () => {
  // One regex piece each (or a few): js-tiktoken's merge is quadratic in a piece's length, ours is not.
  const runs: Record<string, (n: number) => string> = {
    'a run of one letter': (n) => 'a'.repeat(n),
    'a run of spaces': (n) => ' '.repeat(n),
    'a run of newlines': (n) => '\n'.repeat(n),
    'spaces then a letter': (n) => ' '.repeat(n - 1) + 'x',
    'tabs and spaces': (n) => '\t '.repeat(n / 2),
    'a run of =': (n) => '='.repeat(n),
    'upper case letters': (n) => 'ABCDEFGHIJ'.repeat(n / 10),
    'CJK without spaces': (n) => '日本語のテキスト'.repeat(n / 24),
    'emoji': (n) => '🎉'.repeat(n / 8),
    'base64': (n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919) % 256)).toString('base64').slice(0, n),
    'a long identifier': (n) => 'getElementByIdOrThrowUnlessCached_'.repeat(n / 34),
    'digits': (n) => '1234567890'.repeat(n / 10),
  };
  for (const [name, make] of Object.entries(runs)) {
    it(`counts ${name} like js-tiktoken (about 1,200 bytes, both encodings)`, () => {
      const text = make(1200);
      for (const enc of ENCODINGS) assert.equal(counters[enc].count(text), reference(text, enc), enc);
    });
  }

  it('matches counts js-tiktoken gave for 20,000-character runs (o200k_base; each took js-tiktoken 30 s to 6 min)', () => {
    const c = counters.o200k_base;
    assert.equal(c.count('a'.repeat(20000)), 2500);
    assert.equal(c.count(' '.repeat(20000)), 157);
    assert.equal(c.count('\n'.repeat(20000)), 1250);
    assert.equal(c.count('='.repeat(20000)), 312);
    assert.equal(c.count('日本語のテキスト'.repeat(2500)), 15000);
    assert.equal(c.count(' '.repeat(19999) + 'x'), 158);
  });

  it('counts 1,000,000-character runs of one character without quadratic time', () => {
    const c = counters.o200k_base;
    // Same per-128/per-8 patterns js-tiktoken shows at 20,000 characters.
    assert.equal(c.count('a'.repeat(1_000_000)), 125000);
    assert.equal(c.count(' '.repeat(1_000_000)), 7813);
  });

  const source = fs.readFileSync(require.resolve('typescript/lib/typescript.js'), 'utf8');

  it('counts a 1 MB single line exactly', () => {
    const line = source.slice(200_000, 1_200_000).replace(/[\r\n]/g, ' ');
    assert.equal(line.length, 1_000_000);
    assert.equal(counters.o200k_base.count(line), reference(line, 'o200k_base'));
  });

  it('counts a 10 MB string exactly (ten copies of a 1 MB chunk js-tiktoken counted)', () => {
    // The chunk starts with a letter and ends with a newline, so no regex piece spans two copies.
    const start = source.indexOf('\nfunction ', 3_000_000) + 1;
    const end = source.indexOf('\n', start + 1_000_000) + 1;
    const chunk = source.slice(start, end);
    assert.match(chunk, /^function [^]*\n$/);
    const big = chunk.repeat(10);
    assert.ok(big.length > 10_000_000);
    const c = counters.o200k_base;
    const one = c.count(chunk);
    assert.equal(one, reference(chunk, 'o200k_base'));
    assert.equal(c.count(big), one * 10);
  });
});

describe('token counter: identity with js-tiktoken on a large mixed corpus', () => {
  const corpus = buildCorpus(22_000, 20250101);

  it(`builds a corpus of at least 20,000 segments and several MB from real files`, () => {
    assert.ok(corpus.texts.length >= 22_000);
    assert.ok(corpus.chars >= 3_000_000, `only ${corpus.chars} characters`);
    for (const kind of ['ts', 'js', 'md', 'json', 'minified', 'unicode']) assert.ok(corpus.kinds[kind] > 500, `${kind}: ${corpus.kinds[kind]}`);
  });

  for (const enc of ENCODINGS) {
    it(`gives every segment js-tiktoken's count (${enc})`, () => {
      const counter = createTokenCounter(enc);
      const mismatches: string[] = [];
      let total = 0;
      for (const text of corpus.texts) {
        const want = reference(text, enc);
        const got = counter.count(text);
        total += got;
        if (got !== want && mismatches.length < 5) mismatches.push(`${JSON.stringify(text.slice(0, 80))}: ${got} != ${want}`);
      }
      assert.deepEqual(mismatches, []);
      assert.ok(total > 500_000, `total ${total}`);
    });
  }

  it('gives the same counts with a tiny cache, without a cache, and through countMany, and keeps the cache bounded', () => {
    const texts = corpus.texts.slice(0, 6000);
    const full = counters.cl100k_base.countMany(texts);
    const tiny = createTokenCounter('cl100k_base', { cacheSize: 100 });
    const none = createTokenCounter('cl100k_base', { cacheSize: 0 });
    const progress: Array<[number, number | undefined]> = [];
    assert.deepEqual(tiny.countMany(texts, (done, of) => progress.push([done, of]), 2500), full);
    assert.deepEqual(progress, [[2500, 6000], [5000, 6000], [6000, 6000]]);
    assert.ok(tiny.cachedPieces <= 200, `cached ${tiny.cachedPieces}`);
    assert.deepEqual(none.countMany(texts), full);
    assert.equal(none.cachedPieces, 0);
    tiny.clearCache();
    assert.equal(tiny.cachedPieces, 0);
  });
});
