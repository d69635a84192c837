// The saved form of FlexSearch's term map (term -> relevance slots -> ascending keys), in checksummed
// binary blocks. FlexSearch's own export is JSON: at a million segments its first chunk alone was a
// 121 MB line, one JSON.stringify on save and one JSON.parse on load (~1 s, a 0.5 s stall). Keys within a
// slot only grow (FlexSearch appends), so they are stored as varint deltas: about 1.3 bytes a posting.
//
// Block: u32 crc32 of the rest, u32 term count, then per term: varint byte length + UTF-8 bytes, and per
// slot (RESOLUTION of them) a varint count followed by that many varint key deltas (first one absolute).

import { crc32 } from '../store/journal';

/** One term's slots as FlexSearch keeps them: slot s holds the keys whose best match is in slot s. */
export type Slots = (number[] | null | undefined)[];

const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder('utf-8', { fatal: true });

class ByteWriter {
  buf = new Uint8Array(1 << 16);
  n = 0;

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  varint(v: number): void {
    this.room(5);
    const b = this.buf;
    let n = this.n;
    while (v >= 0x80) {
      b[n++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[n++] = v;
    this.n = n;
  }

  bytes(a: Uint8Array): void {
    this.room(a.length);
    this.buf.set(a, this.n);
    this.n += a.length;
  }
}

/**
 * Encode terms, keeping only keys below `keyLimit` (keys taken after a save started stay out of it).
 * Returns the block and how many postings it holds.
 */
export function encodeBlock(entries: readonly [string, Slots][], slotCount: number, keyLimit: number): { block: Buffer; postings: number } {
  const w = new ByteWriter();
  w.n = 8; // crc and term count, written last
  let postings = 0;
  for (const [term, slots] of entries) {
    const tb = utf8.encode(term);
    w.varint(tb.length);
    w.bytes(tb);
    for (let s = 0; s < slotCount; s++) {
      const arr = slots[s];
      let end = arr ? arr.length : 0;
      while (end > 0 && (arr as number[])[end - 1] >= keyLimit) end--;
      w.varint(end);
      let prev = 0;
      for (let k = 0; k < end; k++) {
        const key = (arr as number[])[k];
        w.varint(key - prev);
        prev = key;
      }
      postings += end;
    }
  }
  const block = Buffer.from(w.buf.buffer, 0, w.n);
  block.writeUInt32LE(entries.length, 4);
  block.writeUInt32LE(crc32(block.subarray(4)), 0);
  return { block, postings };
}

/** Decode a block; throws on a checksum mismatch or a malformed block. */
export function decodeBlock(block: Buffer, slotCount: number): { entries: [string, Slots][]; postings: number } {
  if (block.length < 8 || crc32(block.subarray(4)) !== block.readUInt32LE(0)) throw new Error('a postings block fails its checksum');
  const count = block.readUInt32LE(4);
  const b: Uint8Array = block;
  const end = b.length;
  const reader = { p: 8 };
  const entries: [string, Slots][] = new Array(count);
  let postings = 0;
  for (let t = 0; t < count; t++) {
    const len = readVarint(b, reader, end);
    const at = reader.p;
    if (at + len > end) throw new Error('a postings block is malformed');
    const term = utf8Decode.decode(b.subarray(at, at + len));
    reader.p = at + len;
    const slots: Slots = new Array(slotCount).fill(null);
    for (let s = 0; s < slotCount; s++) {
      const n = readVarint(b, reader, end);
      if (n === 0) continue;
      if (n > end - reader.p) throw new Error('a postings block is malformed');
      slots[s] = readKeys(b, reader, end, n);
      postings += n;
    }
    entries[t] = [term, slots];
  }
  if (reader.p !== end) throw new Error('a postings block is malformed');
  return { entries, postings };
}

function readVarint(b: Uint8Array, reader: { p: number }, end: number): number {
  let p = reader.p;
  let v = 0;
  let scale = 1;
  for (;;) {
    if (p >= end || scale > 2 ** 28) throw new Error('a postings block is malformed');
    const x = b[p++];
    v += (x & 0x7f) * scale;
    if (x < 0x80) break;
    scale *= 128;
  }
  reader.p = p;
  return v;
}

/**
 * `n` delta-coded keys: the hot loop of a load (tens of millions of postings), one byte per key mostly.
 * A large list gets room to grow: an exactly-sized array is copied whole by its first `push` (a common
 * word's list: ~5 ms at 400k keys, paid by the first segment added after a load).
 */
function readKeys(b: Uint8Array, reader: { p: number }, end: number, n: number): number[] {
  const arr = new Array<number>(n >= 1024 ? n + (n >> 3) : n);
  let p = reader.p;
  let key = 0;
  for (let k = 0; k < n; k++) {
    if (p >= end) throw new Error('a postings block is malformed');
    let x = b[p++];
    if (x < 0x80) {
      key += x;
    } else {
      let v = x & 0x7f;
      let shift = 7;
      do {
        if (p >= end || shift > 28) throw new Error('a postings block is malformed');
        x = b[p++];
        v |= (x & 0x7f) << shift;
        shift += 7;
      } while (x >= 0x80);
      key += v >>> 0;
    }
    arr[k] = key;
  }
  arr.length = n;
  reader.p = p;
  return arr;
}
