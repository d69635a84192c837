// The engine's full-text search: a FlexSearch `Index` over segment text, ranked OR queries (more matched
// terms first), typo tolerance, and metadata filters that narrow through the segment table's postings
// and typed-array columns. One instance per project store.
//
// How it fits together:
// - FlexSearch holds term -> ids in RESOLUTION relevance slots. We feed it our own tokenizer (identifier
//   parts) and choose each term's slot ourselves (tokenize.ts `slotOf`). We never use FlexSearch's own
//   multi-term intersection: per query term we read the term's slots (straight from its term map, what
//   `search(term, {resolve:false})` returns) and accumulate into dense per-segment arrays, which is exact
//   and cheap (a few ns per posting).
// - A query allocates next to nothing while it walks (typed-array scratch and a reused heap): at a million
//   segments every query's garbage is a share of a 3-4 ms scavenge, and the hot loops stay in their own
//   small methods with stable types, so V8 keeps them optimized (an earlier version deoptimized its plan
//   every query and spent ~1.5 MB and a recompile on it).
// - FlexSearch ids are *keys*, not segment ids. Every (re)index of a segment takes a fresh key; an update
//   or delete just marks the old key dead (`keyToId[key] = 0`). FlexSearch's own remove walks the whole
//   map when `fastupdate` is off (and export/import turns it off), and `fastupdate` doubles memory; dead
//   keys cost a skipped array read at query time instead. Stash/restore only change the tier column.
// - Two plans answer a filtered query. `index`: walk the query terms' postings and check each candidate's
//   columns (tier, type, task, file, tags, times). `filter`: when a task/file/tag filter selects far
//   fewer segments than the postings hold, read those segments' texts through `getTexts` and score them
//   with the same slot function. Both give identical scores, so the plan never changes the answer.
// - Persistence: FlexSearch's term map in binary blocks (postings.ts) plus our key table, one file replaced
//   atomically, tagged with a format version and the engine's change watermark (see save/load). A file
//   behind the store is caught up on what changed (`staleIds` + `catchUp`), found from content hashes.
// - Filters skip postings by key block (keys ascend in every posting list and follow time): a createdAfter
//   bound skips each list's old prefix, a task/file pre-mark skips blocks holding none of its segments.

import { Index } from 'flexsearch';
import { ContextGcError, hashText, isSegmentType, isTier, SEGMENT_TYPES } from '../model';
import { TIER_STASHED, TIER_WORKING, TYPE_CODE, type SegmentTable } from '../table';
import { arrayToBase64, base64ToInt32, base64ToUint32, INDEX_FILE, LineWriter, readLines } from './persist';
import { decodeBlock, encodeBlock, type Slots } from './postings';
import { makeSnippet } from './snippet';
import { analyzeText, RESOLUTION, SLOT_WEIGHT, tokenize, TOKENIZER_VERSION, type AnalyzedText } from './tokenize';
import { allowedEdits, Vocabulary } from './typo';
import type { MatchRange, SearchHit, SearchRequest, SearchResult } from './types';
import * as path from 'path';

export type GetTexts = (ids: readonly number[]) => Map<number, string>;

export interface SearchIndexOptions {
  /** Name of the project this index serves; a request for another project gets no hits. */
  project?: string;
  /** Recency boost halves every this many ms (default 3 days). */
  recencyHalfLifeMs?: number;
  /**
   * For choosing the `filter` plan: how many postings fetching one segment's text is worth (default 200;
   * raise it when `getTexts` is slow), and scanning one character of it (default 1.5).
   */
  textCost?: number;
  charCost?: number;
}

/** Persisted format. Bump when the file layout, the tokenizer or the slot function changes. */
export const INDEX_FORMAT = 'context-gc-search-index';
export const INDEX_VERSION = `3.t${TOKENIZER_VERSION}.r${RESOLUTION}`;

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1000;
/** Query terms beyond this many are ignored (a bit per term in the match mask). */
export const MAX_QUERY_TERMS = 16;
/** Typo variants tried per unknown term, closest and most frequent first. */
const MAX_VARIANTS = 5;
const EDIT_FACTOR = [1, 0.7, 0.5];
const W_RELEVANCE = 0.7;
const W_RECENCY = 0.2;
const W_TYPE = 0.1;
/** Keeps the fraction of a score below 1 so the integer part is the matched-term count. */
const FRACTION_SCALE = 0.999;
/** Postings per block of the saved term map. */
const BLOCK_POSTINGS = 1 << 18;
/** Keys per block of `keyCreatedMax` (as a shift). */
const KEY_BLOCK_BITS = 6;
/** Candidates scored together (see `flushCandidates`). */
const CANDIDATE_BATCH = 128;
/** Postings per pass of `probeSeen`. */
const SEEN_CHUNK = 1024;
/** Background builds yield to the event loop after this much work. */
const SLICE_MS = 12;

interface TextSource {
  term: string;
  factor: number;
  df: number;
}
interface QueryTerm {
  term: string;
  idf: number;
  /** The term itself, or its typo variants. */
  text: TextSource[];
  /** Postings this term's sources hold (an upper bound: dead keys included). */
  size: number;
  /** Its postings as blocks of falling weight (`blocksOf`), taken once per query. */
  blocks: Block[] | null;
}

/** One posting list of a query term (a variant's slot) and the weight a match in it earns. */
interface Block {
  arr: number[];
  w: number;
}

interface Filter {
  tier: number;
  typeMask: number;
  task: number;
  file: number;
  prefix: Uint8Array | null;
  tagsAll: Int32Array | null;
  tagsAny: Int32Array | null;
  /** Whether the narrowest posting's ids are marked in `filterMark` for this query (a fast pre-check). */
  marked: boolean;
  createdAfter: number;
  createdBefore: number;
  touchedAfter: number;
  touchedBefore: number;
  /** True when any column constraint is set. */
  active: boolean;
  /**
   * The narrowest table posting the filter implies: exact live ids (for the `filter` plan) and the raw
   * posting lists behind them (may hold stale entries; for marking candidates in the `index` plan).
   */
  source: { size: number; ids: () => number[]; raw: () => Int32Array[]; kind: 'task' | 'file' | 'prefix' | 'tagsAll' | 'tagsAny' } | null;
}

export interface BuildOptions {
  /** Total number of ids, for progress reports. */
  total?: number;
  signal?: AbortSignal;
  /** Ids fetched from the store per `getTexts` call (default 256). */
  batch?: number;
}

export interface IndexStats {
  /** Segments currently indexed. */
  segments: number;
  /** Keys handed to FlexSearch so far; `deadKeys` of them no longer count. */
  keys: number;
  deadKeys: number;
  vocabulary: number;
  building: boolean;
}

/** A compiled filter for the walks (see `gateOf`). */
interface Gate {
  f: Filter | null;
  mark: Uint32Array | null;
  /** Key blocks holding a key of a pre-marked id (null: not worth it); other postings are skipped unread. */
  blocks: Uint8Array | null;
  markNo: number;
  typeTier: Uint8Array | null;
  task: number;
  file: number;
  prefix: Uint8Array | null;
  /** Whether the tag lists must be checked (the mark does not settle the tag filter exactly). */
  tags: boolean;
  created: boolean;
  cAfter: number;
  cBefore: number;
  touched: boolean;
  tAfter: number;
  tBefore: number;
}

/** The gate of an unfiltered query. */
const OPEN_GATE: Gate = {
  f: null,
  mark: null,
  blocks: null,
  markNo: 0,
  typeTier: null,
  task: -1,
  file: -1,
  prefix: null,
  tags: false,
  created: false,
  cAfter: -Infinity,
  cBefore: Infinity,
  touched: false,
  tAfter: -Infinity,
  tBefore: Infinity,
};

const NO_SLOTS: Slots = [];

interface Ranked {
  id: number;
  score: number;
  matched: number;
}

/**
 * FlexSearch's term map (term -> slots of keys). Saving and compacting read it directly: its JSON export
 * costs a 121 MB stringify at a million segments. Checked, so a FlexSearch that keeps it elsewhere fails
 * loudly in the tests instead of saving an empty index.
 */
function termMap(flex: Index): Map<string, Slots> {
  const map = (flex as unknown as { map?: unknown }).map;
  if (!(map instanceof Map)) throw new ContextGcError('invalid_argument', 'This FlexSearch version keeps its term map elsewhere; the search index cannot read, save or compact its postings (reinstall the extension: it ships the FlexSearch version it was built with).');
  return map as Map<string, Slots>;
}

function growInt32(a: Int32Array, need: number): Int32Array {
  if (need < a.length) return a;
  let n = Math.max(1024, a.length);
  while (n <= need) n *= 2;
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

function growUint32(a: Uint32Array, need: number): Uint32Array {
  if (need < a.length) return a;
  let n = Math.max(1024, a.length);
  while (n <= need) n *= 2;
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}

/** The score (see `scoreOf`); every path computes it here, so equal inputs give the same bits. */
function scoreFrom(matched: number, rel: number, age: number, halfLife: number, typeHit: number): number {
  const recency = age <= 0 ? 1 : halfLife / (halfLife + age);
  return matched + FRACTION_SCALE * (W_RELEVANCE * rel + W_RECENCY * recency + W_TYPE * typeHit);
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Is `v` outside the open interval (lo, hi)? One read of `v` (a second typed-array read cost a lot here). */
function outside(v: number, lo: number, hi: number): boolean {
  return !(v > lo && v < hi);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/** A string's 64-bit hash as two numbers (hashText's halves). */
function hash2(text: string): [number, number] {
  const h = hashText(text);
  return [parseInt(h.slice(0, 8), 16) >>> 0, parseInt(h.slice(8, 16), 16) >>> 0];
}

/**
 * Hashes of the interned file paths and tags of one table, by code: the path and tags part of a segment's
 * indexed-content hash is then a few multiplications, no strings (`staleIds` runs it for every segment).
 */
class FieldHashes {
  private fileHi = new Uint32Array(0);
  private fileLo = new Uint32Array(0);
  private fileSet = new Uint8Array(0);
  private tagHi = new Uint32Array(0);
  private tagLo = new Uint32Array(0);
  private tagSet = new Uint8Array(0);
  hi = 0;
  lo = 0;

  constructor(private readonly table: SegmentTable) {}

  /** Sets `hi`/`lo` to the hash of segment `id`'s file path and tags (0, 0 for neither). */
  of(id: number): void {
    const t = this.table;
    const fc = t.file[id];
    const codes = t.tags[id];
    let hi = 0;
    let lo = 0;
    if (fc >= 0) {
      if (fc >= this.fileSet.length || this.fileSet[fc] === 0) this.addFile(fc);
      hi = this.fileHi[fc];
      lo = this.fileLo[fc];
    }
    if (codes) {
      for (let i = 0; i < codes.length; i++) {
        const c = codes[i];
        if (c >= this.tagSet.length || this.tagSet[c] === 0) this.addTag(c);
        hi = (Math.imul(hi ^ this.tagHi[c], 0x9e3779b1) + 1) >>> 0;
        lo = (Math.imul(lo ^ this.tagLo[c], 0x85ebca77) + 1) >>> 0;
      }
    }
    this.hi = hi;
    this.lo = lo;
  }

  private addFile(fc: number): void {
    if (fc >= this.fileSet.length) {
      const n = Math.max(64, fc * 2);
      this.fileHi = growTo(this.fileHi, n);
      this.fileLo = growTo(this.fileLo, n);
      const set = new Uint8Array(n);
      set.set(this.fileSet);
      this.fileSet = set;
    }
    [this.fileHi[fc], this.fileLo[fc]] = hash2(`f\u0000${this.table.files.values[fc]}`);
    this.fileSet[fc] = 1;
  }

  private addTag(c: number): void {
    if (c >= this.tagSet.length) {
      const n = Math.max(64, c * 2);
      this.tagHi = growTo(this.tagHi, n);
      this.tagLo = growTo(this.tagLo, n);
      const set = new Uint8Array(n);
      set.set(this.tagSet);
      this.tagSet = set;
    }
    [this.tagHi[c], this.tagLo[c]] = hash2(`t\u0000${this.table.tagNames.values[c]}`);
    this.tagSet[c] = 1;
  }
}

function growTo(a: Uint32Array, n: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}

function invalid(message: string): never {
  throw new ContextGcError('invalid_argument', message);
}

function emptyResult(terms: string[], partial: boolean): SearchResult {
  return { hits: [], total: 0, terms, corrections: [], skippedForTokens: 0, partial, plan: 'none' };
}

export class SearchIndex {
  private flex: Index;
  private keyToId: Int32Array = new Int32Array(1024);
  private idToKey: Int32Array = new Int32Array(1024);
  private hashHi: Uint32Array = new Uint32Array(1024);
  private hashLo: Uint32Array = new Uint32Array(1024);
  private nextKey = 1;
  /**
   * Per block of keys: the latest `createdAt` of a segment keyed in that block or an earlier one (dead keys
   * excluded at load). Keys only grow and every posting list holds its keys in ascending order (FlexSearch
   * appends), so a `createdAfter` bound skips the prefix of a posting list whose blocks are all older: a
   * "recent" filter walks only the recent part of a common word's postings. `createdAt` never changes.
   */
  private keyCreatedMax: Float64Array = new Float64Array(0);
  private deadKeys = 0;
  private indexed = 0;
  private changes = 0;
  private building = 0;
  /** While `compact()` runs: ids (re)indexed meanwhile, to index again into the compacted index. */
  private compacting: Set<number> | null = null;
  private readonly vocabulary = new Vocabulary();
  private readonly fields: FieldHashes;
  private readonly halfLife: number;
  private readonly textCost: number;
  private readonly charCost: number;

  // Encoder hand-off with FlexSearch: the analysis of the segment being added.
  private pending: AnalyzedText | null = null;
  private lastTerms: string[] = [];
  private lastSlots: Uint8Array = new Uint8Array(0);

  // Query scratch, indexed by segment id; `stamp` marks entries written by the current query.
  private stamp: Uint32Array = new Uint32Array(0);
  private mask: Uint32Array = new Uint32Array(0);
  private acc: Float64Array = new Float64Array(0);
  private touched: Int32Array = new Int32Array(0);
  private queryNo = 0;
  private filterMark: Uint32Array = new Uint32Array(0);
  /** Index plan: a bit per id the probe of the last term would add (counted for `total`). */
  private newMark: Int32Array = new Int32Array(0);
  /** Index plan: bit j set when the id matched query term j; all zero between queries. */
  private bits: Uint16Array = new Uint16Array(0);
  private filterMarkNo = 0;
  /** Key blocks of the pre-marked ids (see `markFilter`), or null when they are most of all blocks. */
  private filterBlocks: Uint8Array | null = null;
  private blockScratch: Uint8Array = new Uint8Array(0);
  /** The best `limit` of the current query (one instance, reset per query). */
  private readonly topK = new TopK();
  /** Candidates waiting to be scored and offered to `topK` (see `flushCandidates`). */
  private readonly candId = new Int32Array(CANDIDATE_BATCH);
  private readonly candMatched = new Int32Array(CANDIDATE_BATCH);
  private readonly candRel = new Float64Array(CANDIDATE_BATCH);
  private readonly candScore = new Float64Array(CANDIDATE_BATCH);
  private readonly seenChunk = new Int32Array(SEEN_CHUNK);
  /** Where `probeSeen` stopped. */
  private probeStop = 0;

  constructor(
    private readonly table: SegmentTable,
    private readonly getTexts: GetTexts,
    private readonly opts: SearchIndexOptions = {},
  ) {
    this.flex = this.newFlex();
    this.fields = new FieldHashes(table);
    this.halfLife = opts.recencyHalfLifeMs ?? 3 * 24 * 3600 * 1000;
    this.textCost = opts.textCost ?? 200;
    this.charCost = opts.charCost ?? 1.5;
  }

  private newFlex(): Index {
    return new Index({
      tokenize: 'strict',
      resolution: RESOLUTION,
      fastupdate: false,
      cache: false,
      context: false,
      encode: (text: string) => this.encode(text),
      score: (content: string[], _term: string, i: number) => (content === this.lastTerms ? this.lastSlots[i] : RESOLUTION - 1),
    });
  }

  private encode(text: string): string[] {
    const a = this.pending ?? analyzeText(text);
    this.pending = null;
    this.lastTerms = a.terms;
    this.lastSlots = a.slots;
    for (const t of a.terms) this.vocabulary.add(t);
    return a.terms;
  }

  /**
   * The relevance slots of one term: slot s holds the keys whose best match is in slot s. Read from
   * FlexSearch's term map itself, which is what its `search(term, { resolve: false })` hands back for one
   * term, without the resolver and encoder objects that call builds each time (several per query term).
   */
  private postings(term: string): Slots {
    return termMap(this.flex).get(term) ?? NO_SLOTS;
  }

  private static df(slots: Slots): number {
    let n = 0;
    for (let s = 0; s < slots.length; s++) n += slots[s]?.length ?? 0;
    return n;
  }

  // ---------------------------------------------------------------- keeping in step

  /**
   * Index (or re-index) a segment: its text plus the file path and tags the table holds for it now. Call it
   * again (`update`) after the text, path or tags change; an unchanged segment is left alone.
   */
  add(id: number, text: string, _filePath?: string | null, _tags?: readonly string[]): void {
    if (!Number.isInteger(id) || id <= 0) invalid(`Segment id must be a positive integer, got ${id}.`);
    const { filePath, tags } = this.fieldsOf(id);
    // What the segment is indexed from: its text's hash mixed with its path's and tags'.
    const [textHi, textLo] = hash2(text);
    let hi = textHi;
    let lo = textLo;
    if (this.table.has(id)) {
      this.fields.of(id);
      hi = (hi ^ this.fields.hi) >>> 0;
      lo = (lo ^ this.fields.lo) >>> 0;
    }
    this.ensureId(id);
    const old = this.idToKey[id];
    if (old !== 0) {
      if (this.hashHi[id] === hi && this.hashLo[id] === lo) return;
      this.keyToId[old] = 0;
      this.deadKeys++;
      this.indexed--;
    }
    const key = this.nextKey++;
    this.keyToId = growInt32(this.keyToId, key);
    this.keyToId[key] = id;
    this.idToKey[id] = key;
    this.hashHi[id] = hi;
    this.hashLo[id] = lo;
    this.indexed++;
    this.changes++;
    this.noteKeyCreated(key, this.table.has(id) ? this.table.created[id] : Infinity);
    this.compacting?.add(id);
    this.pending = analyzeText(text, filePath, tags);
    try {
      this.flex.add(key, text || ' ');
    } finally {
      this.pending = null;
    }
  }

  /** Keep `keyCreatedMax` a running maximum over key blocks; keys arrive in ascending order. */
  private noteKeyCreated(key: number, created: number): void {
    const b = key >> KEY_BLOCK_BITS;
    if (b >= this.keyCreatedMax.length) {
      const next = new Float64Array(Math.max(1024, this.keyCreatedMax.length * 2, b + 1)).fill(-Infinity);
      next.set(this.keyCreatedMax);
      this.keyCreatedMax = next;
    }
    const m = this.keyCreatedMax;
    let v = created > m[b] ? created : m[b];
    if (b > 0 && m[b - 1] > v) v = m[b - 1];
    m[b] = v;
  }

  /** First position in a posting list (ascending keys) whose key block may hold a segment created after `after`. */
  private startAfter(arr: number[], after: number): number {
    const m = this.keyCreatedMax;
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (m[arr[mid] >> KEY_BLOCK_BITS] > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** The file path and tags the table holds for a segment (none when the table has no such row). */
  private fieldsOf(id: number): { filePath: string | null; tags: string[] } {
    const t = this.table;
    if (!t.has(id)) return { filePath: null, tags: [] };
    const fc = t.file[id];
    const codes = t.tags[id];
    return { filePath: fc >= 0 ? t.files.values[fc] : null, tags: codes ? Array.from(codes, (c) => t.tagNames.values[c]) : [] };
  }

  /** Same as `add`: a changed text is indexed again, an unchanged one is left alone. */
  update(id: number, text: string, filePath?: string | null, tags?: readonly string[]): void {
    this.add(id, text, filePath, tags);
  }

  remove(id: number): void {
    if (!Number.isInteger(id) || id <= 0 || id >= this.idToKey.length) return;
    const key = this.idToKey[id];
    if (key === 0) return;
    this.keyToId[key] = 0;
    this.idToKey[id] = 0;
    this.deadKeys++;
    this.indexed--;
    this.changes++;
  }

  /** Counts changes to what is indexed (adds, re-indexes, removes): equal counts, equal content. */
  get version(): number {
    return this.changes;
  }

  /** Whether a segment's text is in the index. */
  has(id: number): boolean {
    return Number.isInteger(id) && id > 0 && id < this.idToKey.length && this.idToKey[id] !== 0;
  }

  stats(): IndexStats {
    return { segments: this.indexed, keys: this.nextKey - 1, deadKeys: this.deadKeys, vocabulary: this.vocabulary.size, building: this.building > 0 };
  }

  private ensureId(id: number): void {
    if (id < this.idToKey.length) return;
    this.idToKey = growInt32(this.idToKey, id);
    this.hashHi = growUint32(this.hashHi, id);
    this.hashLo = growUint32(this.hashLo, id);
  }

  /**
   * Index the given segments' texts in the background, in time slices that yield to the event loop, while
   * the index answers queries (with `partial: true`). Segments already indexed are skipped, so a build can
   * be resumed or run over everything after a partial load.
   */
  async buildInBackground(ids: Iterable<number>, onProgress?: (done: number, total?: number) => void, options: BuildOptions = {}): Promise<{ indexed: number; ms: number }> {
    const started = performance.now();
    const batch = options.batch ?? 256;
    const cancelled = (): boolean => options.signal?.aborted === true;
    let done = 0;
    let added = 0;
    let slice = performance.now();
    // Yield to the event loop once a slice of work is used up, so the store stays usable meanwhile.
    const breathe = async (): Promise<void> => {
      if (performance.now() - slice < SLICE_MS) return;
      onProgress?.(done, options.total);
      await new Promise<void>((r) => setImmediate(r));
      slice = performance.now();
    };
    this.building++;
    try {
      let pending: number[] = [];
      const flush = async (): Promise<void> => {
        const todo = pending.filter((id) => this.table.has(id) && !this.has(id));
        pending = [];
        if (todo.length === 0) return;
        const texts = this.getTexts(todo);
        for (const id of todo) {
          const text = texts.get(id);
          // Re-checked after every yield: the engine may have indexed, changed or deleted it meanwhile.
          if (text !== undefined && this.table.has(id) && !this.has(id)) {
            this.add(id, text);
            added++;
          }
          await breathe();
        }
      };
      for (const id of ids) {
        pending.push(id);
        done++;
        if (pending.length < batch) continue;
        await flush();
        if (cancelled()) throw new ContextGcError('invalid_argument', 'The search index build was cancelled.');
      }
      await flush();
      onProgress?.(done, options.total);
    } finally {
      this.building--;
    }
    return { indexed: added, ms: performance.now() - started };
  }

  // ---------------------------------------------------------------- search

  search(req: SearchRequest, now: number): SearchResult {
    validateRequest(req);
    const limit = req.limit ?? DEFAULT_LIMIT;
    const partial = this.building > 0;
    if (req.project !== undefined && this.opts.project !== undefined && req.project !== this.opts.project) return emptyResult([], partial);
    const terms = Array.from(new Set(tokenize(req.query))).slice(0, MAX_QUERY_TERMS);
    const filter = this.compileFilter(req);
    if (terms.length === 0) {
      if (req.query.trim() !== '') return emptyResult([], partial);
      return this.browse(req, filter, limit, now, partial);
    }
    const corrections: SearchResult['corrections'] = [];
    const qts = terms.map((t) => this.planTerm(t, corrections));
    if (filter === null) return { ...emptyResult(terms, partial), corrections };
    let postings = 0;
    for (const q of qts) postings += q.size;
    // Canonical order (rarest first): both plans sum an id's weights in this order, so scores agree exactly.
    const order = qts.map((_, j) => j).sort((a, b) => qts[a].size - qts[b].size || a - b);
    const n = this.table.count;
    for (const q of qts) q.idf = Math.log(1 + n / (1 + q.size));

    this.prepareScratch();
    let ranked: { top: Ranked[]; total: number };
    let plan: SearchResult['plan'];
    if (filter.source && this.filterPlanCheaper(filter.source, postings)) {
      plan = 'filter';
      const count = this.runFilterPlan(qts, filter, order);
      ranked = { top: this.selectTop(qts, count, limit, now), total: count };
    } else {
      plan = 'index';
      ranked = this.runIndexPlan(qts, filter, limit, now, order);
    }
    const top = ranked.top;
    const count = ranked.total;
    const needles = new Map<string, number>();
    qts.forEach((q, j) => {
      for (const s of q.text) if (!needles.has(s.term)) needles.set(s.term, j);
      if (!needles.has(q.term)) needles.set(q.term, j);
    });
    const { hits, skipped } = this.makeHits(top, needles, req.maxTokens);
    return { hits, total: count, terms, corrections, skippedForTokens: skipped, partial, plan };
  }

  /**
   * Is reading the filtered segments' texts cheaper than walking `postings`? Costs are in postings: a text
   * costs `textCost` to fetch plus `charCost` per character to scan and tokenize (long code segments are
   * many times dearer than short messages), summed over the narrowest filter's raw posting.
   */
  private filterPlanCheaper(source: NonNullable<Filter['source']>, postings: number): boolean {
    if (source.size * this.textCost >= postings) return false;
    if (this.charCost === 0) return true;
    const chars = this.table.chars;
    let cost = source.size * this.textCost;
    for (const ids of source.raw()) {
      for (let k = 0; k < ids.length; k++) {
        cost += chars[ids[k]] * this.charCost;
        if (cost >= postings) return false;
      }
    }
    return true;
  }

  /** Sources of one query term: its postings, or for a term the index has never seen, close words'. */
  private planTerm(term: string, corrections: SearchResult['corrections']): QueryTerm {
    const q: QueryTerm = { term, idf: 0, text: [], size: 0, blocks: null };
    const df = SearchIndex.df(this.postings(term));
    if (df > 0) {
      q.text.push({ term, factor: 1, df });
      q.size = df;
      return q;
    }
    const near = this.vocabulary
      .near(term, allowedEdits(term.length))
      .map((v) => ({ ...v, df: SearchIndex.df(this.postings(v.term)) }))
      .filter((v) => v.df > 0)
      .sort((a, b) => a.edits - b.edits || b.df - a.df || (a.term < b.term ? -1 : 1))
      .slice(0, MAX_VARIANTS);
    if (near.length > 0) corrections.push({ term, variants: near.map((v) => v.term) });
    for (const v of near) {
      q.text.push({ term: v.term, factor: EDIT_FACTOR[v.edits], df: v.df });
      q.size += v.df;
    }
    return q;
  }

  private compileFilter(req: SearchRequest): Filter | null {
    const t = this.table;
    const f: Filter = {
      tier: -1,
      typeMask: 0,
      task: -1,
      file: -1,
      prefix: null,
      tagsAll: null,
      tagsAny: null,
      marked: false,
      createdAfter: req.createdAfter ?? -Infinity,
      createdBefore: req.createdBefore ?? Infinity,
      touchedAfter: req.touchedAfter ?? -Infinity,
      touchedBefore: req.touchedBefore ?? Infinity,
      active: false,
      source: null,
    };
    const offer = (size: number, ids: () => number[], raw: () => Int32Array[], kind: NonNullable<Filter['source']>['kind']): void => {
      if (!f.source || size < f.source.size) f.source = { size, ids, raw, kind };
    };
    if (req.tier !== undefined) f.tier = req.tier === 'working' ? TIER_WORKING : TIER_STASHED;
    if (req.types && req.types.length > 0) for (const ty of req.types) f.typeMask |= 1 << TYPE_CODE[ty];
    if (req.taskId !== undefined) {
      const code = t.tasks.lookup(req.taskId);
      if (code === undefined) return null;
      f.task = code;
      const taskId = req.taskId;
      offer(t.byTask.sizeOf(code), () => t.idsForTask(taskId), () => [t.byTask.candidates(code)], 'task');
    }
    if (req.filePath !== undefined) {
      const code = t.files.lookup(req.filePath);
      if (code === undefined) return null;
      f.file = code;
      const filePath = req.filePath;
      offer(t.byFile.sizeOf(code), () => t.idsForFile(filePath), () => [t.byFile.candidates(code)], 'file');
    }
    if (req.filePathPrefix !== undefined) {
      const codes = t.fileCodesWithPrefix(req.filePathPrefix);
      if (codes.length === 0) return null;
      f.prefix = new Uint8Array(t.files.size);
      let size = 0;
      for (const c of codes) {
        f.prefix[c] = 1;
        size += t.byFile.sizeOf(c);
      }
      const prefix = req.filePathPrefix;
      offer(size, () => t.idsForFilePrefix(prefix), () => codes.map((c) => t.byFile.candidates(c)), 'prefix');
    }
    if (req.tagsAll && req.tagsAll.length > 0) {
      const codes: number[] = [];
      for (const tag of req.tagsAll) {
        const code = t.tagNames.lookup(tag);
        if (code === undefined) return null;
        codes.push(code);
        offer(t.byTag.sizeOf(code), () => t.idsForTag(tag), () => [t.byTag.candidates(code)], 'tagsAll');
      }
      f.tagsAll = Int32Array.from(codes);
    }
    if (req.tagsAny && req.tagsAny.length > 0) {
      const known = req.tagsAny.filter((tag) => t.tagNames.lookup(tag) !== undefined);
      if (known.length === 0) return null;
      const codes = known.map((tag) => t.tagNames.lookup(tag) as number);
      f.tagsAny = Int32Array.from(codes);
      let size = 0;
      for (const c of codes) size += t.byTag.sizeOf(c);
      offer(size, () => {
        const all: number[] = [];
        for (const tag of known) for (const id of t.idsForTag(tag)) all.push(id);
        all.sort((a, b) => a - b);
        return all.filter((id, i) => i === 0 || id !== all[i - 1]);
      }, () => codes.map((c) => t.byTag.candidates(c)), 'tagsAny');
    }
    f.active =
      f.tier >= 0 ||
      f.typeMask !== 0 ||
      f.task >= 0 ||
      f.file >= 0 ||
      f.prefix !== null ||
      f.tagsAll !== null ||
      f.tagsAny !== null ||
      f.createdAfter !== -Infinity ||
      f.createdBefore !== Infinity ||
      f.touchedAfter !== -Infinity ||
      f.touchedBefore !== Infinity;
    return f;
  }

  /** Does live segment `id` pass the filter's column checks? */
  private passes(f: Filter, id: number): boolean {
    if (f.marked && this.filterMark[id] !== this.filterMarkNo) return false;
    const t = this.table;
    if (f.tier >= 0 && t.tier[id] !== f.tier) return false;
    if (f.typeMask !== 0 && (f.typeMask & (1 << t.type[id])) === 0) return false;
    if (f.task >= 0 && t.task[id] !== f.task) return false;
    if (f.file >= 0 && t.file[id] !== f.file) return false;
    if (f.prefix !== null) {
      const fc = t.file[id];
      if (fc < 0 || f.prefix[fc] !== 1) return false;
    }
    if ((f.tagsAll !== null || f.tagsAny !== null) && !this.tagsOk(f, id)) return false;
    const created = t.created[id];
    if (!(created > f.createdAfter && created < f.createdBefore)) return false;
    const touched = t.touched[id];
    if (!(touched > f.touchedAfter && touched < f.touchedBefore)) return false;
    return true;
  }

  private prepareScratch(): void {
    const cap = this.table.capacity + 1;
    if (this.stamp.length < cap) {
      this.stamp = growUint32(new Uint32Array(0), cap);
      const n = this.stamp.length;
      this.mask = new Uint32Array(n);
      this.acc = new Float64Array(n);
      this.touched = new Int32Array(n);
      this.bits = new Uint16Array(n);
      this.queryNo = 0;
    }
    if (++this.queryNo === 0xffffffff) {
      this.stamp.fill(0);
      this.queryNo = 1;
    }
  }

  /**
   * The index plan. Terms are taken rarest first (the canonical order both plans sum weights in).
   * - With three or more terms, first the optimistic way: walk the rarest term in full, probe the middle
   *   ones (credit ids already seen, count the ids they would add), and score the ids holding every term
   *   while walking the last. If `limit` ids match every term, those are the answer: no id missing the
   *   rarest term can match as many.
   * - Otherwise walk every term but the last in full, then walk the last once, scoring as it goes (seen
   *   ids with their final count, new ids as one-term matches), and finally offer the seen ids the last
   *   term does not hold. Scoring stops wherever a whole block of postings cannot beat the k-th best.
   * Each walk is sequential over the term's postings and typed arrays; nothing is allocated per posting.
   */
  private runIndexPlan(qts: QueryTerm[], f: Filter, limit: number, now: number, order: number[]): { top: Ranked[]; total: number } {
    const filter = f.active ? f : null;
    if (filter !== null) this.markFilter(filter);
    let sumIdf = 0;
    for (const q of qts) sumIdf += q.idf;
    const m = qts.length;
    if (m === 1) return this.singleTerm(qts[0], filter, limit, now, sumIdf);
    // Rough expectations (terms independent) only choose the path; every path gives the same answer.
    const n = Math.max(1, this.table.count);
    const share = f.source !== null ? Math.min(1, f.source.size / n) : 1;
    let allTerms = qts[order[0]].size * share;
    for (let i = 1; i < m; i++) allTerms *= qts[order[i]].size / n;
    let seen = 0;
    try {
      let extra = 0;
      const typeMask = this.typeBoostMask(qts);
      // Weight sum of the terms before the last at their best: bounds an id's weight before the last term.
      let accMax = 0;
      let need = 0;
      for (let i = 0; i < m - 1; i++) {
        const blocks = this.blocksOf(qts[order[i]]);
        accMax += qts[order[i]].idf * (blocks.length > 0 ? blocks[0].w : 0);
        need |= 1 << order[i];
      }
      const last = order[m - 1];
      if (m >= 3 && allTerms >= limit / 4) {
        seen = this.walk(qts[order[0]], order[0], filter, seen, false);
        for (let i = 1; i < m - 1; i++) extra += this.walkProbe(qts[order[i]], order[i], filter);
        const heap = this.topK.reset(limit);
        extra += this.probeAndScore(qts[last], last, filter, need, m, m, sumIdf, accMax, heap, typeMask, now, true);
        if (heap.full) return { top: heap.sorted(), total: seen + extra };
        this.clearSeen(seen);
        seen = 0;
        extra = 0;
      }
      // Walk every term but the last; the last is walked once, scoring as it goes: ids seen before with
      // their final count, ids it adds with count 1 (both only while they can still rank).
      for (let i = 0; i < m - 1; i++) seen = this.walk(qts[order[i]], order[i], filter, seen, false);
      const heap = this.topK.reset(limit);
      // New ids need no dedupe bitset unless the term has several variants: one term holds a key once.
      extra = this.probeAndScore(qts[last], last, filter, 0, 0, m, sumIdf, accMax, heap, typeMask, now, qts[last].text.length > 1);
      // Then the ids the last term does not hold: their count and weight are final already.
      const typeMax = typeMask !== 0 ? W_TYPE : 0;
      const bestRest = m - 1 + FRACTION_SCALE * (W_RELEVANCE * (sumIdf > 0 ? accMax / sumIdf : 0) + W_RECENCY + typeMax);
      if (!(heap.full && bestRest < heap.minScore)) this.offerUnmatched(seen, 1 << last, sumIdf, heap, typeMask, now);
      return { top: heap.sorted(), total: seen + extra };
    } finally {
      this.clearSeen(seen);
    }
  }

  /** Clear the match bits of the first `count` touched ids and the new-id bitset (all zero between queries). */
  private clearSeen(count: number): void {
    const bits = this.bits;
    const touched = this.touched;
    for (let k = 0; k < count; k++) bits[touched[k]] = 0;
    this.newMarkFor().fill(0);
  }

  /** Offer the first `count` touched ids that lack `lastBit`: their matched count and weight are final. */
  private offerUnmatched(count: number, lastBit: number, sumIdf: number, heap: TopK, typeMask: number, now: number): void {
    const bits = this.bits;
    const touched = this.touched;
    const acc = this.acc;
    const typeMax = typeMask !== 0 ? W_TYPE : 0;
    const candId = this.candId;
    const candMatched = this.candMatched;
    const candRel = this.candRel;
    let cn = 0;
    // Newest first within each walked block (ids were appended in ascending key order): recent ids tend
    // to rank, so the heap's bar rises early.
    for (let k = count - 1; k >= 0; k--) {
      const id = touched[k];
      const b = bits[id];
      if ((b & lastBit) !== 0) continue;
      const c = popcount(b);
      if (heap.full && c + 1 <= heap.minScore) continue;
      const rel = sumIdf > 0 ? acc[id] / sumIdf : 0;
      if (heap.full && c + FRACTION_SCALE * (W_RELEVANCE * rel + W_RECENCY + typeMax) < heap.minScore) continue;
      candId[cn] = id;
      candMatched[cn] = c;
      candRel[cn] = rel;
      if (++cn === CANDIDATE_BATCH) {
        this.flushCandidates(cn, heap, typeMask, now);
        cn = 0;
      }
    }
    this.flushCandidates(cn, heap, typeMask, now);
  }

  /**
   * The per-posting filter check, cheapest first: the pre-marked narrowest posting, a type × tier table,
   * time bounds; the exact task/file/tag check (`passes`) only for what gets through. No filter: a gate
   * that lets everything through.
   */
  private gateOf(f: Filter | null): Gate {
    if (f === null) return OPEN_GATE;
    let typeTier: Uint8Array | null = null;
    if (f.typeMask !== 0 || f.tier >= 0) {
      typeTier = new Uint8Array(64);
      for (let ty = 0; ty < 32; ty++) {
        for (let tier = 0; tier < 2; tier++) {
          const typeOk = f.typeMask === 0 || (f.typeMask & (1 << ty)) !== 0;
          const tierOk = f.tier < 0 || f.tier === tier;
          typeTier[(ty << 1) | tier] = typeOk && tierOk ? 1 : 0;
        }
      }
    }
    return {
      f,
      mark: f.marked ? this.filterMark : null,
      markNo: this.filterMarkNo,
      blocks: f.marked ? this.filterBlocks : null,
      typeTier,
      created: f.createdAfter !== -Infinity || f.createdBefore !== Infinity,
      cAfter: f.createdAfter,
      cBefore: f.createdBefore,
      touched: f.touchedAfter !== -Infinity || f.touchedBefore !== Infinity,
      tAfter: f.touchedAfter,
      tBefore: f.touchedBefore,
      task: f.task,
      file: f.file,
      prefix: f.prefix,
      tags: (f.tagsAll !== null || f.tagsAny !== null) && !this.markCoversTags(f),
    };
  }

  /**
   * Does the pre-mark settle the tag filter by itself? It does when it was made from the tag postings the
   * filter names (any: all of them; all: the only one) and those hold no stale entries (live == length).
   */
  private markCoversTags(f: Filter): boolean {
    if (!f.marked || f.source === null) return false;
    const byTag = this.table.byTag;
    const exact = (codes: Int32Array): boolean => {
      for (const c of codes) if (byTag.sizeOf(c) !== byTag.candidates(c).length) return false;
      return true;
    };
    if (f.source.kind === 'tagsAny' && f.tagsAll === null) return exact(f.tagsAny as Int32Array);
    if (f.source.kind === 'tagsAll' && f.tagsAny === null && (f.tagsAll as Int32Array).length === 1) return exact(f.tagsAll as Int32Array);
    return false;
  }

  /** The tag part of the filter, on the segment's tag list. */
  private tagsOk(f: Filter, id: number): boolean {
    const tags = this.table.tags[id];
    if (!tags) return false;
    if (f.tagsAll !== null) for (const c of f.tagsAll) if (!tags.includes(c)) return false;
    if (f.tagsAny !== null) {
      for (const c of f.tagsAny) if (tags.includes(c)) return true;
      return false;
    }
    return true;
  }

  /**
   * Walk the last term once, scoring as it goes. Blocks come best weight first, so once a block cannot
   * beat the k-th best the rest is only counted for `total`.
   * - `matched > 0` (all-terms mode): only ids seen before that hold every earlier term (`need`) are scored,
   *   as matching `matched` terms; while the heap is not full every seen id is still credited.
   * - `matched = 0`: every id is scored, a seen one with its count plus one, a new one as matching one term
   *   (its weight is this term's).
   * Returns how many passing ids the term adds.
   */
  private probeAndScore(q: QueryTerm, j: number, filter: Filter | null, need: number, matched: number, maxCount: number, sumIdf: number, accMax: number, heap: TopK, typeMask: number, now: number, dedupeNew: boolean): number {
    const alive = this.table.alive;
    const keyToId = this.keyToId;
    const bits = this.bits;
    const acc = this.acc;
    const bit = 1 << j;
    const seenNew = this.newMarkFor();
    const candId = this.candId;
    const candMatched = this.candMatched;
    const candRel = this.candRel;
    let cn = 0;
    const typeMax = typeMask !== 0 ? W_TYPE : 0;
    // The gate's fields in locals: property reads inside the per-posting loop cost more than the checks.
    const { blocks: gBlocks, mark: gMark, markNo: gNo, typeTier: gTypeTier, created: gCreated, cAfter: gCA, cBefore: gCB, touched: gTouched, tAfter: gTA, tBefore: gTB, task: gTask, file: gFile, prefix: gPrefix, tags: gTags } = this.gateOf(filter);
    const { task: colTask, file: colFile, type: colType, tier: colTier, created: colCreated, touched: colTouched } = this.table;
    const gSkip = gCreated && gCA !== -Infinity;

    let extra = 0;
    const anyMode = matched === 0;
    const topCount = anyMode ? maxCount : matched;
    for (const { arr, w } of this.blocksOf(q)) {
      const inc = q.idf * w;
      const blockUpper = topCount + FRACTION_SCALE * (W_RELEVANCE * (sumIdf > 0 ? (accMax + inc) / sumIdf : 0) + W_RECENCY + typeMax);
      const newRel = sumIdf > 0 ? inc / sumIdf : 0;
      const newUpper = 1 + FRACTION_SCALE * (W_RELEVANCE * newRel + W_RECENCY + typeMax);
      let scoring = !(heap.full && blockUpper < heap.minScore);
      let scoringNew = anyMode && !(heap.full && newUpper < heap.minScore);
      const from = gSkip ? this.startAfter(arr, gCA) : 0;
      let k = arr.length - 1;
      for (; k >= from; k--) {
        // Nothing left to score in this block: the rest is only counted, in a leaner loop.
        if (!scoring && !scoringNew) break;
        // Only seen ids can still score: the rest in chunks, new and seen told apart without branches.
        if (!scoringNew && filter === null && !dedupeNew) {
          this.flushCandidates(cn, heap, typeMask, now);
          cn = 0;
          extra += this.probeSeen(arr, from, k, bit, inc, need, matched, sumIdf, blockUpper, heap, typeMask, now);
          k = this.probeStop;
          break;
        }
        if (gBlocks !== null && gBlocks[arr[k] >> KEY_BLOCK_BITS] === 0) continue;
        const id = keyToId[arr[k]];
        if (id === 0 || alive[id] !== 1) continue;
        const b = bits[id];
        if (b !== 0) {
          if (!scoring || (b & bit) !== 0) continue;
          // Marked as holding this term (so the last pass skips it); its weight sum is not needed after
          // this, so it is not stored back.
          bits[id] = b | bit;
          if (!anyMode && (b & need) !== need) continue;
          const c = anyMode ? popcount(b) + 1 : matched;
          // A score is below c + 1: when that cannot reach the k-th best, the weight is not even read.
          if (heap.full && c + 1 <= heap.minScore) continue;
          const rel = sumIdf > 0 ? (acc[id] + inc) / sumIdf : 0;
          if (heap.full && c + FRACTION_SCALE * (W_RELEVANCE * rel + W_RECENCY + typeMax) < heap.minScore) continue;
          candId[cn] = id;
          candMatched[cn] = c;
          candRel[cn] = rel;
          if (++cn === CANDIDATE_BATCH) {
            this.flushCandidates(cn, heap, typeMask, now);
            cn = 0;
            if (heap.full && blockUpper < heap.minScore) scoring = false;
          }
        } else {
          if (dedupeNew) {
            const word = id >> 5;
            const mb = 1 << (id & 31);
            if ((seenNew[word] & mb) !== 0) continue;
            seenNew[word] |= mb;
          }
          if (
            (gMark !== null && gMark[id] !== gNo) ||
            (gTypeTier !== null && gTypeTier[(colType[id] << 1) | colTier[id]] === 0) ||
            (gCreated && outside(colCreated[id], gCA, gCB)) ||
            (gTouched && outside(colTouched[id], gTA, gTB)) ||
            (gTask >= 0 && colTask[id] !== gTask) ||
            (gFile >= 0 && colFile[id] !== gFile) ||
            (gPrefix !== null && (colFile[id] < 0 || gPrefix[colFile[id]] !== 1)) ||
            (gTags && !this.tagsOk(filter as Filter, id))
          )
            continue;
          extra++;
          if (!scoringNew) continue;
          if (heap.full && newUpper < heap.minScore) {
            scoringNew = false;
            continue;
          }
          candId[cn] = id;
          candMatched[cn] = 1;
          candRel[cn] = newRel;
          if (++cn === CANDIDATE_BATCH) {
            this.flushCandidates(cn, heap, typeMask, now);
            cn = 0;
            if (heap.full && blockUpper < heap.minScore) scoring = false;
          }
        }
      }
      this.flushCandidates(cn, heap, typeMask, now);
      cn = 0;
      if (k >= from) extra += this.countNew(arr, from, k, filter, dedupeNew);
    }
    return extra;
  }

  /**
   * `probeAndScore` over `arr[to..from]` (walked down) once new ids no longer score, unfiltered and with one
   * variant: per chunk, a branch-free pass counts the new ids and lists the seen ones this term has not
   * marked yet; then those are marked and scored as `probeAndScore` does. Whether a posting is new or
   * seen is data the CPU cannot predict, and the listed ones are few. Stops where scoring stops (a block
   * the k-th best has outgrown): `probeStop` is the last posting not looked at (from - 1 if none), for the
   * caller to count. Returns the new ids counted.
   */
  private probeSeen(arr: number[], from: number, to: number, bit: number, inc: number, need: number, matched: number, sumIdf: number, blockUpper: number, heap: TopK, typeMask: number, now: number): number {
    const alive = this.table.alive;
    const keyToId = this.keyToId;
    const bits = this.bits;
    const acc = this.acc;
    const chunk = this.seenChunk;
    const candId = this.candId;
    const candMatched = this.candMatched;
    const candRel = this.candRel;
    const anyMode = matched === 0;
    const typeMax = typeMask !== 0 ? W_TYPE : 0;
    let cn = 0;
    let extra = 0;
    let scoring = true;
    let hi = to;
    while (hi >= from && scoring) {
      const lo = Math.max(from, hi - SEEN_CHUNK + 1);
      let nc = 0;
      for (let k = hi; k >= lo; k--) {
        const id = keyToId[arr[k]];
        const live = (-id >>> 31) & (((alive[id] ^ 1) - 1) >>> 31);
        const b = bits[id];
        const fresh = live & ((b - 1) >>> 31);
        extra += fresh;
        chunk[nc] = id;
        nc += live & (fresh ^ 1) & (((b & bit) - 1) >>> 31);
      }
      hi = lo - 1;
      for (let i = 0; i < nc; i++) {
        const id = chunk[i];
        const b = bits[id];
        bits[id] = b | bit;
        if (!anyMode && (b & need) !== need) continue;
        const c = anyMode ? popcount(b) + 1 : matched;
        if (heap.full && c + 1 <= heap.minScore) continue;
        const rel = sumIdf > 0 ? (acc[id] + inc) / sumIdf : 0;
        if (heap.full && c + FRACTION_SCALE * (W_RELEVANCE * rel + W_RECENCY + typeMax) < heap.minScore) continue;
        candId[cn] = id;
        candMatched[cn] = c;
        candRel[cn] = rel;
        if (++cn === CANDIDATE_BATCH) {
          this.flushCandidates(cn, heap, typeMask, now);
          cn = 0;
          if (heap.full && blockUpper < heap.minScore) {
            // The seen ids listed after this one are left unmarked, as the scoring loop leaves them.
            scoring = false;
            break;
          }
        }
      }
    }
    this.flushCandidates(cn, heap, typeMask, now);
    this.probeStop = hi;
    return extra;
  }

  /**
   * Count the ids of `arr[from..to]` that pass the filter and no earlier term holds (the part of the last
   * term's walk that no longer scores); seen ids are left unmarked, as the scoring loop leaves them once it
   * stops scoring. Unfiltered, without variants: three array reads per posting and nothing else.
   */
  private countNew(arr: number[], from: number, to: number, filter: Filter | null, dedupeNew: boolean): number {
    const alive = this.table.alive;
    const keyToId = this.keyToId;
    const bits = this.bits;
    let n = 0;
    if (filter === null && !dedupeNew) {
      // Branch-free (whether a posting is new is data the CPU cannot predict; mispredictions were half
      // the time of this loop): counts when id > 0, alive[id] === 1 and no bit yet.
      for (let k = to; k >= from; k--) {
        const id = keyToId[arr[k]];
        n += ((-id >>> 31) & (((alive[id] ^ 1) - 1) >>> 31) & ((bits[id] - 1) >>> 31));
      }
      return n;
    }
    const seenNew = this.newMarkFor();
    const { blocks: gBlocks, mark: gMark, markNo: gNo, typeTier: gTypeTier, created: gCreated, cAfter: gCA, cBefore: gCB, touched: gTouched, tAfter: gTA, tBefore: gTB, task: gTask, file: gFile, prefix: gPrefix, tags: gTags } = this.gateOf(filter);
    const { task: colTask, file: colFile, type: colType, tier: colTier, created: colCreated, touched: colTouched } = this.table;
    for (let k = to; k >= from; k--) {
      if (gBlocks !== null && gBlocks[arr[k] >> KEY_BLOCK_BITS] === 0) continue;
      const id = keyToId[arr[k]];
      if (id === 0 || alive[id] !== 1 || bits[id] !== 0) continue;
      if (dedupeNew) {
        const word = id >> 5;
        const mb = 1 << (id & 31);
        if ((seenNew[word] & mb) !== 0) continue;
        seenNew[word] |= mb;
      }
      if (
        (gMark !== null && gMark[id] !== gNo) ||
        (gTypeTier !== null && gTypeTier[(colType[id] << 1) | colTier[id]] === 0) ||
        (gCreated && outside(colCreated[id], gCA, gCB)) ||
        (gTouched && outside(colTouched[id], gTA, gTB)) ||
        (gTask >= 0 && colTask[id] !== gTask) ||
        (gFile >= 0 && colFile[id] !== gFile) ||
        (gPrefix !== null && (colFile[id] < 0 || gPrefix[colFile[id]] !== 1)) ||
        (gTags && !this.tagsOk(filter as Filter, id))
      )
        continue;
      n++;
    }
    return n;
  }

  /**
   * Score the first `n` buffered candidates and offer them. The walks buffer candidates instead of scoring
   * each on the spot: a candidate's `touched` (and `type`) read is a cache miss, and reading a batch in one
   * tight loop lets the CPU wait for many of them at once (ties at the top of common words put tens of
   * thousands of candidates through here). Offering a candidate the heap has meanwhile outgrown changes
   * nothing: the heap keeps the exact best `limit` of everything offered.
   */
  private flushCandidates(n: number, heap: TopK, typeMask: number, now: number): void {
    const ids = this.candId;
    const matched = this.candMatched;
    const rels = this.candRel;
    const scores = this.candScore;
    const touched = this.table.touched;
    const type = this.table.type;
    const halfLife = this.halfLife;
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      scores[i] = scoreFrom(matched[i], rels[i], now - touched[id], halfLife, typeMask !== 0 && (typeMask & (1 << type[id])) !== 0 ? 1 : 0);
    }
    for (let i = 0; i < n; i++) heap.offer(ids[i], scores[i], matched[i]);
  }

  /** A term's postings as blocks (variant, slot) of falling weight: an id's first block is its best. */
  private blocksOf(q: QueryTerm): Block[] {
    if (q.blocks !== null) return q.blocks;
    const blocks: Block[] = [];
    for (const src of q.text) {
      const slots = this.postings(src.term);
      for (let s = 0; s < slots.length; s++) {
        const arr = slots[s] as number[] | null;
        if (arr && arr.length > 0) blocks.push({ arr, w: SLOT_WEIGHT[s] * src.factor });
      }
    }
    if (q.text.length > 1) blocks.sort((a, b) => b.w - a.w);
    q.blocks = blocks;
    return blocks;
  }

  /**
   * Walk one query term in full: credit every id that passes the filter, once, at its best weight.
   * `onlyNew`: skip ids seen before (a probe has credited those).
   */
  private walk(q: QueryTerm, j: number, filter: Filter | null, seenCount: number, onlyNew: boolean): number {
    const alive = this.table.alive;
    const keyToId = this.keyToId;
    const bits = this.bits;
    const acc = this.acc;
    const touched = this.touched;
    const bit = 1 << j;
    // The gate's fields in locals: property reads inside the per-posting loop cost more than the checks.
    const { blocks: gBlocks, mark: gMark, markNo: gNo, typeTier: gTypeTier, created: gCreated, cAfter: gCA, cBefore: gCB, touched: gTouched, tAfter: gTA, tBefore: gTB, task: gTask, file: gFile, prefix: gPrefix, tags: gTags } = this.gateOf(filter);
    const { task: colTask, file: colFile, type: colType, tier: colTier, created: colCreated, touched: colTouched } = this.table;
    const gSkip = gCreated && gCA !== -Infinity;
    let nt = seenCount;
    for (const { arr, w } of this.blocksOf(q)) {
      const inc = q.idf * w;
      for (let k = gSkip ? this.startAfter(arr, gCA) : 0; k < arr.length; k++) {
        if (gBlocks !== null && gBlocks[arr[k] >> KEY_BLOCK_BITS] === 0) continue;
        const id = keyToId[arr[k]];
        if (id === 0 || alive[id] !== 1) continue;
        const b = bits[id];
        if (b === 0) {
          if (
            (gMark !== null && gMark[id] !== gNo) ||
            (gTypeTier !== null && gTypeTier[(colType[id] << 1) | colTier[id]] === 0) ||
            (gCreated && outside(colCreated[id], gCA, gCB)) ||
            (gTouched && outside(colTouched[id], gTA, gTB)) ||
            (gTask >= 0 && colTask[id] !== gTask) ||
            (gFile >= 0 && colFile[id] !== gFile) ||
            (gPrefix !== null && (colFile[id] < 0 || gPrefix[colFile[id]] !== 1)) ||
            (gTags && !this.tagsOk(filter as Filter, id))
          )
            continue;
          touched[nt++] = id;
          bits[id] = bit;
          acc[id] = inc;
        } else if ((b & bit) === 0 && !onlyNew) {
          bits[id] = b | bit;
          acc[id] += inc;
        }
      }
    }
    return nt;
  }

  /**
   * Probe a term: credit ids already seen (once, at their best weight); mark in `newMark` and count the
   * passing ids it would add.
   */
  private walkProbe(q: QueryTerm, j: number, filter: Filter | null): number {
    const alive = this.table.alive;
    const keyToId = this.keyToId;
    const bits = this.bits;
    const acc = this.acc;
    const bit = 1 << j;
    const seenNew = this.newMarkFor();
    // The gate's fields in locals: property reads inside the per-posting loop cost more than the checks.
    const { blocks: gBlocks, mark: gMark, markNo: gNo, typeTier: gTypeTier, created: gCreated, cAfter: gCA, cBefore: gCB, touched: gTouched, tAfter: gTA, tBefore: gTB, task: gTask, file: gFile, prefix: gPrefix, tags: gTags } = this.gateOf(filter);
    const { task: colTask, file: colFile, type: colType, tier: colTier, created: colCreated, touched: colTouched } = this.table;
    const gSkip = gCreated && gCA !== -Infinity;

    let extra = 0;
    for (const { arr, w } of this.blocksOf(q)) {
      const inc = q.idf * w;
      for (let k = gSkip ? this.startAfter(arr, gCA) : 0; k < arr.length; k++) {
        if (gBlocks !== null && gBlocks[arr[k] >> KEY_BLOCK_BITS] === 0) continue;
        const id = keyToId[arr[k]];
        if (id === 0 || alive[id] !== 1) continue;
        const b = bits[id];
        if (b !== 0) {
          if ((b & bit) !== 0) continue;
          bits[id] = b | bit;
          acc[id] += inc;
        } else {
          const word = id >> 5;
          const mb = 1 << (id & 31);
          if ((seenNew[word] & mb) !== 0) continue;
          seenNew[word] |= mb;
          if (
            (gMark !== null && gMark[id] !== gNo) ||
            (gTypeTier !== null && gTypeTier[(colType[id] << 1) | colTier[id]] === 0) ||
            (gCreated && outside(colCreated[id], gCA, gCB)) ||
            (gTouched && outside(colTouched[id], gTA, gTB)) ||
            (gTask >= 0 && colTask[id] !== gTask) ||
            (gFile >= 0 && colFile[id] !== gFile) ||
            (gPrefix !== null && (colFile[id] < 0 || gPrefix[colFile[id]] !== 1)) ||
            (gTags && !this.tagsOk(filter as Filter, id))
          )
            continue;
          extra++;
        }
      }
    }
    return extra;
  }

  /**
   * One query term (the word itself, or its typo variants). Its postings are taken in blocks (variant,
   * slot) of falling weight, so an id's first block is its best: it is scored there and marked, and later
   * blocks skip it. Once a whole block cannot beat the k-th best (even at full recency), the rest are only
   * counted for `total`.
   */
  private singleTerm(q: QueryTerm, filter: Filter | null, limit: number, now: number, sumIdf: number): { top: Ranked[]; total: number } {
    const alive = this.table.alive;
    const keyToId = this.keyToId;
    const blocks = this.blocksOf(q);
    const dedupe = q.text.length > 1;
    const seenIds = this.newMarkFor();
    // The gate's fields in locals: property reads inside the per-posting loop cost more than the checks.
    const { blocks: gBlocks, mark: gMark, markNo: gNo, typeTier: gTypeTier, created: gCreated, cAfter: gCA, cBefore: gCB, touched: gTouched, tAfter: gTA, tBefore: gTB, task: gTask, file: gFile, prefix: gPrefix, tags: gTags } = this.gateOf(filter);
    const { task: colTask, file: colFile, type: colType, tier: colTier, created: colCreated, touched: colTouched } = this.table;
    const gSkip = gCreated && gCA !== -Infinity;

    const typeMask = this.typeBoostMask([q]);
    const typeMax = typeMask !== 0 ? W_TYPE : 0;
    const heap = this.topK.reset(limit);
    const candId = this.candId;
    const candMatched = this.candMatched;
    const candRel = this.candRel;
    let cn = 0;
    let total = 0;
    try {
      for (const { arr, w } of blocks) {
        const rel = sumIdf > 0 ? (q.idf * w) / sumIdf : 0;
        const upper = 1 + FRACTION_SCALE * (W_RELEVANCE * rel + W_RECENCY + typeMax);
        let hopeless = heap.full && upper < heap.minScore;
        const from = gSkip ? this.startAfter(arr, gCA) : 0;
        for (let k = arr.length - 1; k >= from; k--) {
          if (gBlocks !== null && gBlocks[arr[k] >> KEY_BLOCK_BITS] === 0) continue;
          const id = keyToId[arr[k]];
          if (id === 0 || alive[id] !== 1) continue;
          if (dedupe) {
            const word = id >> 5;
            const bit = 1 << (id & 31);
            if ((seenIds[word] & bit) !== 0) continue;
            seenIds[word] |= bit;
          }
          if (
            (gMark !== null && gMark[id] !== gNo) ||
            (gTypeTier !== null && gTypeTier[(colType[id] << 1) | colTier[id]] === 0) ||
            (gCreated && outside(colCreated[id], gCA, gCB)) ||
            (gTouched && outside(colTouched[id], gTA, gTB)) ||
            (gTask >= 0 && colTask[id] !== gTask) ||
            (gFile >= 0 && colFile[id] !== gFile) ||
            (gPrefix !== null && (colFile[id] < 0 || gPrefix[colFile[id]] !== 1)) ||
            (gTags && !this.tagsOk(filter as Filter, id))
          )
            continue;
          total++;
          if (hopeless) continue;
          if (heap.full && upper < heap.minScore) {
            hopeless = true;
            continue;
          }
          candId[cn] = id;
          candMatched[cn] = 1;
          candRel[cn] = rel;
          if (++cn === CANDIDATE_BATCH) {
            this.flushCandidates(cn, heap, typeMask, now);
            cn = 0;
          }
        }
        this.flushCandidates(cn, heap, typeMask, now);
        cn = 0;
      }
    } finally {
      if (dedupe) seenIds.fill(0);
    }
    return { top: heap.sorted(), total };
  }

  /** The id bitset (all zero between uses), sized for the table. */
  private newMarkFor(): Int32Array {
    if (this.newMark.length * 32 <= this.bits.length) this.newMark = new Int32Array((this.bits.length >> 5) + 1);
    return this.newMark;
  }

  /** The score: matched-term count, then relevance, recency and a type named in the query. */
  private scoreOf(id: number, matched: number, rel: number, typeMask: number, now: number): number {
    const typeHit = typeMask !== 0 && (typeMask & (1 << this.table.type[id])) !== 0 ? 1 : 0;
    return scoreFrom(matched, rel, now - this.table.touched[id], this.halfLife, typeHit);
  }

  /**
   * Mark the ids of the filter's narrowest task/file/tag posting, so the per-posting check is one array
   * read for most ids; the full column check runs only for marked ids.
   */
  private markFilter(f: Filter): void {
    if (f.source === null) return;
    if (this.filterMark.length < this.stamp.length) {
      this.filterMark = new Uint32Array(this.stamp.length);
      this.filterMarkNo = 0;
    }
    if (++this.filterMarkNo === 0xffffffff) {
      this.filterMark.fill(0);
      this.filterMarkNo = 1;
    }
    const mark = this.filterMark;
    const no = this.filterMarkNo;
    // Segments of a task or file cluster in time, so their keys fall in few key blocks: a posting whose
    // block holds none of them is skipped on one read of a small array (no id lookup, no random access).
    const nBlocks = (this.nextKey >> KEY_BLOCK_BITS) + 1;
    if (this.blockScratch.length < nBlocks) this.blockScratch = new Uint8Array(nBlocks * 2);
    const blocks = this.blockScratch;
    blocks.fill(0);
    const idToKey = this.idToKey;
    let used = 0;
    for (const ids of f.source.raw()) {
      for (let k = 0; k < ids.length; k++) {
        const id = ids[k];
        mark[id] = no;
        const key = id < idToKey.length ? idToKey[id] : 0;
        if (key === 0) continue;
        const b = key >> KEY_BLOCK_BITS;
        if (blocks[b] === 0) {
          blocks[b] = 1;
          used++;
        }
      }
    }
    this.filterBlocks = used * 2 < nBlocks ? blocks : null;
    f.marked = true;
  }

  /** Read the filtered segments' texts and score them with the index's own analysis (text, path, tags). */
  private runFilterPlan(qts: QueryTerm[], f: Filter, order: number[]): number {
    const t = this.table;
    const ids = (f.source as NonNullable<Filter['source']>).ids().filter((id) => t.alive[id] === 1 && this.has(id) && this.passes(f, id));
    const wanted = new Set<string>();
    for (const q of qts) for (const src of q.text) wanted.add(src.term);
    if (wanted.size === 0) return 0;
    const texts = this.getTexts(ids);
    const asciiTerms = [...wanted].filter(isAscii);
    const allAscii = asciiTerms.length === wanted.size;
    const stamp = this.stamp;
    const mask = this.mask;
    const acc = this.acc;
    const touched = this.touched;
    const qn = this.queryNo;
    let nt = 0;
    const weights = new Float64Array(qts.length);
    for (const id of ids) {
      const text = texts.get(id);
      if (text === undefined) continue;
      const { filePath, tags } = this.fieldsOf(id);
      // Every term is a substring of the lower-cased text, path or tags: skip segments holding none.
      let maybe = !allAscii;
      if (!maybe) {
        const hay = [text.toLowerCase(), (filePath ?? '').toLowerCase(), tags.join(' ').toLowerCase()];
        maybe = asciiTerms.some((term) => hay[0].includes(term) || hay[1].includes(term) || hay[2].includes(term));
      }
      if (!maybe) continue;
      const a = analyzeText(text, filePath, tags);
      const slotOfTerm = new Map<string, number>();
      for (let k = 0; k < a.terms.length; k++) if (wanted.has(a.terms[k])) slotOfTerm.set(a.terms[k], a.slots[k]);
      if (slotOfTerm.size === 0) continue;
      weights.fill(0);
      for (let j = 0; j < qts.length; j++) {
        for (const src of qts[j].text) {
          const s = slotOfTerm.get(src.term);
          if (s === undefined) continue;
          const w = SLOT_WEIGHT[s] * src.factor;
          if (w > weights[j]) weights[j] = w;
        }
      }
      for (const j of order) {
        if (weights[j] === 0) continue;
        const inc = qts[j].idf * weights[j];
        if (stamp[id] !== qn) {
          stamp[id] = qn;
          mask[id] = 1 << j;
          acc[id] = inc;
          touched[nt++] = id;
        } else {
          mask[id] |= 1 << j;
          acc[id] += inc;
        }
      }
    }
    return nt;
  }

  private typeBoostMask(qts: { term: string }[]): number {
    let m = 0;
    for (const q of qts) {
      for (const ty of SEGMENT_TYPES) if (q.term === ty || q.term === ty + 's') m |= 1 << TYPE_CODE[ty];
    }
    return m;
  }

  private recency(id: number, now: number): number {
    const age = now - this.table.touched[id];
    return age <= 0 ? 1 : this.halfLife / (this.halfLife + age);
  }

  /** The `limit` best candidates, best first: more matched terms, then relevance, recency and type. */
  private selectTop(qts: QueryTerm[], count: number, limit: number, now: number): { id: number; score: number; matched: number }[] {
    const touched = this.touched;
    const mask = this.mask;
    const acc = this.acc;
    const m = qts.length;
    const hist = new Array<number>(m + 1).fill(0);
    if (m > 1) for (let k = 0; k < count; k++) hist[popcount(mask[touched[k]])]++;
    let threshold = 1;
    for (let c = m, seen = 0; m > 1 && c >= 1; c--) {
      seen += hist[c];
      if (seen >= limit) {
        threshold = c;
        break;
      }
    }
    let sumIdf = 0;
    for (const q of qts) sumIdf += q.idf;
    const typeMask = this.typeBoostMask(qts);
    const typeMax = typeMask !== 0 ? W_TYPE : 0;
    const heap = this.topK.reset(limit);
    for (let k = 0; k < count; k++) {
      const id = touched[k];
      const c = popcount(mask[id]);
      if (c < threshold) continue;
      const rel = sumIdf > 0 ? acc[id] / sumIdf : 0;
      // Most candidates cannot beat the current k-th best even with the best recency: skip the rest of the work.
      if (heap.full && c + FRACTION_SCALE * (W_RELEVANCE * rel + W_RECENCY + typeMax) < heap.minScore) continue;
      heap.offer(id, this.scoreOf(id, c, rel, typeMask, now), c);
    }
    return heap.sorted();
  }

  private makeHits(top: { id: number; score: number; matched: number }[], needles: ReadonlyMap<string, number>, maxTokens: number | undefined): { hits: SearchHit[]; skipped: number } {
    const hits: SearchHit[] = [];
    let skipped = 0;
    let used = 0;
    const chosen: typeof top = [];
    for (const h of top) {
      const tokens = this.table.tokens[h.id];
      if (maxTokens !== undefined && used + tokens > maxTokens) {
        skipped++;
        continue;
      }
      used += tokens;
      chosen.push(h);
    }
    const texts = this.getTexts(chosen.map((h) => h.id));
    for (const h of chosen) {
      const text = texts.get(h.id) ?? '';
      const { snippet, matches } = makeSnippet(text, needles);
      hits.push({ id: h.id, score: h.score, matched: h.matched, snippet, matches: matches as MatchRange[], tokens: this.table.tokens[h.id] });
    }
    return { hits, skipped };
  }

  /** An empty query with a task/file/tag filter lists the filtered segments, most recently touched first. */
  private browse(req: SearchRequest, f: Filter | null, limit: number, now: number, partial: boolean): SearchResult {
    if (f !== null && f.source === null) {
      invalid('An empty search needs a task, file path or tag filter to list; give a query or one of those filters.');
    }
    if (f === null) return emptyResult([], partial);
    const t = this.table;
    const ids = (f.source as NonNullable<Filter['source']>).ids().filter((id) => t.alive[id] === 1 && this.passes(f, id));
    const heap = this.topK.reset(limit);
    for (const id of ids) heap.offer(id, FRACTION_SCALE * this.recency(id, now), 0);
    const { hits, skipped } = this.makeHits(heap.sorted(), new Map(), req.maxTokens);
    return { hits, total: ids.length, terms: [], corrections: [], skippedForTokens: skipped, partial, plan: 'filter' };
  }

  // ---------------------------------------------------------------- compaction

  /**
   * Drop the postings of dead keys (left by updates and deletes) by copying the live ones into a fresh
   * FlexSearch index: its export, filtered chunk by chunk, imported into the new one, yielding between
   * chunks. Segments re-indexed while it runs are indexed again into the new index at the end. Worth it
   * when `stats().deadKeys` is a good share of `stats().keys`.
   */
  async compact(): Promise<{ ms: number; droppedKeys: number }> {
    if (this.compacting) throw new ContextGcError('invalid_argument', 'The search index is already being compacted.');
    const started = performance.now();
    const deadBefore = this.deadKeys;
    const fresh = this.newFlex();
    this.compacting = new Set<number>();
    try {
      // Always in the background: the caller's turn ends before the copying starts.
      await new Promise<void>((r) => setImmediate(r));
      let slice = performance.now();
      // Terms added while this runs are visited too (a Map iterates its later entries); their segments are
      // indexed again at the end anyway.
      let batch: [string, Slots][] = [];
      for (const [term, slots] of termMap(this.flex)) {
        let any = false;
        const next: Slots = slots.map((arr) => {
          if (!arr) return null;
          const live = arr.filter((k) => this.keyToId[k] !== 0);
          if (live.length > 0) any = true;
          return live.length > 0 ? live : null;
        });
        if (any) batch.push([term, next]);
        if (batch.length >= 256 || performance.now() - slice >= SLICE_MS) {
          fresh.import('map', batch as unknown as string);
          batch = [];
          if (performance.now() - slice >= SLICE_MS) {
            await new Promise<void>((r) => setImmediate(r));
            slice = performance.now();
          }
        }
      }
      fresh.import('map', batch as unknown as string);
    } catch (err) {
      this.compacting = null;
      throw err;
    }
    const redo = this.compacting;
    this.compacting = null;
    this.flex = fresh;
    // Keys dead by now have no postings any more; segments re-indexed meanwhile go into the fresh index.
    const ids = [...redo].filter((id) => this.has(id));
    for (const id of ids) this.remove(id);
    const texts = ids.length > 0 ? this.getTexts(ids) : new Map<number, string>();
    for (const id of ids) {
      const text = texts.get(id);
      if (text !== undefined && this.table.has(id)) this.add(id, text);
    }
    const dropped = deadBefore;
    this.deadKeys -= deadBefore;
    return { ms: performance.now() - started, droppedKeys: dropped };
  }

  // ---------------------------------------------------------------- persistence

  /**
   * Save the index into `dir` (one file, replaced atomically), tagged with the engine's change watermark.
   * Changes made while the save runs stay in memory and are not in the file: their keys are newer than
   * the saved key table, so a load treats them as absent. Save again after them (or pass the watermark
   * taken when the save started) to keep the file current.
   */
  async save(dir: string, watermark: number): Promise<{ ms: number; bytes: number }> {
    if (this.compacting) throw new ContextGcError('invalid_argument', 'The search index is being compacted; save it once compact() has finished.');
    const started = performance.now();
    const keysAtStart = this.nextKey;
    const keyTable = this.keyToId.slice(0, keysAtStart);
    // Hashes of what each id was indexed from, so a loaded index still recognises an unchanged segment.
    const ids = this.idToKey.length;
    const hashHi = this.hashHi.slice(0, ids);
    const hashLo = this.hashLo.slice(0, ids);
    const out = await LineWriter.open(dir, INDEX_FILE);
    let bytes = 0;
    const line = async (text: string): Promise<void> => {
      await out.line(text);
      bytes += text.length + 1;
    };
    try {
      await line(JSON.stringify({ format: INDEX_FORMAT, version: INDEX_VERSION, watermark, keys: keysAtStart, ids, segments: this.indexed }));
      for (const a of [keyTable, hashHi, hashLo]) await line(arrayToBase64(a));
      // The term map in blocks of about BLOCK_POSTINGS postings, yielding between slices of work. Keys
      // taken meanwhile (>= keysAtStart) are left out, so the file is the index as it was at the start.
      let chunks = 0;
      let terms = 0;
      let postings = 0;
      let batch: [string, Slots][] = [];
      let batchPostings = 0;
      let slice = performance.now();
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const { block, postings: n } = encodeBlock(batch, RESOLUTION, keysAtStart);
        terms += batch.length;
        postings += n;
        chunks++;
        batch = [];
        batchPostings = 0;
        await line(block.toString('base64'));
      };
      for (const entry of termMap(this.flex)) {
        batch.push(entry);
        for (const arr of entry[1]) batchPostings += arr ? arr.length : 0;
        if (batchPostings < BLOCK_POSTINGS && performance.now() - slice < SLICE_MS) continue;
        await flush();
        if (performance.now() - slice >= SLICE_MS) {
          await new Promise<void>((r) => setImmediate(r));
          slice = performance.now();
        }
      }
      await flush();
      await line(JSON.stringify({ end: true, chunks, terms, postings, nextKey: keysAtStart }));
      await out.commit();
    } catch (err) {
      await out.abort();
      throw new ContextGcError('io_error', `Could not save the search index to ${dir}: ${(err as Error).message}. Check that the folder is writable and has space; the index stays usable in memory.`);
    }
    return { ms: performance.now() - started, bytes };
  }

  /**
   * Open a saved index if it is current: same format version and the same watermark the engine passes now.
   * Returns null when there is no saved index, it is stale (another watermark), from another version, or
   * damaged; the caller then builds one (`buildInBackground`). Loading yields to the event loop between
   * chunks.
   */
  static async load(dir: string, watermark: number, table: SegmentTable, getTexts: GetTexts, opts: SearchIndexOptions = {}): Promise<SearchIndex | null> {
    return (await SearchIndex.read(dir, watermark, table, getTexts, opts))?.index ?? null;
  }

  /**
   * Open a saved index whatever its watermark (still null when missing, from another version or damaged),
   * with the watermark it was saved at. When that is behind the store's, bring it up to date with
   * `staleIds()` and `catchUp()`: the segments changed since are found from the table's text hashes,
   * without reading any text.
   */
  static async loadAny(dir: string, table: SegmentTable, getTexts: GetTexts, opts: SearchIndexOptions = {}): Promise<{ index: SearchIndex; watermark: number } | null> {
    return SearchIndex.read(dir, undefined, table, getTexts, opts);
  }

  private static async read(dir: string, expected: number | undefined, table: SegmentTable, getTexts: GetTexts, opts: SearchIndexOptions): Promise<{ index: SearchIndex; watermark: number } | null> {
    const lines = await readLines(path.join(dir, INDEX_FILE));
    if (lines === null) return null;
    try {
      const next = async (): Promise<string | null> => {
        const r = await lines.next();
        return r.done ? null : r.value;
      };
      const headerLine = await next();
      if (headerLine === null) return null;
      const header = JSON.parse(headerLine) as { format?: string; version?: string; watermark?: number; keys?: number; ids?: number };
      if (header.format !== INDEX_FORMAT || header.version !== INDEX_VERSION || typeof header.watermark !== 'number') return null;
      if (expected !== undefined && header.watermark !== expected) return null;
      const [keyLine, hiLine, loLine] = [await next(), await next(), await next()];
      if (keyLine === null || hiLine === null || loLine === null) return null;
      const keyTable = base64ToInt32(keyLine);
      const hashHi = base64ToUint32(hiLine);
      const hashLo = base64ToUint32(loLine);
      if (keyTable.length !== header.keys || hashHi.length !== header.ids || hashLo.length !== header.ids) return null;
      const idx = new SearchIndex(table, getTexts, opts);
      let chunks = 0;
      let terms = 0;
      let postings = 0;
      let trailer = null as { end?: boolean; chunks?: number; terms?: number; postings?: number; nextKey?: number } | null;
      let slice = performance.now();
      for (;;) {
        const text = await next();
        if (text === null) break;
        if (text.startsWith('{')) {
          trailer = JSON.parse(text) as typeof trailer;
          break;
        }
        const block = decodeBlock(Buffer.from(text, 'base64'), RESOLUTION);
        for (const entry of block.entries) idx.vocabulary.add(entry[0]);
        // FlexSearch's import takes parsed entries as well as JSON text.
        idx.flex.import('map', block.entries as unknown as string);
        chunks++;
        terms += block.entries.length;
        postings += block.postings;
        if (performance.now() - slice >= SLICE_MS) {
          await new Promise<void>((r) => setImmediate(r));
          slice = performance.now();
        }
      }
      if (!trailer || trailer.end !== true || trailer.chunks !== chunks || trailer.terms !== terms || trailer.postings !== postings || trailer.nextKey !== keyTable.length) return null;
      idx.adoptKeys(keyTable, hashHi, hashLo, trailer.nextKey);
      // Part of being searchable: the query scratch arrays.
      idx.prepareScratch();
      return { index: idx, watermark: header.watermark };
    } catch {
      return null;
    } finally {
      await lines.return?.();
    }
  }

  /**
   * Live segments whose indexed content is not what the table says now: not indexed, or indexed from
   * another text, file path or tags (the table's text hash mixed with its path and tags differs from the
   * hash this index was built from). After loading an index saved before a crash, these are the changes
   * it missed (deleted segments are dropped at load already). No text is read.
   */
  staleIds(): number[] {
    const t = this.table;
    const out: number[] = [];
    const fields = this.fields;
    for (let id = 1; id < t.end; id++) {
      if (t.alive[id] !== 1) continue;
      if (id >= this.idToKey.length || this.idToKey[id] === 0) {
        out.push(id);
        continue;
      }
      fields.of(id);
      const hi = (t.hashHi[id] ^ fields.hi) >>> 0;
      const lo = (t.hashLo[id] ^ fields.lo) >>> 0;
      if (this.hashHi[id] !== hi || this.hashLo[id] !== lo) out.push(id);
    }
    return out;
  }

  /**
   * Re-index the given segments (from `staleIds()`) in the background, time-sliced like a build; answers
   * are `partial` meanwhile. A segment changed again or deleted meanwhile is taken as it is then.
   */
  catchUp(ids: readonly number[], onProgress?: (done: number, total?: number) => void, options: BuildOptions = {}): Promise<{ indexed: number; ms: number }> {
    for (const id of ids) this.remove(id);
    return this.buildInBackground(ids, onProgress, { total: ids.length, ...options });
  }

  /** Take a loaded key table: keys of segments the table no longer has, and keys newer than the table, are dead. */
  private adoptKeys(keyTable: Int32Array, hashHi: Uint32Array, hashLo: Uint32Array, nextKey: number): void {
    const t = this.table;
    this.nextKey = Math.max(nextKey, keyTable.length);
    this.keyToId = growInt32(new Int32Array(0), this.nextKey);
    this.keyToId.set(keyTable);
    const ids = Math.max(t.end, hashHi.length);
    this.idToKey = growInt32(new Int32Array(0), ids);
    this.hashHi = growUint32(new Uint32Array(0), ids);
    this.hashLo = growUint32(new Uint32Array(0), ids);
    this.hashHi.set(hashHi);
    this.hashLo.set(hashLo);
    let live = 0;
    for (let key = 1; key < keyTable.length; key++) {
      const id = keyTable[key];
      if (id === 0) continue;
      if (!t.has(id) || this.idToKey[id] !== 0) {
        this.keyToId[key] = 0;
        continue;
      }
      this.idToKey[id] = key;
      live++;
    }
    this.indexed = live;
    this.deadKeys = this.nextKey - 1 - live;
    this.keyCreatedMax = new Float64Array(0);
    for (let key = 1; key < this.nextKey; key++) {
      const id = this.keyToId[key];
      this.noteKeyCreated(key, id !== 0 ? t.created[id] : -Infinity);
    }
  }
}

/** Bounded selection of the best `k` by (score desc, id desc): a min-heap of the current best. */
class TopK {
  // Typed arrays sized for the largest limit: one instance serves every query (nothing allocated per offer).
  private readonly ids = new Int32Array(MAX_LIMIT);
  private readonly scores = new Float64Array(MAX_LIMIT);
  private readonly matched = new Int32Array(MAX_LIMIT);
  private n = 0;
  private k = 1;

  /** Empty it for a query wanting the best `k` (1..MAX_LIMIT). */
  reset(k: number): this {
    this.k = k;
    this.n = 0;
    return this;
  }

  get full(): boolean {
    return this.n >= this.k;
  }

  /** Score of the k-th best so far (valid when full). */
  get minScore(): number {
    return this.scores[0];
  }

  private worse(a: number, b: number): boolean {
    // Is entry a ranked below entry b?
    const sa = this.scores[a];
    const sb = this.scores[b];
    return sa < sb || (sa === sb && this.ids[a] < this.ids[b]);
  }

  offer(id: number, score: number, matched: number): void {
    const n = this.n;
    if (n < this.k) {
      this.ids[n] = id;
      this.scores[n] = score;
      this.matched[n] = matched;
      this.n = n + 1;
      this.up(n);
      return;
    }
    if (score < this.scores[0] || (score === this.scores[0] && id < this.ids[0])) return;
    this.ids[0] = id;
    this.scores[0] = score;
    this.matched[0] = matched;
    this.down(0);
  }

  private swap(a: number, b: number): void {
    const id = this.ids[a];
    this.ids[a] = this.ids[b];
    this.ids[b] = id;
    const score = this.scores[a];
    this.scores[a] = this.scores[b];
    this.scores[b] = score;
    const m = this.matched[a];
    this.matched[a] = this.matched[b];
    this.matched[b] = m;
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.worse(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.n;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.worse(l, m)) m = l;
      if (r < n && this.worse(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  sorted(): Ranked[] {
    const out: Ranked[] = [];
    for (let i = 0; i < this.n; i++) out.push({ id: this.ids[i], score: this.scores[i], matched: this.matched[i] });
    out.sort((a, b) => b.score - a.score || b.id - a.id);
    return out;
  }
}

function validateRequest(req: SearchRequest): void {
  if (typeof req !== 'object' || req === null) invalid('A search request must be an object with a `query` string.');
  if (typeof req.query !== 'string') invalid('`query` must be a string (it may be empty when a task, file or tag filter is given).');
  if (req.limit !== undefined && (!Number.isInteger(req.limit) || req.limit < 1 || req.limit > MAX_LIMIT)) {
    invalid(`\`limit\` must be an integer from 1 to ${MAX_LIMIT}, got ${req.limit}.`);
  }
  if (req.maxTokens !== undefined && (!Number.isInteger(req.maxTokens) || req.maxTokens < 1)) {
    invalid(`\`maxTokens\` must be a positive integer, got ${req.maxTokens}.`);
  }
  if (req.types !== undefined) {
    if (!Array.isArray(req.types)) invalid('`types` must be an array of segment types.');
    for (const ty of req.types) if (!isSegmentType(ty)) invalid(`Unknown segment type "${String(ty)}"; use one of ${SEGMENT_TYPES.join(', ')}.`);
  }
  if (req.tier !== undefined && !isTier(req.tier)) invalid(`Unknown tier "${String(req.tier)}"; use working or stashed.`);
  for (const key of ['tagsAny', 'tagsAll'] as const) {
    const v = req[key];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) invalid(`\`${key}\` must be an array of tag strings.`);
  }
  for (const key of ['filePath', 'filePathPrefix', 'taskId', 'project'] as const) {
    const v = req[key];
    if (v !== undefined && typeof v !== 'string') invalid(`\`${key}\` must be a string.`);
  }
  for (const key of ['createdAfter', 'createdBefore', 'touchedAfter', 'touchedBefore'] as const) {
    const v = req[key];
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) invalid(`\`${key}\` must be a time in ms since the epoch.`);
  }
}
