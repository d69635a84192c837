// The protocol between the extension host and the Context GC sidebar webview, declared once.
//
// Every message is a typed descriptor (GitLens style): a *request* the webview sends and the host answers
// with a typed result or an error, a *command* the webview sends without an answer, a *notification* the
// host pushes. Each descriptor carries the schema of its params (and result), so both sides validate what
// they receive with the same code that gives them its type, and each has an `is()` guard on the envelope.
// Neither side switches on bare method strings: handlers are registered per descriptor.
//
// Handshake: the webview posts `ready` once it listens; only then does the host push state. The view
// models here are the webview's own (not the engine's types), so the browser bundle depends on nothing
// of the engine; the host maps engine results onto them (src/host/panel/views.ts).
// Pure: no DOM, no node, no vscode.

import {
  array,
  bool,
  int,
  literal,
  nullable,
  num,
  object,
  optional,
  record,
  str,
  tuple,
  variant,
  type Infer,
  type Schema,
} from './schema';

export const PROTOCOL_VERSION = 1;

/** Most working-set rows the host sends; beyond this the list says how many it left out. */
export const MAX_WORKING_ROWS = 50_000;
/** Most ids one request may name. */
export const MAX_IDS = 50_000;
/** Most stash-search hits one request may ask for (search is server-side, bounded by this). */
export const MAX_SEARCH_LIMIT = 500;

export const SEGMENT_TYPES = ['message', 'code', 'log', 'note', 'decision', 'summary'] as const;
export type SegmentTypeView = (typeof SEGMENT_TYPES)[number];
export const SOURCES = ['editor', 'agent', 'chat', 'import', 'user'] as const;
export const BANDS = ['ok', 'warning', 'high', 'critical'] as const;
export type BandView = (typeof BANDS)[number];

// ------------------------------------------------------------------ view models

const id = int({ min: 1 });
const tokens = int({ min: 0 });
const time = num({ min: 0 });
const ids = array(id, { min: 1, max: MAX_IDS });
const segmentType = literal(...SEGMENT_TYPES);
const shortText = str({ max: 1_000 });
const path = str({ max: 4_096 });

/** One working-set row: what the list shows of a segment. */
export const segmentRow = object({
  id,
  type: segmentType,
  title: shortText,
  file: nullable(path),
  lineStart: nullable(int({ min: 0 })),
  lineEnd: nullable(int({ min: 0 })),
  tokens,
  createdAt: time,
  touchedAt: time,
  pinned: bool,
  taskId: nullable(shortText),
  tags: array(shortText, { max: 256 }),
  source: literal(...SOURCES),
});
export type SegmentRow = Infer<typeof segmentRow>;

const typeUsage = object({ tokens, segments: int({ min: 0 }) });
export const usageView = object({
  budget: int({ min: 1 }),
  /** Where the budget comes from: the selected model, the user's setting, or the default. */
  budgetSource: literal('model', 'setting', 'default'),
  /** The model the budget was read from, when known. */
  model: nullable(shortText),
  encoding: shortText,
  thresholds: array(num({ min: 0, max: 100 }), { min: 1, max: 8 }),
  workingTokens: tokens,
  workingSegments: int({ min: 0 }),
  stashedTokens: tokens,
  stashedSegments: int({ min: 0 }),
  percent: num({ min: 0 }),
  band: literal(...BANDS),
  byType: record(SEGMENT_TYPES, typeUsage),
  byTask: array(object({ taskId: nullable(shortText), tokens, segments: int({ min: 0 }) }), { max: 10_000 }),
  pinnedTokens: tokens,
  pinnedSegments: int({ min: 0 }),
  health: int({ min: 0, max: 100 }),
  warnings: array(shortText, { max: 20 }),
  recommendations: array(shortText, { max: 20 }),
});
export type UsageView = Infer<typeof usageView>;

export const tasksView = object({
  current: nullable(shortText),
  tasks: array(object({ id: shortText, title: shortText, lastActiveAt: time }), { max: 10_000 }),
});
export type TasksView = Infer<typeof tasksView>;

export const undoView = object({
  /** True when the last GC applied from this window can be undone. */
  available: bool,
  segments: int({ min: 0 }),
  tokens,
});
export type UndoView = Infer<typeof undoView>;

export const statusView = variant('kind', {
  loading: object({ kind: literal('loading'), message: shortText }),
  ready: object({ kind: literal('ready') }),
  error: object({ kind: literal('error'), message: str({ max: 4_000 }) }),
});
export type StatusView = Infer<typeof statusView>;

export const changeView = object({
  action: literal('add', 'update', 'touch', 'stash', 'restore', 'pin', 'unpin', 'delete', 'gc', 'task'),
  ids: array(id, { max: MAX_IDS }),
  tokenDelta: int(),
  workingTokens: tokens,
  workingSegments: int({ min: 0 }),
  percent: num({ min: 0 }),
  unchanged: array(id, { max: MAX_IDS }),
});
export type ChangeView = Infer<typeof changeView>;

export const gcTarget = variant('kind', {
  tokens: object({ kind: literal('tokens'), tokens: int({ min: 1, max: 1e12 }) }),
  percent: object({ kind: literal('percent'), percent: num({ min: 0, max: 100 }) }),
});
export type GcTarget = Infer<typeof gcTarget>;

export const planView = object({
  target: gcTarget,
  budget: int({ min: 1 }),
  workingTokens: tokens,
  targetTokens: tokens,
  plannedTokens: tokens,
  shortfall: tokens,
  percentBefore: num({ min: 0 }),
  percentAfter: num({ min: 0 }),
  candidates: array(
    object({ id, type: segmentType, title: shortText, file: nullable(path), tokens, score: num(), reachable: bool, reason: shortText }),
    { max: MAX_IDS },
  ),
  /** Working segments that are pinned: never offered. */
  pinnedSegments: int({ min: 0 }),
});
export type PlanView = Infer<typeof planView>;

const totals = object({ tokens, segments: int({ min: 0 }), percent: num({ min: 0 }) });
export const applyView = object({
  mode: literal('stash', 'delete'),
  collected: int({ min: 0 }),
  freedTokens: tokens,
  /** Ids that were asked for but were no longer in the working set. */
  skipped: int({ min: 0 }),
  before: totals,
  after: totals,
});
export type ApplyView = Infer<typeof applyView>;

export const searchQuery = object({
  query: str({ max: 1_000 }),
  /** File path prefix (e.g. `src/engine/`). */
  file: optional(path),
  task: optional(shortText),
  tag: optional(shortText),
  types: optional(array(segmentType, { min: 1, max: SEGMENT_TYPES.length })),
  /** Only segments touched within this many milliseconds before now. */
  withinMs: optional(int({ min: 1 })),
  /** Search every project's stash, not only this workspace's. */
  crossProject: bool,
  limit: int({ min: 1, max: MAX_SEARCH_LIMIT }),
});
export type SearchQuery = Infer<typeof searchQuery>;

export const searchHitView = object({
  id,
  project: shortText,
  score: num(),
  snippet: str({ max: 4_000 }),
  matches: array(tuple(int({ min: 0 }), int({ min: 0 })), { max: 1_000 }),
  tokens,
  type: segmentType,
  title: shortText,
  file: nullable(path),
  lineStart: nullable(int({ min: 0 })),
  lineEnd: nullable(int({ min: 0 })),
  taskId: nullable(shortText),
  tags: array(shortText, { max: 256 }),
  touchedAt: time,
  tier: literal('working', 'stashed'),
});
export type SearchHitView = Infer<typeof searchHitView>;

export const searchView = variant('status', {
  ok: object({
    status: literal('ok'),
    query: str({ max: 1_000 }),
    hits: array(searchHitView, { max: MAX_SEARCH_LIMIT }),
    total: int({ min: 0 }),
    tokens,
    tookMs: num({ min: 0 }),
    corrections: array(object({ term: shortText, variants: array(shortText, { max: 50 }) }), { max: 50 }),
    partial: bool,
  }),
  /** The host cannot answer this search (no index yet, or cross-project search unsupported): say why. */
  unavailable: object({ status: literal('unavailable'), query: str({ max: 1_000 }), message: shortText }),
});
export type SearchView = Infer<typeof searchView>;

export const TABS = ['overview', 'working', 'gc', 'stash'] as const;
export type Tab = (typeof TABS)[number];

export const errorView = object({ reason: shortText, message: str({ max: 4_000 }) });
export type ErrorView = Infer<typeof errorView>;

// ------------------------------------------------------------------ descriptors

export interface RequestType<M extends string, P, R> {
  readonly kind: 'request';
  readonly method: M;
  readonly params: Schema<P>;
  readonly result: Schema<R>;
  is(msg: unknown): msg is RequestMessage<P>;
}
export interface CommandType<M extends string, P> {
  readonly kind: 'command';
  readonly method: M;
  readonly params: Schema<P>;
  is(msg: unknown): msg is CommandMessage<P>;
}
export interface NotificationType<M extends string, P> {
  readonly kind: 'notification';
  readonly method: M;
  readonly params: Schema<P>;
  is(msg: unknown): msg is NotificationMessage<P>;
}

// The envelopes as they travel through postMessage.
export interface RequestMessage<P = unknown> {
  kind: 'request';
  id: number;
  method: string;
  params: P;
}
export interface CommandMessage<P = unknown> {
  kind: 'command';
  method: string;
  params: P;
}
export interface NotificationMessage<P = unknown> {
  kind: 'notification';
  method: string;
  params: P;
}
export type ResponseMessage<R = unknown> = { kind: 'response'; id: number; ok: true; result: R } | { kind: 'response'; id: number; ok: false; error: ErrorView };

/** Inbound to the host. */
export type WebviewMessage = RequestMessage | CommandMessage;
/** Inbound to the webview. */
export type HostMessage = ResponseMessage | NotificationMessage;

function envelopeIs(kind: string, method: string) {
  return (msg: unknown): boolean => typeof msg === 'object' && msg !== null && (msg as { kind?: unknown }).kind === kind && (msg as { method?: unknown }).method === method;
}

function request<const M extends string, P, R>(method: M, params: Schema<P>, result: Schema<R>): RequestType<M, P, R> {
  const is = envelopeIs('request', method);
  return { kind: 'request', method, params, result, is: (m: unknown): m is RequestMessage<P> => is(m) };
}
function command<const M extends string, P>(method: M, params: Schema<P>): CommandType<M, P> {
  const is = envelopeIs('command', method);
  return { kind: 'command', method, params, is: (m: unknown): m is CommandMessage<P> => is(m) };
}
function notification<const M extends string, P>(method: M, params: Schema<P>): NotificationType<M, P> {
  const is = envelopeIs('notification', method);
  return { kind: 'notification', method, params, is: (m: unknown): m is NotificationMessage<P> => is(m) };
}

const none = object({});
const idsParams = object({ ids });
const ok = object({});

// Webview -> host: commands.
export const ReadyCommand = command('ready', object({ protocol: int({ min: 1 }) }));
/** The webview reports something it rejected or could not do, for the host's log. */
export const LogCommand = command('log', object({ level: literal('info', 'warn', 'error'), message: str({ max: 4_000 }) }));

// Webview -> host: requests.
export const RefreshRequest = request('refresh', none, ok);
export const PinRequest = request('segments/pin', idsParams, changeView);
export const UnpinRequest = request('segments/unpin', idsParams, changeView);
export const StashRequest = request('segments/stash', idsParams, changeView);
export const RestoreRequest = request('segments/restore', idsParams, changeView);
/** Deletion is for good: the webview asks the user first and sends `confirm: true`. */
export const DeleteRequest = request('segments/delete', object({ ids, confirm: literal(true) }), changeView);
/** Opens the segment's file at its line range in an editor. */
export const OpenSegmentRequest = request('segments/open', object({ id }), object({ opened: bool, message: optional(shortText) }));
/** Copies the segment's full text to the clipboard (the host does it: webviews cannot reach it reliably). */
export const CopySegmentRequest = request('segments/copy', object({ id }), object({ chars: int({ min: 0 }), tokens }));
export const PlanGcRequest = request('gc/plan', object({ target: gcTarget }), planView);
export const ApplyGcRequest = request('gc/apply', object({ ids, mode: literal('stash', 'delete'), confirm: optional(bool) }), applyView);
export const UndoGcRequest = request('gc/undo', none, changeView);
export const SearchStashRequest = request('stash/search', searchQuery, searchView);
export const SetTaskRequest = request(
  'task/set',
  object({ taskId: str({ min: 1, max: 200 }), title: optional(str({ max: 200 })) }),
  object({ previous: nullable(shortText), current: shortText, stashed: int({ min: 0 }), restored: int({ min: 0 }), tokenDelta: int() }),
);
export const SnapshotTaskRequest = request('task/snapshot', none, object({ id, tokens, taskId: shortText }));

// Host -> webview: notifications.
/** Everything but the working-set rows: sent after `ready` and (debounced) after every engine change. */
export const StateNotification = notification(
  'state',
  object({ status: statusView, usage: nullable(usageView), tasks: nullable(tasksView), undo: undoView, crossProject: bool }),
);
/**
 * The working set's rows (heavier, so its own message). `full` replaces every row (after `ready`, or when
 * much changed); `delta` upserts `rows` and drops `removed` (a file opened, a segment stashed: one row, not
 * 10,000). `now` is the host's clock, for ages; `total` the working set's size.
 */
export const WorkingSetNotification = notification(
  'workingSet',
  object({
    mode: literal('full', 'delta'),
    now: time,
    rows: array(segmentRow, { max: MAX_WORKING_ROWS }),
    removed: array(id, { max: MAX_IDS }),
    total: int({ min: 0 }),
    truncated: bool,
  }),
);
/** Asks the view to show a tab (e.g. the host's "Search Stash" command), optionally with a query. */
export const ShowNotification = notification('show', object({ tab: literal(...TABS), query: optional(str({ max: 1_000 })) }));

export const REQUESTS = [
  RefreshRequest, PinRequest, UnpinRequest, StashRequest, RestoreRequest, DeleteRequest, OpenSegmentRequest,
  CopySegmentRequest, PlanGcRequest, ApplyGcRequest, UndoGcRequest, SearchStashRequest, SetTaskRequest, SnapshotTaskRequest,
] as const;
export const COMMANDS = [ReadyCommand, LogCommand] as const;
export const NOTIFICATIONS = [StateNotification, WorkingSetNotification, ShowNotification] as const;

export type ParamsOf<D> = D extends { params: Schema<infer P> } ? P : never;
export type ResultOf<D> = D extends RequestType<string, unknown, infer R> ? R : never;

// ------------------------------------------------------------------ envelope checks

/** Why an inbound value is not a well-formed envelope of one of `kinds`, or null when it is. */
export function envelopeError(msg: unknown, kinds: readonly ('request' | 'command' | 'response' | 'notification')[]): string | null {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return 'message: expected an object';
  const m = msg as Record<string, unknown>;
  if (typeof m.kind !== 'string' || !(kinds as readonly string[]).includes(m.kind)) return `message.kind: expected one of ${kinds.join(', ')}, got ${JSON.stringify(m.kind)}`;
  if (m.kind === 'response') {
    if (!Number.isInteger(m.id)) return 'message.id: expected an integer';
    if (typeof m.ok !== 'boolean') return 'message.ok: expected true or false';
    if (m.ok === false) return errorView(m.error, 'message.error');
    return null;
  }
  if (typeof m.method !== 'string') return 'message.method: expected a string';
  if (m.kind === 'request' && !(Number.isInteger(m.id) && (m.id as number) > 0)) return 'message.id: expected a positive integer';
  return null;
}

/** The request id of a (possibly malformed) request, so even a rejected one can be answered. */
export function requestIdOf(msg: unknown): number | null {
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as Record<string, unknown>;
  return m.kind === 'request' && Number.isInteger(m.id) && (m.id as number) > 0 ? (m.id as number) : null;
}
