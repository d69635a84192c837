// Open-to-searchable, end to end, the way the product opens a workspace (src/cli/open.ts, the host's worker):
// a real store of n corpus segments on disk with its saved search index, built through ContextEngine and
// closed cleanly; then, timed from nothing to the first search answered from the complete index:
//   store open (snapshot load + journal replay) -> ContextEngine.open (table load + search index load) -> search.
// Measured in the same run:
//   - with the table image (tableImage.ts) — the product path;
//   - baseline: the same open with the table scanned row by row from SQLite (the path before the image);
//   - after an unclean stop: a child commits changes and exits without closing anything, before any idle
//     save (the table image is the last clean close's; the index file is behind) -> journal replay + image
//     + the journal records after it + index catch-up; baseline: the same store's table scanned row by row;
//   - the same after the engine went idle first (its idle saves of table image and index are current)
//     -> journal replay + image + index load.
// Every open runs in a fresh process (this bench re-run as a child), as a real cold start of the engine:
// a process that has just built 1M segments carries a heap that slows every later allocation 2-4x.
// Tables from the image and from the scan are compared column by column (checksums) in the run, and after
// the unclean stop row by row (image + journal records vs scan).
// Page cache is warm (the store was just written); a cold disk adds the file reads.
// Usage: benchOpen(n) from bench/run.ts (`npm run bench -- --sizes 100000 --only open --out ''`).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextEngine } from '../src/engine/engine';
import type { NewSegment, TokenCounter } from '../src/engine/model';
import { openSqliteStore, type SqliteStore } from '../src/engine/store/sqlite';
import type { SegmentTable } from '../src/engine/table';
import { tableImagePath } from '../src/engine/tableImage';
import { INDEX_FILE } from '../src/engine/search/persist';
import { crc32, HEADER_BYTES, listJournals } from '../src/engine/store/journal';
import { generateCorpus, mulberry32 } from './corpus';
import { corpusFields, type CorpusItem } from './store';
import { isEntry, memory, type Row } from './stats';

export interface OpenBenchOptions {
  /** Timed opens per path (default 3 below 1M, 1 at 1M: each clean close saves the index, ~3 s at 1M). */
  reps?: number;
  /** Where the store goes (default: a temp dir, removed afterwards). */
  dir?: string;
  log?: (line: string) => void;
}

const BATCH = 1000;
const QUERY = { query: 'config error', limit: 20 };

/** Builds with chars/4 token counts: the real counter would add minutes at 1M and open never counts. */
const roughCounter: TokenCounter = { encoding: 'o200k_base', count: (text) => Math.max(1, Math.ceil(text.length / 4)) };

/** Refs are corpus indexes of earlier items; only those already stored (below `firstOfBatch`) are kept. */
function toNew(c: CorpusItem, firstOfBatch: number): NewSegment {
  return {
    // The corpus has a few whitespace-only outputs; the engine refuses empty text.
    text: c.text.trim() ? c.text : '(empty output)',
    ...corpusFields(c, firstOfBatch),
  };
}

interface Opened {
  storeMs: number;
  snapshotMs: number;
  replayMs: number;
  replayed: number;
  engineMs: number;
  tableMs: number;
  tableSource: string;
  searchMs: number;
  /** Waiting for the index to cover everything after open returned (0 when the saved index was current). */
  indexWaitMs: number;
  firstQueryMs: number;
  totalMs: number;
  /** idleFirst: how long the idle saves took after the idle delay. */
  idleSaveMs?: number;
  rssMb: number;
  hits: number;
  imageRefused?: string;
  /** Journal records applied over the table image. */
  tailRecords: number;
  warnings: string[];
  digest: string;
  /** With job.rowsDigest: a checksum of every live row's fields (strings by value). */
  rows?: string;
  closeMs: number;
}

/** The idle delay of the idle-first unclean stop (the product's default is 30 s). */
const IDLE_MS = 1000;

interface ChildJob {
  storeDir: string;
  searchDir: string;
  tableImage: boolean;
  /** Commit this many adds (and stash them) after opening, then exit without closing: an unclean stop. */
  crashAfter?: number;
  /** With crashAfter: wait until the engine has saved its table image and index when idle, then exit. */
  idleFirst?: boolean;
  /** Compute Opened.rows. */
  rowsDigest?: boolean;
  /** Exit without closing (and without changing anything): the next open finds the same store and journal. */
  noClose?: boolean;
  /** With crashAfter: close cleanly after the changes (timed) instead of exiting. */
  cleanClose?: boolean;
}

const CHILD_ENV = 'CGC_BENCH_OPEN_CHILD';
const RESULT = 'CGC_BENCH_OPEN_RESULT ';

/** Runs one open in a fresh process: this same program (bundle or tsx entry) with the job in the environment. */
function inChild(job: ChildJob): Opened {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    env: { ...process.env, [CHILD_ENV]: JSON.stringify(job) },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  // The bundle's runner prints its progress first, on the same line.
  const at = r.stdout.indexOf(RESULT);
  if (r.status !== 0 || at < 0) throw new Error(`the open child failed (status ${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.slice(at + RESULT.length).split('\n')[0]!) as Opened;
}

async function childMain(job: ChildJob): Promise<void> {
  const { o, engine, store } = await openTimed(job.storeDir, job.searchDir, job.tableImage, job.idleFirst ? IDLE_MS : undefined);
  if (job.rowsDigest) o.rows = rowsDigest(engine.table);
  if (job.noClose) {
    process.stdout.write(`${RESULT}${JSON.stringify(o)}\n`, () => process.exit(0));
    return;
  }
  if (job.crashAfter) {
    const ids: number[] = [];
    for (let k = 0; k < job.crashAfter; k++) ids.push((await engine.add({ text: `after the last clean close: change ${k} of the unclean session`, type: 'note' })).id);
    await engine.stash(ids);
    if (job.cleanClose) {
      const t = performance.now();
      await engine.close();
      o.closeMs = performance.now() - t;
      process.stdout.write(`${RESULT}${JSON.stringify(o)}\n`, () => process.exit(0));
      return;
    }
    const lastChange = Date.now();
    if (job.idleFirst) {
      // Both idle saves done: the table image, then the index file rewritten after the last change.
      const indexFile = path.join(job.searchDir, INDEX_FILE);
      const saved = (f: string) => fs.existsSync(f) && fs.statSync(f).mtimeMs > lastChange;
      while (!saved(tableImagePath(job.storeDir)) || !saved(indexFile)) await new Promise((r) => setTimeout(r, 50));
      o.idleSaveMs = Date.now() - lastChange - IDLE_MS;
    }
    void store;
    process.stdout.write(`${RESULT}${JSON.stringify(o)}\n`, () => process.exit(0));
    return;
  }
  const t = performance.now();
  await engine.close();
  o.closeMs = performance.now() - t;
  process.stdout.write(`${RESULT}${JSON.stringify(o)}\n`, () => process.exit(0));
}

/** Store open -> engine open -> wait for the complete index -> first search. Everything the product does. */
async function openTimed(storeDir: string, searchDir: string, tableImage: boolean, idleMs?: number): Promise<{ o: Opened; engine: ContextEngine; store: SqliteStore }> {
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const store = await openSqliteStore(storeDir, { purpose: 'bench' });
  const t1 = performance.now();
  const engine = await ContextEngine.open({ store, searchDir, tableImage, ...(idleMs !== undefined ? { searchMaintenance: { idleMs } } : {}) });
  const t2 = performance.now();
  await engine.whenSearchReady();
  const t3 = performance.now();
  const res = engine.search(QUERY);
  const t4 = performance.now();
  const r = store.openReport;
  const o: Opened = {
    storeMs: t1 - t0, snapshotMs: r.snapshotMs, replayMs: r.replayMs, replayed: r.replayedRecords,
    engineMs: t2 - t1, tableMs: engine.tableLoad.ms, tableSource: engine.tableLoad.source,
    searchMs: t2 - t1 - engine.tableLoad.ms + (t3 - t2), indexWaitMs: t3 - t2, firstQueryMs: t4 - t3, totalMs: t4 - t0,
    rssMb: Math.round(process.memoryUsage().rss / 1048576), hits: res.total,
    imageRefused: engine.tableLoad.imageRefused, tailRecords: engine.tableLoad.tailRecords, warnings: engine.tableLoad.warnings.map((w) => w.message),
    digest: tableDigest(engine.table), closeMs: 0,
  };
  return { o, engine, store };
}

/**
 * A checksum of the live rows, field by field, strings by value: equal for tables holding the same rows
 * whatever their history (a table with journal records applied over its image keeps dead rows' columns and
 * its own string codes, so tableDigest differs from a scan's).
 */
function rowsDigest(t: SegmentTable): string {
  const hashes = (values: string[]): Uint32Array => Uint32Array.from(values, (v) => crc32(Buffer.from(v)));
  const [task, file, tag] = [hashes(t.tasks.values), hashes(t.files.values), hashes(t.tagNames.values)];
  const sums: number[] = [];
  const buf = new Float64Array(1 << 20);
  let at = 0;
  const put = (x: number): void => {
    if (at === buf.length) {
      sums.push(crc32(new Uint8Array(buf.buffer)));
      at = 0;
    }
    buf[at++] = x;
  };
  for (let id = 1; id < t.end; id++) {
    if (t.alive[id] !== 1) continue;
    for (const x of [id, t.type[id], t.tier[id], t.flags[id], t.source[id], t.encoding[id], t.survivals[id], t.tokens[id], t.chars[id],
      t.task[id] < 0 ? -1 : task[t.task[id]], t.file[id] < 0 ? -1 : file[t.file[id]], t.lineStart[id], t.lineEnd[id], t.inDegree[id],
      t.hashHi[id], t.hashLo[id], t.created[id], t.touched[id]]) put(x);
    for (const c of t.tags[id] ?? []) put(tag[c]);
    put(-2);
    for (const r of t.refs[id] ?? []) put(r);
    put(-3);
  }
  sums.push(crc32(new Uint8Array(buf.buffer, 0, at * 8)));
  return `${t.count}:${crc32(new Uint8Array(Uint32Array.from(sums).buffer))}`;
}

/** A checksum per column of the table (to tell a table from the image and one from the scan apart). */
function tableDigest(t: SegmentTable): string {
  const cols = [t.alive, t.type, t.tier, t.flags, t.source, t.encoding, t.survivals, t.tokens, t.chars, t.task, t.file,
    t.lineStart, t.lineEnd, t.inDegree, t.hashHi, t.hashLo, t.created, t.touched];
  const parts = cols.map((a) => crc32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));
  const lists = (xs: (Int32Array | undefined)[]): number => {
    const flat: number[] = [];
    for (let id = 0; id < t.end; id++) flat.push(xs[id]?.length ?? 0, ...(xs[id] ?? []));
    return crc32(new Uint8Array(Int32Array.from(flat).buffer));
  };
  const strings = [t.tasks.values, t.files.values, t.tagNames.values].map((v) => crc32(Buffer.from(JSON.stringify(v))));
  return [...parts, lists(t.tags), lists(t.refs), ...strings, t.end, t.count, t.capacity].join(',');
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

function phases(o: Opened): string {
  return `store open ${fmt(o.storeMs)} (snapshot ${fmt(o.snapshotMs)}, replay ${fmt(o.replayMs)}${o.replayed ? ` of ${o.replayed} records` : ''}) + ` +
    `table ${fmt(o.tableMs)} (${o.tableSource}${o.tailRecords ? ` + ${o.tailRecords} journal records` : ''}) + search index ${fmt(o.searchMs)} + first query ${fmt(o.firstQueryMs)} ms; RSS ${o.rssMb} MB`;
}

export async function benchOpen(n: number, opts: OpenBenchOptions = {}): Promise<Row[]> {
  const child = process.env[CHILD_ENV];
  if (child) {
    await childMain(JSON.parse(child) as ChildJob);
    return new Promise<Row[]>(() => {}); // the child exits once its result is written
  }
  const log = opts.log ?? ((l: string) => console.log(`  [open] ${l}`));
  const reps = opts.reps ?? (n >= 1_000_000 ? 1 : 3);
  const root = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cgc-bench-open-'));
  const storeDir = path.join(root, 'store');
  const searchDir = path.join(root, 'search');
  const rows: Row[] = [];
  const row = (op: string, ms: number, note: string, baseline: number | '' = ''): Row => ({
    bench: 'open', n, op, p50: ms, p95: '', p99: '', baseline, ratio: typeof baseline === 'number' ? baseline / ms : '', note,
  });
  try {
    // ---- build: adds through the engine (index kept in step), some stashed / pinned / deleted, clean close
    const tb = performance.now();
    const engine = await ContextEngine.open({ store: await openSqliteStore(storeDir, { purpose: 'bench', snapshotThresholdBytes: 2 ** 45, snapshotThresholdRecords: 2 ** 45 }), searchDir, tokenCounter: roughCounter });
    const r = mulberry32(7);
    let batch: NewSegment[] = [];
    let id = 0;
    const flush = async (): Promise<void> => {
      const metas = await engine.addMany(batch);
      batch = [];
      const stash = metas.filter(() => r() < 0.7).map((m) => m.id);
      if (stash.length) await engine.stash(stash);
      const pin = metas.filter((m) => !stash.includes(m.id) && r() < 0.02).map((m) => m.id);
      if (pin.length) await engine.pin(pin);
    };
    for (const c of generateCorpus(n, { seed: 11 })) {
      batch.push(toNew(c, id - batch.length + 1));
      id++;
      if (batch.length === BATCH) await flush();
      if (id >= n) break;
    }
    if (batch.length) await flush();
    const gone: number[] = [];
    for (let k = 0; k < Math.max(1, Math.floor(n / 1000)); k++) {
      const x = 1 + Math.floor(r() * n);
      if (engine.has(x) && !engine.table.isPinned(x)) gone.push(x);
    }
    await engine.delete([...new Set(gone)], { confirm: true });
    const segments = engine.table.count;
    const tc = performance.now();
    await engine.close();
    const closeMs = performance.now() - tc;
    const imageBytes = fs.statSync(tableImagePath(storeDir)).size;
    log(`built ${segments} segments in ${((performance.now() - tb) / 1000).toFixed(0)} s; clean close ${fmt(closeMs)} ms; table image ${(imageBytes / 1048576).toFixed(1)} MB`);

    // ---- clean open with the image, and the baseline scan, alternating
    const withImage: Opened[] = [];
    const withScan: Opened[] = [];
    let imageDigest = '';
    let scanDigest = '';
    for (let k = 0; k < reps; k++) {
      const a = inChild({ storeDir, searchDir, tableImage: true });
      if (a.tableSource !== 'image') throw new Error(`the table image was not used: ${a.warnings.join('; ') || a.imageRefused}`);
      imageDigest = a.digest;
      log(`image open: ${fmt(a.totalMs)} ms = ${phases(a)}; close ${fmt(a.closeMs)} ms`);
      withImage.push(a);
      const b = inChild({ storeDir, searchDir, tableImage: false });
      scanDigest = b.digest;
      log(`scan open: ${fmt(b.totalMs)} ms = ${phases(b)}`);
      withScan.push(b);
    }
    const best = (xs: Opened[]): Opened => xs.find((o) => o.totalMs === median(xs.map((x) => x.totalMs)))!;
    const img = best(withImage);
    const scan = best(withScan);
    const same = imageDigest === scanDigest;
    rows.push(row('open-to-searchable (table image)', img.totalMs,
      `${segments} segments; ${phases(img)}; baseline = same open with the table scanned from SQLite: ${phases(scan)}; ` +
      `median of ${reps}; tables from image and scan ${same ? 'identical' : 'DIFFER'}`, scan.totalMs));
    rows.push(row('table load: image vs scan', img.tableMs,
      `image ${(imageBytes / 1048576).toFixed(1)} MB read + checked (CRC-32) + decoded; scan ${fmt(scan.tableMs)} ms = ${((scan.tableMs * 1000) / segments).toFixed(2)} µs/row`, scan.tableMs));
    rows.push(row('clean close (snapshot + index + table image)', closeMs, 'after the build; the table image is written on every clean close'));

    // ---- unclean stop: a child commits changes and exits without closing (no image, stale index, journal)
    const adds = Math.min(1000, Math.max(10, Math.floor(n / 100)));
    inChild({ storeDir, searchDir, tableImage: true, crashAfter: adds });
    const crashed = inChild({ storeDir, searchDir, tableImage: true, rowsDigest: true, noClose: true });
    log(`after unclean stop: ${fmt(crashed.totalMs)} ms = ${phases(crashed)}`);
    // The baseline and reference: the same store and journal (the open above exited without a change), the table scanned.
    const rescan = inChild({ storeDir, searchDir, tableImage: false, rowsDigest: true });
    log(`after unclean stop, table scanned: ${fmt(rescan.totalMs)} ms = ${phases(rescan)}; close ${fmt(rescan.closeMs)} ms`);
    const sameRows = crashed.rows === rescan.rows;
    if (!sameRows) log(`ROWS DIFFER after the unclean stop: ${crashed.rows} (image + journal) vs ${rescan.rows} (scan)`);
    rows.push(row('open-to-searchable after an unclean stop', crashed.totalMs,
      `${adds} adds + 1 stash committed after the last clean close, then exit without close before any idle save: journal replay + ` +
      `table ${crashed.tableSource}${crashed.imageRefused ? ` (image ${crashed.imageRefused})` : ''} + index behind the store, caught up ${fmt(crashed.indexWaitMs)} ms after open returned; ` +
      `${phases(crashed)}; rows ${sameRows ? 'identical to' : 'DIFFER from'} a scan; baseline = the same open with the table scanned: ${phases(rescan)}`, rescan.totalMs));

    // ---- unclean stop after the engine went idle: the idle saves (table image + index) are current
    const idler = inChild({ storeDir, searchDir, tableImage: true, crashAfter: adds, idleFirst: true });
    const afterIdle = inChild({ storeDir, searchDir, tableImage: true });
    log(`after unclean stop, idle saves first: ${fmt(afterIdle.totalMs)} ms = ${phases(afterIdle)}`);
    rows.push(row('open-to-searchable after an unclean stop, idle first', afterIdle.totalMs,
      `the same changes, then ${IDLE_MS / 1000} s idle (saves took ${fmt(idler.idleSaveMs ?? 0)} ms after the delay), then exit without close: ` +
      `table ${afterIdle.tableSource}${afterIdle.imageRefused ? ` (image ${afterIdle.imageRefused})` : ''}, index complete ${fmt(afterIdle.indexWaitMs)} ms after open returned; ${phases(afterIdle)}`));
    // ---- a short session closed cleanly: at 1M no close snapshot is due (a few thousand records), so the
    // close only saves the index and the table image and the next open replays the journal
    const session = inChild({ storeDir, searchDir, tableImage: true, crashAfter: Math.floor(adds / 2), cleanClose: true });
    const kept = listJournals(storeDir).reduce((sum, j) => sum + fs.statSync(j.file).size - HEADER_BYTES, 0);
    const afterSession = inChild({ storeDir, searchDir, tableImage: true });
    log(`clean close after ${Math.floor(adds / 2)} adds: ${fmt(session.closeMs)} ms; next open ${fmt(afterSession.totalMs)} ms = ${phases(afterSession)}`);
    rows.push(row(`clean close after a short session (${Math.floor(adds / 2)} adds + 1 stash)`, session.closeMs,
      `${kept > 0 ? `no snapshot due (the journal, ${(kept / 1024).toFixed(0)} KB, is kept for the next open): index + table image` : 'snapshot + index + table image (a snapshot is always due below 64 MiB)'}; ` +
      `the clean close after the build (a snapshot of everything) took ${fmt(closeMs)} ms`));
    rows.push(row('open-to-searchable after that close', afterSession.totalMs, phases(afterSession)));
    const mem = memory();
    rows.push(row('memory (RSS after open, fresh process)', img.rssMb, `image open RSS ${img.rssMb} MB, scan open ${scan.rssMb} MB; this bench process after building: heap ${mem.heapMb} MB, RSS ${mem.rssMb} MB`));
    return rows;
  } finally {
    if (!opts.dir) fs.rmSync(root, { recursive: true, force: true });
  }
}

if (isEntry('open')) {
  benchOpen(Number(process.argv[2] ?? 100_000)).then(
    (rows) => {
      for (const x of rows) console.log(`${x.op}: ${typeof x.p50 === 'number' ? x.p50.toFixed(1) : x.p50} ms (baseline ${x.baseline}) ${x.note}`);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
