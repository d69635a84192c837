// The segment table's image: every column of the SegmentTable written to one file when the engine closes
// cleanly or has been idle for a while after changes, so the next open restores the table in well under a
// second instead of scanning every row out of SQLite (~4 s at 1M segments: sql.js steps each row and
// column through WASM calls, which no tuning of the scan brings near a typed-array read; bench/open.ts).
//
// The image is a cache, never a source of truth. Each one is stamped with the store's journal position at
// the save (`journalPosition()` when idle; the final position, under the lock, at close), where the table
// equalled the store exactly. An open uses it with the journal records written after that position, which
// it applies to the table as the store's replay applied them to the rows. So after a crash mid-work the
// open reads the image plus a few thousand records instead of scanning a million rows. It is used when:
//   - the header's magic, format version and checksum are right, the body is exactly as long as the header
//     says and passes its CRC-32, and every code and offset in it is in range (truncated, damaged and
//     other-version files are refused with a warning);
//   - the journal from its position to the open's replay end is all there, its position is where a record
//     starts, and the store's open repaired nothing (a lost snapshot or journal leaves rows the image has
//     and the store no longer does). A position folded into a snapshot since is an ordinary reason to scan
//     (`stale`, no warning); the next idle save or close writes a new image;
//   - with no record after it, its watermark equals the store's change counter (kv "changeSeq").
// An image that is not used is removed by a writable open; a used one stays (its position keeps it exact).
//
// The image holds what a scan would build, not the live table's history: strings re-interned in first-use
// order over the live rows, dead rows at their defaults, postings and in-degrees rebuilt from the columns.
// So a table loaded from the image equals a scanned one column by column (test/engine/table-image.test.ts);
// with records applied after it, row by row and in what every posting answers.
//
// File layout (little-endian). Header, 32 bytes:
//   "CGC-TIMG", u32 format version, u32 JSON length, u32 body length lo, u32 hi, u32 CRC-32 of the body,
//   u32 CRC-32 of the 28 header bytes before it.
// Body: JSON (watermark, rows, strings, section table), zero-padded to an 8-byte boundary of the file, then
// the sections (each 8-byte aligned): the row columns [0, end); tags as the distinct lists (offsets, codes)
// and per row the index of its list (-1: none); refs as offsets [end + 1] and ids.
// Written as temp file -> fsync -> rename -> fsync(dir).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContextGcError } from './model';
import { crc32, fsyncDir, replaceFileAtomically, type JournalOp } from './store/journal';
import type { JournalPosition, SegmentStore } from './store/types';
import { SegmentTable, type Postings } from './table';

export const TABLE_IMAGE_FILE = 'table.img';
const MAGIC = 'CGC-TIMG';
export const TABLE_IMAGE_VERSION = 1;
const HEADER_BYTES = 32;
const NONE = -1;

type Column = 'alive' | 'type' | 'tier' | 'flags' | 'source' | 'encoding' | 'survivals' | 'tokens' | 'chars' | 'task' | 'file' |
  'lineStart' | 'lineEnd' | 'hashHi' | 'hashLo' | 'created' | 'touched';
type ColumnArray = Uint8Array | Uint16Array | Int32Array | Uint32Array | Float64Array;
type ColumnCtor = { new (n: number): ColumnArray; new (b: ArrayBuffer, off: number, n: number): ColumnArray; BYTES_PER_ELEMENT: number };

/** The table's row columns (inDegree is derived from refs and rebuilt). Columns holding -1 for "none" say so. */
const COLUMNS: readonly (readonly [Column, ColumnCtor, number])[] = [
  ['alive', Uint8Array, 0], ['type', Uint8Array, 0], ['tier', Uint8Array, 0], ['flags', Uint8Array, 0], ['source', Uint8Array, 0],
  ['encoding', Uint8Array, 0], ['survivals', Uint16Array, 0], ['tokens', Int32Array, 0], ['chars', Int32Array, 0],
  ['task', Int32Array, NONE], ['file', Int32Array, NONE], ['lineStart', Int32Array, NONE], ['lineEnd', Int32Array, NONE],
  ['hashHi', Uint32Array, 0], ['hashLo', Uint32Array, 0], ['created', Float64Array, 0], ['touched', Float64Array, 0],
];

interface ImageJson {
  watermark: number;
  /** Where the store's journal ended at the save (absent in the clean-close images of 0.1: not used). */
  journal?: JournalPosition;
  /** One past the highest live id (1 when empty). */
  end: number;
  count: number;
  tasks: string[];
  files: string[];
  tags: string[];
  /** name -> [byte offset from the first 8-byte boundary after the JSON, element count]. */
  sections: Record<string, [number, number]>;
}

export function tableImagePath(dir: string): string {
  return path.join(dir, TABLE_IMAGE_FILE);
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Maps a live table's string codes to the codes a scan would assign (first use over live rows, ascending id). */
class Remap {
  readonly map: Int32Array;
  readonly values: string[] = [];
  constructor(private readonly from: readonly string[]) {
    this.map = new Int32Array(from.length).fill(NONE);
  }
  code(old: number): number {
    let c = this.map[old];
    if (c === NONE) {
      c = this.map[old] = this.values.length;
      this.values.push(this.from[old]);
    }
    return c;
  }
}

/** Serializes `table` as the image a scan of the same store would produce, stamped with `watermark` and `journal`. */
export function encodeTableImage(table: SegmentTable, watermark: number, journal: JournalPosition): Uint8Array {
  const t = table;
  let end = t.end;
  while (end > 1 && t.alive[end - 1] !== 1) end--;
  const tasks = new Remap(t.tasks.values);
  const files = new Remap(t.files.values);
  const tagNames = new Remap(t.tagNames.values);
  // Every column copied whole (task and file are recoded below), then dead rows put back to the defaults.
  const cols = new Map<Column, ColumnArray>();
  const src = t as unknown as Record<Column, ColumnArray>;
  for (const [name, Ctor] of COLUMNS) {
    const a = new Ctor(end);
    a.set(src[name].subarray(0, end));
    cols.set(name, a);
  }
  for (let id = 0; id < end; id++) {
    if (t.alive[id] === 1) continue;
    for (const [name, , fill] of COLUMNS) cols.get(name)![id] = fill;
  }
  const col = <T extends ColumnArray>(name: Column): T => cols.get(name) as T;
  const task = col<Int32Array>('task');
  const file = col<Int32Array>('file');
  const refOff = new Int32Array(end + 1);
  let refN = 0;
  let count = 0;
  for (let id = 1; id < end; id++) {
    refOff[id] = refN;
    if (t.alive[id] !== 1) continue;
    count++;
    refN += t.refs[id]?.length ?? 0;
  }
  refOff[end] = refN;
  const refVal = new Int32Array(refN);
  // Tag lists: each distinct list once (tens of thousands at 1M rows), and per row the index of its list.
  const tagList = new Int32Array(end).fill(NONE);
  const listOf = new Map<number | string, number>();
  const listVals: number[] = [];
  const listOff: number[] = [0];
  for (let id = 1; id < end; id++) {
    if (t.alive[id] !== 1) continue;
    // The same interning order as put(): task, file, then the tags in list order (separate interners).
    task[id] = t.task[id] === NONE ? NONE : tasks.code(t.task[id]);
    file[id] = t.file[id] === NONE ? NONE : files.code(t.file[id]);
    const tg = t.tags[id];
    if (tg && tg.length > 0) {
      // Key: the codes packed in a number when short (most lists), else as text.
      let key: number | string = tg.length;
      if (tg.length <= 3 && tagNames.map.length <= 4096) for (let k = 0; k < tg.length; k++) key = key * 4096 + tagNames.code(tg[k]);
      else key = Array.from(tg, (c) => tagNames.code(c)).join(',');
      let list = listOf.get(key);
      if (list === undefined) {
        listOf.set(key, (list = listOff.length - 1));
        for (let k = 0; k < tg.length; k++) listVals.push(tagNames.code(tg[k]));
        listOff.push(listVals.length);
      }
      tagList[id] = list;
    }
    const rf = t.refs[id];
    if (rf) refVal.set(rf, refOff[id]);
  }
  const arrays: [string, ColumnArray][] = [...cols, ['tagList', tagList], ['listOff', Int32Array.from(listOff)], ['listVal', Int32Array.from(listVals)],
    ['refOff', refOff], ['refVal', refVal]];
  const json: ImageJson = { watermark, journal: { seq: journal.seq, bytes: journal.bytes }, end, count,
    tasks: tasks.values, files: files.values, tags: tagNames.values, sections: {} };
  let rel = 0;
  for (const [name, a] of arrays) {
    json.sections[name] = [rel, a.length];
    rel = align8(rel + a.byteLength);
  }
  const jsonBytes = Buffer.from(JSON.stringify(json));
  const dataStart = align8(HEADER_BYTES + jsonBytes.length);
  const out = new Uint8Array(new ArrayBuffer(dataStart + rel));
  out.set(jsonBytes, HEADER_BYTES);
  for (const [name, a] of arrays) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), dataStart + json.sections[name]![0]);
  const body = out.subarray(HEADER_BYTES);
  const h = Buffer.from(out.buffer, 0, HEADER_BYTES);
  h.write(MAGIC, 0, 'latin1');
  h.writeUInt32LE(TABLE_IMAGE_VERSION, 8);
  h.writeUInt32LE(jsonBytes.length, 12);
  h.writeUInt32LE(body.length % 0x100000000, 16);
  h.writeUInt32LE(Math.floor(body.length / 0x100000000), 20);
  h.writeUInt32LE(crc32(body), 24);
  h.writeUInt32LE(crc32(out.subarray(0, 28)), 28);
  return out;
}

/**
 * Writes the image of `table` to `dir/table.img` (temp file, fsync, rename, fsync dir), stamped with
 * `journal`, the store's journal position where the table equals the store (see the header).
 */
export function saveTableImage(dir: string, table: SegmentTable, watermark: number, journal: JournalPosition): { bytes: number; ms: number } {
  const t0 = performance.now();
  const image = encodeTableImage(table, watermark, journal);
  replaceFileAtomically(tableImagePath(dir), (fd) => {
    for (let off = 0; off < image.length; ) off += fs.writeSync(fd, image, off, Math.min(64 << 20, image.length - off));
  });
  return { bytes: image.length, ms: performance.now() - t0 };
}

/** Why an image was refused (the message of the warning). */
class ImageRefused extends Error {}

function readWhole(file: string): Uint8Array | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImageRefused(`it cannot be read (${(err as Error).message})`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    // Own ArrayBuffer at offset 0, so the sections' typed-array views are aligned.
    const buf = new Uint8Array(new ArrayBuffer(size));
    for (let off = 0; off < size; ) {
      const n = fs.readSync(fd, buf, off, size - off, off);
      if (n === 0) return buf.subarray(0, off);
      off += n;
    }
    return buf;
  } catch (err) {
    throw new ImageRefused(`it cannot be read (${(err as Error).message})`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Checks an image's framing and checksums and returns its JSON part. Throws ImageRefused. */
function checkImage(buf: Uint8Array): ImageJson {
  if (buf.length < HEADER_BYTES) throw new ImageRefused(`it is ${buf.length} bytes long, too short to be a table image`);
  const h = Buffer.from(buf.buffer, buf.byteOffset, HEADER_BYTES);
  if (h.toString('latin1', 0, 8) !== MAGIC) throw new ImageRefused('it does not start like a table image');
  if (crc32(buf.subarray(0, 28)) !== h.readUInt32LE(28)) throw new ImageRefused('its header fails its checksum');
  const version = h.readUInt32LE(8);
  if (version !== TABLE_IMAGE_VERSION) throw new ImageRefused(`it has format version ${version}, this version reads ${TABLE_IMAGE_VERSION}`);
  const bodyLen = h.readUInt32LE(16) + h.readUInt32LE(20) * 0x100000000;
  if (bodyLen !== buf.length - HEADER_BYTES) throw new ImageRefused(`its header says ${bodyLen} bytes of body but the file holds ${buf.length - HEADER_BYTES} (cut short or appended to)`);
  const body = buf.subarray(HEADER_BYTES);
  if (crc32(body) !== h.readUInt32LE(24)) throw new ImageRefused('its contents fail their checksum');
  const jsonLen = h.readUInt32LE(12);
  if (jsonLen > body.length) throw new ImageRefused('its header points past its end');
  return JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + HEADER_BYTES, jsonLen).toString('utf8')) as ImageJson;
}

/** A section's typed view over the file buffer, its place and size checked. */
function section<T extends ColumnArray>(buf: Uint8Array, json: ImageJson, name: string, Ctor: ColumnCtor, length: number | undefined): T {
  const s = json.sections[name];
  if (!Array.isArray(s) || s.length !== 2) throw new ImageRefused(`its ${name} section is missing`);
  const [rel, n] = s;
  const off = align8(HEADER_BYTES + jsonLength(buf)) + rel;
  if (!Number.isInteger(rel) || !Number.isInteger(n) || n < 0) throw new ImageRefused(`its ${name} section is malformed`);
  if (length !== undefined && n !== length) throw new ImageRefused(`its ${name} section holds ${n} entries, expected ${length}`);
  if (off % 8 !== 0 || off < HEADER_BYTES || off + n * Ctor.BYTES_PER_ELEMENT > buf.length) throw new ImageRefused(`its ${name} section lies outside the file`);
  return new Ctor(buf.buffer as ArrayBuffer, buf.byteOffset + off, n) as T;
}

function jsonLength(buf: Uint8Array): number {
  return Buffer.from(buf.buffer, buf.byteOffset, HEADER_BYTES).readUInt32LE(12);
}

function checkCodes(values: Int32Array, from: number, to: number, limit: number, what: string): void {
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v !== NONE && (v < 0 || v >= limit)) throw new ImageRefused(`its ${what} codes are out of range`);
  }
}

function checkOffsets(off: Int32Array, values: number, what: string): void {
  if (off[0] !== 0) throw new ImageRefused(`its ${what} offsets are inconsistent`);
  for (let i = 1; i < off.length; i++) if (off[i] < off[i - 1]) throw new ImageRefused(`its ${what} offsets are inconsistent`);
  if (off[off.length - 1] !== values) throw new ImageRefused(`its ${what} offsets are inconsistent`);
}

/**
 * Fills the empty `table` from the image in `buf` (its JSON part `json`, from checkImage) when it is
 * sound. Throws ImageRefused (the table untouched) otherwise: nothing is assigned until every check passed.
 */
function decodeTableImage(buf: Uint8Array, json: ImageJson, table: SegmentTable): void {
  const end = json.end;
  if (!Number.isInteger(end) || end < 1 || !Array.isArray(json.tasks) || !Array.isArray(json.files) || !Array.isArray(json.tags) ||
    typeof json.sections !== 'object' || json.sections === null || json.count !== Math.floor(json.count)) {
    throw new ImageRefused('its description is malformed');
  }
  if (table.end !== 1 || table.count !== 0) throw new Error('decodeTableImage needs an empty table');
  const views = new Map<Column, ColumnArray>();
  for (const [name, Ctor] of COLUMNS) views.set(name, section(buf, json, name, Ctor, end));
  const tagList = section<Int32Array>(buf, json, 'tagList', Int32Array, end);
  const listOff = section<Int32Array>(buf, json, 'listOff', Int32Array, undefined);
  const listVal = section<Int32Array>(buf, json, 'listVal', Int32Array, undefined);
  const refOff = section<Int32Array>(buf, json, 'refOff', Int32Array, end + 1);
  const refVal = section<Int32Array>(buf, json, 'refVal', Int32Array, undefined);
  if (listOff.length < 1) throw new ImageRefused('its tag list offsets are inconsistent');
  checkOffsets(listOff, listVal.length, 'tag list');
  for (let i = 1; i < listOff.length; i++) if (listOff[i] === listOff[i - 1]) throw new ImageRefused('its tag lists are inconsistent');
  checkOffsets(refOff, refVal.length, 'reference');
  checkCodes(views.get('task') as Int32Array, 0, end, json.tasks.length, 'task');
  checkCodes(views.get('file') as Int32Array, 0, end, json.files.length, 'file');
  checkCodes(listVal, 0, listVal.length, json.tags.length, 'tag');
  checkCodes(tagList, 0, end, listOff.length - 1, 'tag list');
  const alive = views.get('alive') as Uint8Array;
  let count = 0;
  for (let id = 1; id < end; id++) if (alive[id] === 1) count++;
  if (count !== json.count || alive[0] !== 0 || (end > 1 && alive[end - 1] !== 1)) throw new ImageRefused('its row count does not match its rows');
  for (let i = 0; i < refVal.length; i++) {
    const r = refVal[i];
    if (r < 1 || r >= end) throw new ImageRefused('its references point outside the table');
  }

  // Sound: build the arrays at the capacity a scan would reach, then assign.
  let capacity = 0;
  if (end > 1) {
    capacity = 1024;
    while (capacity <= end - 1) capacity *= 2;
  }
  const cols = new Map<Column, ColumnArray>();
  for (const [name, Ctor, fill] of COLUMNS) {
    const a = new Ctor(capacity);
    if (fill !== 0) a.fill(fill);
    if (capacity > 0) a.set(views.get(name)!);
    cols.set(name, a);
  }
  const inDegree = new Int32Array(capacity);
  for (let i = 0; i < refVal.length; i++) inDegree[refVal[i]]++;
  // Tag lists are views into one compact copy, each distinct list made once and shared by its rows (a view
  // costs ~250 ns to make: 150 ms for 600k rows; 87k distinct lists at 1M). Sharing is safe because lists
  // are values: the table replaces a row's list (setTags/setRefs), never edits it. Refs are mostly unique.
  const listStore = listVal.slice();
  const lists: Int32Array[] = [];
  for (let i = 0; i + 1 < listOff.length; i++) lists.push(listStore.subarray(listOff[i], listOff[i + 1]));
  const refStore = refVal.slice();
  // Filled by push: `new Array(1M)` would start in slow dictionary mode.
  const tags: (Int32Array | undefined)[] = [];
  const refs: (Int32Array | undefined)[] = [];
  for (let id = 0; id < end && end > 1; id++) {
    if (alive[id] !== 1) {
      tags.push(undefined);
      refs.push(undefined);
      continue;
    }
    const list = tagList[id];
    tags.push(list === NONE ? undefined : lists[list]);
    const r0 = refOff[id];
    const r1 = refOff[id + 1];
    refs.push(r1 > r0 ? refStore.subarray(r0, r1) : undefined);
  }
  const t = table;
  for (const [name] of COLUMNS) (t as unknown as Record<Column, ColumnArray>)[name] = cols.get(name)!;
  t.inDegree = inDegree;
  t.tags = tags;
  t.refs = refs;
  t.capacity = capacity;
  t.end = end;
  t.count = count;
  for (const s of json.tasks) t.tasks.intern(s);
  for (const s of json.files) t.files.intern(s);
  for (const s of json.tags) t.tagNames.intern(s);
  addGrouped(t.byTask, t.task, alive, end, json.tasks.length);
  addGrouped(t.byFile, t.file, alive, end, json.files.length);
  // Tags: through the distinct lists, a row counted once per code of its list.
  const perList = new Int32Array(lists.length);
  for (let id = 1; id < end; id++) if (alive[id] === 1 && tagList[id] !== NONE) perList[tagList[id]]++;
  const keys = new Int32Array(json.tags.length);
  for (let i = 0; i < lists.length; i++) for (const c of lists[i]) keys[c] += perList[i];
  const start = new Int32Array(json.tags.length + 1);
  for (let c = 0; c < keys.length; c++) start[c + 1] = start[c] + keys[c];
  const at = start.slice(0, keys.length);
  const grouped = new Int32Array(start[keys.length]);
  for (let id = 1; id < end; id++) {
    const l = tagList[id];
    if (alive[id] !== 1 || l === NONE) continue;
    const codes = lists[l];
    for (let k = 0; k < codes.length; k++) grouped[at[codes[k]]++] = id;
  }
  for (let c = 0; c < keys.length; c++) for (let i = start[c]; i < start[c + 1]; i++) t.byTag.add(c, grouped[i]);
}

export interface TableLoadReport {
  /** Where the table came from. */
  source: 'image' | 'scan';
  /**
   * Why the image was not used: there was none (first open), images are off or the store has no
   * directory, it is behind a journal that has been folded into a snapshot since (`stale`, no warning), or
   * it was refused (a warning says why).
   */
  imageRefused?: 'absent' | 'disabled' | 'stale' | 'refused';
  /** Journal records written after the image was saved, applied to it (source image). */
  tailRecords: number;
  /** Total time to fill the table, and the image's part (read + check + decode + tail) when one was tried. */
  ms: number;
  imageMs: number;
  imageBytes: number;
  /** An image that was there but not trusted (reason store_corrupt; details.file). */
  warnings: ContextGcError[];
}

/**
 * Fills the engine's empty `table` from the store: from `<store.dir>/table.img` plus the journal records
 * written after it when those are all there, else by scanning every row. `watermark` (the store's change
 * counter) must equal the image's when no record came after it. An image that is not used is removed
 * (writable stores), as are stray temp files of an interrupted save.
 */
export function loadTable(store: SegmentStore, table: SegmentTable, watermark: number, useImage = true): TableLoadReport {
  const t0 = performance.now();
  const report: TableLoadReport = { source: 'scan', tailRecords: 0, ms: 0, imageMs: 0, imageBytes: 0, warnings: [] };
  const dir = store.dir;
  if (!useImage || !dir) {
    report.imageRefused = 'disabled';
  } else {
    const file = tableImagePath(dir);
    const writable = store.readOnly !== true;
    if (writable) removeTempImages(dir);
    try {
      const buf = readWhole(file);
      if (!buf) {
        report.imageRefused = 'absent';
      } else {
        report.imageBytes = buf.length;
        const tail = loadImage(buf, store, table, watermark);
        if (tail === undefined) report.imageRefused = 'stale';
        else {
          report.source = 'image';
          report.tailRecords = tail;
        }
      }
    } catch (err) {
      if (!(err instanceof ImageRefused) && !(err instanceof SyntaxError)) throw err;
      report.imageRefused = 'refused';
      report.warnings.push(new ContextGcError('store_corrupt', `The saved table image ${file} was not used: ${err.message}. ` +
        'The table was rebuilt from the store instead (slower open, nothing lost); a new image is written when changes stop or at the next clean close.', { file }));
    }
    if (writable && report.imageRefused !== undefined && report.imageRefused !== 'absent') removeImage(dir, file);
    report.imageMs = performance.now() - t0;
  }
  if (report.source === 'scan') store.scanMeta((meta) => table.put(meta));
  report.ms = performance.now() - t0;
  return report;
}

/**
 * The image in `buf` plus the journal records after its position into `table`: the number of records, or
 * undefined when they are no longer all there for an ordinary reason (the table untouched). Throws
 * ImageRefused when the image is damaged or does not fit the store.
 */
function loadImage(buf: Uint8Array, store: SegmentStore, table: SegmentTable, watermark: number): number | undefined {
  const json = checkImage(buf);
  const at = json.journal;
  if (typeof at !== 'object' || at === null || !Number.isInteger(at.seq) || !Number.isInteger(at.bytes)) {
    // Images of 0.1 had no journal position after a clean close: the next close writes one.
    if (at === undefined) return undefined;
    throw new ImageRefused('its description is malformed');
  }
  const ops: JournalOp[] = [];
  const tail = store.journalSince?.(at, (op) => {
    if (op.op !== 'kv') ops.push(op);
  }) ?? { ok: false, quiet: true, why: 'the store keeps no journal' };
  if (!tail.ok) {
    if (tail.quiet) return undefined;
    throw new ImageRefused(`it was saved at journal ${at.seq}:${at.bytes}, but ${tail.why}`);
  }
  if (tail.records === 0 && json.watermark !== watermark) {
    throw new ImageRefused(`it was saved at change ${json.watermark} but the store is at change ${watermark} with no journal record after it`);
  }
  decodeTableImage(buf, json, table);
  for (const op of ops) applyToTable(table, op);
  return tail.records;
}

/** One journal record's effect on the table, as the store's replay applied it to the rows (lenient). */
function applyToTable(table: SegmentTable, op: JournalOp): void {
  if (op.op === 'insert') {
    for (const s of op.segments) table.put(s);
  } else if (op.op === 'update') {
    for (const p of op.patches) if (table.has(p.id)) table.put({ ...table.meta(p.id), title: '', ...p });
  } else if (op.op === 'delete') {
    for (const id of op.ids) table.remove(id);
  }
}

/** Consumes the image (see the header). One that cannot be removed is left for the next open's checks. */
/**
 * Adds every live row to `postings` under its code in `column`, key by key (ascending ids within a key):
 * the same lists as adding row by row, at a fraction of the cost (one hot list at a time).
 */
function addGrouped(postings: Postings, column: Int32Array, alive: Uint8Array, end: number, keys: number): void {
  const start = new Int32Array(keys + 1);
  for (let id = 1; id < end; id++) if (alive[id] === 1 && column[id] !== NONE) start[column[id] + 1]++;
  for (let c = 0; c < keys; c++) start[c + 1] += start[c];
  const at = start.slice(0, keys);
  const grouped = new Int32Array(start[keys]);
  for (let id = 1; id < end; id++) if (alive[id] === 1 && column[id] !== NONE) grouped[at[column[id]]++] = id;
  for (let c = 0; c < keys; c++) for (let i = start[c]; i < start[c + 1]; i++) postings.add(c, grouped[i]);
}

function removeImage(dir: string, file: string): void {
  try {
    fs.rmSync(file, { force: true });
    fsyncDir(dir);
  } catch {
    // e.g. a directory in its place: the watermark and checksums still guard every later open.
  }
}

function removeTempImages(dir: string): void {
  for (const name of fs.readdirSync(dir)) if (name.startsWith(`${TABLE_IMAGE_FILE}.tmp-`)) fs.rmSync(path.join(dir, name), { force: true });
}
