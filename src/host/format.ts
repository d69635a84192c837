// How the host words numbers, token impact and the status bar. Pure, so the Node unit tests pin the exact
// strings the user sees (and the integration tests read them back through an internal command).

import type { SegmentMeta, SegmentType } from '../engine/model';
import type { Totals } from './rpc/protocol';

export type Band = 'ok' | 'warning' | 'high' | 'critical';
const BANDS: Band[] = ['warning', 'high', 'critical'];

/** The band a percentage is in (same rule as the engine's analysis: at or above a threshold). */
export function bandFor(percent: number, thresholds: readonly number[]): { band: Band; index: number; threshold: number | null } {
  let index = -1;
  thresholds.forEach((th, i) => {
    if (percent >= th) index = i;
  });
  if (index < 0) return { band: 'ok', index: -1, threshold: null };
  return { band: BANDS[Math.min(index, BANDS.length - 1)], index, threshold: thresholds[index] };
}

/** 1,234,567 */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Compact token counts for the status bar: 950, 12.3k, 123k, 1.2M, 1M. */
export function compact(n: number): string {
  const abs = Math.abs(n);
  const unit = (v: number, suffix: string) => {
    const s = v >= 100 ? Math.round(v).toString() : (Math.round(v * 10) / 10).toString();
    return s + suffix;
  };
  if (abs < 1000) return String(Math.round(n));
  if (abs < 999_500) return (n < 0 ? '-' : '') + unit(abs / 1000, 'k');
  return (n < 0 ? '-' : '') + unit(abs / 1_000_000, 'M');
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** "+1,234 tokens" / "−1,234 tokens" / "no token change" */
export function signedTokens(delta: number): string {
  if (delta === 0) return 'no token change';
  return `${delta > 0 ? '+' : '−'}${count(Math.abs(delta))} tokens`;
}

/** "context 12,345 / 1,000,000 tokens (1.2%)" */
export function contextLine(t: Totals): string {
  return `context ${count(t.workingTokens)} / ${count(t.budget)} tokens (${t.percent}%)`;
}

/** The token impact sentence every command ends its report with. */
export function impact(delta: number, t: Totals): string {
  return `${signedTokens(delta)}; ${contextLine(t)}.`;
}

export interface StatusView {
  text: string;
  tooltip: string;
  band: Band;
  /** Theme colour id of the background, or undefined for the default. */
  background: 'statusBarItem.warningBackground' | 'statusBarItem.errorBackground' | undefined;
}

const BAND_ICON: Record<Band, string> = { ok: '$(pulse)', warning: '$(warning)', high: '$(warning)', critical: '$(flame)' };
const BAND_BACKGROUND: Record<Band, StatusView['background']> = {
  ok: undefined,
  warning: 'statusBarItem.warningBackground',
  high: 'statusBarItem.errorBackground',
  critical: 'statusBarItem.errorBackground',
};

export function statusView(t: Totals, thresholds: readonly number[], clickAction = 'open the Context GC panel'): StatusView {
  const { band, threshold } = bandFor(t.percent, thresholds);
  const text = `${BAND_ICON[band]} ${compact(t.workingTokens)} / ${compact(t.budget)} (${t.percent}%)`;
  const over = threshold === null ? '' : ` Over the ${threshold}% threshold: run GC to stash what is not in use.`;
  const tooltip = `Context GC: ${count(t.workingTokens)} of ${count(t.budget)} tokens (${t.percent}%) in ${plural(t.workingSegments, 'working segment')}.${over} Click to ${clickAction}.`;
  return { text, tooltip, band, background: BAND_BACKGROUND[band] };
}

export const STARTING_VIEW: StatusView = { text: '$(sync~spin) Context GC', tooltip: 'Context GC: opening the context store…', band: 'ok', background: undefined };

export function failedView(message: string): StatusView {
  return { text: '$(error) Context GC', tooltip: `Context GC is not running: ${message} Click to see the log.`, band: 'ok', background: 'statusBarItem.errorBackground' };
}

export const TYPE_ICON: Record<SegmentType, string> = {
  message: '$(comment)',
  code: '$(file-code)',
  log: '$(output)',
  note: '$(note)',
  decision: '$(law)',
  summary: '$(book)',
};

/** "src/a.ts:3-9" / "src/a.ts" / "" */
export function location(m: Pick<SegmentMeta, 'filePath' | 'lineStart' | 'lineEnd'>): string {
  if (m.filePath === null) return '';
  if (m.lineStart === null) return m.filePath;
  return `${m.filePath}:${m.lineStart}${m.lineEnd !== null && m.lineEnd !== m.lineStart ? `-${m.lineEnd}` : ''}`;
}

/** "#12 note “Use the journal” (34 tokens)" */
export function describe(m: Pick<SegmentMeta, 'id' | 'type' | 'title' | 'tokens' | 'filePath' | 'lineStart' | 'lineEnd'>): string {
  const where = location(m);
  const title = m.title.length > 60 ? m.title.slice(0, 59) + '…' : m.title;
  return `#${m.id} ${m.type}${where ? ` ${where}` : ''} “${title}” (${plural(m.tokens, 'token')})`;
}
