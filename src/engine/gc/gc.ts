// The collector: roots -> mark -> score -> plan, over the struct-of-arrays table.
//
// Roots (working segments only: a stashed segment is out of context and keeps nothing alive):
//   pinned; the current task's key segments (decisions, summaries, notes, or tagged "key");
//   segments bound to the active/visible editors; the last N messages.
// Mark follows references from the roots (to any tier).
// Sweep scores every working, unpinned segment by recency, type importance, reference count and
// generation. Unreachable segments are offered first; reachable ones only when still over the target;
// roots last of all. A heap hands out the lowest scores until the target is met: O(n + k log n).

import { SEGMENT_TYPES, type SegmentType } from '../model';
import { FLAG_OLD, FLAG_PINNED, IdList, TIER_WORKING, TYPE_CODE, type SegmentTable } from '../table';
import { MinHeap } from './heap';

export const ROOT_PINNED = 1;
export const ROOT_TASK = 2;
export const ROOT_EDITOR = 4;
export const ROOT_RECENT = 8;
export type RootKind = 'pinned' | 'task' | 'editor' | 'recent';
const ROOT_NAMES: Record<number, RootKind> = { 1: 'pinned', 2: 'task', 4: 'editor', 8: 'recent' };

/** How much each type is worth keeping, 0..1 (indexed like SEGMENT_TYPES). */
export const TYPE_IMPORTANCE: Record<SegmentType, number> = {
  message: 0.4,
  code: 0.5,
  log: 0.15,
  note: 0.8,
  decision: 1,
  summary: 0.9,
};
const TYPE_WEIGHT = Float64Array.from(SEGMENT_TYPES, (t) => TYPE_IMPORTANCE[t]);
const TASK_ROOT_TYPES = new Set([TYPE_CODE.decision, TYPE_CODE.summary, TYPE_CODE.note]);
export const KEY_TAG = 'key';

export interface RootOptions {
  currentTask: string | null;
  /** Workspace-relative paths of the files in active/visible editors. */
  activeFiles: readonly string[];
  /** How many of the newest messages are roots. */
  recentMessages: number;
}

export interface MarkResult {
  /** For every id: 0 = unreachable, else the root-kind bit it was first reached from (for reasons). */
  reachedBy: Uint8Array;
  /** For every id: root-kind bits when the id is itself a root. */
  rootBits: Uint8Array;
  roots: Record<RootKind, number>;
  reachableWorking: number;
  reachableWorkingTokens: number;
  unreachableWorking: number;
  unreachableWorkingTokens: number;
}

/**
 * Computes roots and marks everything reachable from them: one pass over the columns (pinned roots,
 * the newest messages, working totals), the task and editor roots through their postings, then a
 * depth-first walk from each root in ascending id order. Reachable totals are counted as the walk marks
 * them, so nothing scans the table a second time.
 */
export function mark(t: SegmentTable, opts: RootOptions): MarkResult {
  const end = t.end;
  const rootBits = new Uint8Array(end);
  const reachedBy = new Uint8Array(end);
  const roots: Record<RootKind, number> = { pinned: 0, task: 0, editor: 0, recent: 0 };
  const { alive, tier, flags, type, created, tokens } = t;
  const working = (id: number) => alive[id] === 1 && tier[id] === TIER_WORKING;
  const rootIds = new IdList();

  // Walked from the newest id down: ids mostly grow with creation time, so once the recent-message heap
  // is full nearly every older message is turned away by one comparison with the heap's oldest entry.
  const n = Math.max(0, opts.recentMessages | 0);
  const recent = new RecentHeap(n);
  const messageCode = TYPE_CODE.message;
  let workingN = 0;
  let workingTokens = 0;
  for (let id = end - 1; id >= 1; id--) {
    if (alive[id] !== 1 || tier[id] !== TIER_WORKING) continue;
    workingN++;
    workingTokens += tokens[id];
    if ((flags[id] & FLAG_PINNED) !== 0) {
      rootBits[id] |= ROOT_PINNED;
      rootIds.push(id);
    }
    if (n > 0 && type[id] === messageCode) recent.offer(id, created[id]);
  }
  for (const id of recent.ids()) {
    rootBits[id] |= ROOT_RECENT;
    rootIds.push(id);
  }
  // The current task's key segments, through the task postings.
  if (opts.currentTask !== null) {
    const keyTag = t.tagNames.lookup(KEY_TAG);
    for (const id of t.idsForTask(opts.currentTask)) {
      if (!working(id)) continue;
      if (TASK_ROOT_TYPES.has(type[id]) || (keyTag !== undefined && t.tags[id]?.includes(keyTag))) {
        rootBits[id] |= ROOT_TASK;
        rootIds.push(id);
      }
    }
  }
  // Segments bound to open editors, through the file postings.
  for (const file of new Set(opts.activeFiles)) {
    for (const id of t.idsForFile(file)) {
      if (!working(id)) continue;
      rootBits[id] |= ROOT_EDITOR;
      rootIds.push(id);
    }
  }

  // Mark: depth-first over references from every root, roots in ascending id order (so the root kind a
  // shared segment is credited to does not depend on the order the roots were found in).
  const order = rootIds.sorted();
  let stack = new Int32Array(1024);
  let sp = 0;
  let reachableN = 0;
  let reachableTokens = 0;
  const refsOf = t.refs;
  for (let i = 0; i < order.length; i++) {
    const id = order[i];
    if (i > 0 && order[i - 1] === id) continue;
    const bits = rootBits[id];
    if (bits & ROOT_PINNED) roots.pinned++;
    if (bits & ROOT_TASK) roots.task++;
    if (bits & ROOT_EDITOR) roots.editor++;
    if (bits & ROOT_RECENT) roots.recent++;
    if (reachedBy[id] !== 0) continue;
    const first = bits & -bits;
    reachedBy[id] = first;
    reachableN++;
    reachableTokens += tokens[id];
    stack[sp++] = id;
    while (sp > 0) {
      const refs = refsOf[stack[--sp]];
      if (!refs) continue;
      for (let j = 0; j < refs.length; j++) {
        const r = refs[j];
        if (reachedBy[r] !== 0 || alive[r] !== 1) continue;
        reachedBy[r] = first;
        if (tier[r] === TIER_WORKING) {
          reachableN++;
          reachableTokens += tokens[r];
        }
        if (sp === stack.length) {
          const next = new Int32Array(stack.length * 2);
          next.set(stack);
          stack = next;
        }
        stack[sp++] = r;
      }
    }
  }
  return {
    reachedBy,
    rootBits,
    roots,
    reachableWorking: reachableN,
    reachableWorkingTokens: reachableTokens,
    unreachableWorking: workingN - reachableN,
    unreachableWorkingTokens: workingTokens - reachableTokens,
  };
}

/** Keeps the `cap` newest (by created time, then id) among offered ids. */
class RecentHeap {
  private readonly keys: Float64Array;
  private readonly vals: Int32Array;
  private size = 0;
  constructor(private readonly cap: number) {
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap);
  }
  private lt(i: number, j: number): boolean {
    return this.keys[i] < this.keys[j] || (this.keys[i] === this.keys[j] && this.vals[i] < this.vals[j]);
  }
  private swap(i: number, j: number): void {
    const k = this.keys[i];
    this.keys[i] = this.keys[j];
    this.keys[j] = k;
    const v = this.vals[i];
    this.vals[i] = this.vals[j];
    this.vals[j] = v;
  }
  offer(id: number, key: number): void {
    if (this.cap === 0) return;
    if (this.size < this.cap) {
      let i = this.size++;
      this.keys[i] = key;
      this.vals[i] = id;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.lt(i, p)) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    if (key < this.keys[0] || (key === this.keys[0] && id < this.vals[0])) return;
    this.keys[0] = key;
    this.vals[0] = id;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const m = r < this.size && this.lt(r, l) ? r : l;
      if (!this.lt(m, i)) break;
      this.swap(i, m);
      i = m;
    }
  }
  ids(): Int32Array {
    return this.vals.subarray(0, this.size);
  }
}

export interface ScoreOptions {
  now: number;
  /** Recency halves every this many milliseconds (default 6 h). */
  halfLifeMs?: number;
}

export const DEFAULT_HALF_LIFE_MS = 6 * 3600_000;

/** 2^-i for whole numbers of half-lives; past 64 the recency term is below a double's resolution of the score. */
const HALVINGS = Float64Array.from({ length: 64 }, (_, i) => Math.pow(2, -i));

/**
 * 2^-x for x >= 0 (the recency after x half-lives): a table for the whole part and a degree-8 Taylor
 * polynomial for the fraction (relative error under 2e-7, decreasing everywhere). A third of Math.exp's
 * cost, which matters in a loop that runs once per working segment.
 */
export function halvings(x: number): number {
  if (!(x > 0)) return 1;
  if (x >= 64) return 0;
  const i = x | 0;
  const f = x - i;
  const p = 1 + f * (-0.6931471805599453 + f * (0.2402265069591007 + f * (-0.055504108664821576 + f * (0.009618129107628477
    + f * (-0.0013333558146428441 + f * (0.00015403530393381606 + f * (-0.000015252733804059838 + f * 0.0000013215486790144305)))))));
  return p * HALVINGS[i];
}

/** min(1, log2(1 + n) / 3) for small reference counts (it is 1 from n = 7 on). */
const REF_TABLE = Float64Array.from({ length: 8 }, (_, n) => Math.min(1, Math.log2(1 + n) / 3));

/**
 * Score of one segment in [0, 1]: higher is more worth keeping. Recency halves every half-life; the
 * plan's scoring loop inlines exactly these operations, so both give bit-identical scores (equal scores
 * are then ordered by id, the same way everywhere).
 */
export function scoreOf(t: SegmentTable, id: number, now: number, halfLifeMs = DEFAULT_HALF_LIFE_MS): number {
  const recency = halvings((now - t.touched[id]) / halfLifeMs);
  const deg = t.inDegree[id];
  const ref = deg < REF_TABLE.length ? REF_TABLE[deg > 0 ? deg : 0] : 1;
  const gen = (t.flags[id] & FLAG_OLD) !== 0 ? Math.min(1, 0.5 + t.survivals[id] * 0.1) : 0;
  return 0.45 * recency + 0.3 * TYPE_WEIGHT[t.type[id]] + 0.15 * ref + 0.1 * gen;
}

export interface PlanOptions extends RootOptions, ScoreOptions {
  budget: number;
  /** Free at least this many tokens. */
  targetTokens?: number;
  /** Or: bring the working set under this percent of the budget (default 60, under the first warning band). */
  targetPercent?: number;
  /** Offer reachable (but unpinned) segments when the unreachable ones do not meet the target (default true). */
  includeReachable?: boolean;
}

export interface GcCandidate {
  id: number;
  type: SegmentType;
  tokens: number;
  /** Keep-worthiness in [0, 1]; lower goes first. */
  score: number;
  reachable: boolean;
  /** Which root keeps it reachable, when it is. */
  reachedFrom: RootKind | null;
  reason: string;
}

export interface GcPlan {
  budget: number;
  workingTokens: number;
  targetTokens: number;
  plannedTokens: number;
  /** Tokens the target asked for that the plan could not free (everything left is pinned or excluded). */
  shortfall: number;
  workingTokensAfter: number;
  percentBefore: number;
  percentAfter: number;
  candidates: GcCandidate[];
  roots: Record<RootKind, number>;
  reachableSegments: number;
  unreachableSegments: number;
  unreachableTokens: number;
  createdAt: number;
  timings: { markMs: number; scoreMs: number; selectMs: number };
}

const PHASE_REACHABLE = 1;
const PHASE_ROOT = 2;
/** Score histogram resolution: scores run from 0 to 3 (phase + a score in [0, 1]). */
const BINS_PER_UNIT = 4096;
const HIST_BINS = 3 * BINS_PER_UNIT;
/** Monotone in the score, so a bin's segments all score below the next bin's. */
function binOf(score: number): number {
  const b = (score * BINS_PER_UNIT) | 0;
  return b < HIST_BINS ? b : HIST_BINS - 1;
}

/** Builds a GC plan. Pure: changes nothing. */
export function plan(t: SegmentTable, opts: PlanOptions, workingTokens: number): GcPlan {
  const t0 = performance.now();
  const m = mark(t, opts);
  const t1 = performance.now();
  const budget = opts.budget;
  const targetTokens = Math.max(
    0,
    Math.ceil(
      opts.targetTokens !== undefined
        ? opts.targetTokens
        : workingTokens - (budget * (opts.targetPercent ?? 60)) / 100,
    ),
  );
  const includeReachable = opts.includeReachable ?? true;
  const halfLife = opts.halfLifeMs ?? DEFAULT_HALF_LIFE_MS;
  const candidates: GcCandidate[] = [];
  let planned = 0;
  let t2 = t1;
  if (targetTokens > 0) {
    // Score every working, unpinned segment into parallel arrays; the phase lifts reachable and root
    // segments above every unreachable one, so the heap hands them out only after. The same pass adds
    // each segment's tokens to a histogram of scores, which tells below which score the target is met:
    // only the segments under that line go into the heap (tens of thousands, not a million).
    const end = t.end;
    const scores = new Float64Array(t.count);
    const ids = new Int32Array(t.count);
    const hist = new Float64Array(HIST_BINS);
    let k = 0;
    // The same operations as scoreOf(), with the columns in locals and the transcendental parts tabled:
    // this loop runs once per working segment (a million times at scale).
    const { alive, tier, flags, touched, type, inDegree, survivals, tokens } = t;
    const reachedBy = m.reachedBy;
    const rootBits = m.rootBits;
    const now = opts.now;
    for (let id = 1; id < end; id++) {
      const f = flags[id];
      if (alive[id] !== 1 || tier[id] !== TIER_WORKING || (f & FLAG_PINNED) !== 0) continue;
      const reached = reachedBy[id] !== 0;
      if (reached && !includeReachable) continue;
      const phase = rootBits[id] !== 0 ? PHASE_ROOT : reached ? PHASE_REACHABLE : 0;
      const recency = halvings((now - touched[id]) / halfLife);
      const deg = inDegree[id];
      const ref = deg < REF_TABLE.length ? REF_TABLE[deg > 0 ? deg : 0] : 1;
      const gen = (f & FLAG_OLD) !== 0 ? Math.min(1, 0.5 + survivals[id] * 0.1) : 0;
      const score = phase + (0.45 * recency + 0.3 * TYPE_WEIGHT[type[id]] + 0.15 * ref + 0.1 * gen);
      scores[k] = score;
      ids[k] = id;
      k++;
      hist[binOf(score)] += tokens[id];
    }
    // The first bin at which the lowest scores add up to the target; everything above it stays out.
    let cut = HIST_BINS - 1;
    for (let b = 0, sum = 0; b < HIST_BINS; b++) {
      sum += hist[b];
      if (sum >= targetTokens) {
        cut = b;
        break;
      }
    }
    if (cut < HIST_BINS - 1) {
      let w = 0;
      for (let r = 0; r < k; r++) {
        if (binOf(scores[r]) > cut) continue;
        scores[w] = scores[r];
        ids[w] = ids[r];
        w++;
      }
      k = w;
    }
    t2 = performance.now();
    const heap = new MinHeap(scores, ids, k);
    while (planned < targetTokens) {
      const next = heap.pop();
      if (!next) break;
      const id = next.id;
      planned += t.tokens[id];
      const reachedBit = m.reachedBy[id];
      candidates.push({
        id,
        type: SEGMENT_TYPES[t.type[id]],
        tokens: t.tokens[id],
        score: round3(next.score - Math.floor(next.score)),
        reachable: reachedBit !== 0,
        reachedFrom: reachedBit !== 0 ? ROOT_NAMES[reachedBit] : null,
        reason: reasonFor(t, id, opts.now, reachedBit, m.rootBits[id]),
      });
    }
  }
  const t3 = performance.now();
  const after = workingTokens - planned;
  return {
    budget,
    workingTokens,
    targetTokens,
    plannedTokens: planned,
    shortfall: Math.max(0, targetTokens - planned),
    workingTokensAfter: after,
    percentBefore: percentOf(workingTokens, budget),
    percentAfter: percentOf(after, budget),
    candidates,
    roots: m.roots,
    reachableSegments: m.reachableWorking,
    unreachableSegments: m.unreachableWorking,
    unreachableTokens: m.unreachableWorkingTokens,
    createdAt: opts.now,
    timings: { markMs: round3(t1 - t0), scoreMs: round3(t2 - t1), selectMs: round3(t3 - t2) },
  };
}

export function percentOf(tokens: number, budget: number): number {
  return budget > 0 ? Math.round((tokens / budget) * 1000) / 10 : 0;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** "unreachable log, touched 3 h ago, not referenced" — the why of a candidate, for people and agents. */
export function reasonFor(t: SegmentTable, id: number, now: number, reachedBit: number, rootBits: number): string {
  const type = SEGMENT_TYPES[t.type[id]];
  const parts: string[] = [];
  if (rootBits !== 0) parts.push(`${ROOT_NAMES[rootBits & -rootBits]} root ${type}, offered only because the target is still not met`);
  else if (reachedBit !== 0) parts.push(`${type} reachable from a ${ROOT_NAMES[reachedBit]} root, offered because unreachable segments did not meet the target`);
  else parts.push(`unreachable ${type}`);
  parts.push(`touched ${formatAge(now - t.touched[id])} ago`);
  const refs = t.inDegree[id];
  parts.push(refs === 0 ? 'not referenced' : `referenced by ${refs}`);
  if ((t.flags[id] & FLAG_OLD) !== 0) parts.push(`survived ${t.survivals[id]} GC${t.survivals[id] === 1 ? '' : 's'}`);
  return parts.join(', ');
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}
