// The durable store at scale: a store of n corpus segments, then
//   - durable write latency (call -> commit() resolved) per kind of change: add, stash (tier update),
//     pin, delete; versus the baseline "export the whole database and rewrite the file per change"
//     (temp + fsync + rename), measured a few times on the same data;
//   - the same writes while a background snapshot runs, and the owner thread's longest event-loop
//     stall during that snapshot;
//   - snapshot time and size (background in a worker; on the owner's thread at close);
//   - open time (snapshot load + journal replay), metadata scan, batched text/title reads, RSS.
// Usage: benchStore(n) from bench/run.ts, or benchStore(n, { segments }) with any corpus.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { hashText, titleOf, type Segment } from '../src/engine/model';
import type { CorpusSegment } from './corpus';
import { openSqliteStore, type SqliteStore } from '../src/engine/store/sqlite';
import { loadSqlJs } from '../src/engine/store/sqljs';
import { fsyncDir } from '../src/engine/store/journal';
import { memory, percentiles, type Row } from './stats';

/** What a corpus item must carry (bench/corpus.ts's CorpusSegment fits). Refs are indexes of earlier items. */
export type CorpusItem = Pick<CorpusSegment, 'text' | 'type' | 'createdAt'> &
  Partial<Pick<CorpusSegment, 'taskId' | 'filePath' | 'lineStart' | 'lineEnd' | 'tags' | 'source' | 'refs'>>;

export interface StoreBenchOptions {
  /** Corpus to load (default: generateCorpus(n, { seed: 11 })). */
  segments?: Iterable<CorpusItem>;
  /** Timed changes per kind (default 200). */
  ops?: number;
  /** Baseline export-and-rewrite repetitions (default 3 at 1M, 5 below). */
  baselineRuns?: number;
  /** Where the store goes (default: a temp dir, removed afterwards). */
  dir?: string;
}

const LOAD_BATCH = 1000;

/** Segment `id` (= corpus index + 1) from a corpus item; tokens estimated as chars / 4 (the store does not count). */
/** A corpus item's metadata as segment fields; refs (indexes of earlier items) kept when stored below `below`. */
export function corpusFields(c: CorpusItem, below: number) {
  return {
    type: c.type,
    taskId: c.taskId ?? null,
    filePath: c.filePath ?? null,
    lineStart: c.lineStart ?? null,
    lineEnd: c.lineEnd ?? null,
    tags: c.tags ?? [],
    source: c.source ?? 'agent',
    refs: (c.refs ?? []).map((index) => index + 1).filter((r) => r < below),
    createdAt: c.createdAt,
  };
}

function toSegment(c: CorpusItem, id: number): Segment {
  return {
    ...corpusFields(c, id),
    id,
    text: c.text,
    tier: 'working',
    pinned: false,
    generation: 'young',
    survivals: 0,
    touchedAt: c.createdAt,
    tokens: Math.max(1, Math.ceil(c.text.length / 4)),
    encoding: 'o200k_base',
    textHash: hashText(c.text),
    title: titleOf(c.text),
    chars: c.text.length,
  };
}

/** Untimed changes of each kind after the first, before the timed ones. */
const WARMUP_OPS = 20;

async function timed(fn: () => Promise<void> | void): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function row(n: number, op: string, xs: number[] | number, note: string, baseline: number | '' = ''): Row {
  const p = Array.isArray(xs) ? percentiles(xs) : { p50: xs, p95: xs, p99: xs };
  return {
    bench: 'store', n, op, p50: p.p50, p95: Array.isArray(xs) ? p.p95 : '', p99: Array.isArray(xs) ? p.p99 : '',
    baseline, ratio: typeof baseline === 'number' ? baseline / p.p50 : '', note,
  };
}

const mb = (b: number): string => `${(b / 1048576).toFixed(0)} MB`;

export async function benchStore(n: number, opts: StoreBenchOptions = {}): Promise<Row[]> {
  const ops = opts.ops ?? 1000;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cgc-bench-store-'));
  const rows: Row[] = [];
  const segments = opts.segments ?? (await import('./corpus')).generateCorpus(n, { seed: 11 });
  try {
    // ---- load, then close: the owner-thread snapshot ----
    let store: SqliteStore = await openSqliteStore(dir, { purpose: 'bench', snapshotThresholdBytes: 2 ** 45, snapshotThresholdRecords: 2 ** 45 });
    const loadStart = performance.now();
    let id = 0;
    let batch: Segment[] = [];
    let textChars = 0;
    for (const c of segments) {
      batch.push(toSegment(c, ++id));
      textChars += c.text.length;
      if (batch.length === LOAD_BATCH) {
        store.insert(batch);
        await store.commit();
        batch = [];
      }
      if (id >= n) break;
    }
    if (batch.length) store.insert(batch);
    store.setKv('nextId', String(id + 1));
    await store.commit();
    const loadMs = performance.now() - loadStart;
    const journalBytes = store.stats().journalBytes;
    const closeMs = await timed(() => store.close());
    const closeSnap = fs.statSync(path.join(dir, 'snapshot.db')).size;

    // ---- open, reads ----
    store = await openSqliteStore(dir, { purpose: 'bench' });
    const r = store.openReport;
    const deleted = new Set<number>();
    const rand = rng(5);
    const pick = (): number => {
      for (;;) {
        const x = 1 + Math.floor(rand() * id);
        if (!deleted.has(x)) return x;
      }
    };
    const ids = Array.from({ length: 1000 }, pick);
    let scanned = 0;
    const scanMs = await timed(() => store.scanMeta(() => scanned++));
    const textsMs = await timed(() => void store.getTexts(ids));
    const titlesMs = await timed(() => void store.getTitles(ids));
    const mem = memory();
    const dbBytes = store.stats().databaseBytes;

    // ---- durable write latency per kind ----
    let nextId = id + 1;
    const template = toSegment({ text: 'bench note\nadded during the latency run', type: 'note', createdAt: Date.now() }, 0);
    const kinds: [string, () => void][] = [
      ['add', () => {
        store.insert([{ ...template, id: nextId }]);
        store.setKv('nextId', String(++nextId));
      }],
      ['stash (tier update)', () => store.update([{ id: pick(), tier: 'stashed' }])],
      ['pin', () => store.update([{ id: pick(), pinned: true }])],
      ['delete', () => {
        const x = pick();
        deleted.add(x);
        store.delete([x]);
      }],
    ];
    // Steady state: the first changes of each kind after open (statements prepared, code compiled) are
    // timed apart and reported as "first change", then `ops` changes make the percentiles.
    const latency = new Map<string, { xs: number[]; first: number }>();
    for (const [name, change] of kinds) {
      const once = () => timed(async () => {
        change();
        await store.commit();
      });
      const first = await once();
      for (let i = 0; i < WARMUP_OPS; i++) await once();
      const xs: number[] = [];
      for (let i = 0; i < ops; i++) xs.push(await once());
      latency.set(name, { xs, first });
    }

    // ---- a background snapshot while the owner keeps writing; the same writes without one (control) ----
    const control = await backgroundSnapshot(store, pick, ops, false);
    const bg = await backgroundSnapshot(store, pick, ops);

    // ---- journal replay: 10k changes left in the journal ----
    for (let i = 0; i < 10_000; i++) store.update([{ id: pick(), tier: i % 2 ? 'stashed' : 'working' }]);
    await store.commit();
    const bigJournal = store.stats().journalBytes;
    await store.close({ snapshot: false });
    store = await openSqliteStore(dir, { purpose: 'bench', snapshotOnClose: false });
    const replay = store.openReport;
    await store.close();

    // ---- baseline: export + rewrite the whole database per change ----
    const baselineRuns = opts.baselineRuns ?? (n >= 1_000_000 ? 3 : 5);
    const base = await exportRewriteBaseline(dir, baselineRuns);
    const baseP50 = percentiles(base).p50;

    rows.push(row(n, 'bulk load (insert + commit per 1000)', loadMs / (id / LOAD_BATCH),
      `${id} segments, ${mb(textChars)} of text, ${(id / (loadMs / 1000)).toFixed(0)} segments/s, journal ${mb(journalBytes)}`));
    rows.push(row(n, 'snapshot on close (owner thread)', closeMs, `export + write ${mb(closeSnap)}; blocks the owner (close only)`));
    rows.push(row(n, 'open (load snapshot + replay)', r.totalMs,
      `snapshot ${mb(r.snapshotBytes)} read + checked + loaded in ${r.snapshotMs.toFixed(0)} ms; RSS after open ${mem.rssMb} MB, JS heap ${mem.heapMb} MB`));
    rows.push(row(n, 'scanMeta (all segments)', scanMs, `${scanned} rows, ${(scanMs * 1000 / scanned).toFixed(2)} µs/row`));
    rows.push(row(n, 'getTexts (1000 random ids)', textsMs, 'IN (...) chunks of 500'));
    rows.push(row(n, 'getTitles (1000 random ids)', titlesMs, ''));
    for (const [name, { xs, first }] of latency) {
      rows.push(row(n, `durable ${name}`, xs, `${xs.length} changes, call -> commit() resolved (journal fdatasync); first change after open ${first.toFixed(1)} ms; ` +
        `baseline: export + rewrite ${mb(dbBytes)} per change (${base.length} runs)`, baseP50));
    }
    rows.push(row(n, 'snapshot (background worker)', bg.totalMs,
      `size ${mb(bg.bytes)}; worker export ${bg.exportMs.toFixed(0)} ms, write ${bg.writeMs.toFixed(0)} ms; owner thread busy ${bg.ownerMs.toFixed(1)} ms; ` +
      `owner event-loop delay max ${bg.maxStallMs.toFixed(1)} ms, p99 ${bg.p99StallMs.toFixed(1)} ms ` +
      `(control, same writes without a snapshot: max ${control.maxStallMs.toFixed(1)} ms, p99 ${control.p99StallMs.toFixed(1)} ms)`));
    rows.push(row(n, 'durable stash during background snapshot', bg.latencies,
      `${bg.latencies.length} changes while the worker ran (control without snapshot: p50 ${percentiles(control.latencies).p50.toFixed(2)} ms, ` +
      `p99 ${percentiles(control.latencies).p99.toFixed(2)} ms)`, baseP50));
    rows.push(row(n, 'open with 10k journaled changes', replay.totalMs, `replayed ${replay.replayedRecords} records (${mb(bigJournal)}) in ${replay.replayMs.toFixed(0)} ms`));
    return rows;
  } finally {
    if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface BackgroundRun {
  totalMs: number;
  bytes: number;
  exportMs: number;
  writeMs: number;
  ownerMs: number;
  maxStallMs: number;
  p99StallMs: number;
  latencies: number[];
}

/**
 * Takes a background snapshot while the owner keeps committing `writes` stash updates (one every 2 ms),
 * and measures the owner's event-loop delay the whole time. With `snapshot` false: the same writes
 * alone (the control: what this machine's load does to the event loop anyway).
 */
async function backgroundSnapshot(store: SqliteStore, pick: () => number, writes: number, snapshot = true): Promise<BackgroundRun> {
  // Make sure the journal has something to fold in, and start without GC debt from what came before.
  store.update([{ id: pick(), touchedAt: Date.now() }]);
  await store.commit();
  (globalThis as { gc?: () => void }).gc?.();
  const h = monitorEventLoopDelay({ resolution: 2 });
  h.enable();
  const t0 = performance.now();
  let finished = false;
  const snap = snapshot ? store.snapshot().finally(() => (finished = true)) : Promise.resolve();
  const latencies: number[] = [];
  for (let i = 0; i < writes && !finished; i++) {
    latencies.push(await timed(async () => {
      store.update([{ id: pick(), tier: 'stashed' }]);
      await store.commit();
    }));
    await new Promise((r) => setTimeout(r, 2));
  }
  await snap;
  const totalMs = performance.now() - t0;
  h.disable();
  const info = store.stats().lastSnapshot ?? { bytes: 0, exportMs: 0, writeMs: 0, ownerMs: 0 };
  return {
    totalMs, bytes: info.bytes, exportMs: info.exportMs, writeMs: info.writeMs, ownerMs: info.ownerMs,
    maxStallMs: h.max / 1e6, p99StallMs: h.percentile(99) / 1e6, latencies,
  };
}

/** The naive design: apply one change, export the whole database, write it to a temp file, fsync, rename. */
async function exportRewriteBaseline(dir: string, runs: number): Promise<number[]> {
  const SQL = await loadSqlJs();
  const image = fs.readFileSync(path.join(dir, 'snapshot.db'));
  const db = new SQL.Database(image.subarray(0, image.length - 32));
  const target = path.join(dir, 'baseline.db');
  const xs: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      xs.push(await timed(() => {
        db.run('UPDATE segments SET tier = ? WHERE id = ?', ['stashed', i + 1]);
        const out = db.export();
        const tmp = `${target}.tmp`;
        const fd = fs.openSync(tmp, 'w');
        try {
          for (let off = 0; off < out.length; ) off += fs.writeSync(fd, out, off, Math.min(64 << 20, out.length - off));
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        fs.renameSync(tmp, target);
        fsyncDir(dir);
      }));
    }
  } finally {
    db.close();
    fs.rmSync(target, { force: true });
  }
  return xs;
}

function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
}
