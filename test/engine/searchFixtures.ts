// Test fixtures for the search index: a segment table with texts in a map (the `getTexts` callback), and a
// brute-force oracle that decides matches by reading every segment, independent of the index.

import { SegmentTable } from '../../src/engine/table';
import { hashText, type SegmentMeta, type SegmentType, type Tier } from '../../src/engine/model';
import { SearchIndex, tokenize, type SearchIndexOptions, type SearchRequest } from '../../src/engine/search';

export const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
export const DAY = 24 * 3600_000;

export type Meta = Omit<SegmentMeta, 'id'>;

export function metaOf(text: string, extra: Partial<Meta> = {}): Meta {
  return {
    type: 'note',
    tier: 'stashed',
    taskId: null,
    filePath: null,
    lineStart: null,
    lineEnd: null,
    tags: [],
    source: 'user',
    refs: [],
    pinned: false,
    generation: 'young',
    survivals: 0,
    createdAt: NOW - DAY,
    touchedAt: NOW - DAY,
    tokens: Math.max(1, Math.ceil(text.length / 4)),
    encoding: 'o200k_base',
    textHash: hashText(text),
    title: '',
    chars: text.length,
    ...extra,
  };
}

/** A table plus texts: what the engine gives the index. */
export class Corpus {
  readonly table = new SegmentTable();
  readonly texts = new Map<number, string>();
  readonly metas = new Map<number, SegmentMeta>();
  textReads = 0;

  readonly getTexts = (ids: readonly number[]): Map<number, string> => {
    this.textReads += ids.length;
    const out = new Map<number, string>();
    for (const id of ids) {
      const t = this.texts.get(id);
      if (t !== undefined) out.set(id, t);
    }
    return out;
  };

  put(id: number, text: string, extra: Partial<Meta> = {}): SegmentMeta {
    const meta: SegmentMeta = { id, ...metaOf(text, extra) };
    this.table.put(meta);
    this.texts.set(id, text);
    this.metas.set(id, meta);
    return meta;
  }

  /** Change a segment's text the way the engine does: store and table first, then tell the index. */
  setText(id: number, text: string): void {
    this.texts.set(id, text);
    const m = this.metas.get(id) as SegmentMeta;
    m.chars = text.length;
    m.textHash = hashText(text);
    this.table.hashHi[id] = parseInt(m.textHash.slice(0, 8), 16) >>> 0;
    this.table.hashLo[id] = parseInt(m.textHash.slice(8), 16) >>> 0;
  }

  setTier(id: number, tier: Tier): void {
    this.table.tier[id] = tier === 'working' ? 0 : 1;
    (this.metas.get(id) as SegmentMeta).tier = tier;
  }

  setTags(id: number, tags: string[]): void {
    this.table.setTags(id, tags);
    (this.metas.get(id) as SegmentMeta).tags = tags;
  }

  delete(id: number): void {
    this.table.remove(id);
    this.texts.delete(id);
    this.metas.delete(id);
  }

  index(opts: SearchIndexOptions = {}): SearchIndex {
    const idx = new SearchIndex(this.table, this.getTexts, opts);
    for (const [id, text] of this.texts) idx.add(id, text);
    return idx;
  }
}

// ---------------------------------------------------------------- the oracle

/** Optimal string alignment distance, written plainly (full matrix) as the reference. */
export function osa(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function plainWord(t: string): boolean {
  return /^[a-z]{3,24}$/.test(t);
}

export interface OracleAnswer {
  /** id -> how many query terms matched, for every segment that passes the filter and matches one term. */
  counts: Map<number, number>;
  terms: string[];
  corrections: { term: string; variants: string[] }[];
}

/** Decide a query by reading every live segment: tokens of text, path and tags; filters on the metadata objects. */
export function oracle(c: Corpus, req: SearchRequest): OracleAnswer {
  const terms = Array.from(new Set(tokenize(req.query))).slice(0, 16);
  const { textTerms, metaTerms, vocab } = termsOfCorpus(c);
  const has = (id: number, t: string): boolean => (textTerms.get(id) as Set<string>).has(t) || (metaTerms.get(id) as Set<string>).has(t);
  // Document frequency as the index counts it: segments holding the term in text, path or tags.
  const df = (t: string): number => {
    let n = 0;
    for (const id of c.metas.keys()) if (has(id, t)) n++;
    return n;
  };
  const corrections: OracleAnswer['corrections'] = [];
  const variants = terms.map((q) => {
    const exists = [...c.metas.keys()].some((id) => has(id, q));
    if (exists || !plainWord(q) || q.length < 4) return [q];
    const max = q.length < 8 ? 1 : 2;
    const near = [...vocab]
      .filter((v) => v !== q && Math.abs(v.length - q.length) <= max)
      .map((v) => ({ v, e: osa(q, v) }))
      .filter((x) => x.e <= max)
      .map((x) => ({ ...x, df: df(x.v) }))
      .filter((x) => x.df > 0)
      .sort((a, b) => a.e - b.e || b.df - a.df || (a.v < b.v ? -1 : 1))
      .slice(0, 5)
      .map((x) => x.v);
    if (near.length > 0) corrections.push({ term: q, variants: near });
    return [q, ...near];
  });
  const counts = new Map<number, number>();
  for (const [id, m] of c.metas) {
    if (!passes(m, req)) continue;
    let n = 0;
    for (const vs of variants) if (vs.some((v) => has(id, v))) n++;
    if (n > 0) counts.set(id, n);
  }
  return { counts, terms, corrections };
}

interface CorpusTerms {
  textTerms: Map<number, Set<string>>;
  metaTerms: Map<number, Set<string>>;
  vocab: Set<string>;
}
const cache = new WeakMap<Corpus, { version: string; terms: CorpusTerms }>();

/** Tokens of every live segment (cached until a text or metadata changes). */
function termsOfCorpus(c: Corpus): CorpusTerms {
  const version = JSON.stringify([...c.metas.values()].map((m) => [m.id, m.textHash, m.filePath, m.tags]));
  const hit = cache.get(c);
  if (hit && hit.version === version) return hit.terms;
  const textTerms = new Map<number, Set<string>>();
  const metaTerms = new Map<number, Set<string>>();
  const vocab = new Set<string>();
  for (const [id, m] of c.metas) {
    textTerms.set(id, new Set(tokenize(c.texts.get(id) ?? '')));
    const mt = new Set<string>();
    for (const value of m.filePath !== null ? [m.filePath, ...m.tags] : m.tags) for (const t of tokenize(value)) mt.add(t);
    metaTerms.set(id, mt);
    for (const t of textTerms.get(id) as Set<string>) if (plainWord(t)) vocab.add(t);
    for (const t of mt) if (plainWord(t)) vocab.add(t);
  }
  const terms = { textTerms, metaTerms, vocab };
  cache.set(c, { version, terms });
  return terms;
}

export function passes(m: SegmentMeta, req: SearchRequest): boolean {
  if (req.filePath !== undefined && m.filePath !== req.filePath) return false;
  if (req.filePathPrefix !== undefined && !(m.filePath ?? '\u0000').startsWith(req.filePathPrefix)) return false;
  if (req.filePathPrefix !== undefined && m.filePath === null) return false;
  if (req.taskId !== undefined && m.taskId !== req.taskId) return false;
  if (req.tagsAny && req.tagsAny.length > 0 && !req.tagsAny.some((t) => m.tags.includes(t))) return false;
  if (req.tagsAll && req.tagsAll.length > 0 && !req.tagsAll.every((t) => m.tags.includes(t))) return false;
  if (req.types && req.types.length > 0 && !req.types.includes(m.type)) return false;
  if (req.tier !== undefined && m.tier !== req.tier) return false;
  if (req.createdAfter !== undefined && !(m.createdAt > req.createdAfter)) return false;
  if (req.createdBefore !== undefined && !(m.createdAt < req.createdBefore)) return false;
  if (req.touchedAfter !== undefined && !(m.touchedAt > req.touchedAfter)) return false;
  if (req.touchedBefore !== undefined && !(m.touchedAt < req.touchedBefore)) return false;
  return true;
}

// ---------------------------------------------------------------- a generated corpus

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export const WORDS = (
  'search index query result rank score filter token segment context budget stash restore pin task file ' +
  'path tag type tier time recall precision evaluation metric latency memory cache store journal snapshot ' +
  'commit compact replay crash durable lock writer reader worker thread event loop stall render panel view ' +
  'command setting config parser lexer grammar syntax error warning failure timeout retry backoff network ' +
  'socket server client request response header payload schema migration version upgrade rollback deploy ' +
  'build bundle lint test suite fixture mock oracle random seed sample histogram percentile median outlier ' +
  'garbage collector heap mark sweep root reference generation survivor promotion marker bitmap vector ' +
  'matrix tensor gradient optimizer learning rate batch epoch checkpoint dataset loader shuffle split ' +
  'alpha beta gamma delta epsilon zeta theta lambda sigma omega kappa quartz zephyr xylophone jubilee'
).split(' ');

export const TYPES: SegmentType[] = ['message', 'code', 'log', 'note', 'decision', 'summary'];
export const TAGS = ['bug', 'perf', 'ui', 'api', 'docs', 'security', 'flaky-test', 'needsReview', 'v2', 'infra', 'data', 'ops'];
export const DIRS = ['src/engine/', 'src/engine/search/', 'src/host/', 'src/webview/', 'test/engine/', 'docs/', 'scripts/e2e/'];
export const FILES = DIRS.flatMap((d, i) => ['index.ts', 'parseJsonConfig.ts', 'snake_case_util.py', `module${i}.ts`, 'README.md'].map((f) => d + f));

/**
 * A corpus of `n` segments with Zipf-ish words, identifiers, numbers and varied metadata. `ordered`: creation
 * times rise with the id over the 60 days (as the engine assigns them), instead of random, and each task's
 * segments come in one stretch of ids.
 */
export function generate(n: number, seed = 7, opts: { ordered?: boolean } = {}): Corpus {
  const r = rng(seed);
  const c = new Corpus();
  const word = (): string => WORDS[Math.floor(WORDS.length * Math.pow(r(), 2.2))];
  const cap = (w: string): string => w[0].toUpperCase() + w.slice(1);
  const taskOf = (id: number, x: number): string => `task-${opts.ordered ? Math.floor(((id - 1) * 10) / n) : Math.floor(x * 10)}`;
  for (let id = 1; id <= n; id++) {
    const len = 5 + Math.floor(r() * 40);
    const parts: string[] = [];
    for (let k = 0; k < len; k++) {
      const x = r();
      if (x < 0.08) parts.push(word() + cap(word()));
      else if (x < 0.12) parts.push(`${word()}_${word()}`);
      else if (x < 0.15) parts.push(String(Math.floor(r() * 500)));
      else if (x < 0.25) parts.push(['the', 'a', 'of', 'to', 'and'][Math.floor(r() * 5)]);
      else parts.push(word());
    }
    const created = opts.ordered ? NOW - 60 * DAY + Math.floor(((id - 1 + r()) / n) * 60 * DAY) : NOW - Math.floor(r() * 60 * DAY);
    const tags = TAGS.filter(() => r() < 0.12);
    c.put(id, parts.join(' '), {
      type: TYPES[Math.floor(r() * TYPES.length)],
      tier: r() < 0.6 ? 'stashed' : 'working',
      taskId: r() < 0.85 ? taskOf(id, r()) : null,
      filePath: r() < 0.7 ? FILES[Math.floor(FILES.length * Math.pow(r(), 1.5))] : null,
      tags,
      createdAt: created,
      touchedAt: created + Math.floor(r() * 10 * DAY),
    });
  }
  return c;
}
