// What every part of the panel shares: the connection to the host, the UI state, the latest data the
// host pushed, and a way to run a request that reports its failure to the user instead of losing it.

import type { SegmentRow, StatusView, TasksView, UndoView, UsageView } from '../protocol/webview';
import { HostError, type HostConnection } from './rpc';
import type { UiStateStore } from './state';

export interface PanelData {
  status: StatusView;
  usage: UsageView | null;
  tasks: TasksView | null;
  undo: UndoView;
  crossProject: boolean;
  working: { rows: SegmentRow[]; total: number; truncated: boolean; hostNow: number; receivedAt: number } | null;
}

export interface PanelContext {
  host: HostConnection;
  ui: UiStateStore;
  data: PanelData;
  /** Shows a short message in the panel's status line (errors stay until dismissed). */
  notify(message: string, kind?: 'info' | 'error'): void;
  /** Runs a request; on failure says what failed and why, and resolves undefined. */
  run<R>(what: string, p: Promise<R>): Promise<R | undefined>;
  /** The host's "now" (ages are computed against the clock the host uses). */
  now(): number;
  /** Switches tab (and focuses its first control when asked). */
  showTab(tab: import('../protocol/webview').Tab, focus?: boolean): void;
}

export function errorText(what: string, err: unknown): string {
  if (err instanceof HostError) return `Could not ${what}: ${err.message}`;
  return `Could not ${what}: ${err instanceof Error ? err.message : String(err)}`;
}
