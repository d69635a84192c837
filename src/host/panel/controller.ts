// The host side of the Context GC panel, without VS Code: answers the webview's requests from the engine
// and pushes state to it. The VS Code provider (provider.ts) only supplies the I/O (postMessage, opening a
// file, the clipboard, the log); the browser tests drive this same class over a real in-process engine.
//
// Lifecycle: nothing is pushed until the webview says `ready` (it may be reloaded any time the view is
// hidden and shown again, and says `ready` again). Engine changes schedule a push, debounced (trailing
// `debounceMs`, at most `maxWaitMs` late) so a burst of agent edits costs one refresh; nothing is computed
// while the view is hidden.

import type { EngineApi } from '../../protocol/engineApi';
import type { ChangeResult } from '../../engine/engine';
import type { SearchRequest } from '../../engine/search/types';
import {
  ApplyGcRequest,
  CopySegmentRequest,
  DeleteRequest,
  LogCommand,
  MAX_WORKING_ROWS,
  OpenSegmentRequest,
  PinRequest,
  PlanGcRequest,
  PROTOCOL_VERSION,
  ReadyCommand,
  RefreshRequest,
  RestoreRequest,
  SearchStashRequest,
  SetTaskRequest,
  ShowNotification,
  SnapshotTaskRequest,
  StashRequest,
  StateNotification,
  UndoGcRequest,
  UnpinRequest,
  WorkingSetNotification,
  type HostMessage,
  type NotificationType,
  type SearchHitView,
  type SearchQuery,
  type SearchView,
  type StatusView,
  type Tab,
  type UndoView,
} from '../../protocol/webview';
import { MessageRouter, toErrorView, type PanelLog } from './router';
import { changeOf, hitOf, planOf, rowOf, tasksOf, usageOf, type BudgetInfo } from './views';

export interface PanelIo {
  /** Posts to the webview; may resolve false when the view is gone (VS Code's postMessage does). */
  post(msg: HostMessage): unknown;
  /** Opens a workspace-relative (or absolute) file at a 1-based line range; false when it cannot. */
  openFile(file: string, lineStart: number | null, lineEnd: number | null): Promise<boolean>;
  copy(text: string): Promise<void>;
  log: PanelLog;
}

export type Unsubscribe = (() => void) | { dispose(): void };

/** Searches other projects' stashes; the host passes one only when it can (see the report's note). */
export type CrossProjectSearch = (req: SearchRequest) => Promise<{ project: string; hits: SearchHitView[]; total: number; tookMs: number }>;

export interface PanelControllerOptions {
  engine: EngineApi;
  onDidChange: (listener: (change: ChangeResult) => void) => Unsubscribe;
  io: PanelIo;
  budgetInfo?: () => BudgetInfo;
  crossProjectSearch?: CrossProjectSearch;
  /** The panel's Retry button was pressed while the status is `error` (e.g. re-open a locked store). */
  onRetry?: () => Promise<void> | void;
  /** The clock ages and "touched within" filters use (tests pass the engine's clock). */
  now?: () => number;
  debounceMs?: number;
  maxWaitMs?: number;
}

/** Past this many changed segments, one full push is cheaper than a delta. */
export const FULL_PUSH_AFTER = 2000;

export const CROSS_PROJECT_UNAVAILABLE =
  'Searching other projects is not available yet: this version searches only this workspace\'s stash. Turn off "All projects" to search here.';

export class PanelController {
  private readonly router: MessageRouter;
  private ready = false;
  private visible = true;
  private status: StatusView = { kind: 'loading', message: 'Opening the context store…' };
  /** True once the host set the status itself: then a loading status stays until the host says ready. */
  private statusFromHost = false;
  private undo: UndoView = { available: false, segments: 0, tokens: 0 };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstScheduled = 0;
  private pushing: Promise<void> | null = null;
  private dirty = false;
  /** Ids changed since the last rows push, or 'all' when the next push must send every row. */
  private changedIds: Set<number> | 'all' = 'all';
  private lastTruncated = false;
  private readonly unsubscribe: Unsubscribe;
  private disposed = false;
  /** How many state pushes were made (tests assert debouncing with it). */
  pushes = 0;

  constructor(private readonly opts: PanelControllerOptions) {
    const e = opts.engine;
    const now = opts.now ?? Date.now;
    this.router = new MessageRouter(opts.io.log)
      .onCommand(ReadyCommand, ({ protocol }) => {
        if (protocol !== PROTOCOL_VERSION) opts.io.log.warn(`Context GC panel: webview speaks protocol ${protocol}, host ${PROTOCOL_VERSION}.`);
        this.ready = true;
        this.visible = true;
        this.changedIds = 'all';
        this.schedule(true);
      })
      .onCommand(LogCommand, ({ level, message }) => opts.io.log[level](`Context GC panel (webview): ${message}`))
      .onRequest(RefreshRequest, async () => {
        // In the error state the panel's Retry button lands here: let the host try to open the store again.
        if (this.status.kind === 'error' && opts.onRetry) await opts.onRetry();
        this.changedIds = 'all';
        this.schedule(true);
        return {};
      })
      .onRequest(PinRequest, async ({ ids }) => changeOf(await e.pin(ids)))
      .onRequest(UnpinRequest, async ({ ids }) => changeOf(await e.unpin(ids)))
      .onRequest(StashRequest, async ({ ids }) => changeOf(await e.stash(ids)))
      .onRequest(RestoreRequest, async ({ ids }) => changeOf(await e.restore(ids)))
      .onRequest(DeleteRequest, async ({ ids, confirm }) => changeOf(await e.delete(ids, { confirm })))
      .onRequest(OpenSegmentRequest, async ({ id }) => {
        const m = await e.getMeta(id);
        if (m.filePath === null) return { opened: false, message: `Segment ${id} is not from a file, so there is nothing to open.` };
        const opened = await opts.io.openFile(m.filePath, m.lineStart, m.lineEnd);
        return opened ? { opened } : { opened, message: `Could not open ${m.filePath}: the file may have moved or been deleted.` };
      })
      .onRequest(CopySegmentRequest, async ({ id }) => {
        const s = await e.get(id);
        await opts.io.copy(s.text);
        return { chars: s.text.length, tokens: s.tokens };
      })
      .onRequest(PlanGcRequest, async ({ target }) => {
        const plan = await e.planGc(target.kind === 'tokens' ? { targetTokens: target.tokens } : { targetPercent: target.percent });
        const metas = await e.metas(plan.candidates.map((c) => c.id));
        return planOf(target, plan, new Map(metas.map((m) => [m.id, m])));
      })
      .onRequest(ApplyGcRequest, async ({ ids, mode, confirm }) => {
        const before = await e.totals();
        const change = await e.applyGc({ ids, mode, confirm });
        if (mode === 'stash' && change.ids.length > 0) this.undo = { available: true, segments: change.ids.length, tokens: -change.tokenDelta };
        this.schedule(true);
        return {
          mode,
          collected: change.ids.length,
          freedTokens: Math.max(0, -change.tokenDelta),
          skipped: change.unchanged.length,
          before: { tokens: before.workingTokens, segments: before.workingSegments, percent: before.percent },
          after: { tokens: change.workingTokens, segments: change.workingSegments, percent: change.percent },
        };
      })
      .onRequest(UndoGcRequest, async () => {
        const change = await e.undoLastGc();
        this.undo = { available: false, segments: 0, tokens: 0 };
        this.schedule(true);
        return changeOf(change);
      })
      .onRequest(SearchStashRequest, (q) => this.search(q, now()))
      .onRequest(SetTaskRequest, async ({ taskId, title }) => {
        const r = await e.setCurrentTask(taskId, title === undefined ? {} : { title });
        this.schedule(true);
        return { previous: r.previous, current: taskId, stashed: r.stashed.length, restored: r.restored.length, tokenDelta: r.tokenDelta };
      })
      .onRequest(SnapshotTaskRequest, async () => {
        const m = await e.snapshotTask();
        return { id: m.id, tokens: m.tokens, taskId: m.taskId ?? '' };
      });
    this.unsubscribe = opts.onDidChange((change) => {
      if (change.action === 'gc' && change.ids.length > 0 && change.tokenDelta < 0) {
        this.undo = { available: true, segments: change.ids.length, tokens: -change.tokenDelta };
      }
      if (this.changedIds !== 'all') {
        for (const id of change.ids) this.changedIds.add(id);
        if (this.changedIds.size > FULL_PUSH_AFTER) this.changedIds = 'all';
      }
      this.schedule(false);
    });
  }

  /** Feeds one message from the webview; posts the answer. Never throws. */
  async receive(msg: unknown): Promise<void> {
    const response = await this.router.handle(msg);
    if (response !== null) this.post(response);
  }

  /** The view was hidden or disposed: its webview is gone until it says `ready` again. */
  detach(): void {
    this.ready = false;
    this.visible = false;
    this.cancelTimer();
  }

  /** The host's own view of the engine: loading (with what), ready, or failed (with what to do). */
  setStatus(status: StatusView): void {
    this.status = status;
    this.statusFromHost = true;
    this.schedule(true);
  }

  /** Pushes fresh state soon (e.g. after the active editors changed, which the engine does not announce). */
  refresh(): void {
    this.schedule(false);
  }

  /** Asks the view to show a tab, e.g. from a "Search Stash" command. */
  show(tab: Tab, query?: string): void {
    if (this.ready) this.notify(ShowNotification, query === undefined ? { tab } : { tab, query });
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    if (typeof this.unsubscribe === 'function') this.unsubscribe();
    else this.unsubscribe.dispose();
  }

  /** Resolves once no push is scheduled or running (tests). */
  async settled(): Promise<void> {
    for (;;) {
      if (this.pushing) await this.pushing;
      else if (this.timer !== undefined) await new Promise((r) => setTimeout(r, 5));
      else return;
    }
  }

  private post(msg: HostMessage): void {
    try {
      const r = this.opts.io.post(msg);
      if (r instanceof Promise) r.catch((err: unknown) => this.opts.io.log.warn(`Context GC panel: could not post to the webview: ${toErrorView(err).message}`));
    } catch (err) {
      this.opts.io.log.warn(`Context GC panel: could not post to the webview: ${toErrorView(err).message}`);
    }
  }

  private notify<M extends string, P>(d: NotificationType<M, P>, params: P): void {
    this.post({ kind: 'notification', method: d.method, params });
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.firstScheduled = 0;
  }

  private schedule(now: boolean): void {
    if (this.disposed || !this.ready || !this.visible) return;
    const debounce = this.opts.debounceMs ?? 150;
    const maxWait = this.opts.maxWaitMs ?? 1000;
    const t = Date.now();
    if (this.firstScheduled === 0) this.firstScheduled = t;
    const wait = now ? 0 : Math.max(0, Math.min(debounce, this.firstScheduled + maxWait - t));
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.firstScheduled = 0;
      void this.pushNow();
    }, wait);
  }

  private async pushNow(): Promise<void> {
    if (this.pushing) {
      this.dirty = true;
      return;
    }
    this.pushing = this.pushState().finally(() => {
      this.pushing = null;
      if (this.dirty) {
        this.dirty = false;
        this.schedule(true);
      }
    });
    return this.pushing;
  }

  private async pushState(): Promise<void> {
    if (!this.ready) return;
    const e = this.opts.engine;
    const crossProject = this.opts.crossProjectSearch !== undefined;
    if (this.status.kind !== 'ready') this.notify(StateNotification, { status: this.status, usage: null, tasks: null, undo: this.undo, crossProject });
    if (this.status.kind === 'error') return;
    try {
      // Rows: all of them after `ready` (or when many changed), else only the changed ones.
      const changed = this.changedIds;
      this.changedIds = new Set();
      const full = changed === 'all' || this.lastTruncated;
      const [usage, info, tasks, rows] = await Promise.all([
        e.usage(),
        e.info(),
        e.listTasks(),
        full ? e.list({ tier: 'working', sort: 'recent', limit: MAX_WORKING_ROWS }) : changed.size > 0 ? e.metas([...changed]) : Promise.resolve([]),
      ]);
      if (!this.ready) {
        this.changedIds = 'all';
        return;
      }
      this.pushes++;
      const budget = this.opts.budgetInfo?.() ?? { source: 'default', model: null };
      // Until the host says otherwise, "loading" only means "not read yet": reading the engine ends it.
      if (this.status.kind === 'loading' && !this.statusFromHost) this.status = { kind: 'ready' };
      this.notify(StateNotification, {
        status: this.status,
        usage: usageOf(usage, info, budget),
        tasks: tasksOf(info.currentTask, tasks),
        undo: this.undo,
        crossProject,
      });
      const now = (this.opts.now ?? Date.now)();
      if (full) {
        this.lastTruncated = usage.workingSegments > rows.length;
        this.notify(WorkingSetNotification, { mode: 'full', now, rows: rows.map(rowOf), removed: [], total: usage.workingSegments, truncated: this.lastTruncated });
      } else {
        const working = rows.filter((m) => m.tier === 'working');
        const present = new Set(working.map((m) => m.id));
        const removed = [...(changed as Set<number>)].filter((id) => !present.has(id));
        if (working.length > 0 || removed.length > 0) {
          this.notify(WorkingSetNotification, { mode: 'delta', now, rows: working.map(rowOf), removed, total: usage.workingSegments, truncated: false });
        }
      }
    } catch (err) {
      this.changedIds = 'all';
      const { message } = toErrorView(err);
      this.opts.io.log.error(`Context GC panel: could not read the engine's state: ${message}`);
      this.notify(StateNotification, {
        status: { kind: 'error', message: `Could not read the context store: ${message}` },
        usage: null,
        tasks: null,
        undo: this.undo,
        crossProject,
      });
    }
  }

  private async search(q: SearchQuery, now: number): Promise<SearchView> {
    const e = this.opts.engine;
    const req: SearchRequest = {
      query: q.query,
      tier: 'stashed',
      limit: q.limit,
      ...(q.file ? { filePathPrefix: q.file } : {}),
      ...(q.task ? { taskId: q.task } : {}),
      ...(q.tag ? { tagsAny: [q.tag] } : {}),
      ...(q.types ? { types: q.types } : {}),
      ...(q.withinMs !== undefined ? { touchedAfter: now - q.withinMs } : {}),
    };
    if (q.crossProject) {
      if (!this.opts.crossProjectSearch) return { status: 'unavailable', query: q.query, message: CROSS_PROJECT_UNAVAILABLE };
      const r = await this.opts.crossProjectSearch(req);
      return { status: 'ok', query: q.query, hits: r.hits, total: r.total, tokens: r.hits.reduce((s, h) => s + h.tokens, 0), tookMs: r.tookMs, corrections: [], partial: false };
    }
    const r = await e.search(req);
    return {
      status: 'ok',
      query: q.query,
      hits: r.hits.map((h) => hitOf(h, r.project)),
      total: r.total,
      tokens: r.tokens,
      tookMs: r.tookMs,
      corrections: r.corrections.slice(0, 50).map((c) => ({ term: c.term, variants: c.variants.slice(0, 50) })),
      partial: r.partial,
    };
  }
}
