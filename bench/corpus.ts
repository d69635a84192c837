// The shared, deterministic, realistic corpus every benchmark runs on.
//
// An agent session's context is mostly chat turns, code read from files, tool and test output, and a
// few notes, decisions and summaries. We imitate that with real text: source and prose shipped in a
// fixed list of packages in node_modules (read once into a pool), cut at seeded-random offsets so no
// two segments are alike, plus generated log lines around real identifiers and paths.
//
// Shape (measured by `npx tsx bench/corpus.ts 100000`): most segments 10-250 tokens, ~3.5% long code
// chunks of ~1,200-2,800 tokens, ~100 tokens per segment on average (1M segments ~ 100M o200k tokens);
// ~200 tasks worked in stretches and revisited; ~5,000 file paths; ~100 tags; 30 days of timestamps;
// ~8% of segments reference 1-3 earlier ones (by index: the caller maps indexes to ids).
//
// Same n and seed + same installed packages (package-lock.json) -> same corpus; loadSourcePool().fingerprint
// tells whether two machines have the same pool. Texts are fresh flat strings (not slices of the
// pool), so a benchmark that keeps them measures real memory. It is a generator: 1M segments stream
// through without being held.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { hashText, type SegmentType, type Source } from '../src/engine/model';
import { isEntry } from './stats';

export interface CorpusSegment {
  /** Position in the sequence, from 0. */
  index: number;
  text: string;
  type: SegmentType;
  taskId: string;
  /** Code segments: the file the code came from; logs and some notes: a file they are about. */
  filePath: string | null;
  /** Code segments: the 1-based line range of the slice in filePath. */
  lineStart: number | null;
  lineEnd: number | null;
  tags: string[];
  source: Source;
  /** Milliseconds since the epoch, non-decreasing along the sequence, spread over 30 days. */
  createdAt: number;
  /** Indexes of earlier segments this one refers to (each < index). */
  refs: number[];
}

export interface CorpusOptions {
  /** PRNG seed (default 1). */
  seed?: number;
  /** Time of the first segment (default 2026-10-01T00:00:00Z). */
  start?: number;
  /** Days the sequence spans (default 30). */
  days?: number;
}

interface PoolFile {
  /** Relative path as a project would show it, e.g. "eslint/lib/rules/no-unused-vars.js". */
  path: string;
  text: string;
  /** Lazily computed offsets of each line start. */
  lines?: Int32Array;
}

export interface SourcePool {
  code: PoolFile[];
  /** Cumulative code lengths, for picking a file weighted by size. */
  codeCumulative: Float64Array;
  prose: string[];
  proseCumulative: Float64Array;
  /** ~5,000 realistic relative file paths (code files first). */
  paths: string[];
  /** Identifier-like words seen in the code, for log lines. */
  identifiers: string[];
  chars: number;
  /** Hash of every pool file's path and length: equal fingerprints (and seeds) mean equal corpora. */
  fingerprint: string;
}

/** Packages whose files make up the pool: the project's own dependencies, in a fixed order. */
const PACKAGES = [
  'typescript', '@types/node', '@types/vscode', 'eslint', '@eslint', '@typescript-eslint', 'typescript-eslint',
  'flexsearch', 'sql.js', 'js-tiktoken', 'esbuild', 'undici-types', 'ajv', 'acorn', 'espree', 'esquery', 'semver',
  'minimatch', 'picomatch', 'fdir', 'tinyglobby', 'ignore', 'flatted', 'keyv', 'cacheable', 'hookified',
  'esrecurse', 'estraverse', 'optionator', 'levn', 'tsx', 'ts-api-utils', 'eslint-scope', 'debug', 'cross-spawn',
];
const CODE_EXT = /\.(d\.ts|ts|js|cjs|mjs)$/;
const PROSE_EXT = /\.(md|markdown|txt)$/i;
/** Generated, minified or data files that would not be in a developer's context. */
const SKIP = /(\.min\.|[\\/]ranks[\\/]|js-tiktoken[\\/]dist[\\/]index|sql-asm|worker\.sql|sql-wasm-inline|[\\/]esm[\\/]index\.js$|\.map$)/;
const MAX_FILE = 1_500_000;
const MAX_CODE = 28_000_000;
const PATH_COUNT = 5000;

let cachedPool: SourcePool | undefined;

/** Reads the pool once per process (~30 MB of text from node_modules). */
export function loadSourcePool(root = path.resolve(process.cwd(), 'node_modules')): SourcePool {
  if (cachedPool) return cachedPool;
  const code: PoolFile[] = [];
  const prose: string[] = [];
  const allPaths: string[] = [];
  let codeChars = 0;
  for (const pkg of PACKAGES) {
    const dir = path.join(root, pkg);
    if (!fs.existsSync(dir)) continue;
    for (const file of listFiles(dir)) {
      const rel = path.relative(root, file).split(path.sep).join('/');
      if (rel.includes('/node_modules/')) continue;
      allPaths.push(rel);
      if (SKIP.test(rel)) continue;
      const isCode = CODE_EXT.test(rel);
      const isProse = PROSE_EXT.test(rel);
      if (!isCode && !isProse) continue;
      let text = fs.readFileSync(file, 'utf8');
      if (text.length < 200) continue;
      if (text.length > MAX_FILE) text = text.slice(0, text.lastIndexOf('\n', MAX_FILE) + 1);
      if (isProse) {
        prose.push(text);
        continue;
      }
      const lineCount = countLines(text);
      if (text.length / lineCount > 200) continue; // minified or generated
      if (codeChars >= MAX_CODE) continue;
      code.push({ path: rel, text });
      codeChars += text.length;
      // Doc comments are English prose about code: the register of most chat turns.
      if (rel.endsWith('.d.ts')) prose.push(docComments(text));
    }
  }
  if (code.length === 0 || prose.length === 0) {
    throw new Error(`No source files found under ${root}: run npm ci first (the corpus is built from installed packages).`);
  }
  const pathSet = new Set(code.map((f) => f.path));
  for (const p of allPaths) if (pathSet.size < PATH_COUNT) pathSet.add(p);
  // Fewer real files than wanted: add plausible siblings (a real directory with a real file name).
  const rnd = mulberry32(99);
  const dirs = [...new Set(allPaths.map((p) => p.slice(0, p.lastIndexOf('/'))))];
  const names = allPaths.map((p) => p.slice(p.lastIndexOf('/') + 1));
  while (pathSet.size < PATH_COUNT) pathSet.add(`${pick(rnd, dirs)}/${pick(rnd, names)}`);
  const identifiers = collectIdentifiers(code);
  const docs = prose.filter((p) => p.length > 500);
  const fingerprint = hashText(code.map((f) => `${f.path}:${f.text.length}`).join('\n') + docs.map((d) => d.length).join(','));
  cachedPool = {
    code,
    codeCumulative: cumulative(code.map((f) => f.text.length)),
    prose: docs,
    proseCumulative: cumulative(docs.map((p) => p.length)),
    paths: [...pathSet].slice(0, PATH_COUNT),
    identifiers,
    chars: codeChars + docs.reduce((a, p) => a + p.length, 0),
    fingerprint,
  };
  return cachedPool;
}

/** Generates n segments. The same (n, seed, start, days) always gives the same sequence. */
export function* generateCorpus(n: number, opts: CorpusOptions = {}): Generator<CorpusSegment> {
  const pool = loadSourcePool();
  const rnd = mulberry32(opts.seed ?? 1);
  const start = opts.start ?? Date.UTC(2026, 9, 1);
  const span = (opts.days ?? 30) * 86_400_000;
  const tasks = makeTasks(mulberry32((opts.seed ?? 1) ^ 0x5eed), TASK_COUNT);
  // Tasks are worked on in stretches: stretch k (of ~TASK_COUNT) has current task k, with detours.
  const stretch = Math.max(1, n / TASK_COUNT);
  const recentByTask: number[][] = tasks.map(() => []);
  for (let i = 0; i < n; i++) {
    const current = Math.min(TASK_COUNT - 1, Math.floor(i / stretch));
    const task = rnd() < 0.85 || current === 0 ? current : Math.floor(rnd() * (current + 1));
    const type = pickType(rnd());
    const made = makeText(pool, rnd, type, tasks[task]);
    // Evenly spread with jitter; (i + r) / n never decreases along the sequence.
    const createdAt = start + Math.floor((span * (i + rnd())) / n);
    const refs = makeRefs(rnd, i, recentByTask[task]);
    const recent = recentByTask[task];
    recent.push(i);
    if (recent.length > 32) recent.shift();
    yield {
      index: i,
      text: fresh(made.text),
      type,
      taskId: tasks[task].id,
      filePath: made.filePath,
      lineStart: made.lineStart,
      lineEnd: made.lineEnd,
      tags: makeTags(rnd, type),
      source: made.source,
      createdAt,
      refs,
    };
  }
}

// ---- composition ---------------------------------------------------------------------------------

const TASK_COUNT = 200;
const TYPE_WEIGHTS: Array<[SegmentType, number]> = [
  ['message', 0.33], ['code', 0.27], ['log', 0.22], ['note', 0.08], ['decision', 0.04], ['summary', 0.06],
];
/** Share of all segments that are long code chunks (whole functions or files read into context). */
const LONG_CODE_SHARE = 0.032;
/** Scales every ordinary (non-long) segment's size; calibrates the mean to ~100 tokens. */
const BODY_SCALE = 0.75;
/** Approximate characters per o200k token, per register (calibrated on the pool). */
const CHARS_PER_TOKEN = { code: 3.6, prose: 4.4, log: 3.3 };

function pickType(r: number): SegmentType {
  for (const [type, w] of TYPE_WEIGHTS) {
    if (r < w) return type;
    r -= w;
  }
  return 'message';
}

/** A token count drawn log-uniformly from [lo, hi]. */
function tokensBetween(rnd: () => number, lo: number, hi: number): number {
  return Math.round(lo * Math.exp(rnd() * Math.log(hi / lo)));
}

/** An ordinary segment's (or part's) size: log-uniform in [lo, hi], scaled by BODY_SCALE. */
function bodyTokens(rnd: () => number, lo: number, hi: number): number {
  return Math.max(1, Math.round(tokensBetween(rnd, lo, hi) * BODY_SCALE));
}

interface Made {
  text: string;
  filePath: string | null;
  lineStart: number | null;
  lineEnd: number | null;
  source: Source;
}

interface Task {
  id: string;
  title: string;
}

function makeText(pool: SourcePool, rnd: () => number, type: SegmentType, task: Task): Made {
  const none = { filePath: null, lineStart: null, lineEnd: null };
  switch (type) {
    case 'code': {
      const long = rnd() < LONG_CODE_SHARE / 0.27;
      const tokens = long ? tokensBetween(rnd, 1200, 2600) : bodyTokens(rnd, 15, 160);
      const slice = codeSlice(pool, rnd, Math.round(tokens * CHARS_PER_TOKEN.code));
      return { ...slice, source: rnd() < 0.6 ? 'editor' : 'agent' };
    }
    case 'message': {
      if (rnd() < 0.4) {
        // A user turn: short request naming code or a file.
        const text = userTurn(pool, rnd, bodyTokens(rnd, 8, 70));
        return { text, ...none, source: 'chat' };
      }
      let text = proseSlice(pool, rnd, Math.round(bodyTokens(rnd, 12, 160) * CHARS_PER_TOKEN.prose));
      if (rnd() < 0.15) {
        const code = codeSlice(pool, rnd, Math.round(bodyTokens(rnd, 10, 80) * CHARS_PER_TOKEN.code));
        text += `\n\n\`\`\`${langOf(code.filePath)}\n${code.text.trimEnd()}\n\`\`\`\n`;
      }
      if (rnd() < 0.04) text += ' ' + pick(rnd, FLAVOR);
      return { text, ...none, source: 'agent' };
    }
    case 'log': {
      const filePath = pick(rnd, pool.paths);
      return { text: logText(pool, rnd, filePath, bodyTokens(rnd, 10, 160)), filePath, lineStart: null, lineEnd: null, source: 'agent' };
    }
    case 'note': {
      const body = proseSlice(pool, rnd, Math.round(bodyTokens(rnd, 6, 80) * CHARS_PER_TOKEN.prose));
      const withFile = rnd() < 0.3;
      const filePath = withFile ? pick(rnd, pool.paths) : null;
      const text = (rnd() < 0.3 ? 'TODO: ' : rnd() < 0.5 ? 'Note: ' : '') + (withFile ? `${filePath}: ` : '') + body;
      return { text, filePath, lineStart: null, lineEnd: null, source: 'user' };
    }
    case 'decision': {
      const what = proseSlice(pool, rnd, Math.round(bodyTokens(rnd, 8, 40) * CHARS_PER_TOKEN.prose));
      const why = proseSlice(pool, rnd, Math.round(bodyTokens(rnd, 8, 60) * CHARS_PER_TOKEN.prose));
      return { text: `Decision (${task.title}): ${what}\nWhy: ${why}`, ...none, source: 'user' };
    }
    case 'summary': {
      const body = proseSlice(pool, rnd, Math.round(bodyTokens(rnd, 40, 250) * CHARS_PER_TOKEN.prose));
      const files = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => `- ${pick(rnd, pool.paths)}`).join('\n');
      return { text: `Summary of ${task.id} (${task.title}):\n${body}\n\nFiles touched:\n${files}`, ...none, source: 'agent' };
    }
  }
}

const REQUESTS = [
  'Can you look at', 'Why does', 'Please refactor', 'Add a test for', 'What is the purpose of', 'Fix the bug in',
  'Rename', 'Explain how', 'Is it safe to remove', 'Make', 'Profile', 'Document', 'Where is', 'Move',
];
const FLAVOR = ['👍', '✅ done', '🎉', '— thanks!', 'café au lait ☕', '日本語のテスト', 'naïve façade', '→ next step', '±2 %', '🚀 shipped'];

function userTurn(pool: SourcePool, rnd: () => number, tokens: number): string {
  const file = pick(rnd, pool.paths);
  let text = `${pick(rnd, REQUESTS)} \`${pick(rnd, pool.identifiers)}\` in ${file}?`;
  if (tokens > 25) text += ' ' + proseSlice(pool, rnd, Math.round((tokens - 20) * CHARS_PER_TOKEN.prose));
  if (rnd() < 0.15) text += ` It fails with: ${pick(rnd, ERRORS)(rnd, pool)}`;
  return text;
}

const LEVELS = ['info', 'info', 'info', 'debug', 'warn', 'error'];
const ERRORS: Array<(rnd: () => number, pool: SourcePool) => string> = [
  (rnd, p) => `TypeError: Cannot read properties of undefined (reading '${pick(rnd, p.identifiers)}')`,
  (rnd, p) => `error TS2322: Type '${pick(rnd, p.identifiers)}' is not assignable to type '${pick(rnd, p.identifiers)}'.`,
  (rnd, p) => `ReferenceError: ${pick(rnd, p.identifiers)} is not defined`,
  (rnd, p) => `Error: ENOENT: no such file or directory, open '${pick(rnd, p.paths)}'`,
  (rnd) => `AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n\n${Math.floor(rnd() * 5000)} !== ${Math.floor(rnd() * 5000)}`,
  (rnd, p) => `SyntaxError: Unexpected token '${pick(rnd, ['}', ')', '<', 'export', ':'])}' in ${pick(rnd, p.paths)}`,
];

/** Tool, test, build or server output: a few kinds, all around real identifiers and paths. */
function logText(pool: SourcePool, rnd: () => number, filePath: string, tokens: number): string {
  const lines: string[] = [];
  let budget = tokens * CHARS_PER_TOKEN.log;
  const kind = Math.floor(rnd() * 4);
  let clock = Date.UTC(2026, 9, 1) + Math.floor(rnd() * 30 * 86_400_000);
  while (budget > 0) {
    let line: string;
    const id = pick(rnd, pool.identifiers);
    if (kind === 0) {
      clock += Math.floor(rnd() * 2000);
      line = `${new Date(clock).toISOString()} [${pick(rnd, LEVELS)}] ${id}: ${proseSlice(pool, rnd, 20 + Math.floor(rnd() * 80))}`;
    } else if (kind === 1) {
      line = rnd() < 0.8
        ? `  ${rnd() < 0.9 ? '✔' : '✖'} ${id} ${proseSlice(pool, rnd, 15 + Math.floor(rnd() * 50))} (${(rnd() * 300).toFixed(2)}ms)`
        : `    at ${id} (${pick(rnd, pool.paths)}:${1 + Math.floor(rnd() * 2000)}:${1 + Math.floor(rnd() * 80)})`;
    } else if (kind === 2) {
      line = rnd() < 0.7
        ? `${filePath}(${1 + Math.floor(rnd() * 900)},${1 + Math.floor(rnd() * 60)}): ${pick(rnd, ERRORS)(rnd, pool)}`
        : `npm ${pick(rnd, ['warn', 'notice', 'ERR!'])} ${id} ${proseSlice(pool, rnd, 10 + Math.floor(rnd() * 60))}`;
    } else {
      line = `${pick(rnd, ['GET', 'POST', 'PUT', 'DELETE'])} /api/${id.toLowerCase()}/${Math.floor(rnd() * 100000)} ${pick(rnd, ['200', '200', '201', '204', '304', '400', '404', '500'])} ${(rnd() * 900).toFixed(1)} ms - ${Math.floor(rnd() * 50000)} bytes`;
    }
    lines.push(line);
    budget -= line.length + 1;
  }
  return lines.join('\n');
}

/** A run of whole lines of code, about `chars` long, from a real file; with its path and line range. */
function codeSlice(pool: SourcePool, rnd: () => number, chars: number): { text: string; filePath: string; lineStart: number; lineEnd: number } {
  let file = pick(rnd, pool.code);
  // Big slices come from big files (a small file read whole is still fine, just shorter).
  for (let tries = 0; file.text.length < chars * 1.5 && tries < 3; tries++) file = pool.code[weighted(rnd, pool.codeCumulative)];
  const lines = (file.lines ??= lineStarts(file.text));
  const maxStart = Math.max(0, file.text.length - chars);
  const first = lineAt(lines, Math.floor(rnd() * maxStart));
  const from = lines[first];
  let last = lineAt(lines, Math.min(file.text.length - 1, from + chars));
  if (last < first) last = first;
  const to = last + 1 < lines.length ? lines[last + 1] : file.text.length;
  return { text: file.text.slice(from, to), filePath: file.path, lineStart: first + 1, lineEnd: last + 1 };
}

/** About `chars` of prose starting and ending at word boundaries. */
function proseSlice(pool: SourcePool, rnd: () => number, chars: number): string {
  const doc = pool.prose[weighted(rnd, pool.proseCumulative)];
  let from = Math.floor(rnd() * Math.max(1, doc.length - chars));
  const space = doc.indexOf(' ', from);
  if (space >= 0 && space - from < 40) from = space + 1;
  let to = Math.min(doc.length, from + chars);
  const end = doc.indexOf(' ', to);
  if (end >= 0 && end - to < 40) to = end;
  return doc.slice(from, to);
}

function langOf(filePath: string): string {
  return filePath.endsWith('.ts') ? 'ts' : 'js';
}

const TAGS = [
  'bug', 'perf', 'search', 'ui', 'test', 'refactor', 'docs', 'api', 'db', 'migration', 'auth', 'ci', 'build', 'lint',
  'types', 'memory', 'cache', 'index', 'webview', 'cli', 'mcp', 'store', 'journal', 'gc', 'tokens', 'budget',
  'settings', 'telemetry', 'i18n', 'a11y', 'security', 'deps', 'release', 'regression', 'flaky', 'crash', 'startup',
  'latency', 'throughput', 'schema', 'sql', 'worker', 'ipc', 'protocol', 'status-bar', 'commands', 'tree-view',
  'editor', 'tabs', 'workspace', 'git', 'diff', 'merge', 'review', 'design', 'spike', 'question', 'blocked',
  'wontfix', 'duplicate', 'good-first-issue', 'help-wanted', 'p0', 'p1', 'p2', 'p3', 'frontend', 'backend', 'infra',
  'logging', 'errors', 'retry', 'timeout', 'concurrency', 'locking', 'snapshot', 'compaction', 'restore', 'stash',
  'pin', 'task', 'roots', 'mark', 'sweep', 'plan', 'preview', 'export', 'import', 'sync', 'config', 'windows',
  'macos', 'linux', 'node20', 'esm', 'bundle', 'packaging', 'license', 'benchmark', 'profiling', 'flamegraph',
];

function makeTags(rnd: () => number, type: SegmentType): string[] {
  const r = rnd();
  const n = r < 0.4 ? 0 : r < 0.7 ? 1 : r < 0.9 ? 2 : 3;
  const out: string[] = [];
  if (type === 'decision' && n === 0) out.push('design');
  while (out.length < n) {
    // Zipf-like: a few tags are everywhere, most are rare.
    const tag = TAGS[Math.min(TAGS.length - 1, Math.floor(Math.pow(rnd(), 2.2) * TAGS.length))];
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}

const TASK_VERBS = ['fix', 'add', 'speed-up', 'refactor', 'document', 'test', 'remove', 'migrate', 'investigate', 'design'];
const TASK_NOUNS = ['search-ranking', 'stash-restore', 'token-meter', 'gc-plan', 'journal-replay', 'webview-state', 'cli-output',
  'mcp-tools', 'store-lock', 'index-rebuild', 'status-bar', 'task-switch', 'pin-survival', 'budget-bands', 'settings-sync',
  'snapshot-compaction', 'tab-close', 'file-roots', 'tag-filter', 'error-messages'];

function makeTasks(rnd: () => number, count: number): Task[] {
  return Array.from({ length: count }, (_, i) => {
    const title = `${pick(rnd, TASK_VERBS)}-${pick(rnd, TASK_NOUNS)}`;
    return { id: `task-${String(i + 1).padStart(3, '0')}-${title}`, title: title.replace(/-/g, ' ') };
  });
}

/** ~8% of segments refer to 1-3 earlier ones: mostly recent ones of the same task, sometimes anything earlier. */
function makeRefs(rnd: () => number, i: number, recentSameTask: number[]): number[] {
  if (i === 0 || rnd() >= 0.08) return [];
  const want = 1 + Math.floor(rnd() * 3);
  const out: number[] = [];
  for (let k = 0; k < want * 2 && out.length < want; k++) {
    const ref = recentSameTask.length > 0 && rnd() < 0.7
      ? recentSameTask[Math.floor(rnd() * recentSameTask.length)]
      : Math.max(0, i - 1 - Math.floor(rnd() * Math.min(i, 50_000)));
    if (ref < i && !out.includes(ref)) out.push(ref);
  }
  return out;
}

// ---- helpers ---------------------------------------------------------------------------------------

/** Seeded PRNG (mulberry32): fast, 32-bit state, good enough for sampling. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

function cumulative(sizes: number[]): Float64Array {
  const out = new Float64Array(sizes.length);
  let sum = 0;
  sizes.forEach((s, i) => (out[i] = sum += s));
  return out;
}

/** Index i with probability proportional to its size. */
function weighted(rnd: () => number, cum: Float64Array): number {
  const x = rnd() * cum[cum.length - 1];
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function lineStarts(text: string): Int32Array {
  const out = new Int32Array(countLines(text));
  let n = 0;
  out[n++] = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i + 1 < text.length; i = text.indexOf('\n', i + 1)) out[n++] = i + 1;
  return out.subarray(0, n);
}

/** Index of the line containing offset. */
function lineAt(lines: Int32Array, offset: number): number {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    const entries = fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The text of /** ... *\/ comments, without the comment markers. */
function docComments(source: string): string {
  const parts: string[] = [];
  const re = /\/\*\*([^]*?)\*\//g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const body = m[1].replace(/^[ \t]*\* ?/gm, '').replace(/@\w+[^\n]*\n?/g, '').trim();
    if (body.length > 40) parts.push(body);
  }
  return parts.join('\n\n');
}

function collectIdentifiers(code: PoolFile[]): string[] {
  const seen = new Set<string>();
  const re = /\b[A-Za-z_$][A-Za-z0-9_$]{5,30}\b/g;
  for (const f of code) {
    if (seen.size >= 20_000) break;
    const sample = f.text.slice(0, 20_000);
    for (let m = re.exec(sample); m && seen.size < 20_000; m = re.exec(sample)) seen.add(m[0]);
  }
  return [...seen].sort();
}

/** A flat copy, so a kept segment does not pin (or under-report) the pool it was cut from. */
function fresh(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

// `npx tsx bench/corpus.ts [n]`: generation time and the shape of the first n segments.
if (isEntry('corpus')) {
  void (async () => {
    const n = Number(process.argv[2] ?? 100_000);
    const { createTokenCounter } = await import('../src/engine/tokens');
    const counter = createTokenCounter('o200k_base');
    let t = performance.now();
    const pool = loadSourcePool();
    const poolMs = performance.now() - t;
    t = performance.now();
    let chars = 0;
    for (const s of generateCorpus(n)) chars += s.text.length;
    const genMs = performance.now() - t;
    const byType: Record<string, { n: number; tokens: number }> = {};
    const buckets = [10, 50, 100, 200, 500, 1000, 2000, 4000, Infinity];
    const hist = new Array<number>(buckets.length).fill(0);
    const tasks = new Set<string>();
    const files = new Set<string>();
    const tags = new Set<string>();
    let tokens = 0;
    let withRefs = 0;
    let long = 0;
    for (const s of generateCorpus(n)) {
      const k = counter.count(s.text);
      tokens += k;
      (byType[s.type] ??= { n: 0, tokens: 0 }).n++;
      byType[s.type].tokens += k;
      hist[buckets.findIndex((b) => k < b)]++;
      if (k >= 1000) long++;
      tasks.add(s.taskId);
      if (s.filePath) files.add(s.filePath);
      s.tags.forEach((x) => tags.add(x));
      if (s.refs.length) withRefs++;
    }
    console.log(`pool ${pool.fingerprint}: ${(pool.chars / 1e6).toFixed(1)}M chars, ${pool.code.length} code files, ${pool.prose.length} prose docs, ${pool.paths.length} paths; ${poolMs.toFixed(0)} ms`);
    console.log(`generate ${n}: ${genMs.toFixed(0)} ms (${((genMs / n) * 1000).toFixed(1)} µs/segment), ${(chars / 1e6).toFixed(1)}M chars`);
    console.log(`tokens: ${(tokens / 1e6).toFixed(2)}M, ${(tokens / n).toFixed(1)} per segment, ${(chars / tokens).toFixed(2)} chars/token; >=1000 tokens: ${((long / n) * 100).toFixed(1)}%`);
    console.log('histogram (tokens <):', buckets.map((b, i) => `${b}: ${((hist[i] / n) * 100).toFixed(1)}%`).join(', '));
    console.log('by type:', Object.entries(byType).map(([k, v]) => `${k} ${((v.n / n) * 100).toFixed(1)}% avg ${(v.tokens / v.n).toFixed(0)}`).join(', '));
    console.log(`tasks ${tasks.size}, files ${files.size}, tags ${tags.size}, with refs ${((withRefs / n) * 100).toFixed(1)}%`);
  })();
}
