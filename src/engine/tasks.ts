// Tasks: the unit of work segments belong to. A snapshot condenses a task — its pinned segments,
// decisions, recent messages and files — into one summary segment that references what it lists,
// so the task can be resumed after its detail has been stashed.

import type { SegmentMeta } from './model';

export const SNAPSHOT_TAG = 'task-snapshot';

export interface TaskInfo {
  id: string;
  title: string;
  createdAt: number;
  lastActiveAt: number;
}

export interface TaskContext {
  task: TaskInfo;
  current: boolean;
  /** The task's working segments, most recently touched first (up to the limit asked for). */
  working: SegmentMeta[];
  workingSegments: number;
  workingTokens: number;
  stashedSegments: number;
  stashedTokens: number;
  files: { path: string; tokens: number }[];
  snapshots: { id: number; createdAt: number; tokens: number }[];
}

const EXCERPT = 280;

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT ? flat.slice(0, EXCERPT - 1) + '…' : flat;
}

/** Builds the snapshot text and the ids it references. Deterministic for the same inputs. */
export function composeSnapshot(
  task: TaskInfo,
  metas: readonly Omit<SegmentMeta, 'title'>[],
  getTexts: (ids: number[]) => Map<number, string>,
  now: number,
  recentMessages: number,
): { text: string; refs: number[] } {
  const pinned = metas.filter((m) => m.pinned).sort((a, b) => a.id - b.id);
  const decisions = metas.filter((m) => m.type === 'decision' && !m.pinned).sort((a, b) => a.id - b.id);
  const messages = metas
    .filter((m) => m.type === 'message')
    .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)
    .slice(0, Math.max(1, recentMessages))
    .reverse();
  const files = new Map<string, { ranges: string[]; tokens: number }>();
  for (const m of metas) {
    if (m.filePath === null) continue;
    const f = files.get(m.filePath) ?? { ranges: [], tokens: 0 };
    if (m.lineStart !== null) f.ranges.push(m.lineEnd !== null && m.lineEnd !== m.lineStart ? `${m.lineStart}-${m.lineEnd}` : `${m.lineStart}`);
    f.tokens += m.tokens;
    files.set(m.filePath, f);
  }
  const refs = [...new Set([...pinned, ...decisions, ...messages].map((m) => m.id))];
  const texts = getTexts(refs);
  const line = (m: Omit<SegmentMeta, 'title'>) => `- [#${m.id} ${m.type}] ${excerpt(texts.get(m.id) ?? '')}`;
  const out: string[] = [`# Task snapshot: ${task.title}`, '', `Task: ${task.id}. Taken ${new Date(now).toISOString()} from ${metas.length} segments.`];
  if (pinned.length) out.push('', '## Pinned', ...pinned.map(line));
  if (decisions.length) out.push('', '## Decisions', ...decisions.map(line));
  if (messages.length) out.push('', '## Recent messages', ...messages.map(line));
  if (files.size) {
    out.push('', '## Files');
    for (const [path, f] of [...files.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      out.push(`- ${path}${f.ranges.length ? ` (lines ${[...new Set(f.ranges)].join(', ')})` : ''}: ${f.tokens} tokens`);
    }
  }
  return { text: out.join('\n'), refs };
}
