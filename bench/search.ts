// Search at scale: n corpus segments in a SegmentTable + the SearchIndex, then
//   - query latency p50/p95/p99 per kind (single term, multi-term ranked OR, filtered, typo), each against
//     the naive linear scan (`text.toLowerCase().includes(term)` over every text) measured in the same run;
//   - the background build (time, longest event-loop stall, query latency while it runs);
//   - save and load (open-to-searchable) times, file size, and that the loaded index answers identically;
//   - update/remove latency; heap and RSS.
// Queries come from the corpus vocabulary: common, mid-frequency and rare terms, identifiers, real filters.
// Usage: benchSearch(n) from bench/run.ts, or `npx tsx bench/search.ts 100000`.
// While iterating (environment):
//   SEARCH_BENCH_INDEX=dir   reuse the index built by an earlier run with the same n and seed (saved there
//                            after the build; loaded instead of building when present);
//   SEARCH_BENCH_KINDS=filtered,typo   time only these query kinds (name prefixes);
//   SEARCH_BENCH_SKIP=built,rest,loaded,crash   skip phases: timing the built (or reused) index; everything
//                            after it (update/remove, save, load); timing the loaded index; the crash reopen.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { hashText, type SegmentMeta, type SegmentType } from '../src/engine/model';
import { SegmentTable } from '../src/engine/table';
import { SearchIndex, tokenize, type SearchRequest } from '../src/engine/search';
import { generateCorpus, mulberry32 } from './corpus';
import { isEntry, memory, percentiles, type Row } from './stats';

export interface SearchBenchOptions {
  /** Timed queries per kind (default 300). */
  queries?: number;
  /** Naive-scan queries per kind (default 10, 3 at 1M and above). */
  baselineQueries?: number;
  seed?: number;
  /** Where the saved index goes (default: a temp dir, removed afterwards). */
  dir?: string;
  log?: (line: string) => void;
}

export interface Kind {
  name: string;
  queries: SearchRequest[];
}

const row = (n: number, op: string, xs: number[] | number, note: string, baseline: number | '' = ''): Row => {
  const p = Array.isArray(xs) ? percentiles(xs) : { p50: xs, p95: '' as const, p99: '' as const };
  return { bench: 'search', n, op, p50: p.p50, p95: p.p95, p99: p.p99, baseline, ratio: typeof baseline === 'number' ? baseline / (p.p50 as number) : '', note };
};

/** Queries per kind drawn from the corpus vocabulary: common, mid-frequency and rare terms, typos, real filters. */
export function makeQueryKinds(table: SegmentTable, texts: readonly string[], now: number, r: () => number, q: number): Kind[] {
  const n = texts.length - 1;
  const df = new Map<string, number>();
  const sample = Math.min(n, 5000);
  for (let k = 0; k < sample; k++) for (const t of new Set(tokenize(texts[1 + Math.floor(r() * n)]))) df.set(t, (df.get(t) ?? 0) + 1);
  const byDf = [...df.entries()].sort((a, b) => b[1] - a[1]).map((e) => e[0]);
  const plain = (t: string): boolean => /^[a-z]{4,}$/.test(t);
  const common = byDf.slice(0, 60);
  const mid = byDf.slice(200, 3000);
  const rare = byDf.filter((t) => df.get(t) === 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const term = (): string => {
    const x = r();
    return x < 0.35 ? pick(common) : x < 0.7 ? pick(mid) : pick(rare);
  };
  const typo = (): string => {
    for (;;) {
      const w = pick(r() < 0.5 ? common : mid);
      if (!plain(w) || w.length < 5) continue;
      const i = 1 + Math.floor(r() * (w.length - 2));
      const x = r();
      const t = x < 0.4 ? w.slice(0, i) + w.slice(i + 1) : x < 0.7 ? w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2) : w.slice(0, i) + 'qxz'[Math.floor(r() * 3)] + w.slice(i + 1);
      if (!df.has(t)) return t;
    }
  };
  const tasks = table.tasks.values;
  const files = table.files.values.filter((f) => table.byFile.sizeOf(table.files.lookup(f) as number) > 0);
  const dirs = [...new Set(files.map((f) => f.split('/').slice(0, 2).join('/') + '/'))];
  const tags = table.tagNames.values;
  const types: SegmentType[] = ['code', 'log', 'message', 'decision', 'note', 'summary'];
  const filter = (): Partial<SearchRequest> => {
    const x = r();
    if (x < 0.2) return { taskId: pick(tasks) };
    if (x < 0.35) return { filePath: pick(files) };
    if (x < 0.5) return { filePathPrefix: pick(dirs) };
    if (x < 0.6) return { tagsAny: [pick(tags), pick(tags)] };
    if (x < 0.7) return { types: [pick(types)], tier: 'stashed' };
    if (x < 0.8) return { createdAfter: now - 3 * 86_400_000 };
    if (x < 0.9) return { taskId: pick(tasks), types: [pick(types), pick(types)] };
    return { filePathPrefix: pick(dirs), tier: 'working', tagsAny: [pick(tags)] };
  };
  const multi = (): string => {
    const x = r();
    if (x < 0.25) return `${pick(common)} ${pick(common)}`;
    if (x < 0.5) return `${pick(common)} ${pick(mid)} ${pick(rare)}`;
    if (x < 0.75) return `${term()} ${term()}`;
    return `${pick(mid)} ${pick(mid)} ${pick(common)} ${term()}`;
  };
  const kinds: Kind[] = [
    { name: 'single term', queries: Array.from({ length: q }, () => ({ query: term() })) },
    { name: 'multi-term (ranked OR)', queries: Array.from({ length: q }, () => ({ query: multi() })) },
    { name: 'filtered', queries: Array.from({ length: q }, () => ({ query: r() < 0.5 ? term() : multi(), ...filter() })) },
    { name: 'typo', queries: Array.from({ length: q }, () => ({ query: r() < 0.6 ? typo() : `${typo()} ${term()}` })) },
  ];

  return kinds;
}

export async function benchSearch(n: number, opts: SearchBenchOptions = {}): Promise<Row[]> {
  const log = opts.log ?? ((l: string) => console.log(`  [search] ${l}`));
  const r = mulberry32(opts.seed ?? 5);
  const rows: Row[] = [];

  // ---- the store: table + texts
  const m0 = memory();
  const texts: string[] = [''];
  const table = new SegmentTable();
  let now = 0;
  let id = 0;
  for (const c of generateCorpus(n, { seed: opts.seed ?? 11 })) {
    id++;
    texts.push(c.text);
    const meta: SegmentMeta = {
      id,
      type: c.type,
      tier: r() < 0.7 ? 'stashed' : 'working',
      taskId: c.taskId,
      filePath: c.filePath,
      lineStart: c.lineStart,
      lineEnd: c.lineEnd,
      tags: c.tags,
      source: c.source,
      refs: [],
      pinned: false,
      generation: 'young',
      survivals: 0,
      createdAt: c.createdAt,
      touchedAt: c.createdAt,
      tokens: Math.max(1, Math.ceil(c.text.length / 4)),
      encoding: 'o200k_base',
      textHash: hashText(c.text),
      title: '',
      chars: c.text.length,
    };
    table.put(meta);
    if (c.createdAt > now) now = c.createdAt;
  }
  now += 60_000;
  const getTexts = (ids: readonly number[]): Map<number, string> => {
    const out = new Map<number, string>();
    for (const x of ids) if (x > 0 && x < texts.length) out.set(x, texts[x]);
    return out;
  };
  const m1 = memory();
  log(`corpus: ${n} segments, heap +${m1.heapMb - m0.heapMb} MB (texts + table)`);

  const skip = new Set((process.env.SEARCH_BENCH_SKIP ?? '').split(',').filter(Boolean));
  const cacheDir = process.env.SEARCH_BENCH_INDEX ? path.join(process.env.SEARCH_BENCH_INDEX, `n${n}-s${opts.seed ?? 11}`) : undefined;
  const CACHE_MARK = 777;
  const cached = cacheDir ? await SearchIndex.load(cacheDir, CACHE_MARK, table, getTexts) : null;
  if (cached) log(`index loaded from ${cacheDir} (the build is not measured)`);

  // ---- background build
  let idx: SearchIndex | null = cached ?? new SearchIndex(table, getTexts);
  const stall = monitorEventLoopDelay({ resolution: 5 });
  stall.enable();
  const during: number[] = [];
  let building = true;
  const probe = (async () => {
    while (building) {
      await new Promise((res) => setTimeout(res, 50));
      const t = performance.now();
      (idx as SearchIndex).search({ query: 'config error', limit: 20 }, now);
      during.push(performance.now() - t);
    }
  })();
  const built = cached
    ? { ms: 0, indexed: 0 }
    : await idx.buildInBackground(
        (function* () {
          for (let i = 1; i <= n; i++) yield i;
        })(),
        undefined,
        { total: n },
      );
  building = false;
  await probe;
  stall.disable();
  const m2 = memory();
  if (cacheDir && !cached) await idx.save(cacheDir, CACHE_MARK);
  if (!cached) rows.push(row(n, 'build (background, time-sliced)', built.ms, `${((built.ms * 1000) / n).toFixed(1)} µs/segment; longest event-loop stall ${(stall.max / 1e6).toFixed(0)} ms; index heap +${m2.heapMb - m1.heapMb} MB; RSS ${m2.rssMb} MB`));
  if (!cached) rows.push(row(n, 'query while building', during, `${during.length} queries answered (partial) during the build`));
  log(`built in ${(built.ms / 1000).toFixed(1)} s, heap +${m2.heapMb - m1.heapMb} MB, stall max ${(stall.max / 1e6).toFixed(0)} ms`);

  const only = (process.env.SEARCH_BENCH_KINDS ?? '').split(',').filter(Boolean);
  const kinds = makeQueryKinds(table, texts, now, r, opts.queries ?? 300).filter((k) => only.length === 0 || only.some((o) => k.name.startsWith(o)));

  // ---- naive baseline: lower-case every text and look for each term; filters checked on the table first
  const naive = (req: SearchRequest): number => {
    const terms = req.query.toLowerCase().split(/\s+/).filter(Boolean);
    const taskCode = req.taskId !== undefined ? table.tasks.lookup(req.taskId) : undefined;
    let hits = 0;
    for (let i = 1; i <= n; i++) {
      if (req.taskId !== undefined && table.task[i] !== taskCode) continue;
      if (req.filePath !== undefined && table.files.values[table.file[i]] !== req.filePath) continue;
      if (req.createdAfter !== undefined && table.created[i] <= req.createdAfter) continue;
      const lower = texts[i].toLowerCase();
      let c = 0;
      for (const t of terms) if (lower.includes(t)) c++;
      if (c > 0) hits++;
    }
    return hits;
  };
  const baseRuns = opts.baselineQueries ?? (n >= 1_000_000 ? 3 : 10);

  // Each query is timed `repeat` times: the first run is the latency a user sees (`raw`); the fastest of
  // the runs filters out waits for a CPU other processes hold (the machine is shared), as `best of N`.
  const timeKinds = (index: SearchIndex, label: string, repeat: number, withBaseline: boolean): void => {
    for (const kind of kinds) {
      for (let w = 0; w < 20; w++) index.search(kind.queries[w % kind.queries.length], now); // warm-up
      const raw: number[] = [];
      const best: number[] = [];
      const slow: [number, string][] = [];
      let totalHits = 0;
      let filterPlan = 0;
      for (let k = 0; k < repeat; k++) {
        kind.queries.forEach((req, i) => {
          const t = performance.now();
          const res = index.search(req, now);
          const ms = performance.now() - t;
          if (k === 0) {
            raw.push(ms);
            best.push(ms);
            totalHits += res.total;
            if (res.plan === 'filter') filterPlan++;
          } else best[i] = Math.min(best[i], ms);
        });
      }
      kind.queries.forEach((req, i) => slow.push([best[i], JSON.stringify(req)]));
      slow.sort((a, b) => b[0] - a[0]);
      let b: number | '' = '';
      if (withBaseline) {
        const base: number[] = [];
        for (let k = 0; k < baseRuns; k++) {
          const t = performance.now();
          naive(kind.queries[k]);
          base.push(performance.now() - t);
        }
        b = percentiles(base).p50;
      }
      const p = percentiles(raw);
      const pb = percentiles(best);
      rows.push(
        row(
          n,
          `query: ${kind.name} (${label})`,
          raw,
          `${kind.queries.length} queries, mean ${Math.round(totalHits / kind.queries.length)} matches${kind.name === 'filtered' ? `, ${filterPlan} by the filter plan` : ''}` +
            `${repeat > 1 ? `; best of ${repeat} per query: p50 ${pb.p50.toFixed(2)} p95 ${pb.p95.toFixed(2)} p99 ${pb.p99.toFixed(2)} ms` : ''}${withBaseline ? `; baseline = naive scan (${baseRuns} runs)` : ''}`,
          b,
        ),
      );
      log(`${label} ${kind.name}: p50 ${p.p50.toFixed(2)} p95 ${p.p95.toFixed(2)} p99 ${p.p99.toFixed(2)} max ${p.max.toFixed(1)} ms; best-of-${repeat} p99 ${pb.p99.toFixed(2)}${b !== '' ? `; naive ${b.toFixed(0)} ms` : ''}`);
      for (const [ms, q] of slow.slice(0, Number(process.env.SEARCH_BENCH_SLOW ?? 3))) log(`    slowest ${ms.toFixed(1)} ms ${q.slice(0, 200)}`);
    }
  };
  if (!skip.has('built')) timeKinds(idx, cached ? 'cached index' : 'built index', cached ? 3 : 1, true);
  if (skip.has('rest')) return rows;

  // ---- keeping in step: update (text change) and remove
  const upd: number[] = [];
  const rem: number[] = [];
  for (let k = 0; k < 200; k++) {
    const x = 1 + Math.floor(r() * n);
    const text = texts[x] + ' edited';
    let t = performance.now();
    idx.update(x, text);
    upd.push(performance.now() - t);
    texts[x] = text;
    // The table carries the new hash, as the engine would set it.
    const h = hashText(text);
    table.hashHi[x] = parseInt(h.slice(0, 8), 16) >>> 0;
    table.hashLo[x] = parseInt(h.slice(8), 16) >>> 0;
    t = performance.now();
    idx.remove(x);
    rem.push(performance.now() - t);
    idx.add(x, text);
  }
  rows.push(row(n, 'update (text changed)', upd, 're-index one segment under a fresh key; the old key goes dead'));
  rows.push(row(n, 'remove', rem, 'marks the key dead (no FlexSearch map walk)'));
  const answersAfterEdits: string[] = [];
  for (const kind of kinds) for (let k = 0; k < 10; k++) answersAfterEdits.push(JSON.stringify(idx.search(kind.queries[k], now)));

  // ---- save, drop, load (open-to-searchable)
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cgc-search-bench-'));
  const watermark = 12345;
  const stallSave = monitorEventLoopDelay({ resolution: 5 });
  stallSave.enable();
  const saved = await idx.save(dir, watermark);
  stallSave.disable();
  rows.push(row(n, 'save (background, temp+fsync+rename)', saved.ms, `${(saved.bytes / 1048576).toFixed(0)} MB file; longest event-loop stall ${(stallSave.max / 1e6).toFixed(0)} ms`));
  log(`saved in ${(saved.ms / 1000).toFixed(1)} s, ${(saved.bytes / 1048576).toFixed(0)} MB, stall max ${(stallSave.max / 1e6).toFixed(0)} ms`);
  // Let the built index go before loading, as a fresh process would not hold one (with both in the heap
  // the loaded index measured ~40% slower at 1M from GC and cache pressure alone).
  idx = null;
  (globalThis as { gc?: () => void }).gc?.();
  const m3 = memory();
  const stall2 = monitorEventLoopDelay({ resolution: 5 });
  stall2.enable();
  let t = performance.now();
  const loaded = await SearchIndex.load(dir, watermark, table, getTexts);
  const loadMs = performance.now() - t;
  stall2.disable();
  if (!loaded) throw new Error('the saved index did not load');
  t = performance.now();
  loaded.search({ query: 'config error' }, now);
  const firstMs = performance.now() - t;
  const m4 = memory();
  const answersLoaded: string[] = [];
  for (const kind of kinds) for (let k = 0; k < 10; k++) answersLoaded.push(JSON.stringify(loaded.search(kind.queries[k], now)));
  const same = answersLoaded.length === answersAfterEdits.length && answersLoaded.every((a, i) => a === answersAfterEdits[i]);
  rows.push(row(n, 'load (open-to-searchable)', loadMs, `first query ${firstMs.toFixed(1)} ms after; longest stall ${(stall2.max / 1e6).toFixed(0)} ms; heap +${m4.heapMb - m3.heapMb} MB; RSS ${m4.rssMb} MB; ${same ? 'answers identical to before the save' : 'ANSWERS DIFFER'}`));
  log(`loaded in ${(loadMs / 1000).toFixed(2)} s; identical: ${same}; stale watermark -> ${(await SearchIndex.load(dir, watermark + 1, table, getTexts)) === null ? 'null' : 'LOADED'}`);
  if (!skip.has('loaded')) timeKinds(loaded, 'loaded index', 3, false);
  const stats = loaded.stats();
  if (!skip.has('crash')) rows.push(...(await crashReopen(n, loaded, dir, watermark, table, texts, getTexts, now, kinds, r, log)));
  rows.push(row(n, 'memory', m4.heapMb, `heap ${m4.heapMb} MB, RSS ${m4.rssMb} MB total (texts+table ${m1.heapMb - m0.heapMb} MB); ${stats.vocabulary} typo words; ${stats.deadKeys} dead keys; ${answersLoaded.length} answers checked`));
  if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
  return rows;
}

/**
 * A crash after an idle save: changes made since (re-texts, deletes) are not in the saved file. Reopen it
 * (`loadAny`), find what changed from the table's hashes (`staleIds`) and re-index only that (`catchUp`);
 * the answers must equal the live index's. Then compaction of the live index, timed.
 */
async function crashReopen(n: number, live: SearchIndex, dir: string, watermark: number, table: SegmentTable, texts: string[], getTexts: (ids: readonly number[]) => Map<number, string>, now: number, kinds: Kind[], r: () => number, log: (l: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  const changed = Math.max(10, Math.round(n / 1000));
  // Each segment changed once: a second change would leave the live index one more dead key's postings
  // than the caught-up one, and term rarity (idf) counts those.
  const picked = new Set<number>();
  for (let k = 0; k < changed; k++) {
    let x = 1 + Math.floor(r() * n);
    while (picked.has(x) || !table.has(x) || !live.has(x)) x = 1 + Math.floor(r() * n);
    picked.add(x);
    if (k % 5 === 4) {
      table.remove(x);
      live.remove(x);
      continue;
    }
    const text = `${texts[x]} changed after the save ${k}`;
    texts[x] = text;
    const h = hashText(text);
    table.hashHi[x] = parseInt(h.slice(0, 8), 16) >>> 0;
    table.hashLo[x] = parseInt(h.slice(8), 16) >>> 0;
    live.update(x, text);
  }
  let t = performance.now();
  const opened = await SearchIndex.loadAny(dir, table, getTexts);
  if (!opened || opened.watermark !== watermark) throw new Error('the saved index did not load');
  const loadMs = performance.now() - t;
  t = performance.now();
  const stale = opened.index.staleIds();
  const staleMs = performance.now() - t;
  const caught = await opened.index.catchUp(stale);
  const answers = (x: SearchIndex): string[] => kinds.flatMap((kind) => kind.queries.slice(0, 10).map((q) => JSON.stringify(x.search(q, now))));
  const same = JSON.stringify(answers(opened.index)) === JSON.stringify(answers(live));
  rows.push(row(n, 'crash reopen (load + catch up)', loadMs + staleMs + caught.ms, `load ${loadMs.toFixed(0)} ms, find ${stale.length} changed of ${changed} changes ${staleMs.toFixed(0)} ms (table hashes), re-index ${caught.ms.toFixed(0)} ms; ${same ? 'answers identical to the live index' : 'ANSWERS DIFFER'}`));
  log(`crash reopen: load ${loadMs.toFixed(0)} ms, staleIds ${stale.length} in ${staleMs.toFixed(0)} ms, catch-up ${caught.ms.toFixed(0)} ms, identical: ${same}`);
  const before = live.stats();
  const stall = monitorEventLoopDelay({ resolution: 5 });
  stall.enable();
  const c = await live.compact();
  stall.disable();
  rows.push(row(n, 'compact (background)', c.ms, `${c.droppedKeys} dead keys of ${before.keys} dropped; longest event-loop stall ${(stall.max / 1e6).toFixed(0)} ms`));
  log(`compact: ${(c.ms / 1000).toFixed(1)} s, stall max ${(stall.max / 1e6).toFixed(0)} ms`);
  return rows;
}

if (isEntry('search')) {
  const n = Number(process.argv[2] ?? 100_000);
  benchSearch(n).then(
    (rows) => {
      for (const x of rows) console.log(`${x.op.padEnd(34)} p50 ${String(typeof x.p50 === 'number' ? x.p50.toFixed(2) : x.p50).padStart(9)}  p95 ${String(typeof x.p95 === 'number' ? x.p95.toFixed(2) : x.p95).padStart(8)}  p99 ${String(typeof x.p99 === 'number' ? x.p99.toFixed(2) : x.p99).padStart(8)}  base ${String(typeof x.baseline === 'number' ? x.baseline.toFixed(0) : x.baseline).padStart(6)}  ${typeof x.ratio === 'number' ? x.ratio.toFixed(0) + '×' : ''}  ${x.note}`);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
