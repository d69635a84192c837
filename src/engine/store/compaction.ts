// Background compaction: folds rotated journals into a new snapshot without touching the owner's
// database. A worker thread loads the last snapshot file into its own sql.js, replays the rotated
// journals (journal.<base> .. journal.<next-1>), exports, and writes the new snapshot (temp, fsync,
// rename). The owner then deletes the journals it consumed. The owner's thread only rotates a file and
// posts a message, so it never stalls on export() (~1.8 s at 1M segments).
//
// This module has both halves: `compactFiles` (the job itself, run inside the worker) and
// `startCompactionWorker` (the owner's side: finds the worker script and runs it).

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ContextGcError } from '../model';
import { scanJournal } from './journal';
import { SegmentRows } from './rows';
import { ensureSchema } from './schema';
import { exportImage, readSnapshot, SnapshotDamage, writeSnapshot } from './snapshot';
import { loadSqlJs } from './sqljs';

export interface CompactionJob {
  dir: string;
  wasmPath: string;
  /** The journal seq the current snapshot file starts at (a check that nobody else replaced it). */
  base: number;
  /** Journals to fold in, ascending. */
  journals: { seq: number; file: string }[];
  /** Journal seq the new snapshot starts at. */
  next: number;
}

export interface CompactionResult {
  records: number;
  loadMs: number;
  replayMs: number;
  exportMs: number;
  writeMs: number;
  bytes: number;
  totalMs: number;
}

/** Runs one compaction job in this thread (it holds a second copy of the database while it runs). */
export async function compactFiles(job: CompactionJob): Promise<CompactionResult> {
  const t0 = performance.now();
  const SQL = await loadSqlJs({ wasmPath: job.wasmPath });
  let snap;
  try {
    snap = readSnapshot(job.dir);
  } catch (err) {
    if (err instanceof SnapshotDamage) throw new ContextGcError('store_corrupt', `The snapshot in ${job.dir} is damaged: ${err.message}.`);
    throw err;
  }
  if (snap && snap.nextSeq !== job.base) {
    throw new ContextGcError('store_corrupt', `The snapshot in ${job.dir} starts at journal ${snap.nextSeq}, expected ${job.base}.`);
  }
  const db = new SQL.Database(snap?.storage);
  snap = undefined;
  const rows = new SegmentRows(db);
  try {
    ensureSchema(db, job.dir);
    const t1 = performance.now();
    let records = 0;
    for (const j of job.journals) {
      const scan = scanJournal(j.file, j.seq, (op) => rows.apply(op));
      if (scan.problem) throw new ContextGcError('store_corrupt', `Journal ${j.file} is damaged at byte ${scan.problem.offset}: ${scan.problem.detail}.`);
      records += scan.records;
    }
    const t2 = performance.now();
    rows.releaseStatements();
    const image = exportImage(db);
    const t3 = performance.now();
    const written = writeSnapshot(job.dir, image, job.next);
    return {
      records,
      loadMs: t1 - t0,
      replayMs: t2 - t1,
      exportMs: t3 - t2,
      writeMs: written.writeMs,
      bytes: written.bytes,
      totalMs: performance.now() - t0,
    };
  } finally {
    rows.releaseStatements();
    db.close();
  }
}

export type WorkerReply = { ok: true; result: CompactionResult } | { ok: false; reason: string; message: string };

/**
 * Where the worker script is. Bundled: `storeCompactor.js` beside the bundle (esbuild.mjs builds it).
 * From source (tsx): `compactor.ts` beside this file, started through tsx's require hook, because
 * `--import tsx` does not reach worker threads.
 */
export function defaultCompactorScript(): string {
  const fromSource = __filename.endsWith('.ts');
  return fromSource ? path.join(__dirname, 'compactor.ts') : path.join(__dirname, 'storeCompactor.js');
}

export interface RunningCompaction {
  done: Promise<CompactionResult>;
  terminate(): Promise<void>;
}

export function startCompactionWorker(job: CompactionJob, script: string): RunningCompaction {
  if (!existsSync(script)) throw new ContextGcError('io_error', `The compaction worker ${script} is missing.`);
  let worker: Worker;
  if (script.endsWith('.ts')) {
    const tsx = require.resolve(['tsx', 'cjs'].join('/'));
    worker = new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(script)});`, { eval: true, workerData: job });
  } else {
    worker = new Worker(script, { workerData: job });
  }
  let settled = false;
  const done = new Promise<CompactionResult>((resolve, reject) => {
    worker.once('message', (m: WorkerReply) => {
      settled = true;
      if (m.ok) resolve(m.result);
      else reject(new ContextGcError(m.reason as ContextGcError['reason'], m.message));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new ContextGcError('io_error', `The compaction worker stopped (exit code ${code}) before it finished.`));
    });
  });
  done.then(() => worker.terminate(), () => worker.terminate()).catch(() => {});
  return {
    done,
    terminate: async () => {
      await worker.terminate();
    },
  };
}
