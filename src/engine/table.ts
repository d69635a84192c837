// The segment table: every segment's metadata (not its text) in a struct-of-arrays layout indexed by id.
// At 1M segments this is ~60 MB of typed arrays instead of ~1 GB of objects, and a full pass over a
// column takes a millisecond, which is what keeps GC and analysis under their budgets.
//
// Row index == segment id (ids are assigned densely by the engine; deleted rows stay dead).
// Strings that repeat (task ids, file paths, tags) are interned to small integers.
// Postings (task, file, tag -> ids) let filters narrow without scanning every row.

import {
  ENCODINGS,
  GENERATIONS,
  SEGMENT_TYPES,
  SOURCES,
  TIERS,
  type Encoding,
  type SegmentMeta,
  type SegmentType,
  type Source,
  type Tier,
} from './model';

export const TYPE_CODE: Record<SegmentType, number> = Object.fromEntries(SEGMENT_TYPES.map((t, i) => [t, i])) as Record<SegmentType, number>;
export const TIER_WORKING = 0;
export const TIER_STASHED = 1;
export const FLAG_PINNED = 1;
export const FLAG_OLD = 2;
const NONE = -1;

/** Maps repeated strings to dense integer codes and back. */
export class Interner {
  private readonly codes = new Map<string, number>();
  readonly values: string[] = [];
  intern(value: string): number {
    let code = this.codes.get(value);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(value);
      this.codes.set(value, code);
    }
    return code;
  }
  lookup(value: string): number | undefined {
    return this.codes.get(value);
  }
  get size(): number {
    return this.values.length;
  }
}

/**
 * A growable list of ids. As a postings list (one per key), entries may go stale when a row changes;
 * readers re-check the column.
 */
export class IdList {
  ids = new Int32Array(4);
  length = 0;
  live = 0;
  push(id: number): void {
    if (this.length === this.ids.length) {
      const next = new Int32Array(this.ids.length * 2);
      next.set(this.ids);
      this.ids = next;
    }
    this.ids[this.length++] = id;
    this.live++;
  }
  /** The ids ascending, in place (duplicates end up adjacent). */
  sorted(): Int32Array {
    return this.ids.subarray(0, this.length).sort();
  }
}

export class Postings {
  private readonly lists = new Map<number, IdList>();
  add(key: number, id: number): void {
    let list = this.lists.get(key);
    if (!list) this.lists.set(key, (list = new IdList()));
    list.push(id);
  }
  /** Record that `id` left `key`; the stale entry is skipped by `still` and compacted away when most are stale. */
  remove(key: number, id: number, still: (id: number) => boolean): void {
    const list = this.lists.get(key);
    if (!list) return;
    list.live--;
    if (list.live * 2 < list.length && list.length > 64) {
      let w = 0;
      for (let r = 0; r < list.length; r++) {
        const v = list.ids[r];
        if (v !== id && still(v)) list.ids[w++] = v;
      }
      list.length = w;
      list.live = w;
    }
  }
  /** Upper bound on how many ids carry `key` (exact after compaction). */
  sizeOf(key: number): number {
    return this.lists.get(key)?.live ?? 0;
  }
  /** Ids that may carry `key`, ascending, possibly with stale or duplicate entries: callers must re-check. */
  candidates(key: number): Int32Array {
    const list = this.lists.get(key);
    return list ? list.ids.subarray(0, list.length) : new Int32Array(0);
  }
}

function grow<T extends Uint8Array | Uint16Array | Int32Array | Uint32Array | Float64Array>(a: T, n: number, fill?: number): T {
  const Ctor = a.constructor as new (n: number) => T;
  const next = new Ctor(n);
  next.set(a);
  if (fill !== undefined) next.fill(fill, a.length);
  return next;
}

export class SegmentTable {
  capacity = 0;
  /** One past the highest id ever stored. */
  end = 1;
  count = 0;

  alive = new Uint8Array(0);
  type = new Uint8Array(0);
  tier = new Uint8Array(0);
  flags = new Uint8Array(0);
  source = new Uint8Array(0);
  encoding = new Uint8Array(0);
  survivals = new Uint16Array(0);
  tokens = new Int32Array(0);
  chars = new Int32Array(0);
  task = new Int32Array(0);
  file = new Int32Array(0);
  lineStart = new Int32Array(0);
  lineEnd = new Int32Array(0);
  inDegree = new Int32Array(0);
  hashHi = new Uint32Array(0);
  hashLo = new Uint32Array(0);
  created = new Float64Array(0);
  touched = new Float64Array(0);
  tags: (Int32Array | undefined)[] = [];
  refs: (Int32Array | undefined)[] = [];

  readonly tasks = new Interner();
  readonly files = new Interner();
  readonly tagNames = new Interner();
  readonly byTask = new Postings();
  readonly byFile = new Postings();
  readonly byTag = new Postings();
  private sortedFiles: number[] | null = null;

  private ensure(id: number): void {
    if (id < this.capacity) return;
    let n = Math.max(1024, this.capacity);
    while (n <= id) n *= 2;
    this.alive = grow(this.alive, n);
    this.type = grow(this.type, n);
    this.tier = grow(this.tier, n);
    this.flags = grow(this.flags, n);
    this.source = grow(this.source, n);
    this.encoding = grow(this.encoding, n);
    this.survivals = grow(this.survivals, n);
    this.tokens = grow(this.tokens, n);
    this.chars = grow(this.chars, n);
    this.task = grow(this.task, n, NONE);
    this.file = grow(this.file, n, NONE);
    this.lineStart = grow(this.lineStart, n, NONE);
    this.lineEnd = grow(this.lineEnd, n, NONE);
    this.inDegree = grow(this.inDegree, n);
    this.hashHi = grow(this.hashHi, n);
    this.hashLo = grow(this.hashLo, n);
    this.created = grow(this.created, n);
    this.touched = grow(this.touched, n);
    this.capacity = n;
  }

  has(id: number): boolean {
    return Number.isInteger(id) && id > 0 && id < this.end && this.alive[id] === 1;
  }

  /** Insert or overwrite the row for `meta.id`. */
  put(meta: SegmentMeta): void {
    const id = meta.id;
    if (this.has(id)) this.remove(id);
    this.ensure(id);
    this.alive[id] = 1;
    this.type[id] = TYPE_CODE[meta.type];
    this.tier[id] = meta.tier === 'working' ? TIER_WORKING : TIER_STASHED;
    this.flags[id] = (meta.pinned ? FLAG_PINNED : 0) | (meta.generation === 'old' ? FLAG_OLD : 0);
    this.source[id] = SOURCES.indexOf(meta.source);
    this.encoding[id] = ENCODINGS.indexOf(meta.encoding);
    this.survivals[id] = Math.min(meta.survivals, 65535);
    this.tokens[id] = meta.tokens;
    this.chars[id] = meta.chars;
    this.lineStart[id] = meta.lineStart ?? NONE;
    this.lineEnd[id] = meta.lineEnd ?? NONE;
    this.setHash(id, meta.textHash);
    this.created[id] = meta.createdAt;
    this.touched[id] = meta.touchedAt;
    this.setTask(id, meta.taskId);
    this.setFile(id, meta.filePath);
    this.setTags(id, meta.tags);
    this.setRefs(id, meta.refs);
    if (id >= this.end) this.end = id + 1;
    this.count++;
  }

  remove(id: number): void {
    if (!this.has(id)) return;
    this.setTask(id, null);
    this.setFile(id, null);
    this.setTags(id, []);
    this.setRefs(id, []);
    this.alive[id] = 0;
    this.count--;
  }

  setTask(id: number, taskId: string | null): void {
    const old = this.task[id];
    const next = taskId === null ? NONE : this.tasks.intern(taskId);
    if (old === next && this.alive[id]) return;
    if (old !== NONE) this.byTask.remove(old, id, (x) => this.alive[x] === 1 && this.task[x] === old);
    this.task[id] = next;
    if (next !== NONE) this.byTask.add(next, id);
  }

  setFile(id: number, filePath: string | null): void {
    const old = this.file[id];
    const next = filePath === null ? NONE : this.files.intern(filePath);
    if (old === next && this.alive[id]) return;
    if (old !== NONE) this.byFile.remove(old, id, (x) => this.alive[x] === 1 && this.file[x] === old);
    if (next !== NONE && next >= (this.sortedFiles?.length ?? 0)) this.sortedFiles = null;
    this.file[id] = next;
    if (next !== NONE) this.byFile.add(next, id);
  }

  setTags(id: number, tags: readonly string[]): void {
    const old = this.tags[id];
    if (old) for (const t of old) this.byTag.remove(t, id, (x) => this.alive[x] === 1 && (this.tags[x]?.includes(t) ?? false));
    if (tags.length === 0) {
      this.tags[id] = undefined;
      return;
    }
    const codes = Int32Array.from(new Set(tags.map((t) => this.tagNames.intern(t))));
    this.tags[id] = codes;
    for (const t of codes) this.byTag.add(t, id);
  }

  setRefs(id: number, refs: readonly number[]): void {
    const old = this.refs[id];
    if (old) for (const r of old) this.inDegree[r]--;
    if (refs.length === 0) {
      this.refs[id] = undefined;
      return;
    }
    const next = Int32Array.from(new Set(refs));
    this.refs[id] = next;
    for (const r of next) this.inDegree[r]++;
  }

  /** Stores a 16-hex-digit text hash as two 32-bit halves. */
  setHash(id: number, textHash: string): void {
    this.hashHi[id] = parseInt(textHash.slice(0, 8), 16) >>> 0;
    this.hashLo[id] = parseInt(textHash.slice(8, 16), 16) >>> 0;
  }

  isPinned(id: number): boolean {
    return (this.flags[id] & FLAG_PINNED) !== 0;
  }

  setPinned(id: number, pinned: boolean): void {
    this.flags[id] = pinned ? this.flags[id] | FLAG_PINNED : this.flags[id] & ~FLAG_PINNED;
  }

  /** Ids of live rows carrying this task. */
  idsForTask(taskId: string): number[] {
    const code = this.tasks.lookup(taskId);
    if (code === undefined) return [];
    return this.collect(this.byTask.candidates(code), (x) => this.task[x] === code);
  }

  idsForFile(filePath: string): number[] {
    const code = this.files.lookup(filePath);
    if (code === undefined) return [];
    return this.collect(this.byFile.candidates(code), (x) => this.file[x] === code);
  }

  idsForTag(tag: string): number[] {
    const code = this.tagNames.lookup(tag);
    if (code === undefined) return [];
    return this.collect(this.byTag.candidates(code), (x) => this.tags[x]?.includes(code) ?? false);
  }

  /** File codes whose path starts with `prefix`, through a sorted list of distinct paths (binary search). */
  fileCodesWithPrefix(prefix: string): number[] {
    if (!this.sortedFiles) {
      const order = this.files.values.map((_, i) => i);
      const vals = this.files.values;
      order.sort((a, b) => (vals[a] < vals[b] ? -1 : vals[a] > vals[b] ? 1 : 0));
      this.sortedFiles = order;
    }
    const sorted = this.sortedFiles;
    const vals = this.files.values;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (vals[sorted[mid]] < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: number[] = [];
    for (let i = lo; i < sorted.length && vals[sorted[i]].startsWith(prefix); i++) out.push(sorted[i]);
    return out;
  }

  idsForFilePrefix(prefix: string): number[] {
    const out: number[] = [];
    for (const code of this.fileCodesWithPrefix(prefix)) {
      for (const x of this.byFile.candidates(code)) if (this.alive[x] === 1 && this.file[x] === code) out.push(x);
    }
    return dedupeSorted(out.sort((a, b) => a - b));
  }

  private collect(cands: Int32Array, ok: (id: number) => boolean): number[] {
    const out: number[] = [];
    let sorted = true;
    for (const x of cands) {
      if (this.alive[x] === 1 && ok(x)) {
        if (out.length > 0 && x <= out[out.length - 1]) sorted = false;
        out.push(x);
      }
    }
    // An id that left a key and came back is listed twice, out of order.
    if (!sorted) out.sort((a, b) => a - b);
    return dedupeSorted(out);
  }

  /** Rebuild a metadata object for one row (for answers; not for hot loops). `title` is left empty: the store has it. */
  meta(id: number): Omit<SegmentMeta, 'title'> {
    const task = this.task[id];
    const file = this.file[id];
    const tags = this.tags[id];
    const refs = this.refs[id];
    return {
      id,
      type: SEGMENT_TYPES[this.type[id]],
      tier: TIERS[this.tier[id]] as Tier,
      taskId: task === NONE ? null : this.tasks.values[task],
      filePath: file === NONE ? null : this.files.values[file],
      lineStart: this.lineStart[id] === NONE ? null : this.lineStart[id],
      lineEnd: this.lineEnd[id] === NONE ? null : this.lineEnd[id],
      tags: tags ? Array.from(tags, (t) => this.tagNames.values[t]) : [],
      source: SOURCES[this.source[id]] as Source,
      refs: refs ? Array.from(refs) : [],
      pinned: this.isPinned(id),
      generation: GENERATIONS[(this.flags[id] & FLAG_OLD) !== 0 ? 1 : 0],
      survivals: this.survivals[id],
      createdAt: this.created[id],
      touchedAt: this.touched[id],
      tokens: this.tokens[id],
      encoding: ENCODINGS[this.encoding[id]] as Encoding,
      textHash: this.hashHi[id].toString(16).padStart(8, '0') + this.hashLo[id].toString(16).padStart(8, '0'),
      chars: this.chars[id],
    };
  }
}

function dedupeSorted(a: number[]): number[] {
  let w = 0;
  for (let r = 0; r < a.length; r++) if (r === 0 || a[r] !== a[r - 1]) a[w++] = a[r];
  a.length = w;
  return a;
}
