// Maps engine results onto the panel's view models (src/protocol/webview.ts). The webview bundle knows
// nothing of the engine; this is the one place the two vocabularies meet, and the compile-time checks
// below fail the build if the protocol's lists drift from the engine's.

import type { SegmentMeta, SegmentType, Source } from '../../engine/model';
import type { UsageReport } from '../../engine/analysis';
import type { GcPlan } from '../../engine/gc/gc';
import type { ChangeResult, EngineInfo, EngineHit } from '../../engine/engine';
import type { TaskInfo } from '../../engine/tasks';
import type { ChangeView, GcTarget, PlanView, SearchHitView, SegmentRow, SegmentTypeView, SOURCES, TasksView, UsageView } from '../../protocol/webview';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typesMatch: Same<SegmentTypeView, SegmentType> = true;
const sourcesMatch: Same<(typeof SOURCES)[number], Source> = true;
void typesMatch;
void sourcesMatch;

const TITLE_MAX = 1000;
const cut = (s: string) => (s.length > TITLE_MAX ? s.slice(0, TITLE_MAX - 1) + '…' : s);

export function rowOf(m: SegmentMeta): SegmentRow {
  return {
    id: m.id,
    type: m.type,
    title: cut(m.title),
    file: m.filePath,
    lineStart: m.lineStart,
    lineEnd: m.lineEnd,
    tokens: m.tokens,
    createdAt: m.createdAt,
    touchedAt: m.touchedAt,
    pinned: m.pinned,
    taskId: m.taskId,
    tags: m.tags,
    source: m.source,
  };
}

export interface BudgetInfo {
  source: UsageView['budgetSource'];
  model: string | null;
}

export function usageOf(u: UsageReport, info: EngineInfo, budget: BudgetInfo): UsageView {
  return {
    budget: u.budget,
    budgetSource: budget.source,
    model: budget.model,
    encoding: info.encoding,
    thresholds: [...info.settings.thresholds],
    workingTokens: u.workingTokens,
    workingSegments: u.workingSegments,
    stashedTokens: u.stashedTokens,
    stashedSegments: u.stashedSegments,
    percent: u.percent,
    band: u.band,
    byType: u.byType,
    byTask: u.byTask.slice(0, 10_000).map((t) => ({ taskId: t.taskId, tokens: t.tokens, segments: t.segments })),
    pinnedTokens: u.pinnedTokens,
    pinnedSegments: u.pinnedSegments,
    health: u.health.score,
    warnings: u.warnings.slice(0, 20).map(cut),
    recommendations: u.recommendations.filter((r) => r.action !== 'none').slice(0, 20).map((r) => cut(r.detail)),
  };
}

export function tasksOf(current: string | null, tasks: TaskInfo[]): TasksView {
  return { current, tasks: tasks.slice(0, 10_000).map((t) => ({ id: t.id, title: cut(t.title), lastActiveAt: t.lastActiveAt })) };
}

export function changeOf(c: ChangeResult): ChangeView {
  return {
    action: c.action,
    ids: c.ids,
    tokenDelta: c.tokenDelta,
    workingTokens: c.workingTokens,
    workingSegments: c.workingSegments,
    percent: c.percent,
    unchanged: c.unchanged,
  };
}

export function planOf(target: GcTarget, p: GcPlan, metas: Map<number, SegmentMeta>): PlanView {
  return {
    target,
    budget: p.budget,
    workingTokens: p.workingTokens,
    targetTokens: p.targetTokens,
    plannedTokens: p.plannedTokens,
    shortfall: p.shortfall,
    percentBefore: p.percentBefore,
    percentAfter: p.percentAfter,
    candidates: p.candidates.map((c) => {
      const m = metas.get(c.id);
      return { id: c.id, type: c.type, title: cut(m?.title ?? ''), file: m?.filePath ?? null, tokens: c.tokens, score: c.score, reachable: c.reachable, reason: cut(c.reason) };
    }),
    pinnedSegments: p.roots.pinned,
  };
}

export function hitOf(h: EngineHit, project: string): SearchHitView {
  return {
    id: h.id,
    project,
    score: h.score,
    snippet: h.snippet.slice(0, 4000),
    matches: h.matches.filter(([s, e]) => s >= 0 && e >= s && e <= 4000).slice(0, 1000),
    tokens: h.tokens,
    type: h.meta.type,
    title: cut(h.meta.title),
    file: h.meta.filePath,
    lineStart: h.meta.lineStart,
    lineEnd: h.meta.lineEnd,
    taskId: h.meta.taskId,
    tags: h.meta.tags,
    touchedAt: h.meta.touchedAt,
    tier: h.meta.tier,
  };
}
