// Number, age and label formatting for the panel (en-US grouping, short ages like VS Code's timeline).

import type { SegmentTypeView } from '../protocol/webview';

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 1234 -> "1.2k", 1234567 -> "1.2M"; small numbers as they are. */
export function compact(n: number): string {
  const a = Math.abs(n);
  if (a < 10_000) return fmt(n);
  if (a < 1_000_000) return `${(n / 1000).toFixed(a < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(a < 100_000_000 ? 1 : 0)}M`;
}

export function pct(p: number): string {
  return `${p.toFixed(1)}%`;
}

export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return 'now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const hr = Math.round(m / 60);
  if (hr < 48) return `${hr} h`;
  return `${Math.round(hr / 24)} d`;
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${fmt(n)} ${n === 1 ? one : many}`;
}

export const TYPE_ICON: Record<SegmentTypeView, string> = {
  message: 'comment',
  code: 'code',
  log: 'output',
  note: 'note',
  decision: 'law',
  summary: 'book',
};

export const TYPE_LABEL: Record<SegmentTypeView, string> = {
  message: 'Messages',
  code: 'Code',
  log: 'Logs & tool output',
  note: 'Notes',
  decision: 'Decisions',
  summary: 'Summaries',
};

export function lines(start: number | null, end: number | null): string {
  if (start === null) return '';
  return end !== null && end !== start ? `:${start}-${end}` : `:${start}`;
}

/** The last path segments that fit: "src/engine/gc/gc.ts" stays, longer paths keep their tail. */
export function shortPath(p: string, max = 48): string {
  if (p.length <= max) return p;
  return '…' + p.slice(p.length - max + 1);
}
