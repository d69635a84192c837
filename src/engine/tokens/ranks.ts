// BPE tables for one encoding, built once from js-tiktoken's rank files and shared by every counter.
//
// js-tiktoken keeps its ranks in a Map keyed by "104,101,108"-style strings (hundreds of MB of small
// strings, ~1 s to build). We keep the same data in a few typed arrays instead:
//   - every token's bytes in one pool, addressed by rank;
//   - an open-addressing hash table from token bytes to rank (is this whole piece one token?);
//   - a pair table from (left rank, right rank) to the rank of their concatenation, for every way a
//     token splits into two tokens. BPE only ever merges two adjacent tokens into a token, so this is
//     all the merge loop needs, and its lookup is integer-only.
// The rank files are required lazily (they are megabytes of JavaScript) the first time an encoding is
// used; `require` with a literal path keeps them bundleable by esbuild.

import { ContextGcError, type Encoding } from '../model';

/** The shape of a js-tiktoken rank module (`js-tiktoken/ranks/<name>`). */
interface RankFile {
  pat_str: string;
  special_tokens: Record<string, number>;
  bpe_ranks: string;
}

const EMPTY = -1;

export class BpeTables {
  /** The pre-tokenization regex source (tiktoken's `pat_str`). */
  readonly pattern: string;
  /** Rank of each single byte (every byte is a token in these encodings). */
  readonly byteRank = new Int32Array(256);
  /** Longest token, in bytes: longer pieces cannot be one token. */
  readonly maxTokenLength: number;
  readonly tokenCount: number;

  private readonly pool: Uint8Array;
  /** offsets[rank]..offsets[rank + 1] is the token's byte range in pool (empty for unused ranks). */
  private readonly offsets: Int32Array;
  /** Bytes -> rank: slots hold rank + 1, 0 = empty. */
  private readonly byteSlots: Int32Array;
  private readonly byteMask: number;
  /** (left, right) -> merged rank. */
  private readonly pairLeft: Int32Array;
  private readonly pairRight: Int32Array;
  private readonly pairMerged: Int32Array;
  private readonly pairMask: number;

  constructor(file: RankFile) {
    this.pattern = file.pat_str;
    const parsed = parseRanks(file.bpe_ranks);
    this.pool = parsed.pool;
    this.offsets = parsed.offsets;
    this.tokenCount = parsed.count;
    const rankLimit = this.offsets.length - 1;

    let slots = 1;
    while (slots < parsed.count * 2) slots <<= 1;
    this.byteSlots = new Int32Array(slots);
    this.byteMask = slots - 1;
    this.byteRank.fill(EMPTY);
    let maxLen = 0;
    for (let rank = 0; rank < rankLimit; rank++) {
      const start = this.offsets[rank];
      const end = this.offsets[rank + 1];
      if (end === start) continue;
      if (end - start > maxLen) maxLen = end - start;
      if (end - start === 1) this.byteRank[this.pool[start]] = rank;
      let slot = hashBytes(this.pool, start, end) & this.byteMask;
      while (this.byteSlots[slot] !== 0) slot = (slot + 1) & this.byteMask;
      this.byteSlots[slot] = rank + 1;
    }
    this.maxTokenLength = maxLen;
    for (let b = 0; b < 256; b++) {
      if (this.byteRank[b] === EMPTY) {
        throw new ContextGcError('invalid_argument', `The rank file has no token for byte ${b}; it is not a byte-level BPE encoding.`);
      }
    }

    const pairs = collectPairs(this, this.pool, this.offsets);
    let pairSlots = 1;
    while (pairSlots < pairs.count * 2) pairSlots <<= 1;
    this.pairLeft = new Int32Array(pairSlots);
    this.pairRight = new Int32Array(pairSlots);
    this.pairMerged = new Int32Array(pairSlots).fill(EMPTY);
    this.pairMask = pairSlots - 1;
    for (let i = 0; i < pairs.count; i++) {
      const left = pairs.data[3 * i];
      const right = pairs.data[3 * i + 1];
      let slot = hashPair(left, right) & this.pairMask;
      while (this.pairMerged[slot] !== EMPTY) slot = (slot + 1) & this.pairMask;
      this.pairLeft[slot] = left;
      this.pairRight[slot] = right;
      this.pairMerged[slot] = pairs.data[3 * i + 2];
    }
  }

  /** Rank of the token whose bytes are bytes[start..end), or -1 if those bytes are not one token. */
  lookup(bytes: Uint8Array, start: number, end: number): number {
    if (end - start > this.maxTokenLength) return EMPTY;
    return this.lookupHashed(bytes, start, end, hashBytes(bytes, start, end));
  }

  /** lookup() with the hash of bytes[start..end) already computed (mixHash of the FNV state). */
  lookupHashed(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const len = end - start;
    const slots = this.byteSlots;
    const pool = this.pool;
    const offsets = this.offsets;
    let slot = hash & this.byteMask;
    for (;;) {
      const v = slots[slot];
      if (v === 0) return EMPTY;
      const rank = v - 1;
      const off = offsets[rank];
      if (offsets[rank + 1] - off === len) {
        let i = 0;
        while (i < len && pool[off + i] === bytes[start + i]) i++;
        if (i === len) return rank;
      }
      slot = (slot + 1) & this.byteMask;
    }
  }

  /** Rank of the token that is the concatenation of tokens `left` and `right`, or -1 if there is none. */
  pair(left: number, right: number): number {
    let slot = hashPair(left, right) & this.pairMask;
    for (;;) {
      const m = this.pairMerged[slot];
      if (m === EMPTY) return EMPTY;
      if (this.pairLeft[slot] === left && this.pairRight[slot] === right) return m;
      slot = (slot + 1) & this.pairMask;
    }
  }
}

/** Every way a token splits into two tokens, as (left, right, merged) triples. */
function collectPairs(tables: BpeTables, pool: Uint8Array, offsets: Int32Array): { data: Int32Array; count: number } {
  let data = new Int32Array(3 * 1024 * 1024);
  let count = 0;
  const rankLimit = offsets.length - 1;
  for (let rank = 0; rank < rankLimit; rank++) {
    const start = offsets[rank];
    const end = offsets[rank + 1];
    let prefix = FNV_OFFSET;
    for (let cut = start + 1; cut < end; cut++) {
      prefix = Math.imul(prefix ^ pool[cut - 1], FNV_PRIME);
      const left = tables.lookupHashed(pool, start, cut, mixHash(prefix));
      if (left === EMPTY) continue;
      const right = tables.lookup(pool, cut, end);
      if (right === EMPTY) continue;
      if (3 * count + 3 > data.length) {
        const bigger = new Int32Array(data.length * 2);
        bigger.set(data);
        data = bigger;
      }
      data[3 * count] = left;
      data[3 * count + 1] = right;
      data[3 * count + 2] = rank;
      count++;
    }
  }
  return { data, count };
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** FNV-1a over bytes[start..end), then mixHash. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return mixHash(h);
}

function mixHash(h: number): number {
  return (h ^ (h >>> 15)) >>> 0;
}

function hashPair(left: number, right: number): number {
  let h = Math.imul(left, 0x9e3779b1) ^ Math.imul(right + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

const B64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;

/**
 * Parses js-tiktoken's compressed rank format: lines of `<tag> <first rank> <base64 token> <base64 token> ...`,
 * consecutive tokens on a line taking consecutive ranks. Returns every token's bytes in one pool.
 */
function parseRanks(text: string): { pool: Uint8Array; offsets: Int32Array; count: number } {
  // First pass: the highest rank and the total byte size, so the arrays are allocated once.
  let maxRank = -1;
  let bytes = 0;
  let count = 0;
  forEachToken(text, (rank, b64Start, b64End) => {
    if (rank > maxRank) maxRank = rank;
    bytes += decodedLength(text, b64Start, b64End);
    count++;
  });
  const pool = new Uint8Array(bytes);
  const starts = new Int32Array(maxRank + 1).fill(-1);
  const lengths = new Int32Array(maxRank + 1);
  let at = 0;
  forEachToken(text, (rank, b64Start, b64End) => {
    if (starts[rank] !== -1) throw new ContextGcError('invalid_argument', `The rank file lists rank ${rank} twice.`);
    starts[rank] = at;
    const len = decodeBase64(text, b64Start, b64End, pool, at);
    lengths[rank] = len;
    at += len;
  });
  // Rewrite as a dense offsets array in rank order (ranks may have gaps; gaps get empty ranges).
  const ordered = new Uint8Array(bytes);
  const offsets = new Int32Array(maxRank + 2);
  let pos = 0;
  for (let rank = 0; rank <= maxRank; rank++) {
    offsets[rank] = pos;
    if (starts[rank] !== -1) {
      ordered.set(pool.subarray(starts[rank], starts[rank] + lengths[rank]), pos);
      pos += lengths[rank];
    }
  }
  offsets[maxRank + 1] = pos;
  return { pool: ordered, offsets, count };
}

function forEachToken(text: string, fn: (rank: number, b64Start: number, b64End: number) => void): void {
  let lineStart = 0;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    // Skip the tag field, read the first rank, then each space-separated token.
    let p = text.indexOf(' ', lineStart);
    if (p < 0 || p >= lineEnd) {
      lineStart = lineEnd + 1;
      continue;
    }
    p++;
    let rank = 0;
    while (p < lineEnd && text.charCodeAt(p) !== 32) rank = rank * 10 + (text.charCodeAt(p++) - 48);
    while (p < lineEnd) {
      p++; // the space
      const start = p;
      while (p < lineEnd && text.charCodeAt(p) !== 32) p++;
      if (p > start) fn(rank++, start, p);
    }
    lineStart = lineEnd + 1;
  }
}

function decodedLength(text: string, start: number, end: number): number {
  let len = end - start;
  while (len > 0 && text.charCodeAt(start + len - 1) === 61 /* = */) len--;
  return (len * 3) >> 2;
}

function decodeBase64(text: string, start: number, end: number, out: Uint8Array, at: number): number {
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 61) break;
    const v = c < 128 ? B64[c] : -1;
    if (v < 0) throw new ContextGcError('invalid_argument', `The rank file has an invalid base64 token near offset ${i}.`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at + n++] = (acc >> bits) & 0xff;
    }
  }
  return n;
}

const loaded = new Map<Encoding, BpeTables>();

function requireRankFile(encoding: Encoding): RankFile {
  // Literal paths so bundlers include the files; required here so they load only when first used.
  /* eslint-disable @typescript-eslint/no-require-imports */
  let mod: RankFile & { default?: RankFile };
  switch (encoding) {
    case 'o200k_base':
      mod = require('js-tiktoken/ranks/o200k_base') as typeof mod;
      break;
    case 'cl100k_base':
      mod = require('js-tiktoken/ranks/cl100k_base') as typeof mod;
      break;
    default:
      throw new ContextGcError('invalid_argument', `Unknown encoding "${String(encoding)}": use o200k_base or cl100k_base.`);
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  // The CommonJS build exports the object itself; an ES-module interop layer may wrap it in `default`.
  return mod.default ?? mod;
}

/** The tables for an encoding, built on first use and shared by every counter in the process. */
export function bpeTables(encoding: Encoding): BpeTables {
  let tables = loaded.get(encoding);
  if (!tables) {
    tables = new BpeTables(requireRankFile(encoding));
    loaded.set(encoding, tables);
  }
  return tables;
}
