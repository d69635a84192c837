// The snapshot file: a whole SQLite database image as sql.js exports it, followed by a 32-byte trailer
// that makes the file self-checking and says which journals it already contains:
//   "CGC-SNAP", u32 trailer version, u32 CRC-32 of the image, u64 image length (lo, hi),
//   u32 next journal seq (journals below it are inside the image), u32 CRC-32 of the 28 bytes before.
// SQLite ignores bytes past the page count its header records, so the file still opens in sqlite3.
//
// Written as temp file -> fsync -> rename -> fsync(dir): a crash leaves either the old snapshot or the
// new one, never half of one. A damaged snapshot is moved aside (`snapshot.db.corrupt-<time>`), never
// deleted, so someone can still look at it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32, fsyncDir, replaceFileAtomically } from './journal';

export const SNAPSHOT_FILE = 'snapshot.db';
export const SNAPSHOT_MAGIC = 'CGC-SNAP';
export const TRAILER_BYTES = 32;
const TRAILER_VERSION = 1;
/**
 * The image is written and fdatasync'd in chunks of this size. On ext4 (data=ordered) an fsync of the
 * journal waits for every dirty block of the same transaction, so a snapshot written in one go would
 * hold a concurrent commit() up for the whole write-back; chunked, a commit waits for one chunk at most
 * (measured here: fdatasync of 2 MB ≈ 1.1 ms, of 8 MB ≈ 5 ms, with the same total throughput).
 */
const WRITE_CHUNK = 2 << 20;

export function snapshotPath(dir: string): string {
  return path.join(dir, SNAPSHOT_FILE);
}

export function encodeTrailer(image: Uint8Array, nextSeq: number): Buffer {
  const t = Buffer.alloc(TRAILER_BYTES);
  t.write(SNAPSHOT_MAGIC, 0, 'latin1');
  t.writeUInt32LE(TRAILER_VERSION, 8);
  t.writeUInt32LE(crc32(image), 12);
  t.writeUInt32LE(image.length % 0x100000000, 16);
  t.writeUInt32LE(Math.floor(image.length / 0x100000000), 20);
  t.writeUInt32LE(nextSeq, 24);
  t.writeUInt32LE(crc32(t.subarray(0, 28)), 28);
  return t;
}

export interface WrittenSnapshot {
  bytes: number;
  /** Time to write, fsync and rename (not the export). */
  writeMs: number;
}

/**
 * Atomically replaces `dir/snapshot.db` with `image` + trailer. `chunkSync` (background snapshots):
 * fdatasync every WRITE_CHUNK so concurrent journal commits stay fast.
 */
export function writeSnapshot(dir: string, image: Uint8Array, nextSeq: number, chunkSync = true): WrittenSnapshot {
  const t0 = performance.now();
  const trailer = encodeTrailer(image, nextSeq);
  replaceFileAtomically(snapshotPath(dir), (fd) => {
    for (let off = 0; off < image.length; ) {
      const end = Math.min(off + WRITE_CHUNK, image.length);
      while (off < end) off += fs.writeSync(fd, image, off, end - off);
      if (chunkSync && off < image.length) fs.fdatasyncSync(fd);
    }
    fs.writeSync(fd, trailer);
  });
  return { bytes: image.length + TRAILER_BYTES, writeMs: performance.now() - t0 };
}

export interface LoadedSnapshot {
  /** The database image, checked. */
  image: Uint8Array;
  /**
   * The image followed by zeroed room to grow (slackFor), to hand to sql.js. Shares its memory with
   * `image`.
   */
  storage: Uint8Array;
  nextSeq: number;
  bytes: number;
}

/**
 * Room to grow given to sql.js's in-memory file at load: an eighth of the image, at least 1 MiB. sql.js
 * keeps the database in an Emscripten MEMFS file that grows by an eighth with a copy of the whole file
 * when a write passes its end, so without room the first change after opening a 1M-segment store
 * copied ~800 MB (0.4-2.4 s measured) and export() ran 2.5x slower. SQLite ignores the zeroed pages: it
 * trusts the page count in its header (the snapshot's trailer was past the last page already), and
 * exportImage() cuts an export back to that count.
 */
export function slackFor(bytes: number): number {
  return Math.max(1 << 20, Math.ceil(bytes / 8 / 4096) * 4096);
}

/** Thrown (internally) when the snapshot fails its checks; the caller moves it aside. */
export class SnapshotDamage extends Error {}

/** Reads and verifies the snapshot; undefined when there is none. Throws SnapshotDamage when it fails a check. */
export function readSnapshot(dir: string): LoadedSnapshot | undefined {
  let whole: Buffer;
  let buf: Buffer;
  try {
    const fd = fs.openSync(snapshotPath(dir), 'r');
    try {
      const size = fs.fstatSync(fd).size;
      // One buffer for the file and the room to grow; a Buffer, so that sql.js's MEMFS keeps it without a
      // copy (it copies with slice(), which for a Buffer is a view).
      whole = Buffer.allocUnsafe(size + slackFor(size));
      let off = 0;
      while (off < size) {
        const n = fs.readSync(fd, whole, off, size - off, off);
        if (n === 0) break;
        off += n;
      }
      buf = whole.subarray(0, off);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (buf.length < TRAILER_BYTES) throw new SnapshotDamage(`it is ${buf.length} bytes long, too short to be a snapshot`);
  const t = buf.subarray(buf.length - TRAILER_BYTES);
  if (t.toString('latin1', 0, 8) !== SNAPSHOT_MAGIC) throw new SnapshotDamage('its trailer is missing (the file was cut short or overwritten)');
  if (crc32(t.subarray(0, 28)) !== t.readUInt32LE(28)) throw new SnapshotDamage('its trailer fails its checksum');
  if (t.readUInt32LE(8) !== TRAILER_VERSION) throw new SnapshotDamage(`its trailer version ${t.readUInt32LE(8)} is unknown`);
  const len = t.readUInt32LE(16) + t.readUInt32LE(20) * 0x100000000;
  if (len !== buf.length - TRAILER_BYTES) throw new SnapshotDamage(`its trailer says ${len} bytes of database but the file holds ${buf.length - TRAILER_BYTES}`);
  const image = buf.subarray(0, len);
  if (crc32(image) !== t.readUInt32LE(12)) throw new SnapshotDamage('its contents fail their checksum');
  if (len > 0 && image.toString('latin1', 0, 16) !== 'SQLite format 3\0') throw new SnapshotDamage('it does not hold an SQLite database');
  const nextSeq = t.readUInt32LE(24);
  whole.fill(0, len);
  return { image, storage: len > 0 ? whole : image, nextSeq, bytes: buf.length };
}

/**
 * The database image of `db`, cut back to the page count SQLite's header records when the in-memory file
 * is longer (the room to grow it was given at load, see slackFor).
 */
export function exportImage(db: { export(): Uint8Array }): Uint8Array {
  const image = db.export();
  if (image.length < 100) return image;
  const h = Buffer.from(image.buffer, image.byteOffset, 100);
  const pageSize = h.readUInt16BE(16) === 1 ? 65536 : h.readUInt16BE(16);
  const pages = h.readUInt32BE(28);
  // The header's page count is valid when its "valid-for" number equals the change counter.
  if (pages === 0 || h.readUInt32BE(92) !== h.readUInt32BE(24)) return image;
  const bytes = pages * pageSize;
  return bytes < image.length ? image.subarray(0, bytes) : image;
}

/** Renames a damaged snapshot to `snapshot.db.corrupt-<time>` and returns the new path. */
export function moveAside(file: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  let aside = `${file}.corrupt-${stamp}`;
  for (let i = 1; fs.existsSync(aside); i++) aside = `${file}.corrupt-${stamp}-${i}`;
  fs.renameSync(file, aside);
  fsyncDir(path.dirname(file));
  return aside;
}

/** Removes temp files a crash left behind mid-snapshot or mid-journal-creation. */
export function removeTempSnapshots(dir: string): number {
  let n = 0;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(`${SNAPSHOT_FILE}.tmp-`) || /^journal\.\d+\.tmp$/.test(name)) {
      fs.rmSync(path.join(dir, name), { force: true });
      n++;
    }
  }
  return n;
}
