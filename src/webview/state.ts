// The panel's own UI state (tab, grouping, sort, filter, search form, GC target, scroll), kept with
// `acquireVsCodeApi().setState` so it survives the view being hidden and rebuilt. What comes back from
// getState is validated like any other input: a state from an older build falls back to the defaults.

import { array, bool, int, literal, num, object, str, type Infer } from '../protocol/schema';
import { SEGMENT_TYPES, TABS } from '../protocol/webview';
import type { VsCodeApi } from './rpc';

export const GROUPS = ['none', 'task', 'file', 'type'] as const;
export const SORTS = ['recent', 'tokens'] as const;
export const WITHIN = ['any', '1h', '24h', '7d', '30d'] as const;
export const WITHIN_MS: Record<(typeof WITHIN)[number], number | undefined> = {
  any: undefined,
  '1h': 3600_000,
  '24h': 24 * 3600_000,
  '7d': 7 * 24 * 3600_000,
  '30d': 30 * 24 * 3600_000,
};

const uiState = object({
  v: literal(1),
  tab: literal(...TABS),
  groupBy: literal(...GROUPS),
  sort: literal(...SORTS),
  filter: str({ max: 500 }),
  collapsed: array(str({ max: 5000 }), { max: 10_000 }),
  workingScroll: num({ min: 0 }),
  search: object({
    query: str({ max: 1000 }),
    file: str({ max: 4096 }),
    task: str({ max: 1000 }),
    tag: str({ max: 1000 }),
    types: array(literal(...SEGMENT_TYPES), { max: SEGMENT_TYPES.length }),
    within: literal(...WITHIN),
    crossProject: bool,
    showFilters: bool,
  }),
  gc: object({ kind: literal('tokens', 'percent'), tokens: int({ min: 1 }), percent: num({ min: 0, max: 100 }) }),
});
export type UiState = Infer<typeof uiState>;

export function defaultState(): UiState {
  return {
    v: 1,
    tab: 'working',
    groupBy: 'none',
    sort: 'recent',
    filter: '',
    collapsed: [],
    workingScroll: 0,
    search: { query: '', file: '', task: '', tag: '', types: [], within: 'any', crossProject: false, showFilters: false },
    gc: { kind: 'percent', tokens: 50_000, percent: 60 },
  };
}

export class UiStateStore {
  readonly value: UiState;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly api: VsCodeApi) {
    const saved = api.getState();
    this.value = saved !== undefined && saved !== null && uiState(saved, 'state') === null ? (saved as UiState) : defaultState();
  }

  /** Changes the state and saves it (coalesced: typing in a filter box does not write on every key). */
  update(patch: (s: UiState) => void): void {
    patch(this.value);
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.api.setState(this.value);
    }, 100);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.api.setState(this.value);
  }
}
