// Usage analysis: what is in the working set, how full the budget is, how healthy the context is, and
// what to do about it. One pass over the table's columns plus one mark, so it stays in tens of
// milliseconds at a million segments.

import { SEGMENT_TYPES, type SegmentType } from './model';
import { FLAG_PINNED, TIER_WORKING, TYPE_CODE, type SegmentTable } from './table';
import { formatAge, mark, percentOf, type RootOptions } from './gc/gc';

export const DEFAULT_THRESHOLDS = [60, 80, 90] as const;
export type Band = 'ok' | 'warning' | 'high' | 'critical';

export interface TypeUsage {
  tokens: number;
  segments: number;
}

export interface TaskUsage {
  taskId: string | null;
  tokens: number;
  segments: number;
}

export interface HealthFactor {
  name: 'budget' | 'stale' | 'logs' | 'pinned' | 'unreachable';
  /** The measured share, in percent. */
  value: number;
  /** Points taken off the health score. */
  penalty: number;
  detail: string;
}

export interface Recommendation {
  action: 'run_gc' | 'stash_logs' | 'stash_stale' | 'review_pins' | 'snapshot_task' | 'none';
  detail: string;
  estimatedTokens: number;
}

export interface UsageReport {
  budget: number;
  workingTokens: number;
  workingSegments: number;
  stashedTokens: number;
  stashedSegments: number;
  /** Percent of the budget in use, one decimal. */
  percent: number;
  remainingTokens: number;
  band: Band;
  /** The highest threshold crossed (60, 80, 90) or null. */
  threshold: number | null;
  byType: Record<SegmentType, TypeUsage>;
  /** Heaviest first. */
  byTask: TaskUsage[];
  pinnedTokens: number;
  pinnedSegments: number;
  oldestAgeMs: number | null;
  newestAgeMs: number | null;
  currentTask: string | null;
  unreachableTokens: number;
  health: { score: number; factors: HealthFactor[] };
  warnings: string[];
  recommendations: Recommendation[];
}

export interface AnalysisOptions extends RootOptions {
  now: number;
  budget: number;
  thresholds?: readonly number[];
  /** A working segment untouched for this long counts as stale (default 24 h). */
  staleAfterMs?: number;
}

const BANDS: Band[] = ['warning', 'high', 'critical'];

/** The band a percentage falls in: below the first threshold is ok, at or above it warning, and so on. */
export function bandOf(percent: number, thresholds: readonly number[] = DEFAULT_THRESHOLDS): { band: Band; threshold: number | null } {
  let band: Band = 'ok';
  let threshold: number | null = null;
  thresholds.forEach((th, i) => {
    if (percent >= th) {
      band = BANDS[Math.min(i, BANDS.length - 1)];
      threshold = th;
    }
  });
  return { band, threshold };
}

export function analyze(t: SegmentTable, opts: AnalysisOptions): UsageReport {
  const thresholds = opts.thresholds ?? DEFAULT_THRESHOLDS;
  const staleAfter = opts.staleAfterMs ?? 24 * 3600_000;
  const byTypeTokens = new Float64Array(SEGMENT_TYPES.length);
  const byTypeCount = new Int32Array(SEGMENT_TYPES.length);
  const byTaskTokens = new Float64Array(t.tasks.size + 1);
  const byTaskCount = new Int32Array(t.tasks.size + 1);
  let working = 0;
  let workingN = 0;
  let stashed = 0;
  let stashedN = 0;
  let pinned = 0;
  let pinnedN = 0;
  let stale = 0;
  let staleN = 0;
  let oldest = Infinity;
  let newest = -Infinity;
  const { alive, tier, tokens, type, task, flags, created, touched } = t;
  for (let id = 1; id < t.end; id++) {
    if (alive[id] !== 1) continue;
    const n = tokens[id];
    if (tier[id] !== TIER_WORKING) {
      stashed += n;
      stashedN++;
      continue;
    }
    working += n;
    workingN++;
    byTypeTokens[type[id]] += n;
    byTypeCount[type[id]]++;
    byTaskTokens[task[id] + 1] += n;
    byTaskCount[task[id] + 1]++;
    if ((flags[id] & FLAG_PINNED) !== 0) {
      pinned += n;
      pinnedN++;
    }
    if (opts.now - touched[id] >= staleAfter && (flags[id] & FLAG_PINNED) === 0) {
      stale += n;
      staleN++;
    }
    if (created[id] < oldest) oldest = created[id];
    if (created[id] > newest) newest = created[id];
  }
  const m = mark(t, opts);

  const byType = Object.fromEntries(
    SEGMENT_TYPES.map((ty) => [ty, { tokens: byTypeTokens[TYPE_CODE[ty]], segments: byTypeCount[TYPE_CODE[ty]] }]),
  ) as Record<SegmentType, TypeUsage>;
  const byTask: TaskUsage[] = [];
  for (let i = 0; i < byTaskCount.length; i++) {
    if (byTaskCount[i] === 0) continue;
    byTask.push({ taskId: i === 0 ? null : t.tasks.values[i - 1], tokens: byTaskTokens[i], segments: byTaskCount[i] });
  }
  byTask.sort((a, b) => b.tokens - a.tokens || String(a.taskId).localeCompare(String(b.taskId)));

  const percent = percentOf(working, opts.budget);
  // Bands compare the exact share: 59.96% is not yet 60% even though it prints as 60.0.
  const { band, threshold } = bandOf(opts.budget > 0 ? (working * 100) / opts.budget : 0, thresholds);
  const logTokens = byTypeTokens[TYPE_CODE.log];
  const share = (x: number) => (working > 0 ? Math.round((x / working) * 1000) / 10 : 0);

  // Health: 100 minus penalties, each factor capped so one problem cannot hide the others.
  const factors: HealthFactor[] = [];
  const budgetPenalty = percent <= thresholds[0] ? 0 : Math.min(40, Math.round(((percent - thresholds[0]) / (100 - thresholds[0])) * 40));
  factors.push({ name: 'budget', value: percent, penalty: budgetPenalty, detail: `${percent}% of the ${opts.budget.toLocaleString('en-US')}-token budget in use` });
  const staleShare = share(stale);
  factors.push({ name: 'stale', value: staleShare, penalty: Math.min(20, Math.round(staleShare / 5)), detail: `${staleShare}% of working tokens untouched for ${formatAge(staleAfter)} or more` });
  const logShare = share(logTokens);
  factors.push({ name: 'logs', value: logShare, penalty: logShare <= 30 ? 0 : Math.min(15, Math.round((logShare - 30) / 4)), detail: `${logShare}% of working tokens are logs and tool output` });
  const pinnedShare = percentOf(pinned, opts.budget);
  factors.push({ name: 'pinned', value: pinnedShare, penalty: pinnedShare <= 30 ? 0 : Math.min(15, Math.round((pinnedShare - 30) / 4)), detail: `pinned segments hold ${pinnedShare}% of the budget and can never be collected` });
  const unreachableShare = share(m.unreachableWorkingTokens);
  factors.push({ name: 'unreachable', value: unreachableShare, penalty: Math.min(10, Math.round(unreachableShare / 10)), detail: `${unreachableShare}% of working tokens are reachable from no root` });
  const score = Math.max(0, 100 - factors.reduce((s, f) => s + f.penalty, 0));

  const warnings: string[] = [];
  if (threshold !== null) {
    warnings.push(`Context at ${percent}% of the budget (past the ${threshold}% ${band} threshold): ${(opts.budget - working).toLocaleString('en-US')} tokens left.`);
  }
  if (working > opts.budget) warnings.push(`Over budget by ${(working - opts.budget).toLocaleString('en-US')} tokens.`);

  const recommendations: Recommendation[] = [];
  if (threshold !== null && m.unreachableWorkingTokens > 0) {
    recommendations.push({ action: 'run_gc', detail: `Run GC: ${m.unreachableWorking} unreachable segments can be stashed.`, estimatedTokens: m.unreachableWorkingTokens });
  }
  if (logShare > 30) {
    recommendations.push({ action: 'stash_logs', detail: 'Stash old logs and tool output; they stay searchable in the stash.', estimatedTokens: logTokens });
  }
  if (staleShare >= 20) {
    recommendations.push({ action: 'stash_stale', detail: `Stash ${staleN} segments untouched for ${formatAge(staleAfter)} or more.`, estimatedTokens: stale });
  }
  if (pinnedShare > 30) {
    recommendations.push({ action: 'review_pins', detail: `Review pins: ${pinnedN} pinned segments hold ${pinnedShare}% of the budget.`, estimatedTokens: pinned });
  }
  if (opts.currentTask !== null && percent >= thresholds[thresholds.length - 1]) {
    recommendations.push({ action: 'snapshot_task', detail: `Snapshot task "${opts.currentTask}" so it can be resumed after pruning.`, estimatedTokens: 0 });
  }
  if (recommendations.length === 0) recommendations.push({ action: 'none', detail: 'Nothing to do: the context is within budget.', estimatedTokens: 0 });

  return {
    budget: opts.budget,
    workingTokens: working,
    workingSegments: workingN,
    stashedTokens: stashed,
    stashedSegments: stashedN,
    percent,
    remainingTokens: opts.budget - working,
    band,
    threshold,
    byType,
    byTask,
    pinnedTokens: pinned,
    pinnedSegments: pinnedN,
    oldestAgeMs: workingN > 0 ? opts.now - oldest : null,
    newestAgeMs: workingN > 0 ? opts.now - newest : null,
    currentTask: opts.currentTask,
    unreachableTokens: m.unreachableWorkingTokens,
    health: { score, factors },
    warnings,
    recommendations,
  };
}
