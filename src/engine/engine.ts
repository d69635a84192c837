// The engine facade: the one API the extension host, the CLI, the MCP server, the benchmarks and the
// tests all drive. It owns ids, validation, token counts, the in-memory table and the search index,
// and tells the store what changed. Every mutating call resolves once its change is durable.

import {
  ContextGcError,
  ENCODINGS,
  hashText,
  systemClock,
  titleOf,
  type Clock,
  type Encoding,
  type NewSegment,
  type Segment,
  type SegmentMeta,
  type SegmentType,
  type Tier,
  type TokenCounter,
} from './model';
import { SegmentTable, TIER_STASHED, TIER_WORKING, TYPE_CODE, FLAG_PINNED } from './table';
import type { JournalPosition, SegmentPatch, SegmentStore } from './store/types';
import { DEFAULT_LIMITS, validateIds, validateNewSegment, validateTags, validateText, type Limits } from './validate';
import { analyze, DEFAULT_THRESHOLDS, type UsageReport } from './analysis';
import { plan as buildPlan, percentOf, type GcPlan } from './gc/gc';
import { createTokenCounter } from './tokens';
import { composeSnapshot, SNAPSHOT_TAG, type TaskContext, type TaskInfo } from './tasks';
import type { SearchHit, SearchRequest, SearchResult as IndexSearchResult } from './search/types';
import { SearchIndex, type IndexStats } from './search/searchIndex';
import { loadTable, saveTableImage, type TableLoadReport } from './tableImage';

/** What the engine needs of a full-text index: kept in step with every change, queried with filters. */
export interface SearchBackend {
  add(id: number, text: string, filePath: string | null, tags: readonly string[]): void;
  update(id: number, text: string, filePath: string | null, tags: readonly string[]): void;
  remove(id: number): void;
  search(req: SearchRequest, now: number): IndexSearchResult;
}

export interface EngineHit extends SearchHit {
  meta: SegmentMeta;
}

export interface SearchResult extends Omit<IndexSearchResult, 'hits'> {
  query: string;
  project: string;
  hits: EngineHit[];
  /** Tokens of all returned hits together (what pasting them into context would cost). */
  tokens: number;
  tookMs: number;
}

export interface EngineInfo {
  project: string;
  encoding: Encoding;
  settings: EngineSettings;
  currentTask: string | null;
  activeFiles: string[];
  segments: number;
  workingTokens: number;
  workingSegments: number;
  percent: number;
}

export interface EngineSettings {
  /** Token budget of the model in use (default 1,000,000). */
  budget: number;
  /** Warning thresholds in percent (default 60, 80, 90). */
  thresholds: number[];
  /** How many of the newest messages are GC roots (default 20). */
  recentMessages: number;
}

export const DEFAULT_SETTINGS: EngineSettings = { budget: 1_000_000, thresholds: [...DEFAULT_THRESHOLDS], recentMessages: 20 };

export interface EngineOptions {
  store: SegmentStore;
  encoding?: Encoding;
  clock?: Clock;
  settings?: Partial<EngineSettings>;
  limits?: Partial<Limits>;
  /** Replace the token counter (tests); defaults to the exact, cached js-tiktoken counter for `encoding`. */
  tokenCounter?: TokenCounter;
  /** Name of the project (workspace) this engine serves. */
  project?: string;
  /**
   * Keep a full-text index (default true). With `searchDir`, the index is saved there on close and loaded
   * at open when it is current; otherwise it is built in the background while the engine is usable.
   */
  search?: boolean;
  searchDir?: string;
  /** Reports index build progress (done, total). */
  onSearchProgress?: (done: number, total: number | undefined) => void;
  /**
   * With `searchDir`: save the index in the background once no change came for `idleMs` (default 30 s; 0:
   * only on close), so a crash costs at most the changes since (re-indexed at the next open, not a full
   * build). First compact it when dead keys are at least `compactShare` of all keys (default 0.25) and at
   * least `compactMinDead` (default 20,000).
   */
  searchMaintenance?: { idleMs?: number; compactShare?: number; compactMinDead?: number };
  /**
   * Save the table's image beside a durable store on close and when idle, and load it at open with the
   * journal records written after it (default true; tableImage.ts). Off: the table is always scanned.
   */
  tableImage?: boolean;
  /** Problems handled without failing (an untrusted table image, a failed image save); also in `tableLoad`. */
  onWarning?: (warning: ContextGcError) => void;
}

/** What every mutation answers: what changed and what it did to the working set. */
export interface ChangeResult {
  action: 'add' | 'update' | 'touch' | 'stash' | 'restore' | 'pin' | 'unpin' | 'delete' | 'gc' | 'task';
  ids: number[];
  /** Tokens the change moved into (+) or out of (-) the working set. */
  tokenDelta: number;
  workingTokens: number;
  workingSegments: number;
  percent: number;
  /** Ids the call named that were already in the asked-for state. */
  unchanged: number[];
}

export type ChangeListener = (change: ChangeResult) => void;

export interface ListQuery {
  tier?: Tier;
  taskId?: string;
  filePath?: string;
  type?: SegmentType;
  pinned?: boolean;
  sort?: 'recent' | 'tokens' | 'id';
  limit?: number;
}

export interface GcRequest {
  targetTokens?: number;
  targetPercent?: number;
  includeReachable?: boolean;
}

export interface GcApplyRequest {
  ids: number[];
  mode?: 'stash' | 'delete';
  confirm?: boolean;
}

const KV_NEXT_ID = 'nextId';
const KV_CURRENT_TASK = 'currentTask';
const KV_TASKS = 'tasks';
const KV_LAST_GC = 'lastGc';
const KV_SWITCH_STASH = 'switchStash:';
/** Counts committed changes: the saved search index is current only when its watermark equals this. */
const KV_CHANGE_SEQ = 'changeSeq';
/** Survivors of this many GCs move to the old generation. */
export const PROMOTE_AFTER = 1;

export class ContextEngine {
  readonly table = new SegmentTable();
  readonly project: string;
  private settingsValue: EngineSettings;
  private counter: TokenCounter;
  private readonly clock: Clock;
  private readonly limits: Limits;
  private nextId = 1;
  private currentTaskId: string | null = null;
  private tasks: Record<string, TaskInfo> = {};
  private activeFiles: string[] = [];
  private readonly listeners = new Set<ChangeListener>();
  private workingTokens = 0;
  private workingCount = 0;
  private closed = false;
  private changeSeq = 0;
  private searchDir: string | undefined;
  private searchIndex: SearchIndex | undefined;
  private indexBuild: Promise<void> = Promise.resolve();
  private readonly maintenance: { idleMs: number; compactShare: number; compactMinDead: number };
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** The table image saved when idle, and at which change and journal position (so an unchanged table is not saved again). */
  private imageSaved: { watermark: number; seq: number; bytes: number } | undefined;
  /** The running idle save (and compaction), if any. */
  private indexWork: Promise<void> | null = null;
  /** What the saved index file holds: its watermark and the index version it was taken at. */
  private indexSaved = { watermark: -1, version: -1 };
  /** How the table was filled at open (image or scan, times, warnings). */
  tableLoad!: TableLoadReport;
  private readonly tableImage: boolean;
  private readonly onWarning: ((warning: ContextGcError) => void) | undefined;

  private constructor(
    readonly store: SegmentStore,
    opts: EngineOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.settingsValue = { ...DEFAULT_SETTINGS };
    this.configure(opts.settings ?? {});
    this.counter = opts.tokenCounter ?? createTokenCounter(opts.encoding ?? 'o200k_base');
    this.project = opts.project ?? 'default';
    this.tableImage = opts.tableImage !== false;
    this.maintenance = { idleMs: 30_000, compactShare: 0.25, compactMinDead: 20_000, ...opts.searchMaintenance };
    this.onWarning = opts.onWarning;
  }

  /** Loads the table from the store. The store stays usable by the caller only through the engine. */
  static async open(opts: EngineOptions): Promise<ContextEngine> {
    const engine = new ContextEngine(opts.store, opts);
    engine.load();
    if (opts.search !== false) await engine.openSearch(opts.searchDir, opts.onSearchProgress);
    // Once idle, save the table image again when the one loaded was behind the journal or there was none
    // (every change's commit schedules this too); an image that is this table is not rewritten.
    engine.scheduleIdleSave();
    return engine;
  }

  /**
   * Loads the saved index; when it is behind the store (a crash after the last save), re-indexes only the
   * segments that changed since, in the background. With no usable saved index, builds one in the
   * background. The engine is usable at once; answers are `partial` until the index is complete.
   */
  private async openSearch(dir: string | undefined, onProgress?: (done: number, total: number | undefined) => void): Promise<void> {
    this.searchDir = dir;
    const getTexts = (ids: readonly number[]) => this.store.getTexts(ids);
    const loaded = dir ? await SearchIndex.loadAny(dir, this.table, getTexts, { project: this.project }).catch(() => null) : null;
    const index = loaded?.index ?? new SearchIndex(this.table, getTexts, { project: this.project });
    this.attachSearch(index);
    this.searchIndex = index;
    if (loaded) this.indexSaved = { watermark: loaded.watermark, version: index.version };
    if (loaded && loaded.watermark === this.changeSeq) return;
    const t = this.table;
    const run = loaded ? index.catchUp(index.staleIds(), onProgress) : index.buildInBackground(rangeIds(t.end, (id) => t.alive[id] === 1), onProgress, { total: t.count });
    // Once complete, save it (after the idle delay) so the next crash does not cost this work again.
    this.indexBuild = run.then(
      () => this.scheduleIdleSave(),
      () => undefined,
    );
  }

  /** The search index's counts (segments, keys, dead keys, building), or undefined without search. */
  searchStats(): IndexStats | undefined {
    return this.searchIndex?.stats();
  }

  /** Resolves when the search index covers every segment (at once when it was loaded from disk). */
  whenSearchReady(): Promise<void> {
    return this.indexBuild;
  }

  private load(): void {
    this.changeSeq = Number(this.store.getKv(KV_CHANGE_SEQ) ?? 0);
    this.tableLoad = loadTable(this.store, this.table, this.changeSeq, this.tableImage);
    for (const w of this.tableLoad.warnings) this.onWarning?.(w);
    // An image with nothing after it is this table at the open's journal end: the idle save can skip it.
    const end = this.store.journalEndAtOpen;
    if (this.tableLoad.source === 'image' && this.tableLoad.tailRecords === 0 && end) this.imageSaved = { watermark: this.changeSeq, ...end };
    this.nextId = Math.max(Number(this.store.getKv(KV_NEXT_ID) ?? 1), this.table.end);
    this.currentTaskId = this.store.getKv(KV_CURRENT_TASK) ?? null;
    this.tasks = JSON.parse(this.store.getKv(KV_TASKS) ?? '{}') as Record<string, TaskInfo>;
    this.recomputeTotals();
  }

  private recomputeTotals(): void {
    const t = this.table;
    let tokens = 0;
    let n = 0;
    for (let id = 1; id < t.end; id++) {
      if (t.alive[id] === 1 && t.tier[id] === TIER_WORKING) {
        tokens += t.tokens[id];
        n++;
      }
    }
    this.workingTokens = tokens;
    this.workingCount = n;
  }

  // ---------------------------------------------------------------- settings and bindings

  get settings(): Readonly<EngineSettings> {
    return this.settingsValue;
  }

  get encoding(): Encoding {
    return this.counter.encoding;
  }

  /** Changes settings; invalid values are refused with a message naming the setting. */
  configure(patch: Partial<EngineSettings>): EngineSettings {
    const next = { ...this.settingsValue, ...patch };
    if (!Number.isInteger(next.budget) || next.budget < 1) {
      throw new ContextGcError('invalid_argument', `The token budget must be a whole number of tokens, 1 or more (got ${JSON.stringify(next.budget)}).`);
    }
    const th = next.thresholds;
    if (!Array.isArray(th) || th.length === 0 || th.some((x, i) => typeof x !== 'number' || !(x > 0 && x <= 100) || (i > 0 && x <= th[i - 1]))) {
      throw new ContextGcError('invalid_argument', `Thresholds must be increasing percentages between 0 and 100 (got ${JSON.stringify(th)}).`);
    }
    if (!Number.isInteger(next.recentMessages) || next.recentMessages < 0 || next.recentMessages > 10_000) {
      throw new ContextGcError('invalid_argument', `recentMessages must be a whole number from 0 to 10000 (got ${JSON.stringify(next.recentMessages)}).`);
    }
    this.settingsValue = { ...next, thresholds: [...th] };
    return this.settingsValue;
  }

  /** The files in active/visible editors (workspace-relative): their segments are GC roots. */
  setActiveFiles(paths: readonly string[]): void {
    this.activeFiles = [...new Set(paths)];
  }

  get activeFilePaths(): readonly string[] {
    return this.activeFiles;
  }

  onDidChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---------------------------------------------------------------- reading

  has(id: number): boolean {
    return this.table.has(id);
  }

  getMeta(id: number): SegmentMeta {
    this.requireOpen();
    if (!this.table.has(id)) throw new ContextGcError('not_found', `No segment with id ${id}.`);
    return { ...this.table.meta(id), title: this.store.getTitles([id]).get(id) ?? '' };
  }

  get(id: number): Segment {
    const meta = this.getMeta(id);
    return { ...meta, text: this.store.getText(id) ?? '' };
  }

  metas(ids: readonly number[]): SegmentMeta[] {
    const titles = this.store.getTitles(ids);
    return ids.filter((id) => this.table.has(id)).map((id) => ({ ...this.table.meta(id), title: titles.get(id) ?? '' }));
  }

  texts(ids: readonly number[]): Map<number, string> {
    return this.store.getTexts(ids);
  }

  /** Segments matching simple filters, through the table's postings where a filter allows. */
  list(q: ListQuery = {}): SegmentMeta[] {
    this.requireOpen();
    const t = this.table;
    let ids: Iterable<number>;
    if (q.filePath !== undefined) ids = t.idsForFile(q.filePath);
    else if (q.taskId !== undefined) ids = t.idsForTask(q.taskId);
    else ids = rangeIds(t.end);
    const tier = q.tier === undefined ? -1 : q.tier === 'working' ? TIER_WORKING : TIER_STASHED;
    const typeCode = q.type === undefined ? -1 : TYPE_CODE[q.type];
    const task = q.taskId === undefined ? undefined : t.tasks.lookup(q.taskId);
    const out: number[] = [];
    for (const id of ids) {
      if (t.alive[id] !== 1) continue;
      if (tier >= 0 && t.tier[id] !== tier) continue;
      if (typeCode >= 0 && t.type[id] !== typeCode) continue;
      if (task !== undefined && t.task[id] !== task) continue;
      if (q.pinned !== undefined && t.isPinned(id) !== q.pinned) continue;
      out.push(id);
    }
    const sort = q.sort ?? 'id';
    if (sort === 'recent') out.sort((a, b) => t.touched[b] - t.touched[a] || b - a);
    else if (sort === 'tokens') out.sort((a, b) => t.tokens[b] - t.tokens[a] || a - b);
    return this.metas(q.limit === undefined ? out : out.slice(0, q.limit));
  }

  get currentTask(): string | null {
    return this.currentTaskId;
  }

  // ---------------------------------------------------------------- adding and changing

  async add(input: NewSegment): Promise<SegmentMeta> {
    return (await this.addMany([input]))[0];
  }

  /** Adds segments all or nothing: one invalid segment rejects the batch and changes nothing. */
  async addMany(inputs: readonly NewSegment[]): Promise<SegmentMeta[]> {
    this.requireOpen();
    if (!Array.isArray(inputs) || inputs.length === 0) throw new ContextGcError('invalid_argument', 'Give at least one segment to add.');
    const clean = inputs.map((s, i) => validateNewSegment(s, this.limits, (id) => this.table.has(id), inputs.length > 1 ? i : undefined));
    const now = this.clock.now();
    const segments: Segment[] = clean.map((c, i) => {
      const id = this.nextId + i;
      return {
        id,
        type: c.type,
        tier: c.tier,
        taskId: c.taskId ?? this.currentTaskId,
        filePath: c.filePath,
        lineStart: c.lineStart,
        lineEnd: c.lineEnd,
        tags: c.tags,
        source: c.source,
        refs: c.refs,
        pinned: c.pinned,
        generation: 'young',
        survivals: 0,
        createdAt: c.createdAt ?? now,
        touchedAt: c.createdAt ?? now,
        tokens: this.counter.count(c.text),
        encoding: this.counter.encoding,
        textHash: hashText(c.text),
        title: titleOf(c.text),
        chars: c.text.length,
        text: c.text,
      };
    });
    this.nextId += segments.length;
    this.store.insert(segments);
    this.store.setKv(KV_NEXT_ID, String(this.nextId));
    let delta = 0;
    for (const s of segments) {
      const { text: _text, ...meta } = s;
      this.table.put(meta);
      if (s.tier === 'working') {
        delta += s.tokens;
        this.workingCount++;
      }
      this.onIndex?.add(s.id, s.text, s.filePath, s.tags);
    }
    this.workingTokens += delta;
    await this.commit();
    this.emit('add', segments.map((s) => s.id), delta, []);
    return segments.map(({ text: _text, ...meta }) => meta);
  }

  /** Replaces a segment's text; the token count is taken again only when the text changed. */
  async updateText(id: number, text: string): Promise<SegmentMeta> {
    this.requireOpen();
    const [sid] = validateIds([id], (x) => this.table.has(x));
    validateText(text, this.limits);
    const t = this.table;
    const hash = hashText(text);
    const old = t.meta(sid);
    const now = this.clock.now();
    if (hash === old.textHash && old.encoding === this.counter.encoding) {
      await this.touch([sid]);
      return this.getMeta(sid);
    }
    const tokens = this.counter.count(text);
    const patch: SegmentPatch = { id: sid, text, tokens, encoding: this.counter.encoding, textHash: hash, title: titleOf(text), chars: text.length, touchedAt: now };
    this.store.update([patch]);
    t.tokens[sid] = tokens;
    t.chars[sid] = text.length;
    t.touched[sid] = now;
    t.setHash(sid, hash);
    t.encoding[sid] = ENCODINGS.indexOf(this.counter.encoding);
    const delta = t.tier[sid] === TIER_WORKING ? tokens - old.tokens : 0;
    this.workingTokens += delta;
    this.onIndex?.update(sid, text, old.filePath, old.tags);
    await this.commit();
    this.emit('update', [sid], delta, []);
    return this.getMeta(sid);
  }

  /** Marks segments as used now (recency feeds the GC score). */
  async touch(ids: readonly number[]): Promise<ChangeResult> {
    this.requireOpen();
    const valid = validateIds(ids, (x) => this.table.has(x));
    const now = this.clock.now();
    for (const id of valid) this.table.touched[id] = now;
    this.store.update(valid.map((id) => ({ id, touchedAt: now })));
    await this.commit();
    return this.emit('touch', valid, 0, []);
  }

  async setTags(id: number, tags: string[]): Promise<SegmentMeta> {
    this.requireOpen();
    const [sid] = validateIds([id], (x) => this.table.has(x));
    const clean = validateTags(tags, this.limits);
    this.table.setTags(sid, clean);
    this.store.update([{ id: sid, tags: clean }]);
    this.onIndex?.update(sid, this.store.getText(sid) ?? '', this.table.meta(sid).filePath, clean);
    await this.commit();
    return this.getMeta(sid);
  }

  // ---------------------------------------------------------------- tiers and pins

  /** Moves segments out of the working set. Pinned segments are refused: unpin them first. */
  async stash(ids: readonly number[]): Promise<ChangeResult> {
    this.requireOpen();
    const valid = validateIds(ids, (x) => this.table.has(x));
    this.refusePinned(valid, 'stashing');
    return this.moveTier(valid, TIER_STASHED, 'stash');
  }

  async restore(ids: readonly number[]): Promise<ChangeResult> {
    this.requireOpen();
    const valid = validateIds(ids, (x) => this.table.has(x));
    return this.moveTier(valid, TIER_WORKING, 'restore');
  }

  /** Throws `pinned` naming every pinned id among `ids`: explicit stash and delete leave pins alone. */
  private refusePinned(ids: readonly number[], doing: 'stashing' | 'deleting'): void {
    const pinned = ids.filter((id) => this.table.isPinned(id));
    if (pinned.length === 0) return;
    const many = pinned.length > 1;
    throw new ContextGcError('pinned', `Segment${many ? 's' : ''} ${pinned.join(', ')} ${many ? 'are' : 'is'} pinned; unpin before ${doing}.`, { ids: pinned });
  }

  private async moveTier(ids: number[], to: number, action: 'stash' | 'restore'): Promise<ChangeResult> {
    const t = this.table;
    const now = this.clock.now();
    const moved: number[] = [];
    const unchanged: number[] = [];
    let delta = 0;
    for (const id of ids) {
      if (t.tier[id] === to) {
        unchanged.push(id);
        continue;
      }
      t.tier[id] = to;
      if (to === TIER_WORKING) t.touched[id] = now;
      delta += to === TIER_WORKING ? t.tokens[id] : -t.tokens[id];
      this.workingCount += to === TIER_WORKING ? 1 : -1;
      moved.push(id);
    }
    const tier: Tier = to === TIER_WORKING ? 'working' : 'stashed';
    if (moved.length > 0) {
      this.store.update(moved.map((id) => (to === TIER_WORKING ? { id, tier, touchedAt: now } : { id, tier })));
      this.workingTokens += delta;
      await this.commit();
    }
    return this.emit(action, moved, delta, unchanged);
  }

  async pin(ids: readonly number[]): Promise<ChangeResult> {
    return this.setPinned(ids, true);
  }

  async unpin(ids: readonly number[]): Promise<ChangeResult> {
    return this.setPinned(ids, false);
  }

  private async setPinned(ids: readonly number[], pinned: boolean): Promise<ChangeResult> {
    this.requireOpen();
    const valid = validateIds(ids, (x) => this.table.has(x));
    const changed = valid.filter((id) => this.table.isPinned(id) !== pinned);
    const unchanged = valid.filter((id) => this.table.isPinned(id) === pinned);
    for (const id of changed) this.table.setPinned(id, pinned);
    if (changed.length > 0) {
      this.store.update(changed.map((id) => ({ id, pinned })));
      await this.commit();
    }
    return this.emit(pinned ? 'pin' : 'unpin', changed, 0, unchanged);
  }

  /** Deletes segments for good. Needs `confirm: true`; pinned segments are refused. References to them are dropped. */
  async delete(ids: readonly number[], opts: { confirm?: boolean } = {}): Promise<ChangeResult> {
    this.requireOpen();
    const valid = validateIds(ids, (x) => this.table.has(x));
    if (opts.confirm !== true) {
      throw new ContextGcError('confirm_required', `Deleting ${valid.length} segment${valid.length === 1 ? '' : 's'} cannot be undone; pass confirm to delete, or stash instead.`, { ids: valid });
    }
    this.refusePinned(valid, 'deleting');
    return this.deleteNow(valid, 'delete');
  }

  private async deleteNow(ids: number[], action: 'delete' | 'gc'): Promise<ChangeResult> {
    const t = this.table;
    const gone = new Set(ids);
    // Drop references to deleted segments from the segments that hold them.
    const patches: SegmentPatch[] = [];
    for (let id = 1; id < t.end; id++) {
      const refs = t.refs[id];
      if (!refs || gone.has(id) || t.alive[id] !== 1) continue;
      if (refs.some((r) => gone.has(r))) {
        const next = Array.from(refs).filter((r) => !gone.has(r));
        t.setRefs(id, next);
        patches.push({ id, refs: next });
      }
    }
    let delta = 0;
    for (const id of ids) {
      if (t.tier[id] === TIER_WORKING) {
        delta -= t.tokens[id];
        this.workingCount--;
      }
      t.remove(id);
      this.onIndex?.remove(id);
    }
    if (patches.length > 0) this.store.update(patches);
    this.store.delete(ids);
    this.workingTokens += delta;
    await this.commit();
    return this.emit(action, ids, delta, []);
  }

  // ---------------------------------------------------------------- analysis and GC

  usage(): UsageReport {
    this.requireOpen();
    return analyze(this.table, {
      now: this.clock.now(),
      budget: this.settingsValue.budget,
      thresholds: this.settingsValue.thresholds,
      currentTask: this.currentTaskId,
      activeFiles: this.activeFiles,
      recentMessages: this.settingsValue.recentMessages,
    });
  }

  /** Working-set totals without the full analysis (cheap: kept up to date on every change). */
  totals(): { workingTokens: number; workingSegments: number; percent: number; budget: number } {
    return { workingTokens: this.workingTokens, workingSegments: this.workingCount, percent: percentOf(this.workingTokens, this.settingsValue.budget), budget: this.settingsValue.budget };
  }

  planGc(req: GcRequest = {}): GcPlan {
    this.requireOpen();
    if (req.targetTokens !== undefined && (!Number.isFinite(req.targetTokens) || req.targetTokens < 0)) {
      throw new ContextGcError('invalid_argument', `targetTokens must be a number of tokens, 0 or more (got ${JSON.stringify(req.targetTokens)}).`);
    }
    if (req.targetPercent !== undefined && (!Number.isFinite(req.targetPercent) || req.targetPercent < 0 || req.targetPercent > 100)) {
      throw new ContextGcError('invalid_argument', `targetPercent must be between 0 and 100 (got ${JSON.stringify(req.targetPercent)}).`);
    }
    return buildPlan(
      this.table,
      {
        now: this.clock.now(),
        budget: this.settingsValue.budget,
        currentTask: this.currentTaskId,
        activeFiles: this.activeFiles,
        recentMessages: this.settingsValue.recentMessages,
        targetTokens: req.targetTokens,
        targetPercent: req.targetPercent,
        includeReachable: req.includeReachable,
      },
      this.workingTokens,
    );
  }

  /**
   * Applies a plan (or the ids the user kept of it): stash by default, delete only with confirm.
   * Pinned segments are never collected. Working segments that survive age toward the old generation.
   */
  async applyGc(req: GcApplyRequest): Promise<ChangeResult> {
    this.requireOpen();
    const mode = req.mode ?? 'stash';
    if (mode !== 'stash' && mode !== 'delete') throw new ContextGcError('invalid_argument', `mode must be "stash" or "delete" (got ${JSON.stringify(mode)}).`);
    const valid = validateIds(req.ids, (x) => this.table.has(x));
    const pinned = valid.filter((id) => this.table.isPinned(id));
    if (pinned.length > 0) throw new ContextGcError('pinned', `Pinned segments are never collected: ${pinned.join(', ')}.`, { ids: pinned });
    if (mode === 'delete' && req.confirm !== true) {
      throw new ContextGcError('confirm_required', `Collecting by delete removes ${valid.length} segment${valid.length === 1 ? '' : 's'} for good; pass confirm, or use mode "stash".`);
    }
    const t = this.table;
    const collected = valid.filter((id) => t.tier[id] === TIER_WORKING);
    const unchanged = valid.filter((id) => t.tier[id] !== TIER_WORKING);
    const collectedSet = new Set(collected);
    // Age the survivors: every working segment the collection left behind.
    const aging: SegmentPatch[] = [];
    for (let id = 1; id < t.end; id++) {
      if (t.alive[id] !== 1 || t.tier[id] !== TIER_WORKING || collectedSet.has(id)) continue;
      const survivals = Math.min(65535, t.survivals[id] + 1);
      t.survivals[id] = survivals;
      const old = survivals >= PROMOTE_AFTER;
      if (old) t.flags[id] |= 2;
      aging.push({ id, survivals, generation: old ? 'old' : 'young' });
    }
    if (aging.length > 0) this.store.update(aging);
    let result: ChangeResult;
    if (mode === 'delete') {
      result = await this.deleteNow(collected, 'gc');
      this.store.setKv(KV_LAST_GC, JSON.stringify({ ids: [], mode, at: this.clock.now() }));
    } else {
      const now = this.clock.now();
      let delta = 0;
      for (const id of collected) {
        t.tier[id] = TIER_STASHED;
        delta -= t.tokens[id];
        this.workingCount--;
      }
      this.workingTokens += delta;
      this.store.update(collected.map((id) => ({ id, tier: 'stashed' as const })));
      this.store.setKv(KV_LAST_GC, JSON.stringify({ ids: collected, mode, at: now }));
      await this.commit();
      result = this.emit('gc', collected, delta, unchanged);
    }
    return { ...result, unchanged };
  }

  /** The last applied GC, if it can still be undone (its stash-mode segments that are still stashed). */
  lastGc(): { ids: number[]; at: number } | null {
    this.requireOpen();
    const last = JSON.parse(this.store.getKv(KV_LAST_GC) ?? 'null') as { ids: number[]; mode: string; at: number } | null;
    if (!last || last.mode !== 'stash') return null;
    const ids = last.ids.filter((id) => this.table.has(id) && this.table.tier[id] === TIER_STASHED);
    return ids.length > 0 ? { ids, at: last.at } : null;
  }

  /** Restores what the last stash-mode GC moved out (what is still stashed of it). */
  async undoLastGc(): Promise<ChangeResult> {
    this.requireOpen();
    const last = JSON.parse(this.store.getKv(KV_LAST_GC) ?? 'null') as { ids: number[]; mode: string } | null;
    if (!last || last.ids.length === 0) throw new ContextGcError('not_found', last?.mode === 'delete' ? 'The last GC deleted its segments; there is nothing to undo.' : 'There is no GC to undo.');
    const ids = last.ids.filter((id) => this.table.has(id));
    this.store.setKv(KV_LAST_GC, 'null');
    if (ids.length === 0) {
      await this.commit();
      return this.emit('restore', [], 0, []);
    }
    return this.moveTier(ids, TIER_WORKING, 'restore');
  }

  // ---------------------------------------------------------------- tasks

  listTasks(): TaskInfo[] {
    const known = new Map(Object.entries(this.tasks));
    for (const id of this.table.tasks.values) if (!known.has(id) && this.table.idsForTask(id).length > 0) known.set(id, { id, title: id, createdAt: 0, lastActiveAt: 0 });
    return [...known.values()].sort((a, b) => b.lastActiveAt - a.lastActiveAt || a.id.localeCompare(b.id));
  }

  /**
   * Makes `taskId` the current task. Switching away stashes the previous task's unpinned working segments
   * (remembered, so switching back restores them) unless `stashPrevious` is false.
   */
  async setCurrentTask(taskId: string, opts: { title?: string; stashPrevious?: boolean } = {}): Promise<ChangeResult & { previous: string | null; restored: number[]; stashed: number[] }> {
    this.requireOpen();
    if (typeof taskId !== 'string' || taskId.trim() === '' || taskId.length > this.limits.maxIdLength) {
      throw new ContextGcError('invalid_argument', `A task id must be a non-empty string of at most ${this.limits.maxIdLength} characters.`);
    }
    const previous = this.currentTaskId;
    const now = this.clock.now();
    const stashed: number[] = [];
    const restored: number[] = [];
    let delta = 0;
    if (previous !== taskId) {
      const t = this.table;
      if (previous !== null && opts.stashPrevious !== false) {
        for (const id of t.idsForTask(previous)) {
          if (t.tier[id] === TIER_WORKING && (t.flags[id] & FLAG_PINNED) === 0) stashed.push(id);
        }
        if (stashed.length > 0) delta += (await this.moveTier(stashed, TIER_STASHED, 'stash')).tokenDelta;
        this.store.setKv(KV_SWITCH_STASH + previous, JSON.stringify(stashed));
      }
      const back = JSON.parse(this.store.getKv(KV_SWITCH_STASH + taskId) ?? '[]') as number[];
      for (const id of back) if (t.has(id) && t.tier[id] === TIER_STASHED) restored.push(id);
      if (restored.length > 0) delta += (await this.moveTier(restored, TIER_WORKING, 'restore')).tokenDelta;
      if (back.length > 0) this.store.setKv(KV_SWITCH_STASH + taskId, '[]');
    }
    const info = this.tasks[taskId] ?? { id: taskId, title: taskId, createdAt: now, lastActiveAt: now };
    info.lastActiveAt = now;
    if (opts.title !== undefined) info.title = opts.title;
    this.tasks[taskId] = info;
    this.currentTaskId = taskId;
    this.store.setKv(KV_CURRENT_TASK, taskId);
    this.store.setKv(KV_TASKS, JSON.stringify(this.tasks));
    await this.commit();
    const result = this.emit('task', [...stashed, ...restored], delta, []);
    return { ...result, previous, restored, stashed };
  }

  taskContext(taskId: string | null = this.currentTaskId, opts: { limit?: number } = {}): TaskContext {
    this.requireOpen();
    if (taskId === null) throw new ContextGcError('no_task', 'No current task; set one first.');
    const t = this.table;
    const ids = t.idsForTask(taskId);
    const working = ids.filter((id) => t.tier[id] === TIER_WORKING).sort((a, b) => t.touched[b] - t.touched[a] || b - a);
    const stashedIds = ids.filter((id) => t.tier[id] === TIER_STASHED);
    const snapshots = ids.filter((id) => t.type[id] === TYPE_CODE.summary && t.tags[id]?.includes(t.tagNames.lookup(SNAPSHOT_TAG) ?? -1)).sort((a, b) => b - a);
    const files = new Map<string, number>();
    for (const id of working) {
      const f = t.file[id];
      if (f >= 0) files.set(t.files.values[f], (files.get(t.files.values[f]) ?? 0) + t.tokens[id]);
    }
    const limit = opts.limit ?? 50;
    return {
      task: this.tasks[taskId] ?? { id: taskId, title: taskId, createdAt: 0, lastActiveAt: 0 },
      current: taskId === this.currentTaskId,
      working: this.metas(working.slice(0, limit)),
      workingSegments: working.length,
      workingTokens: working.reduce((s, id) => s + t.tokens[id], 0),
      stashedSegments: stashedIds.length,
      stashedTokens: stashedIds.reduce((s, id) => s + t.tokens[id], 0),
      files: [...files.entries()].map(([path, tokens]) => ({ path, tokens })).sort((a, b) => b.tokens - a.tokens || a.path.localeCompare(b.path)),
      snapshots: snapshots.map((id) => ({ id, createdAt: t.created[id], tokens: t.tokens[id] })),
    };
  }

  /** Captures the task's pinned segments, decisions, recent messages and files as one summary segment. */
  async snapshotTask(taskId: string | null = this.currentTaskId): Promise<SegmentMeta> {
    this.requireOpen();
    if (taskId === null) throw new ContextGcError('no_task', 'No current task to snapshot; set one first.');
    const t = this.table;
    const ids = t.idsForTask(taskId).filter((id) => !(t.type[id] === TYPE_CODE.summary && t.tags[id]?.includes(t.tagNames.lookup(SNAPSHOT_TAG) ?? -1)));
    if (ids.length === 0) throw new ContextGcError('not_found', `Task "${taskId}" has no segments to snapshot.`);
    const info = this.tasks[taskId] ?? { id: taskId, title: taskId, createdAt: 0, lastActiveAt: 0 };
    const { text, refs } = composeSnapshot(info, ids.map((id) => this.table.meta(id)), (sel) => this.store.getTexts(sel), this.clock.now(), this.settingsValue.recentMessages);
    return this.add({ text, type: 'summary', taskId, tags: [SNAPSHOT_TAG], refs, source: 'agent' });
  }

  /** Brings a snapshot back: makes its task current and restores the snapshot and the segments it lists. */
  async restoreSnapshot(snapshotId: number): Promise<ChangeResult> {
    this.requireOpen();
    const meta = this.getMeta(snapshotId);
    if (meta.type !== 'summary' || !meta.tags.includes(SNAPSHOT_TAG) || meta.taskId === null) {
      throw new ContextGcError('invalid_argument', `Segment ${snapshotId} is not a task snapshot.`);
    }
    if (this.currentTaskId !== meta.taskId) await this.setCurrentTask(meta.taskId);
    const ids = [snapshotId, ...meta.refs.filter((id) => this.table.has(id))];
    return this.restore(ids);
  }

  // ---------------------------------------------------------------- encoding

  /** Switches the encoding and recounts every segment whose count was taken with another encoding. */
  async setEncoding(encoding: Encoding, onProgress?: (done: number, total: number) => void): Promise<{ recounted: number; tokenDelta: number }> {
    this.requireOpen();
    const t = this.table;
    const code = ENCODINGS.indexOf(encoding);
    // Segments counted with another encoding (also when the store was counted elsewhere with another one).
    const todo: number[] = [];
    for (let id = 1; id < t.end; id++) if (t.alive[id] === 1 && t.encoding[id] !== code) todo.push(id);
    if (todo.length === 0 && encoding === this.counter.encoding) return { recounted: 0, tokenDelta: 0 };
    const next = encoding === this.counter.encoding ? this.counter : createTokenCounter(encoding);
    const before = this.workingTokens;
    const chunk = 2000;
    for (let i = 0; i < todo.length; i += chunk) {
      const ids = todo.slice(i, i + chunk);
      const texts = this.store.getTexts(ids);
      const patches: SegmentPatch[] = [];
      for (const id of ids) {
        const tokens = next.count(texts.get(id) ?? '');
        t.tokens[id] = tokens;
        t.encoding[id] = code;
        patches.push({ id, tokens, encoding });
      }
      this.store.update(patches);
      onProgress?.(Math.min(todo.length, i + chunk), todo.length);
      await new Promise((r) => setImmediate(r));
    }
    this.counter = next;
    this.recomputeTotals();
    await this.commit();
    return { recounted: todo.length, tokenDelta: this.workingTokens - before };
  }

  // ---------------------------------------------------------------- search and lifecycle

  /** The full-text index, kept in step by every change. */
  private onIndex?: SearchBackend;

  attachSearch(backend: SearchBackend): void {
    this.onIndex = backend;
  }

  /** Ranked full-text search with metadata filters; hits carry their metadata. */
  search(req: SearchRequest): SearchResult {
    this.requireOpen();
    if (typeof req !== 'object' || req === null || typeof req.query !== 'string') {
      throw new ContextGcError('invalid_argument', 'search needs a query string.');
    }
    if (!this.onIndex) throw new ContextGcError('invalid_argument', 'Search is not available: this engine was opened without a search index.');
    const t0 = performance.now();
    if (req.project !== undefined && req.project !== this.project) {
      return { query: req.query, project: this.project, hits: [], total: 0, terms: [], corrections: [], skippedForTokens: 0, partial: false, plan: 'none', tokens: 0, tookMs: 0 };
    }
    const res = this.onIndex.search(req, this.clock.now());
    const metas = new Map(this.metas(res.hits.map((h) => h.id)).map((m) => [m.id, m]));
    const hits = res.hits.filter((h) => metas.has(h.id)).map((h) => ({ ...h, meta: metas.get(h.id)! }));
    return { ...res, query: req.query, project: this.project, hits, tokens: hits.reduce((s, h) => s + h.tokens, 0), tookMs: Math.round((performance.now() - t0) * 100) / 100 };
  }

  info(): EngineInfo {
    this.requireOpen();
    return {
      project: this.project,
      encoding: this.encoding,
      settings: { ...this.settingsValue, thresholds: [...this.settingsValue.thresholds] },
      currentTask: this.currentTaskId,
      activeFiles: [...this.activeFiles],
      segments: this.table.count,
      ...this.totals(),
    };
  }

  /**
   * Saves the search index (when complete and a directory was given), then closes the store, writing the
   * table image at the journal's final position before the store's lock is released.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    clearTimeout(this.idleTimer);
    try {
      // A running idle save finishes first (one writer of the file at a time), then the final save.
      await this.indexWork;
      const idx = this.searchIndex;
      if (idx && this.searchDir && !idx.stats().building && !this.indexCurrent(idx)) await idx.save(this.searchDir, this.changeSeq);
    } finally {
      await this.store.close({ beforeUnlock: (end) => this.saveTableImageAt(end) });
    }
  }

  /**
   * When changes have stopped: the table image with the store's journal position, so a crash from here
   * on reopens from the image plus the few records written after it instead of scanning every row.
   * Skipped while the store is still writing (no settled position).
   */
  private saveIdleTableImage(): void {
    if (this.closed) return;
    const at = this.store.journalPosition?.();
    if (at) this.saveTableImageAt(at);
  }

  /**
   * Writes the table image beside a writable durable store, stamped with the journal position `at` it
   * equals (at close, or when idle), unless the saved one is already that. A failure only costs a later
   * open a scan, so it is a warning.
   */
  private saveTableImageAt(at: JournalPosition): void {
    const dir = this.store.dir;
    if (!this.tableImage || !dir || this.store.readOnly) return;
    const s = this.imageSaved;
    if (s && s.watermark === this.changeSeq && s.seq === at.seq && s.bytes === at.bytes) return;
    try {
      saveTableImage(dir, this.table, this.changeSeq, at);
      this.imageSaved = { watermark: this.changeSeq, ...at };
    } catch (err) {
      this.onWarning?.(new ContextGcError('io_error', `Could not save the table image in ${dir}: ${(err as Error).message}. ` +
        `Nothing is lost; the next open rebuilds the table from the store (slower).`, { dir }));
    }
  }

  /** Makes every change so far durable, counting it for the search index's watermark. */
  private async commit(): Promise<void> {
    this.changeSeq++;
    this.store.setKv(KV_CHANGE_SEQ, String(this.changeSeq));
    this.scheduleIdleSave();
    await this.store.commit();
  }

  // ---------------------------------------------------------------- search index upkeep

  /** Is the saved index file exactly what is in memory now? */
  private indexCurrent(idx: SearchIndex): boolean {
    return this.indexSaved.watermark === this.changeSeq && this.indexSaved.version === idx.version;
  }

  /** (Re)starts the idle timer: the table image and the index are saved once no change came for `idleMs`. */
  private scheduleIdleSave(): void {
    if (this.maintenance.idleMs <= 0 || this.closed || this.store.readOnly) return;
    if (!this.searchDir && !(this.tableImage && this.store.dir)) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.saveIdleTableImage();
      void this.indexUpkeep();
    }, this.maintenance.idleMs);
    // Never keeps a process (CLI, tests) alive: close saves anyway.
    this.idleTimer.unref?.();
  }

  /**
   * The idle work, one at a time and never during a build (its end schedules a save): compact when dead
   * keys have piled up, then save when what is indexed changed since the last save. Changes to columns
   * only (stash, touch, pin) do not move the index version and cost no save: the next open finds the file's
   * watermark behind and re-checks hashes, which finds nothing to re-index.
   */
  private async indexUpkeep(): Promise<void> {
    const idx = this.searchIndex;
    const dir = this.searchDir;
    if (!idx || !dir || this.closed || idx.stats().building) return;
    if (this.indexWork) return this.scheduleIdleSave();
    this.indexWork = (async () => {
      try {
        const { keys, deadKeys } = idx.stats();
        const m = this.maintenance;
        if (deadKeys >= m.compactMinDead && deadKeys >= m.compactShare * keys) await idx.compact();
        if (this.closed || this.indexCurrent(idx) || idx.version === this.indexSaved.version) return;
        const saved = { watermark: this.changeSeq, version: idx.version };
        await idx.save(dir, saved.watermark);
        this.indexSaved = saved;
      } catch (err) {
        // The index stays usable in memory; the next change schedules another try, close saves again.
        this.onWarning?.(ContextGcError.is(err) ? err : new ContextGcError('io_error', `Saving the search index failed: ${(err as Error).message}.`));
      } finally {
        this.indexWork = null;
      }
    })();
    return this.indexWork;
  }

  private requireOpen(): void {
    if (this.closed) throw new ContextGcError('store_closed', 'The context engine is closed.');
  }

  private emit(action: ChangeResult['action'], ids: number[], tokenDelta: number, unchanged: number[]): ChangeResult {
    const change: ChangeResult = {
      action,
      ids,
      tokenDelta,
      workingTokens: this.workingTokens,
      workingSegments: this.workingCount,
      percent: percentOf(this.workingTokens, this.settingsValue.budget),
      unchanged,
    };
    if (ids.length > 0) for (const l of this.listeners) l(change);
    return change;
  }
}

function* rangeIds(end: number, keep?: (id: number) => boolean): Generator<number> {
  for (let id = 1; id < end; id++) if (!keep || keep(id)) yield id;
}
