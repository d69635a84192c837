// Plain-text renderings of engine answers for the terminal. Short, aligned, and honest about tokens.

import type { UsageReport } from '../engine/analysis';
import type { ChangeResult, SearchResult } from '../engine/engine';
import type { GcPlan } from '../engine/gc/gc';
import type { TaskContext } from '../engine/tasks';
import { formatAge } from '../engine/gc/gc';

const n = (x: number) => x.toLocaleString('en-US');

export function formatUsage(u: UsageReport, encoding: string): string {
  const lines = [
    `Working set: ${n(u.workingTokens)} / ${n(u.budget)} tokens (${u.percent}%, ${u.band}), ${n(u.workingSegments)} segments, ${n(u.remainingTokens)} left [${encoding}]`,
    `Stash: ${n(u.stashedTokens)} tokens in ${n(u.stashedSegments)} segments. Pinned: ${n(u.pinnedTokens)} tokens in ${u.pinnedSegments}.`,
    `Current task: ${u.currentTask ?? '(none)'}. Health: ${u.health.score}/100.`,
    'By type: ' + Object.entries(u.byType).filter(([, v]) => v.segments > 0).map(([k, v]) => `${k} ${n(v.tokens)}`).join(', '),
  ];
  if (u.byTask.length) lines.push('By task: ' + u.byTask.slice(0, 5).map((t) => `${t.taskId ?? '(none)'} ${n(t.tokens)}`).join(', '));
  for (const w of u.warnings) lines.push(`Warning: ${w}`);
  for (const r of u.recommendations) if (r.action !== 'none') lines.push(`Suggest: ${r.detail}${r.estimatedTokens ? ` (~${n(r.estimatedTokens)} tokens)` : ''}`);
  return lines.join('\n');
}

export function formatPlan(p: GcPlan): string {
  if (p.candidates.length === 0) {
    return p.targetTokens === 0
      ? `Nothing to collect: ${n(p.workingTokens)} tokens is within the target (${p.percentBefore}% of ${n(p.budget)}).`
      : `Nothing can be collected: everything left is pinned (${n(p.shortfall)} tokens short of the target).`;
  }
  const lines = [`GC plan: ${p.candidates.length} segment${p.candidates.length === 1 ? '' : 's'} free ${n(p.plannedTokens)} tokens (${n(p.targetTokens)} asked), ${p.percentBefore}% -> ${p.percentAfter}%.`];
  for (const c of p.candidates.slice(0, 30)) lines.push(`  #${c.id}\t${c.tokens}\t${c.reason}`);
  if (p.candidates.length > 30) lines.push(`  … and ${p.candidates.length - 30} more`);
  if (p.shortfall > 0) lines.push(`Short of the target by ${n(p.shortfall)} tokens: the rest is pinned.`);
  return lines.join('\n');
}

const VERBS: Record<ChangeResult['action'], string> = {
  add: 'Added', update: 'Updated', touch: 'Touched', stash: 'Stashed', restore: 'Restored', pin: 'Pinned', unpin: 'Unpinned', delete: 'Deleted', gc: 'Collected', task: 'Switched',
};

export function formatChange(r: ChangeResult): string {
  const what = r.ids.length ? `${VERBS[r.action]} ${r.ids.map((id) => `#${id}`).join(', ')}` : `Nothing to ${r.action}`;
  const delta = r.tokenDelta ? ` (${r.tokenDelta > 0 ? '+' : ''}${n(r.tokenDelta)} tokens)` : '';
  const same = r.unchanged.length ? `; already so: ${r.unchanged.map((id) => `#${id}`).join(', ')}` : '';
  return `${what}${delta}${same}. Working set: ${n(r.workingTokens)} tokens (${r.percent}%).`;
}

export function formatSearch(r: SearchResult): string {
  if (r.hits.length === 0) return `No results for "${r.query}".`;
  const lines = [`${r.hits.length} result${r.hits.length === 1 ? '' : 's'} (${n(r.tokens)} tokens) in ${r.tookMs} ms:`];
  for (const h of r.hits) {
    const where = h.meta.filePath ? ` ${h.meta.filePath}${h.meta.lineStart ? `:${h.meta.lineStart}` : ''}` : '';
    lines.push(`#${h.id}\t${h.meta.type}\t${h.meta.tier}\t${h.tokens}\t${h.score.toFixed(2)}${where}`);
    lines.push(`    ${h.snippet.replace(/\s+/g, ' ')}`);
  }
  return lines.join('\n');
}

export function formatTask(c: TaskContext): string {
  const now = Date.now();
  const lines = [
    `Task ${c.task.id}${c.task.title !== c.task.id ? ` — ${c.task.title}` : ''}${c.current ? ' (current)' : ''}`,
    `Working: ${n(c.workingTokens)} tokens in ${c.workingSegments} segments. Stashed: ${n(c.stashedTokens)} tokens in ${c.stashedSegments}.`,
  ];
  if (c.files.length) lines.push('Files: ' + c.files.slice(0, 10).map((f) => `${f.path} (${n(f.tokens)})`).join(', '));
  if (c.snapshots.length) lines.push('Snapshots: ' + c.snapshots.map((s) => `#${s.id} (${formatAge(now - s.createdAt)} ago)`).join(', '));
  for (const m of c.working.slice(0, 20)) lines.push(`  #${m.id}\t${m.type}\t${m.tokens}\t${m.title}`);
  return lines.join('\n');
}
