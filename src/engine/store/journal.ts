// The append-only journal that makes each change durable without rewriting the database.
//
// A journal file is `journal.<seq>` (seq: 1, 2, ... zero-padded) in the store directory:
//   header   16 bytes: "CGC-JRNL", u32 format version, u32 seq
//   records  u32 payload length, u32 CRC-32 of the payload, payload (UTF-8 JSON of one JournalOp)
// All integers little-endian. One store call (insert, update, delete, setKv) is one record, so replay
// applies a call entirely or not at all.
//
// Group commit: changes are framed and queued in memory; `commit()` resolves once everything queued
// before the call is written and fdatasync'd. One flush loop runs at a time; calls that arrive while a
// flush is in progress share the next one, so many changes and many commit() calls cost one fsync.
//
// Reading tolerates a torn tail (a crash mid-append): the scan stops at the first record that is short
// or fails its checksum and says where the good part ends, so the owner can truncate there.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Segment } from '../model';
import { ContextGcError } from '../model';
import type { SegmentPatch } from './types';

export type JournalOp =
  | { op: 'insert'; segments: Segment[] }
  | { op: 'update'; patches: SegmentPatch[] }
  | { op: 'delete'; ids: number[] }
  | { op: 'kv'; key: string; value: string };

export const JOURNAL_MAGIC = 'CGC-JRNL';
export const JOURNAL_FORMAT = 1;
export const HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 8;
/** A length field above this is taken as damage, not as a record. */
export const MAX_RECORD_BYTES = 1 << 30;

// ---- CRC-32 (IEEE) ---------------------------------------------------------------------------------

let crcTable: Int32Array | undefined;
function crc32Js(buf: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < buf.length; i++) crc = crcTable[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

type Crc = (buf: Uint8Array) => number;
const nativeCrc = (zlib as unknown as { crc32?: Crc }).crc32;
/** CRC-32 as zlib computes it (native when Node has zlib.crc32, else a table in JS). */
export const crc32: Crc = nativeCrc ? (buf) => nativeCrc(buf) >>> 0 : crc32Js;

// ---- files -----------------------------------------------------------------------------------------

export function journalName(seq: number): string {
  return `journal.${String(seq).padStart(6, '0')}`;
}

/** Journals in `dir`, ascending by seq. */
export function listJournals(dir: string): { seq: number; file: string }[] {
  const out: { seq: number; file: string }[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = /^journal\.(\d+)$/.exec(name);
    if (m) out.push({ seq: Number(m[1]), file: path.join(dir, name) });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export function journalHeader(seq: number): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.write(JOURNAL_MAGIC, 0, 'latin1');
  b.writeUInt32LE(JOURNAL_FORMAT, 8);
  b.writeUInt32LE(seq, 12);
  return b;
}

/** fsync a directory so a created, renamed or deleted entry survives a crash. A no-op where unsupported. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    if (process.platform !== 'win32') throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Replaces `target` atomically: `write` fills a temp file beside it, which is fsync'd and renamed over
 * `target`, then the directory is fsync'd. A crash leaves the old file or the new one, never half of one;
 * a failed write removes the temp file and rethrows.
 */
export function replaceFileAtomically(target: string, write: (fd: number) => void): void {
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    write(fd);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, target);
  fsyncDir(path.dirname(target));
}

/** fsyncDir without blocking the thread (for the owner's event loop). */
export async function fsyncDirAsync(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch (err) {
    if (process.platform !== 'win32') throw err;
  } finally {
    await fh?.close();
  }
}

/** Frames one op as a record: length, CRC, JSON payload. */
export function encodeRecord(op: JournalOp): Buffer {
  const json = JSON.stringify(op);
  const len = Buffer.byteLength(json, 'utf8');
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + len);
  buf.write(json, RECORD_HEADER_BYTES, 'utf8');
  buf.writeUInt32LE(len, 0);
  buf.writeUInt32LE(crc32(buf.subarray(RECORD_HEADER_BYTES)), 4);
  return buf;
}

/** Characters of text above which a batch is split over several records (JSON strings have a size limit). */
const RECORD_SPLIT_CHARS = 8 << 20;

/**
 * Frames a store call as one record, or several when the batch is huge (a bulk insert of many large
 * texts), each holding a run of the batch in order.
 */
export function encodeOps(op: JournalOp): Buffer[] {
  if (op.op === 'kv' || op.op === 'delete') return [encodeRecord(op)];
  const items: { text?: string }[] = op.op === 'insert' ? op.segments : op.patches;
  const out: Buffer[] = [];
  let start = 0;
  let chars = 0;
  const flush = (end: number): void => {
    if (end === start) return;
    const part = items.slice(start, end);
    out.push(encodeRecord(op.op === 'insert' ? { op: 'insert', segments: part as Segment[] } : { op: 'update', patches: part as SegmentPatch[] }));
    start = end;
    chars = 0;
  };
  for (let i = 0; i < items.length; i++) {
    const len = items[i]!.text?.length ?? 0;
    if (chars + len > RECORD_SPLIT_CHARS) flush(i);
    chars += len + 256;
  }
  flush(items.length);
  return out;
}

export interface JournalScan {
  seq: number;
  /** Records that passed their checksum. */
  records: number;
  /** Bytes of header + good records: where the journal should end. */
  goodBytes: number;
  /** File size as read. */
  size: number;
  /** What stopped the scan before the end of the file, if anything. */
  problem?: {
    /** `torn`: the last record is incomplete or fails its checksum (a crash mid-append);
     *  `corrupt`: a bad record with more data after it, or a bad header. */
    kind: 'torn' | 'corrupt';
    offset: number;
    detail: string;
  };
  /** With a range: no record starts at its `from` (nothing was scanned). */
  misaligned?: true;
}

/** Part of a journal to scan: the records from byte `from` (a record boundary) up to byte `to`. */
export interface JournalRange {
  from: number;
  to?: number;
}

/**
 * Reads a journal and hands each good record's op to `apply`, in order. Stops at the first bad
 * record. A file shorter than its header (a crash while creating it) is an empty journal.
 * With `range`, the records before `range.from` are stepped over by their lengths (neither checked nor
 * applied) and the scan stops at `range.to`; `misaligned` says that no record starts at `range.from`.
 */
export function scanJournal(file: string, expectSeq: number, apply: (op: JournalOp) => void, range?: JournalRange): JournalScan {
  const buf = fs.readFileSync(file);
  const scan: JournalScan = { seq: expectSeq, records: 0, goodBytes: 0, size: buf.length };
  if (buf.length < HEADER_BYTES) {
    if (buf.length > 0) scan.problem = { kind: 'torn', offset: 0, detail: `header is ${buf.length} of ${HEADER_BYTES} bytes` };
    return scan;
  }
  if (buf.toString('latin1', 0, 8) !== JOURNAL_MAGIC || buf.readUInt32LE(8) !== JOURNAL_FORMAT || buf.readUInt32LE(12) !== expectSeq) {
    scan.problem = { kind: 'corrupt', offset: 0, detail: 'the header is not a Context GC journal header for this file' };
    return scan;
  }
  let off = HEADER_BYTES;
  if (range) {
    while (off < range.from && buf.length - off >= RECORD_HEADER_BYTES) off += RECORD_HEADER_BYTES + buf.readUInt32LE(off);
    if (off !== range.from) {
      scan.misaligned = true;
      return scan;
    }
  }
  const stop = Math.min(buf.length, range?.to ?? buf.length);
  scan.goodBytes = off;
  while (off < stop) {
    if (buf.length - off < RECORD_HEADER_BYTES) {
      scan.problem = { kind: 'torn', offset: off, detail: `record header cut short (${buf.length - off} bytes)` };
      break;
    }
    const len = buf.readUInt32LE(off);
    const sum = buf.readUInt32LE(off + 4);
    const end = off + RECORD_HEADER_BYTES + len;
    if (len === 0 || len > MAX_RECORD_BYTES) {
      scan.problem = { kind: end >= buf.length ? 'torn' : 'corrupt', offset: off, detail: `impossible record length ${len}` };
      break;
    }
    if (end > buf.length) {
      scan.problem = { kind: 'torn', offset: off, detail: `record of ${len} bytes cut short at ${buf.length - off - RECORD_HEADER_BYTES}` };
      break;
    }
    const payload = buf.subarray(off + RECORD_HEADER_BYTES, end);
    if (crc32(payload) !== sum) {
      scan.problem = { kind: end === buf.length ? 'torn' : 'corrupt', offset: off, detail: 'checksum mismatch' };
      break;
    }
    let op: JournalOp;
    try {
      op = JSON.parse(payload.toString('utf8')) as JournalOp;
    } catch {
      scan.problem = { kind: 'corrupt', offset: off, detail: 'record passes its checksum but is not JSON' };
      break;
    }
    apply(op);
    scan.records++;
    off = end;
    scan.goodBytes = off;
  }
  return scan;
}

// ---- the writer ------------------------------------------------------------------------------------

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Bytes queued without a commit() after which the writer flushes on its own (bounds memory in bulk loads). */
const AUTO_FLUSH_BYTES = 4 << 20;

const writeAsync = (fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => fs.write(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n))));
const datasyncAsync = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
const openAsync = (file: string): Promise<number> =>
  new Promise((resolve, reject) => fs.open(file, 'r+', (err, fd) => (err ? reject(err) : resolve(fd))));
const closeAsync = (fd: number): Promise<void> => new Promise((resolve) => fs.close(fd, () => resolve()));

/** Makes the journal file for `seq`: creates it, writes the header; the promise gives its path and size. */
export type JournalFactory = (seq: number) => Promise<{ file: string; size: number }>;

interface RotationRequest {
  create: JournalFactory;
  /** Records appended before the request: they go to the old file. */
  after: number;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

/**
 * Appends records to the active journal file and makes them durable in groups. The file can be
 * switched (`rotate`) between batches; records keep their order across files.
 */
export class JournalWriter {
  private fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Records appended / made durable since this writer started (log sequence numbers). */
  private appended = 0;
  private durable = 0;
  private waiters: Waiter[] = [];
  private running: Promise<void> | undefined;
  private active = false;
  private failure: ContextGcError | undefined;
  /** True while a write + fdatasync is in flight (the file must not be switched then). */
  private writing = false;
  private rotation: RotationRequest | undefined;
  /** fdatasync calls done; for stats and tests of group commit. */
  syncs = 0;

  /**
   * @param afterSync called after each durable batch, while nothing is being written: the owner
   *   rotates the journal there when it has grown past its threshold.
   */
  constructor(
    public file: string,
    public seq: number,
    /** Bytes in the file (header + durable records). */
    public size: number,
    private readonly afterSync: (w: JournalWriter) => void = () => {},
  ) {
    this.fd = fs.openSync(file, 'r+');
  }

  /** Creates a new journal file without blocking the thread (see `create`). */
  static async createAsync(dir: string, seq: number): Promise<{ file: string; size: number }> {
    const file = path.join(dir, journalName(seq));
    const tmp = `${file}.tmp`;
    const fh = await fs.promises.open(tmp, 'w');
    try {
      await fh.write(journalHeader(seq));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
    await fsyncDirAsync(dir);
    return { file, size: HEADER_BYTES };
  }

  /**
   * Creates a new journal file: header written and fsync'd under a temp name, then renamed and the
   * directory fsync'd, so a journal file never exists without its header.
   */
  static create(dir: string, seq: number): { file: string; size: number } {
    const file = path.join(dir, journalName(seq));
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, journalHeader(seq));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    fsyncDir(dir);
    return { file, size: HEADER_BYTES };
  }

  get failed(): ContextGcError | undefined {
    return this.failure;
  }

  /** Records appended since this writer started, durable or not. */
  get appendedRecords(): number {
    return this.appended;
  }

  /** Nothing queued, nothing being written, no rotation under way. */
  get idle(): boolean {
    return this.pending.length === 0 && !this.writing && !this.rotation;
  }

  /** No write or rotation in flight (records may be queued): flushSync and rotateSync may run. */
  get quiet(): boolean {
    return !this.writing && !this.rotation;
  }

  /**
   * Writes and fdatasyncs what is queued, blocking the thread: for the owner-thread snapshot, which
   * blocks anyway. Only while quiet.
   */
  flushSync(): void {
    if (!this.quiet) throw new Error('JournalWriter.flushSync while a write is in flight');
    if (this.failure) throw this.failure;
    if (!this.pending.length) return;
    const batch = Buffer.concat(this.pending, this.pendingBytes);
    const upTo = this.appended;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      for (let written = 0; written < batch.length; ) written += fs.writeSync(this.fd, batch, written, batch.length - written, this.size + written);
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      this.fail(err);
      throw this.failure;
    }
    this.syncs++;
    this.size += batch.length;
    this.settle(upTo);
  }

  /** Bytes appended but not yet written. */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /** Nothing queued, nothing being written, every appended record durable: `size` is where the file ends. */
  get settled(): boolean {
    return this.pendingBytes === 0 && !this.writing && this.appended === this.durable && !this.failure;
  }

  append(op: JournalOp): void {
    this.appendEncoded([encodeRecord(op)]);
  }

  /** Queues records framed by encodeRecord / encodeOps (encode first, then change the database, then queue). */
  appendEncoded(records: readonly Buffer[]): void {
    if (this.failure) throw this.failure;
    for (const rec of records) {
      this.pending.push(rec);
      this.pendingBytes += rec.length;
      this.appended++;
    }
    if (this.pendingBytes >= AUTO_FLUSH_BYTES) void this.kick();
  }

  /** Resolves when every record appended before the call is on disk. */
  commit(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const target = this.appended;
    if (this.durable >= target) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ target, resolve, reject }));
    void this.kick();
    return p;
  }

  /** Waits until nothing is queued or being written (records appended meanwhile are waited for too). */
  async drain(): Promise<void> {
    while (!this.idle && !this.failure) await this.kick();
    if (this.failure) throw this.failure;
  }

  /**
   * Switches to journal seq + 1 (made by `create`) between two batches, without blocking the thread.
   * Resolves with the new seq once later records go there. Every record appended before the call is
   * in the old file (some appended after it may be too). Changes may be appended meanwhile.
   */
  rotate(create: JournalFactory): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.rotation) return Promise.reject(new Error('JournalWriter.rotate: a rotation is already under way'));
    const p = new Promise<number>((resolve, reject) => (this.rotation = { create, after: this.appended, resolve, reject }));
    void this.kick();
    return p;
  }

  /** Switches to another (fresh) journal file at once. Only while idle. */
  rotateSync(file: string, seq: number, size: number): void {
    if (!this.idle) throw new Error('JournalWriter.rotateSync while the writer is busy');
    const next = fs.openSync(file, 'r+');
    fs.closeSync(this.fd);
    this.fd = next;
    this.file = file;
    this.seq = seq;
    this.size = size;
  }

  /** Flushes what is queued (best effort) and closes the file. */
  async close(): Promise<void> {
    await this.drain().catch(() => {});
    fs.closeSync(this.fd);
  }

  /** Starts the flush loop unless it is running. */
  private kick(): Promise<void> {
    if (this.active) return this.running!;
    this.active = true;
    this.running = this.run();
    return this.running;
  }

  /**
   * The flush loop. `active` is cleared in `finally` in the same turn as the loop's last look at the
   * queue (no await between them), so a change appended after that always starts a new loop; one
   * appended while the loop awaits is picked up by its next check.
   */
  private async run(): Promise<void> {
    try {
      while ((this.pending.length || this.rotation) && !this.failure) {
        if (this.rotation && this.durable >= this.rotation.after) {
          const r = this.rotation;
          try {
            const seq = this.seq + 1;
            const made = await r.create(seq);
            const fd = await openAsync(made.file);
            const old = this.fd;
            this.fd = fd;
            this.file = made.file;
            this.seq = seq;
            this.size = made.size;
            this.rotation = undefined;
            await closeAsync(old);
            r.resolve(seq);
          } catch (err) {
            // The old file is intact: keep writing there; the owner retries the rotation later.
            this.rotation = undefined;
            r.reject(err);
          }
          continue;
        }
        const batch = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
        const upTo = this.appended;
        this.pending = [];
        this.pendingBytes = 0;
        this.writing = true;
        try {
          let written = 0;
          while (written < batch.length) written += await writeAsync(this.fd, batch, written, batch.length - written, this.size + written);
          await datasyncAsync(this.fd);
          this.syncs++;
          this.size += batch.length;
        } catch (err) {
          this.fail(err);
          return;
        } finally {
          this.writing = false;
        }
        this.settle(upTo);
        try {
          this.afterSync(this);
        } catch (err) {
          this.fail(err);
          return;
        }
      }
    } finally {
      this.active = false;
    }
  }

  private settle(upTo: number): void {
    this.durable = upTo;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.target <= upTo) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  private fail(err: unknown): void {
    this.failure = new ContextGcError('io_error', `Writing the journal ${this.file} failed (${err instanceof Error ? err.message : String(err)}). ` +
      'Changes since the last successful commit are not saved; close the store and open it again.');
    for (const w of this.waiters) w.reject(this.failure);
    this.waiters = [];
    this.rotation?.reject(this.failure);
    this.rotation = undefined;
    this.pending = [];
    this.pendingBytes = 0;
  }
}
