// The durable per-workspace store: a SegmentStore over one sql.js database per project directory,
// made durable by an append-only journal instead of by rewriting the database.
//
// On disk (the directory the caller gives):
//   snapshot.db        the database as of journal <base> (SQLite image + checksummed trailer; snapshot.ts)
//   journal.<seq>      every change since, one record per store call (journal.ts); rotated at a size
//                      threshold and folded into a new snapshot by a worker thread (compaction.ts)
//   store.lock         the single writer's lock (lock.ts)
//
// Open = load snapshot + replay journals. A torn last record is dropped (and the file truncated) with a
// warning; a damaged snapshot is moved aside and the store rebuilt from the journals. Warnings come back
// in `openReport`, never on the console. `commit()` resolves once the journal is fdatasync'd (group
// commit), so a change is durable in about a millisecond whatever the size of the store; a process
// killed at any point loses no acknowledged change.
//
// Behaves exactly like MemoryStore (store/memory.ts), the reference; the engine does all validation.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Segment, SegmentMeta } from '../model';
import { ContextGcError } from '../model';
import { defaultCompactorScript, startCompactionWorker, type CompactionJob, type RunningCompaction } from './compaction';
import { HEADER_BYTES, JournalWriter, encodeOps, fsyncDir, fsyncDirAsync, journalHeader, journalName, listJournals, scanJournal, type JournalOp, type JournalScan } from './journal';
import { StoreLock } from './lock';
import { SegmentRows } from './rows';
import { ensureSchema, SCHEMA_VERSION } from './schema';
import { exportImage, moveAside, readSnapshot, removeTempSnapshots, snapshotPath, SnapshotDamage, writeSnapshot, type LoadedSnapshot } from './snapshot';
import { loadSqlJs, resolveWasmPath, type Database, type SqlJsStatic, type WasmOptions } from './sqljs';
import type { CloseOptions, JournalPosition, JournalTail, SegmentPatch, SegmentStore } from './types';

export const DEFAULT_SNAPSHOT_THRESHOLD = 64 << 20;
/**
 * Journal records after which a snapshot is taken in the background even below the byte threshold:
 * replaying a record costs ~0.25 ms at 1M segments (a savepoint and the rows' index updates), so this
 * bounds the replay after a crash to ~2.5 s there.
 */
export const DEFAULT_SNAPSHOT_RECORDS = 10_000;
/** When a clean close writes a snapshot: see SqliteStoreOptions.closeSnapshot. */
export const DEFAULT_CLOSE_SNAPSHOT = { records: 2_000, fraction: 1 / 16, smallBytes: 64 << 20 };

export interface SqliteStoreOptions extends WasmOptions {
  /** Who holds the store, written in the lock and shown to a second writer: "VS Code window", "cli", "mcp". */
  purpose?: string;
  /** Wait up to this many ms for another writer to release the store (default 0: fail at once). */
  lockWaitMs?: number;
  /** Rotate the journal and compact it into a new snapshot past this many bytes (default 64 MiB). */
  snapshotThresholdBytes?: number;
  /** ... or once the journals hold this many records (default DEFAULT_SNAPSHOT_RECORDS). */
  snapshotThresholdRecords?: number;
  /** Write a snapshot on close when one is due (default true; false: never). */
  snapshotOnClose?: boolean;
  /**
   * When a close's snapshot is due: the journals hold changes and either the database is under
   * `smallBytes` (a snapshot is cheap), or they hold `records` records or `fraction` of the database's
   * size. Below that the next open replays them instead: at 1M segments a snapshot costs the close ~4 s,
   * replaying 2,000 records costs the open ~0.5 s. Default DEFAULT_CLOSE_SNAPSHOT.
   */
  closeSnapshot?: Partial<typeof DEFAULT_CLOSE_SNAPSHOT>;
  /** Compact in a worker thread (default true); false runs export() on the owner's thread. */
  backgroundSnapshots?: boolean;
  /** Path of the compaction worker script (default: found beside this module). */
  compactorScript?: string;
  /** Clock for lock times and corrupt-file names. */
  now?: () => number;
}

export interface OpenReport {
  dir: string;
  readOnly: boolean;
  /** Problems found and handled while opening (reasons: store_corrupt, io_error). Empty when all was well. */
  warnings: ContextGcError[];
  snapshotLoaded: boolean;
  snapshotBytes: number;
  /** Reading, verifying and loading the snapshot into sql.js. */
  snapshotMs: number;
  /** Schema version found (0: new store) and now in use. */
  schemaFrom: number;
  schemaVersion: number;
  journalFiles: number;
  replayedRecords: number;
  /** Replayed changes that referred to segments that no longer exist (only after a lost snapshot). */
  replaySkipped: number;
  replayMs: number;
  /** Bytes cut off the end of journals (torn or damaged records). */
  droppedBytes: number;
  /** Time spent waiting for the lock. */
  lockMs: number;
  totalMs: number;
  segments: number;
}

export interface SnapshotInfo {
  /** background: a worker compacted rotated journals; owner: export() on the owner's thread (close, fallback). */
  mode: 'background' | 'owner';
  bytes: number;
  totalMs: number;
  exportMs: number;
  writeMs: number;
  /** Time the owner's thread was busy for this snapshot (rotation + cleanup, or the whole export). */
  ownerMs: number;
  /** Journal records folded in (background mode). */
  records?: number;
  at: number;
}

export interface StoreStats {
  segments: number;
  /** Size of the database in sql.js memory. */
  databaseBytes: number;
  snapshotBytes: number;
  journalBytes: number;
  journalFiles: number;
  /** Changes appended but not yet written. */
  queuedBytes: number;
  /** fdatasync calls made on journals since open. */
  syncs: number;
  snapshots: number;
  snapshotRunning: boolean;
  lastSnapshot?: SnapshotInfo;
  lastSnapshotError?: string;
}

const READ_ONLY_RETRIES = 3;
/** Wait after a failed background snapshot before the journal size triggers another. */
const RETRY_MS = 30_000;

export async function openSqliteStore(dir: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const t0 = performance.now();
  fs.mkdirSync(dir, { recursive: true });
  const SQL = await loadSqlJs(opts);
  const lock = await StoreLock.acquire(dir, { purpose: opts.purpose, waitMs: opts.lockWaitMs, now: opts.now });
  const lockMs = performance.now() - t0;
  let loaded: LoadedState | undefined;
  try {
    removeTempSnapshots(dir);
    loaded = loadState(SQL, dir, false, opts.now ?? Date.now);
    loaded.report.lockMs = lockMs;
    const store = new SqliteStore(dir, loaded, opts, lock);
    await store.finishOpen(loaded);
    loaded.report.totalMs = performance.now() - t0;
    return store;
  } catch (err) {
    if (loaded) {
      loaded.rows.releaseStatements();
      loaded.db.close();
    }
    lock.release();
    throw err;
  }
}

/**
 * Opens a store for reading only: no lock, nothing written (not even a torn journal's truncation), so it
 * is safe beside a running writer. For cross-project search and inspection; changes throw.
 */
export async function openSqliteStoreReadOnly(dir: string, opts: WasmOptions = {}): Promise<SqliteStore> {
  const t0 = performance.now();
  if (!fs.existsSync(dir)) throw new ContextGcError('not_found', `There is no store at ${dir}.`);
  const SQL = await loadSqlJs(opts);
  for (let attempt = 1; ; attempt++) {
    try {
      const loaded = loadState(SQL, dir, true, Date.now, attempt >= READ_ONLY_RETRIES);
      loaded.report.totalMs = performance.now() - t0;
      return new SqliteStore(dir, loaded, opts, undefined);
    } catch (err) {
      // A writer compacting meanwhile can delete a journal between listing and reading it: read again.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= READ_ONLY_RETRIES) throw err;
    }
  }
}

interface LoadedState {
  db: Database;
  rows: SegmentRows;
  report: OpenReport;
  /** First journal seq not inside the snapshot. */
  base: number;
  /** The last journal, to keep appending to (writable opens). */
  last?: { seq: number; file: string; size: number };
  /** Write a snapshot right after open (schema migrated, or the snapshot was lost). */
  snapshotNow: boolean;
  /**
   * Something was lost or cut while opening (a damaged snapshot, missing or damaged journals, changes to
   * missing rows): the store is not the sum of its journals, so caches saved against them are not used.
   */
  repaired: boolean;
}

function loadState(SQL: SqlJsStatic, dir: string, readOnly: boolean, now: () => number, lastAttempt = true): LoadedState {
  const report: OpenReport = {
    dir, readOnly, warnings: [], snapshotLoaded: false, snapshotBytes: 0, snapshotMs: 0, schemaFrom: 0,
    schemaVersion: SCHEMA_VERSION, journalFiles: 0, replayedRecords: 0, replaySkipped: 0, replayMs: 0,
    droppedBytes: 0, lockMs: 0, totalMs: 0, segments: 0,
  };
  const t0 = performance.now();
  let snapshotLost = false;
  let snap: LoadedSnapshot | undefined;
  const damaged = (why: string): void => {
    snapshotLost = true;
    const file = snapshotPath(dir);
    if (readOnly) {
      report.warnings.push(new ContextGcError('store_corrupt', `The snapshot ${file} is damaged (${why}). ` +
        'Showing what its journals hold; open the store for writing to move the damaged file aside.', { file }));
    } else {
      const aside = moveAside(file, now());
      report.warnings.push(new ContextGcError('store_corrupt', `The snapshot ${file} is damaged (${why}). ` +
        `It was moved to ${aside} and the store was rebuilt from its journals; changes older than the journals are missing. ` +
        'Restore a backup of the snapshot to get them back.', { file, aside }));
    }
  };
  try {
    snap = readSnapshot(dir);
  } catch (err) {
    if (!(err instanceof SnapshotDamage)) throw err;
    damaged(err.message);
  }
  let db: Database | undefined;
  let migrated = false;
  try {
    db = new SQL.Database(snap?.storage);
    const m = ensureSchema(db, dir);
    report.schemaFrom = m.from;
    migrated = m.changed && m.from > 0;
  } catch (err) {
    db?.close();
    if (!snap || ContextGcError.is(err, 'schema_too_new')) throw err;
    damaged(`SQLite cannot read it: ${err instanceof Error ? err.message : String(err)}`);
    snap = undefined;
    db = new SQL.Database();
    ensureSchema(db, dir);
  }
  report.snapshotLoaded = !!snap;
  report.snapshotBytes = snap?.bytes ?? 0;
  report.snapshotMs = performance.now() - t0;

  const rows = new SegmentRows(db);
  try {
    return replayJournals(dir, db, rows, snap?.nextSeq, snapshotLost, migrated, readOnly, lastAttempt, now, report);
  } catch (err) {
    rows.releaseStatements();
    db.close();
    throw err;
  }
}

function replayJournals(
  dir: string, db: Database, rows: SegmentRows, snapSeq: number | undefined, snapshotLost: boolean, migrated: boolean,
  readOnly: boolean, lastAttempt: boolean, now: () => number, report: OpenReport,
): LoadedState {
  const t1 = performance.now();
  const journals = listJournals(dir);
  const base = snapSeq ?? journals[0]?.seq ?? 1;
  const live = journals.filter((j) => j.seq >= base);
  if (!readOnly) {
    for (const j of journals) if (j.seq < base) fs.rmSync(j.file, { force: true });
  }
  let last: LoadedState['last'];
  let repaired = snapshotLost;
  for (let i = 0; i < live.length; i++) {
    const j = live[i]!;
    // Without a snapshot the journals start at 1 (the store's first), unless the open just set a damaged
    // snapshot aside and rebuilds from what journals there are.
    const expected = i === 0 ? (snapSeq ?? (snapshotLost ? j.seq : 1)) : live[i - 1]!.seq + 1;
    if (j.seq !== expected) {
      // Read-only beside a writer: it may have compacted between our reading the snapshot (or finding
      // none) and listing the journals. Read again; a gap that stays is a real loss.
      if (readOnly && !lastAttempt) throw Object.assign(new Error(`journal ${expected} vanished while reading`), { code: 'ENOENT' });
      report.warnings.push(new ContextGcError('store_corrupt', i === 0 && snapSeq === undefined
        ? `The snapshot of the store at ${dir} is missing and its journals start at ${j.seq}: the changes before them are lost.`
        : `Journal files ${expected} to ${j.seq - 1} of the store at ${dir} are missing; the changes they held are lost.`, { dir }));
      repaired = true;
    }
    const scan = scanJournal(j.file, j.seq, (op: JournalOp) => {
      report.replaySkipped += rows.apply(op);
    });
    report.replayedRecords += scan.records;
    if (scan.problem) {
      handleDamage(dir, j.file, scan, i === live.length - 1, readOnly, now, report);
      if (scan.problem.kind !== 'torn' || i !== live.length - 1) repaired = true;
    }
    last = { seq: j.seq, file: j.file, size: Math.max(scan.goodBytes, HEADER_BYTES) };
  }
  report.journalFiles = live.length;
  report.replayMs = performance.now() - t1;
  if (report.replaySkipped > 0) {
    report.warnings.push(new ContextGcError('store_corrupt', `${report.replaySkipped} journaled changes of the store at ${dir} refer to segments ` +
      'that are not in it (they were in a lost snapshot) and were skipped.', { dir }));
  }
  report.segments = rows.count();
  if (report.replaySkipped > 0) repaired = true;
  return { db, rows, report, base, last, snapshotNow: !readOnly && (migrated || snapshotLost), repaired };
}

/** A journal stopped before its end: report it and (writable) cut it back to its last good record. */
function handleDamage(dir: string, file: string, scan: JournalScan, isLast: boolean, readOnly: boolean, now: () => number, report: OpenReport): void {
  const problem = scan.problem!;
  const dropped = scan.size - scan.goodBytes;
  report.droppedBytes += dropped;
  const torn = problem.kind === 'torn' && isLast;
  if (readOnly) {
    report.warnings.push(new ContextGcError(torn ? 'io_error' : 'store_corrupt', `Journal ${file} ends with ${torn ? 'an incomplete' : 'a damaged'} record at byte ` +
      `${problem.offset} (${problem.detail}); its last ${dropped} bytes were ignored.`, { file, offset: problem.offset }));
    return;
  }
  let aside: string | undefined;
  if (!torn) {
    // More than an interrupted append: keep a copy of the whole file before cutting it.
    const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
    aside = `${file}.corrupt-${stamp}`;
    fs.copyFileSync(file, aside);
  }
  const fd = fs.openSync(file, 'r+');
  try {
    if (scan.goodBytes < HEADER_BYTES) {
      fs.ftruncateSync(fd, 0);
      fs.writeSync(fd, journalHeader(scan.seq), 0, HEADER_BYTES, 0);
    } else {
      fs.ftruncateSync(fd, scan.goodBytes);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (torn) {
    report.warnings.push(new ContextGcError('io_error', `Journal ${file} ended with an incomplete record at byte ${problem.offset} ` +
      `(${problem.detail}), left by a crash during a write that was never acknowledged; it was dropped and the journal truncated.`,
    { file, offset: problem.offset }));
  } else {
    report.warnings.push(new ContextGcError('store_corrupt', `Journal ${file} is damaged at byte ${problem.offset} (${problem.detail}); ` +
      `the ${dropped} bytes from there on were dropped (a copy of the whole file is at ${aside}).`, { file, aside, offset: problem.offset }));
  }
  fsyncDir(dir);
}

export class SqliteStore implements SegmentStore {
  readonly openReport: OpenReport;
  readonly readOnly: boolean;
  private readonly db: Database;
  private readonly rows: SegmentRows;
  private writer: JournalWriter | undefined;
  private base: number;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly threshold: number;
  private readonly recordThreshold: number;
  /** Records in the journals at open, and those folded into snapshots since: see journaledRecords(). */
  private readonly recordsAtOpen: number;
  private foldedRecords = 0;
  private compaction: { run?: RunningCompaction; done: Promise<void> } | undefined;
  private snapshots = 0;
  private lastSnapshot: SnapshotInfo | undefined;
  private lastSnapshotError: string | undefined;
  /** After a failed background snapshot, the next automatic one waits until then (epoch ms). */
  private retryAfter = 0;
  private readonly wasmPath: string;
  private readonly replayEnd: JournalPosition | undefined;
  /** The first journal not inside the snapshot the open loaded, and whether the open had to repair. */
  private readonly openBase: number;
  private readonly repaired: boolean;

  /** @internal use openSqliteStore / openSqliteStoreReadOnly */
  constructor(
    readonly dir: string,
    loaded: LoadedState,
    private readonly opts: SqliteStoreOptions,
    private readonly lock: StoreLock | undefined,
  ) {
    this.db = loaded.db;
    this.rows = loaded.rows;
    this.openReport = loaded.report;
    this.readOnly = !lock;
    this.base = loaded.base;
    this.replayEnd = loaded.last ? { seq: loaded.last.seq, bytes: loaded.last.size } : undefined;
    this.openBase = loaded.base;
    this.repaired = loaded.repaired;
    this.threshold = opts.snapshotThresholdBytes ?? DEFAULT_SNAPSHOT_THRESHOLD;
    this.recordThreshold = opts.snapshotThresholdRecords ?? DEFAULT_SNAPSHOT_RECORDS;
    this.recordsAtOpen = loaded.report.replayedRecords;
    this.wasmPath = resolveWasmPath(opts);
  }

  /** Where the open's replay left the journal (see SegmentStore.journalEndAtOpen). */
  get journalEndAtOpen(): JournalPosition | undefined {
    return this.replayEnd;
  }

  /** Where the journal ends now, when everything is durable and nothing is being written or rotated. */
  journalPosition(): JournalPosition | undefined {
    const w = this.writer;
    if (!w || this.closed || this.closing || !w.settled) return undefined;
    return { seq: w.seq, bytes: w.size };
  }

  /**
   * Hands `visit` the journal records written after `from` up to where the open's replay ended, in order:
   * what a cache of the store saved at `from` (the engine's table image) lacks. Not ok, with why, when
   * those records are not all there: folded into a snapshot since, or the open repaired damage (`quiet`:
   * a normal reason to rebuild the cache), or `from` is not a record boundary of the journal (not quiet).
   * Call before writing: it reads the journal files again (~ms per thousand records).
   */
  journalSince(from: JournalPosition, visit: (op: JournalOp) => void): JournalTail {
    this.checkOpen();
    const end = this.replayEnd;
    if (this.repaired) return { ok: false, quiet: true, why: 'the store was repaired when it opened' };
    if (!end || from.seq < this.openBase) return { ok: false, quiet: true, why: `journal ${from.seq} was folded into a snapshot since` };
    if (from.seq > end.seq || (from.seq === end.seq && from.bytes > end.bytes)) {
      return { ok: false, quiet: false, why: `the store's journal ends before that, at ${end.seq}:${end.bytes}` };
    }
    let records = 0;
    for (let seq = from.seq; seq <= end.seq; seq++) {
      const file = path.join(this.dir, journalName(seq));
      let scan: JournalScan;
      try {
        scan = scanJournal(file, seq, visit, { from: seq === from.seq ? from.bytes : HEADER_BYTES, to: seq === end.seq ? end.bytes : undefined });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, quiet: true, why: `journal ${seq} was folded into a snapshot since` };
        throw err;
      }
      if (scan.misaligned || scan.goodBytes < (seq === from.seq ? from.bytes : HEADER_BYTES)) {
        return { ok: false, quiet: false, why: `no record of journal ${seq} starts at byte ${from.bytes}` };
      }
      if (scan.problem) return { ok: false, quiet: false, why: `journal ${seq} cannot be read at byte ${scan.problem.offset} (${scan.problem.detail})` };
      records += scan.records;
    }
    return { ok: true, records };
  }

  /** @internal second half of a writable open: the active journal, and a snapshot if one is due. */
  async finishOpen(loaded: LoadedState): Promise<void> {
    const active = loaded.last ?? { seq: loaded.base, ...JournalWriter.create(this.dir, loaded.base) };
    this.writer = new JournalWriter(active.file, active.seq, active.size, (w) => this.afterSync(w));
    if (loaded.snapshotNow) this.ownerSnapshot();
    else if (this.snapshotDue(this.writer)) void this.rotateAndCompact();
  }

  // ---- SegmentStore --------------------------------------------------------------------------------

  scanMeta(visit: (meta: SegmentMeta) => void): void {
    this.checkOpen();
    this.rows.scanMeta(visit);
  }
  getText(id: number): string | undefined {
    this.checkOpen();
    return this.rows.getText(id);
  }
  getTexts(ids: readonly number[]): Map<number, string> {
    this.checkOpen();
    return this.rows.getTexts(ids);
  }
  getTitles(ids: readonly number[]): Map<number, string> {
    this.checkOpen();
    return this.rows.getTitles(ids);
  }
  // Writes: frame the journal records first (so a change that cannot be journaled is not applied),
  // apply to the database, then queue exactly what was applied.
  insert(segments: readonly Segment[]): void {
    const w = this.checkWritable();
    const records = encodeOps({ op: 'insert', segments: segments as Segment[] });
    const r = this.rows.insert(segments);
    if (r.applied === segments.length) w.appendEncoded(records);
    else if (r.applied) w.appendEncoded(encodeOps({ op: 'insert', segments: segments.slice(0, r.applied) }));
    if (r.error) throw r.error;
  }
  update(patches: readonly SegmentPatch[]): void {
    const w = this.checkWritable();
    const records = encodeOps({ op: 'update', patches: patches as SegmentPatch[] });
    const r = this.rows.update(patches);
    if (r.applied === patches.length) w.appendEncoded(records);
    else if (r.applied) w.appendEncoded(encodeOps({ op: 'update', patches: patches.slice(0, r.applied) }));
    if (r.error) throw r.error;
  }
  delete(ids: readonly number[]): void {
    const w = this.checkWritable();
    if (ids.length === 0) return;
    const records = encodeOps({ op: 'delete', ids: ids as number[] });
    this.rows.delete(ids);
    w.appendEncoded(records);
  }
  getKv(key: string): string | undefined {
    this.checkOpen();
    return this.rows.getKv(key);
  }
  setKv(key: string, value: string): void {
    const w = this.checkWritable();
    const records = encodeOps({ op: 'kv', key, value });
    this.rows.setKv(key, value);
    w.appendEncoded(records);
  }
  async commit(): Promise<void> {
    this.checkOpen();
    if (this.writer) await this.writer.commit();
  }

  /**
   * Makes everything durable, writes a snapshot when one is due (`closeSnapshot`; never when `snapshot`
   * is false, or snapshotOnClose was), calls `beforeUnlock` with where the journal ends then (when all of
   * that succeeded), and releases the lock.
   */
  close(options: { snapshot?: boolean } & CloseOptions = {}): Promise<void> {
    if (!this.closing) this.closing = this.doClose(options.snapshot ?? this.opts.snapshotOnClose !== false, options.beforeUnlock);
    return this.closing;
  }

  // ---- beyond SegmentStore -------------------------------------------------------------------------

  /**
   * Folds the journals into a new snapshot now; resolves when it is on disk. Runs in the background
   * (worker thread) unless backgroundSnapshots is false. Changes may go on meanwhile.
   */
  async snapshot(): Promise<void> {
    const w = this.checkWritable();
    while (this.compaction) await this.compaction.done;
    if (!this.hasJournaledChanges()) return;
    if (this.opts.backgroundSnapshots === false) {
      await this.ownerSnapshotWhenIdle(w);
      return;
    }
    await this.rotateAndCompact();
    if (this.lastSnapshotError) throw new ContextGcError('io_error', `Snapshot failed: ${this.lastSnapshotError}`);
  }

  stats(): StoreStats {
    this.checkOpen();
    const journals = this.journalFiles();
    return {
      segments: this.rows.count(),
      databaseBytes: this.rows.byteSize(),
      snapshotBytes: fileSize(snapshotPath(this.dir)),
      journalBytes: journals.bytes,
      journalFiles: journals.files,
      queuedBytes: this.writer?.queuedBytes ?? 0,
      syncs: this.writer?.syncs ?? 0,
      snapshots: this.snapshots,
      snapshotRunning: !!this.compaction,
      lastSnapshot: this.lastSnapshot,
      lastSnapshotError: this.lastSnapshotError,
    };
  }

  /** Consistency problems of the database (empty when consistent). Reads every page: seconds at 1M. */
  verify(): string[] {
    this.checkOpen();
    return this.rows.verify();
  }

  // ---- internals -----------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new ContextGcError('store_closed', 'The store is closed.');
  }

  private checkWritable(): JournalWriter {
    this.checkOpen();
    if (this.closing) throw new ContextGcError('store_closed', 'The store is closed.');
    if (!this.writer) {
      throw new ContextGcError('invalid_argument', `The store at ${this.dir} is open read-only: it cannot be changed. ` +
        'Open it with openSqliteStore to write (one writer at a time).');
    }
    return this.writer;
  }

  /** Any journal (from base on) with records in it. */
  private hasJournaledChanges(): boolean {
    return listJournals(this.dir).some((j) => j.seq >= this.base && fileSize(j.file) > HEADER_BYTES);
  }

  /** Waits until no write is in flight, then flushes the queue and snapshots in the same turn. */
  private async ownerSnapshotWhenIdle(w: JournalWriter): Promise<void> {
    while (!w.quiet) await w.drain();
    w.flushSync();
    this.ownerSnapshot();
  }

  /** Called by the writer after each durable batch: rotate and compact past the thresholds. */
  private afterSync(w: JournalWriter): void {
    if (this.snapshotDue(w) && !this.compaction && !this.closing && Date.now() >= this.retryAfter) void this.rotateAndCompact();
  }

  private snapshotDue(w: JournalWriter): boolean {
    return w.size >= this.threshold || this.journaledRecords() >= this.recordThreshold;
  }

  /** Records in the journals not yet folded into a snapshot (those being folded right now included). */
  private journaledRecords(): number {
    return this.recordsAtOpen + (this.writer?.appendedRecords ?? 0) - this.foldedRecords;
  }

  /** Whether a clean close should write a snapshot (see SqliteStoreOptions.closeSnapshot). */
  private closeSnapshotDue(): boolean {
    if (!this.hasJournaledChanges()) return false;
    const when = { ...DEFAULT_CLOSE_SNAPSHOT, ...this.opts.closeSnapshot };
    const dbBytes = this.rows.byteSize();
    if (dbBytes < when.smallBytes || this.journaledRecords() >= when.records) return true;
    return this.journalFiles().bytes >= when.fraction * dbBytes;
  }

  /** The journals not folded into the snapshot yet: how many, and their bytes on disk. */
  private journalFiles(): { files: number; bytes: number } {
    const out = { files: 0, bytes: 0 };
    for (const j of listJournals(this.dir)) {
      if (j.seq < this.base) continue;
      out.files++;
      out.bytes += fileSize(j.file);
    }
    return out;
  }

  /**
   * Starts a new journal and folds the finished ones into a new snapshot in a worker. The owner's
   * thread only switches files (async I/O) and starts the worker; export() runs in the worker.
   */
  private rotateAndCompact(): Promise<void> {
    const w = this.writer!;
    if (this.opts.backgroundSnapshots === false) {
      this.compaction = { done: this.ownerSnapshotWhenIdle(w).finally(() => (this.compaction = undefined)) };
      return this.compaction.done;
    }
    const slot: { run?: RunningCompaction; done: Promise<void> } = { done: Promise.resolve() };
    this.compaction = slot;
    slot.done = this.compactInBackground(w, slot)
      .catch((err: unknown) => {
        if (this.closing) return;
        this.lastSnapshotError = err instanceof Error ? err.message : String(err);
        this.retryAfter = Date.now() + RETRY_MS;
      })
      .finally(() => (this.compaction = undefined));
    return slot.done;
  }

  private async compactInBackground(w: JournalWriter, slot: { run?: RunningCompaction }): Promise<void> {
    const t0 = performance.now();
    const next = await w.rotate((seq) => JournalWriter.createAsync(this.dir, seq));
    if (this.closing) return;
    const s0 = performance.now();
    const job: CompactionJob = {
      dir: this.dir,
      wasmPath: this.wasmPath,
      base: this.base,
      journals: listJournals(this.dir).filter((j) => j.seq >= this.base && j.seq < next),
      next,
    };
    try {
      slot.run = startCompactionWorker(job, this.opts.compactorScript ?? defaultCompactorScript());
    } catch (err) {
      this.lastSnapshotError = `${err instanceof Error ? err.message : String(err)} Snapshots run on the owner's thread instead.`;
      await this.ownerSnapshotWhenIdle(w);
      return;
    }
    let ownerMs = performance.now() - s0;
    const r = await slot.run.done;
    const s1 = performance.now();
    // The new snapshot is durable (renamed, directory fsync'd): the journals it holds can go.
    this.base = next;
    this.foldedRecords += r.records;
    this.snapshots++;
    this.lastSnapshotError = undefined;
    ownerMs += performance.now() - s1;
    await Promise.all(job.journals.map((j) => fs.promises.rm(j.file, { force: true })));
    await fsyncDirAsync(this.dir);
    this.lastSnapshot = {
      mode: 'background', bytes: r.bytes, totalMs: performance.now() - t0, exportMs: r.exportMs, writeMs: r.writeMs,
      ownerMs, records: r.records, at: Date.now(),
    };
  }

  /**
   * Snapshot on this thread: export() blocks it (~1.8 s at 1M segments). Used on close, after a
   * migration or a lost snapshot, and when no worker can run. Only call with the writer idle, so the
   * image holds exactly the journals below the new one.
   */
  private ownerSnapshot(): void {
    const w = this.writer!;
    if (!w.idle) throw new Error('ownerSnapshot with writes in flight');
    const t0 = performance.now();
    const next = w.seq + 1;
    const created = JournalWriter.create(this.dir, next);
    w.rotateSync(created.file, next, created.size);
    this.rows.releaseStatements();
    const image = exportImage(this.db);
    const t1 = performance.now();
    const written = writeSnapshot(this.dir, image, next, false);
    for (const j of listJournals(this.dir)) if (j.seq < next) fs.rmSync(j.file, { force: true });
    fsyncDir(this.dir);
    this.base = next;
    this.foldedRecords = this.recordsAtOpen + w.appendedRecords;
    this.snapshots++;
    const totalMs = performance.now() - t0;
    this.lastSnapshot = { mode: 'owner', bytes: written.bytes, totalMs, exportMs: t1 - t0, writeMs: written.writeMs, ownerMs: totalMs, at: Date.now() };
  }

  private async doClose(snapshot: boolean, beforeUnlock: CloseOptions['beforeUnlock']): Promise<void> {
    if (this.closed) return;
    try {
      const w = this.writer;
      if (w) {
        let failure: unknown;
        await w.drain().catch((err: unknown) => (failure = err));
        if (this.compaction) {
          await this.compaction.run?.terminate();
          await this.compaction.done.catch(() => {});
        }
        if (!failure && snapshot && this.closeSnapshotDue()) {
          await this.ownerSnapshotWhenIdle(w).catch((err: unknown) => (failure = err));
        }
        const end = { seq: w.seq, bytes: w.size };
        await w.close();
        if (failure) throw failure;
        beforeUnlock?.(end);
      }
    } finally {
      this.closed = true;
      this.rows.releaseStatements();
      this.db.close();
      this.lock?.release();
    }
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
