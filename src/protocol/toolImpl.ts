// What each agent tool does: pure functions over EngineApi that return a compact text answer saying what
// changed, the token impact and a suggested next step. Answers are themselves context, so they stay
// short: one line per fact, segments as `#12 log 4,000 tok src/a.ts:10-40`, lists cut with "+N more".
// Anything that moves many segments passes through `env.gate` between choosing (read-only) and changing,
// which is where VS Code asks for confirmation and MCP requires `confirm` (see tools.ts).

import type { EngineApi } from './engineApi';
import type { ChangeResult, EngineInfo } from '../engine/engine';
import type { NewSegment, SegmentMeta, SegmentType } from '../engine/model';
import type { SearchRequest } from '../engine/search/types';
import { SNAPSHOT_TAG } from '../engine/tasks';
import { showJson, ToolInputError } from './toolSchema';
import type { AddInput, PinInput, PlanInput, RestoreInput, SearchInput, StashInput, TaskInput, UsageInput } from './toolInputs';

/** A change about to move segments: `count` null when it cannot be known before doing it. */
export interface Moving {
  count: number | null;
  tokens: number | null;
  /** Title of the confirmation ("Stash 35 segments?"). */
  title: string;
  /** What will happen, one or two sentences. */
  detail: string;
}

export interface ToolEnv {
  api: EngineApi;
  info: EngineInfo;
  /** Called after choosing and before changing anything; may throw to stop (confirmation). */
  gate(moving: Moving): Promise<void>;
}

// ---------------------------------------------------------------- formatting

export const n = (x: number): string => x.toLocaleString('en-US');
const signed = (x: number): string => (x > 0 ? `+${n(x)}` : x < 0 ? `-${n(-x)}` : '0');
const plural = (k: number, one: string, many = one + 's'): string => `${n(k)} ${k === 1 ? one : many}`;
const pct = (p: number): string => `${p}%`;
const itThem = (k: number): string => (k === 1 ? 'it' : 'them');

/** `#4, #7, #9` or `#1, #2, … (+30 more)`. */
export function idList(ids: readonly number[], max = 12): string {
  const shown = ids.slice(0, max).map((id) => `#${id}`).join(', ');
  return ids.length > max ? `${shown}, … (+${ids.length - max} more)` : shown;
}

function cut(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

function where(m: Pick<SegmentMeta, 'filePath' | 'lineStart' | 'lineEnd' | 'title'>): string {
  if (m.filePath !== null) {
    const lines = m.lineStart === null ? '' : m.lineEnd !== null && m.lineEnd !== m.lineStart ? `:${m.lineStart}-${m.lineEnd}` : `:${m.lineStart}`;
    return m.filePath + lines;
  }
  return JSON.stringify(cut(m.title, 40));
}

/** `#12 log 4,000 tok src/a.ts:10-40` (or the title in quotes when no file). */
export function label(m: SegmentMeta, withTier = false): string {
  return `#${m.id} ${m.type}${withTier ? ` ${m.tier}` : ''}${m.pinned ? ' pinned' : ''} ${n(m.tokens)} tok ${where(m)}`;
}

function workingLine(c: { workingTokens: number; percent: number; workingSegments: number }): string {
  return `Working set: ${n(c.workingTokens)} tokens (${pct(c.percent)} of budget), ${plural(c.workingSegments, 'segment')}.`;
}

const call = (tool: string, args: Record<string, unknown>): string => `${tool} ${showJson(args, 200)}`;

// ---------------------------------------------------------------- status

export async function usageTool(input: UsageInput, env: ToolEnv): Promise<string[]> {
  const { api, info } = env;
  const [u, largest] = await Promise.all([api.usage(), api.list({ tier: 'working', sort: 'tokens', limit: input.top ?? 5 })]);
  const out = [
    `Working set: ${n(u.workingTokens)} of ${n(u.budget)} tokens (${pct(u.percent)}, band ${u.band}; warnings at ${info.settings.thresholds.join('/')}%), ${plural(u.workingSegments, 'segment')}. ` +
      `Stashed: ${n(u.stashedTokens)} tokens in ${plural(u.stashedSegments, 'segment')}. Health ${u.health.score}/100.`,
  ];
  if (largest.length > 0) out.push(`Largest: ${largest.map((m) => label(m)).join(' · ')}`);
  const byType = Object.entries(u.byType).filter(([, v]) => v.segments > 0).sort((a, b) => b[1].tokens - a[1].tokens || a[0].localeCompare(b[0]));
  if (byType.length > 0) out.push(`By type: ${byType.map(([t, v]) => `${t} ${n(v.tokens)}`).join(' · ')}`);
  if (u.byTask.length > 0) {
    const tasks = u.byTask.slice(0, 4).map((t) => `${t.taskId ?? '(no task)'} ${n(t.tokens)}`);
    out.push(`By task: ${tasks.join(' · ')}${u.byTask.length > 4 ? ` · +${u.byTask.length - 4} more` : ''}`);
  }
  out.push(`Pinned: ${plural(u.pinnedSegments, 'segment')}, ${n(u.pinnedTokens)} tokens. Unreachable from roots: ${n(u.unreachableTokens)} tokens. Current task: ${u.currentTask ?? 'none'}.`);
  for (const w of u.warnings) out.push(`Warning: ${w}`);
  const next = u.recommendations.slice(0, 2).map((r) => {
    switch (r.action) {
      case 'run_gc':
        return `${r.detail} Preview: context_plan_gc.`;
      case 'stash_logs':
        return `${r.detail} e.g. ${call('context_stash', { types: ['log'] })}.`;
      case 'stash_stale':
        return `${r.detail} Preview: context_plan_gc.`;
      case 'review_pins':
        return `${r.detail} Unpin with context_unpin.`;
      case 'snapshot_task':
        return `${r.detail} ${call('context_task', { action: 'snapshot' })}.`;
      default:
        return r.detail;
    }
  });
  out.push(`Nothing changed. Next: ${next.join(' ')}`);
  return out;
}

// ---------------------------------------------------------------- plan

function gcTarget(input: { target_tokens?: number; target_percent?: number }): { targetTokens?: number; targetPercent?: number } {
  if (input.target_tokens !== undefined && input.target_percent !== undefined) {
    throw new ToolInputError('Give `target_tokens` or `target_percent`, not both.');
  }
  return { targetTokens: input.target_tokens, targetPercent: input.target_percent };
}

function targetArgs(input: { target_tokens?: number; target_percent?: number; include_reachable?: boolean }): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (input.target_tokens !== undefined) args.target_tokens = input.target_tokens;
  if (input.target_percent !== undefined) args.target_percent = input.target_percent;
  if (input.include_reachable !== undefined) args.include_reachable = input.include_reachable;
  if (Object.keys(args).length === 0) args.target_percent = 60;
  return args;
}

export async function planTool(input: PlanInput, env: ToolEnv, confirmAbove: number): Promise<string[]> {
  const { api } = env;
  const plan = await api.planGc({ ...gcTarget(input), includeReachable: input.include_reachable });
  const goal = input.target_tokens !== undefined ? `free ${n(input.target_tokens)} tokens` : `get under ${pct(input.target_percent ?? 60)} of the budget`;
  if (plan.targetTokens === 0) {
    return [`Nothing to collect: the working set (${n(plan.workingTokens)} tokens, ${pct(plan.percentBefore)}) already meets the target (${goal}).`, 'Nothing changed. Next: nothing to do.'];
  }
  const k = plan.candidates.length;
  const out = [`GC plan to ${goal}: stash ${plural(k, 'segment')}, ${n(plan.plannedTokens)} tokens; ${pct(plan.percentBefore)} -> ${pct(plan.percentAfter)} of ${n(plan.budget)}.`];
  const shown = plan.candidates.slice(0, input.limit ?? 10);
  const metas = new Map((await api.metas(shown.map((c) => c.id))).map((m) => [m.id, m]));
  for (const c of shown) {
    const m = metas.get(c.id);
    out.push(`${m ? label(m) : `#${c.id} ${c.type} ${n(c.tokens)} tok`}: ${c.reason}`);
  }
  if (k > shown.length) {
    const rest = plan.candidates.slice(shown.length);
    out.push(`+${plural(rest.length, 'more candidate')}, ${n(rest.reduce((s, c) => s + c.tokens, 0))} tokens.`);
  }
  if (plan.shortfall > 0) out.push(`Short of the target by ${n(plan.shortfall)} tokens: what is left is pinned${input.include_reachable === false ? ' or reachable' : ''}.`);
  if (k === 0) return [...out, 'Nothing changed. Next: unpin segments (context_unpin) or stash by ids.'];
  const confirm = k > confirmAbove ? ` (over ${confirmAbove} segments: needs the user's confirmation)` : '';
  out.push(`Nothing changed. Next: ${call('context_stash', targetArgs(input))} stashes this plan${confirm}; or stash a subset: ${call('context_stash', { ids: plan.candidates.slice(0, 3).map((c) => c.id) })}.`);
  return out;
}

// ---------------------------------------------------------------- stash

const FILTER_KEYS = ['query', 'file_path', 'file_prefix', 'task_id', 'tags', 'types', 'max_segments'] as const;
const TARGET_KEYS = ['target_tokens', 'target_percent', 'include_reachable'] as const;

/** Looks ids up; unknown ids are refused the way the engine refuses them. */
async function metasOf(api: EngineApi, ids: readonly number[]): Promise<SegmentMeta[]> {
  const distinct = [...new Set(ids)];
  const metas = await api.metas(distinct);
  if (metas.length < distinct.length) {
    const known = new Set(metas.map((m) => m.id));
    const missing = distinct.filter((id) => !known.has(id));
    throw new ToolInputError(`No segment with id ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}. Find ids with context_search.`);
  }
  return metas;
}

function searchRequest(input: Partial<SearchInput> & { query?: string }): SearchRequest {
  const req: SearchRequest = { query: input.query ?? '' };
  if (input.file_path !== undefined) req.filePath = input.file_path;
  if (input.file_prefix !== undefined) req.filePathPrefix = input.file_prefix;
  if (input.task_id !== undefined) req.taskId = input.task_id;
  if (input.tags !== undefined) req.tagsAny = input.tags;
  if (input.types !== undefined) req.types = input.types;
  return req;
}

const matches = (k: number): string => `${plural(k, 'segment')} ${k === 1 ? 'matches' : 'match'}`;

export function describeFilters(input: Partial<SearchInput>): string {
  const parts: string[] = [];
  if (input.query) parts.push(JSON.stringify(input.query));
  if (input.file_path !== undefined) parts.push(`file ${input.file_path}`);
  if (input.file_prefix !== undefined) parts.push(`files under ${input.file_prefix}`);
  if (input.task_id !== undefined) parts.push(`task ${input.task_id}`);
  if (input.tags !== undefined) parts.push(`tags ${input.tags.join('|')}`);
  if (input.types !== undefined) parts.push(`types ${input.types.join('|')}`);
  if (input.tier !== undefined) parts.push(`tier ${input.tier}`);
  return parts.join(', ');
}

/** Working, unpinned segments matching a query and/or filters, best (or most recent) first. */
async function selectByFilters(api: EngineApi, input: StashInput, max: number): Promise<{ chosen: SegmentMeta[]; total: number; pinned: number[] }> {
  const q = input.query?.trim() ?? '';
  let metas: SegmentMeta[];
  let total: number;
  if (q === '' && input.file_path === undefined && input.file_prefix === undefined && input.task_id === undefined && input.tags === undefined) {
    // Types only: the search index lists by task/file/tag; the table lists by type.
    const lists = await Promise.all((input.types ?? []).map((type) => api.list({ tier: 'working', type: type as SegmentType, sort: 'recent' })));
    metas = lists.flat().sort((a, b) => b.touchedAt - a.touchedAt || b.id - a.id);
    total = metas.length;
  } else {
    // Ask for more than `max` so pinned matches do not crowd out stashable ones.
    const res = await api.search({ ...searchRequest(input), tier: 'working', limit: Math.min(1000, max * 2 + 20) });
    metas = res.hits.map((h) => h.meta);
    total = res.total;
  }
  const pinned = metas.filter((m) => m.pinned).map((m) => m.id);
  const chosen = metas.filter((m) => !m.pinned).slice(0, max);
  return { chosen, total, pinned };
}

export async function stashTool(input: StashInput, env: ToolEnv): Promise<string[]> {
  const { api } = env;
  const modes: string[] = [];
  if (input.ids !== undefined) modes.push('`ids`');
  const filterKeys = FILTER_KEYS.filter((k) => input[k] !== undefined);
  const targetKeys = TARGET_KEYS.filter((k) => input[k] !== undefined);
  if (filterKeys.length > 0) modes.push(filterKeys.map((k) => `\`${k}\``).join('/'));
  if (targetKeys.length > 0) modes.push(targetKeys.map((k) => `\`${k}\``).join('/'));
  if (modes.length === 0) {
    throw new ToolInputError(
      'Say which segments to stash: `ids` (e.g. {"ids": [12, 15]}), a `query` and/or filters (`file_path`, `file_prefix`, `task_id`, `tags`, `types`), or a GC target (`target_tokens` or `target_percent`).',
    );
  }
  if (modes.length > 1) throw new ToolInputError(`Choose segments one way per call: \`ids\`, or a query/filters, or a GC target; got ${modes.join(' and ')}.`);

  const out: string[] = [];
  let change: ChangeResult;
  if (input.ids !== undefined) {
    const metas = await metasOf(api, input.ids);
    const moving = metas.filter((m) => m.tier === 'working');
    await env.gate(stashMoving(moving.length, sum(moving)));
    change = await api.stash(input.ids);
  } else if (filterKeys.length > 0) {
    if (input.query !== undefined && input.query.trim() === '' && filterKeys.length === 1) {
      throw new ToolInputError('`query` is empty: give words to match, or filters (`file_path`, `file_prefix`, `task_id`, `tags`, `types`).');
    }
    const max = input.max_segments ?? 50;
    const { chosen, total, pinned } = await selectByFilters(api, input, max);
    const what = describeFilters(input);
    if (chosen.length === 0) {
      const pins = pinned.length > 0 ? ` (${plural(pinned.length, 'match', 'matches')} pinned: ${idList(pinned)})` : '';
      return [`No working segment to stash matches ${what}${pins}.`, `Nothing changed. Next: ${call('context_search', { query: input.query ?? '', tier: 'working' })} to look around.`];
    }
    await env.gate(stashMoving(chosen.length, sum(chosen)));
    change = await api.stash(chosen.map((m) => m.id));
    if (total > chosen.length + pinned.length) out.push(`Matched ${n(total)} working segments (${what}); stashed the first ${n(chosen.length)} (max_segments ${max}).`);
    if (pinned.length > 0) out.push(`Left pinned matches in place: ${idList(pinned)}.`);
  } else {
    const plan = await api.planGc({ ...gcTarget(input), includeReachable: input.include_reachable });
    if (plan.candidates.length === 0) {
      return [
        plan.targetTokens === 0
          ? `Nothing to collect: the working set (${n(plan.workingTokens)} tokens, ${pct(plan.percentBefore)}) already meets the target.`
          : `Nothing can be collected: every working segment is pinned${input.include_reachable === false ? ' or reachable' : ''}.`,
        'Nothing changed. Next: nothing to do.',
      ];
    }
    await env.gate(stashMoving(plan.candidates.length, plan.plannedTokens));
    change = await api.applyGc({ ids: plan.candidates.map((c) => c.id), mode: 'stash' });
    if (plan.shortfall > 0) out.push(`Short of the target by ${n(plan.shortfall)} tokens: what is left is pinned.`);
  }
  const head = change.ids.length > 0
    ? `Stashed ${plural(change.ids.length, 'segment')}: ${idList(change.ids)} (${signed(change.tokenDelta)} tokens). ${workingLine(change)}`
    : `Nothing moved. ${workingLine(change)}`;
  out.unshift(head);
  if (change.unchanged.length > 0) out.push(`Already stashed: ${idList(change.unchanged)}.`);
  const back = change.ids.length > 0 ? change.ids : change.unchanged;
  out.push(`Next: stashed segments stay searchable (context_search with "tier": "stashed"); bring any back with ${call('context_restore', { ids: back.slice(0, 3) })}.`);
  return out;
}

function sum(metas: readonly SegmentMeta[]): number {
  return metas.reduce((s, m) => s + m.tokens, 0);
}

function stashMoving(count: number, tokens: number): Moving {
  return {
    count,
    tokens,
    title: `Stash ${plural(count, 'segment')}?`,
    detail: `This moves ${plural(count, 'segment')} (${n(tokens)} tokens) out of the working set; they stay searchable and can be restored.`,
  };
}

// ---------------------------------------------------------------- search

export async function searchTool(input: SearchInput, env: ToolEnv): Promise<string[]> {
  const { api } = env;
  const limit = input.limit ?? 10;
  const maxTokens = input.max_tokens ?? (input.include_text ? 4000 : undefined);
  const req: SearchRequest = { ...searchRequest(input), limit };
  if (input.tier !== undefined) req.tier = input.tier;
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const res = await api.search(req);
  const what = describeFilters(input) || 'everything';
  const out: string[] = [];
  if (res.hits.length === 0) {
    out.push(res.total > 0 ? `${matches(res.total)} ${what}, but none fits max_tokens ${n(maxTokens ?? 0)}.` : `No segment matches ${what}.`);
  } else {
    out.push(`${matches(res.total)} ${what}; showing ${n(res.hits.length)} (${n(res.tokens)} tokens in full):`);
  }
  const texts = input.include_text ? await Promise.all(res.hits.map((h) => api.get(h.id))) : [];
  res.hits.forEach((h, i) => {
    if (input.include_text) out.push(`--- ${label(h.meta, true)}`, texts[i].text);
    else out.push(`#${h.id} ${h.meta.type} ${h.meta.tier}${h.meta.pinned ? ' pinned' : ''} ${n(h.tokens)} tok${h.meta.filePath !== null ? ` ${where(h.meta)}` : ''}: ${cut(h.snippet, 160)}`);
  });
  if (res.corrections.length > 0) out.push(`Typo fixes: ${res.corrections.map((c) => `${c.term} -> ${c.variants.join('/')}`).join(', ')}.`);
  if (res.skippedForTokens > 0 && res.hits.length > 0) out.push(`${plural(res.skippedForTokens, 'more hit')} did not fit max_tokens ${n(maxTokens ?? 0)}.`);
  if (res.partial) out.push('The index is still being built: results may be incomplete.');
  const stashed = res.hits.filter((h) => h.meta.tier === 'stashed').map((h) => h.id);
  const steps: string[] = [];
  if (stashed.length > 0) steps.push(`${call('context_restore', { ids: stashed.slice(0, 3) })} brings stashed hits back`);
  if (!input.include_text && res.hits.length > 0) steps.push('"include_text": true shows their full text here');
  if (res.hits.length === 0) steps.push('try other words or fewer filters');
  if (steps.length === 0) steps.push('use the ids with context_pin, context_stash or context_restore');
  if (res.hits.length > 0 && res.hits.length < res.total && res.skippedForTokens === 0) steps.push(`a higher "limit" shows more`);
  out.push(`Nothing changed. Next: ${steps.join('; ')}.`);
  return out;
}

// ---------------------------------------------------------------- restore

export async function restoreTool(input: RestoreInput, env: ToolEnv): Promise<string[]> {
  const { api } = env;
  if ((input.ids === undefined) === (input.undo_last_gc !== true)) {
    throw new ToolInputError(input.ids === undefined
      ? 'Say what to restore: `ids` (e.g. {"ids": [12, 15]}), or "undo_last_gc": true.'
      : 'Give `ids` or "undo_last_gc": true, not both.');
  }
  let change: ChangeResult;
  let shown: number[];
  if (input.ids !== undefined) {
    const metas = await metasOf(api, input.ids);
    const moving = metas.filter((m) => m.tier === 'stashed');
    await env.gate({
      count: moving.length,
      tokens: sum(moving),
      title: `Restore ${plural(moving.length, 'segment')}?`,
      detail: `This moves ${plural(moving.length, 'segment')} (${n(sum(moving))} tokens) back into the working set.`,
    });
    change = await api.restore(input.ids);
    shown = [...new Set(input.ids)];
  } else {
    const last = await api.lastGc();
    if (last !== null) {
      const metas = await api.metas(last.ids);
      await env.gate({
        count: metas.length,
        tokens: sum(metas),
        title: 'Undo the last GC?',
        detail: `This moves the ${plural(metas.length, 'segment')} (${n(sum(metas))} tokens) the last GC stashed back into the working set.`,
      });
    }
    change = await api.undoLastGc();
    shown = change.ids;
  }
  const out = [
    change.ids.length > 0
      ? `Restored ${plural(change.ids.length, 'segment')}: ${idList(change.ids)} (${signed(change.tokenDelta)} tokens). ${workingLine(change)}`
      : `Nothing moved. ${workingLine(change)}`,
  ];
  if (change.unchanged.length > 0) out.push(`Already in the working set: ${idList(change.unchanged)}.`);
  if (input.include_text !== false && shown.length > 0) {
    const cap = input.max_tokens ?? 2000;
    const metas = await api.metas(shown);
    let used = 0;
    const left: SegmentMeta[] = [];
    for (const m of metas) {
      if (used + m.tokens > cap) {
        left.push(m);
        continue;
      }
      used += m.tokens;
      out.push(`--- ${label(m)}`, (await api.get(m.id)).text);
    }
    if (left.length > 0) {
      out.push(`Text not shown (over max_tokens ${n(cap)}): ${left.slice(0, 12).map((m) => `#${m.id} (${n(m.tokens)} tok)`).join(', ')}${left.length > 12 ? `, +${left.length - 12} more` : ''}.`);
    }
  }
  const pins = change.ids.length > 0 ? change.ids : change.unchanged;
  out.push(pins.length > 0 ? `Next: pin what must stay with ${call('context_pin', { ids: pins.slice(0, 3) })}; stash it again when done.` : 'Next: find stashed segments with context_search.');
  return out;
}

// ---------------------------------------------------------------- pin / unpin

export async function pinTool(input: PinInput, env: ToolEnv, pin: boolean): Promise<string[]> {
  const { api } = env;
  await metasOf(api, input.ids);
  const change = pin ? await api.pin(input.ids) : await api.unpin(input.ids);
  const metas = await api.metas(change.ids);
  const verb = pin ? 'Pinned' : 'Unpinned';
  const out = [
    change.ids.length > 0
      ? `${verb} ${plural(change.ids.length, 'segment')}: ${idList(change.ids)} (${n(sum(metas))} tokens)${pin ? `: GC never collects ${itThem(change.ids.length)}` : `: GC may collect ${itThem(change.ids.length)} again`}.`
      : `Nothing changed: already ${pin ? 'pinned' : 'unpinned'}.`,
  ];
  if (change.unchanged.length > 0 && change.ids.length > 0) out.push(`Already ${pin ? 'pinned' : 'unpinned'}: ${idList(change.unchanged)}.`);
  out.push(`Token impact: none (pins do not move segments). ${workingLine(change)}`);
  out.push(pin ? 'Next: unpin with context_unpin when they stop mattering; pinned segments count against the budget.' : 'Next: context_plan_gc shows whether GC would now collect them.');
  return out;
}

// ---------------------------------------------------------------- add

export async function addTool(input: AddInput, env: ToolEnv): Promise<string[]> {
  const { api } = env;
  input.items.forEach((it, i) => {
    if (it.line_end !== undefined && it.line_start === undefined) throw new ToolInputError(`\`items[${i}].line_end\` needs \`line_start\`.`);
    if (it.line_start !== undefined && it.file_path === undefined) throw new ToolInputError(`\`items[${i}].line_start\` needs \`file_path\` (the file the lines are in).`);
    if (it.line_start !== undefined && it.line_end !== undefined && it.line_end < it.line_start) {
      throw new ToolInputError(`\`items[${i}]\`: line_end ${it.line_end} is before line_start ${it.line_start}.`);
    }
  });
  const segments: NewSegment[] = input.items.map((it) => ({
    text: it.text,
    type: it.type,
    source: 'agent',
    ...(it.tags !== undefined && { tags: it.tags }),
    ...(it.file_path !== undefined && { filePath: it.file_path }),
    ...(it.line_start !== undefined && { lineStart: it.line_start }),
    ...(it.line_end !== undefined && { lineEnd: it.line_end }),
    ...(it.refs !== undefined && { refs: it.refs }),
    ...(it.pin !== undefined && { pinned: it.pin }),
    ...(it.task_id !== undefined && { taskId: it.task_id }),
  }));
  const added = await api.addMany(segments);
  const totals = await api.totals();
  const tokens = sum(added);
  const list = added.slice(0, 8).map((m) => `#${m.id} ${m.type}${m.pinned ? ' pinned' : ''} ${n(m.tokens)} tok`).join(', ');
  const out = [
    `Added ${plural(added.length, 'segment')}: ${list}${added.length > 8 ? `, +${added.length - 8} more` : ''} (${signed(tokens)} tokens). ${workingLine(totals)}`,
  ];
  const decisions = added.filter((m) => m.type === 'decision' && !m.pinned).map((m) => m.id);
  out.push(decisions.length > 0
    ? `Next: pin decisions that must survive GC: ${call('context_pin', { ids: decisions.slice(0, 3) })}.`
    : 'Next: find them later with context_search; link related segments through `refs`.');
  return out;
}

// ---------------------------------------------------------------- tasks

const TASK_FIELDS: Record<TaskInput['action'], readonly (keyof TaskInput)[]> = {
  set: ['task_id', 'title', 'keep_previous'],
  show: ['task_id'],
  snapshot: ['task_id'],
  list: [],
  resume: ['snapshot_id'],
};

export async function taskTool(input: TaskInput, env: ToolEnv): Promise<string[]> {
  const { api, info } = env;
  for (const key of ['task_id', 'title', 'keep_previous', 'snapshot_id'] as const) {
    if (input[key] !== undefined && !TASK_FIELDS[input.action].includes(key)) {
      const users = (Object.keys(TASK_FIELDS) as TaskInput['action'][]).filter((a) => TASK_FIELDS[a].includes(key));
      throw new ToolInputError(`\`${key}\` does not apply to action "${input.action}" (only to ${users.map((a) => `"${a}"`).join(', ')}).`);
    }
  }
  if ((input.action === 'show' || input.action === 'snapshot') && input.task_id === undefined && info.currentTask === null) {
    throw new ToolInputError(`There is no current task: give \`task_id\`, or start one with ${call('context_task', { action: 'set', task_id: 'fix-login' })}.`);
  }
  switch (input.action) {
    case 'set': {
      if (input.task_id === undefined) throw new ToolInputError('Action "set" needs `task_id`, e.g. {"action": "set", "task_id": "fix-login"}.');
      const prev = info.currentTask;
      if (prev !== null && prev !== input.task_id && input.keep_previous !== true) {
        const ctx = await api.taskContext(prev, { limit: 0 });
        await env.gate({
          count: ctx.workingSegments,
          tokens: ctx.workingTokens,
          title: `Switch to task ${input.task_id}?`,
          detail: `Switching stashes up to ${plural(ctx.workingSegments, 'segment')} (${n(ctx.workingTokens)} tokens) of task ${prev}; switching back restores them.`,
        });
      }
      const r = await api.setCurrentTask(input.task_id, { ...(input.title !== undefined && { title: input.title }), stashPrevious: input.keep_previous !== true });
      const out = [`Current task: ${input.task_id} (was: ${r.previous ?? 'none'}).`];
      const moved: string[] = [];
      if (r.stashed.length > 0) moved.push(`stashed ${plural(r.stashed.length, 'segment')} of ${r.previous}`);
      if (r.restored.length > 0) moved.push(`restored ${plural(r.restored.length, 'remembered segment')}`);
      out.push(moved.length > 0 ? `Moved: ${moved.join('; ')} (${signed(r.tokenDelta)} tokens). ${workingLine(r)}` : `Token impact: none. ${workingLine(r)}`);
      out.push(`Next: ${call('context_task', { action: 'show' })} shows its context; new notes and decisions now belong to it.`);
      return out;
    }
    case 'show': {
      const ctx = await api.taskContext(input.task_id ?? info.currentTask, { limit: 6 });
      const title = ctx.task.title !== ctx.task.id ? ` ${JSON.stringify(ctx.task.title)}` : '';
      const out = [
        `Task ${ctx.task.id}${title}${ctx.current ? ' (current)' : ''}: ${plural(ctx.workingSegments, 'working segment')}, ${n(ctx.workingTokens)} tokens; ${n(ctx.stashedSegments)} stashed, ${n(ctx.stashedTokens)} tokens.`,
      ];
      if (ctx.working.length > 0) out.push(`Recent: ${ctx.working.map((m) => label(m)).join(' · ')}${ctx.workingSegments > ctx.working.length ? ` · +${n(ctx.workingSegments - ctx.working.length)} more` : ''}`);
      if (ctx.files.length > 0) out.push(`Files: ${ctx.files.slice(0, 6).map((f) => `${f.path} ${n(f.tokens)}`).join(' · ')}${ctx.files.length > 6 ? ` · +${ctx.files.length - 6} more` : ''}`);
      if (ctx.snapshots.length > 0) out.push(`Snapshots: ${ctx.snapshots.slice(0, 5).map((s) => `#${s.id} (${n(s.tokens)} tok)`).join(', ')}`);
      const next = ctx.snapshots.length > 0
        ? `${call('context_task', { action: 'resume', snapshot_id: ctx.snapshots[0].id })} restores the latest snapshot`
        : `${call('context_task', { action: 'snapshot', ...(input.task_id !== undefined && { task_id: input.task_id }) })} condenses it before pruning`;
      out.push(`Nothing changed. Next: ${next}.`);
      return out;
    }
    case 'snapshot': {
      const meta = await api.snapshotTask(input.task_id ?? info.currentTask);
      const totals = await api.totals();
      return [
        `Snapshot #${meta.id} of task ${meta.taskId}: ${n(meta.tokens)} tokens, lists ${plural(meta.refs.length, 'segment')} (+${n(meta.tokens)} tokens). ${workingLine(totals)}`,
        `Next: the task's detail can now be stashed (context_plan_gc); resume later with ${call('context_task', { action: 'resume', snapshot_id: meta.id })}.`,
      ];
    }
    case 'list': {
      const tasks = await api.listTasks();
      if (tasks.length === 0) return ['No tasks yet.', `Nothing changed. Next: ${call('context_task', { action: 'set', task_id: 'my-task' })} starts one.`];
      const shown = tasks.slice(0, 15).map((t) => `${t.id}${t.id === info.currentTask ? ' (current)' : ''}${t.title !== t.id ? ` ${JSON.stringify(cut(t.title, 40))}` : ''}`);
      return [
        `${plural(tasks.length, 'task')}: ${shown.join(' · ')}${tasks.length > 15 ? ` · +${tasks.length - 15} more` : ''}`,
        `Nothing changed. Next: ${call('context_task', { action: 'show', task_id: tasks[0].id })} or switch with "action": "set".`,
      ];
    }
    case 'resume': {
      if (input.snapshot_id === undefined) throw new ToolInputError('Action "resume" needs `snapshot_id`, e.g. {"action": "resume", "snapshot_id": 41}.');
      const snap = await api.getMeta(input.snapshot_id);
      if (snap.type !== 'summary' || !snap.tags.includes(SNAPSHOT_TAG) || snap.taskId === null) {
        throw new ToolInputError(`Segment #${snap.id} is not a task snapshot; ${call('context_task', { action: 'show' })} lists a task's snapshots.`);
      }
      const listed = await api.metas(snap.refs);
      const moving = [snap, ...listed].filter((m) => m.tier === 'stashed');
      await env.gate({
        count: moving.length,
        tokens: sum(moving),
        title: `Resume task ${snap.taskId ?? ''} from snapshot #${snap.id}?`,
        detail: `This makes ${snap.taskId} the current task and moves ${plural(moving.length, 'segment')} (${n(sum(moving))} tokens) back into the working set.`,
      });
      const change = await api.restoreSnapshot(input.snapshot_id);
      const text = (await api.get(input.snapshot_id)).text;
      return [
        `Resumed task ${snap.taskId} from snapshot #${snap.id} (${signed(change.workingTokens - info.workingTokens)} tokens). ${workingLine(change)}`,
        `--- ${label(snap)}`,
        text,
        `Next: ${call('context_task', { action: 'show' })} lists what is in context for it.`,
      ];
    }
  }
}
