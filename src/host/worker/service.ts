// What the engine worker does with each request: it owns the ContextEngine and its store, forwards engine
// calls to it, and adds the host's own operations (open the store, bind an editor's file to a segment,
// stash a closed file, a GC preview with titles, a recount with progress). No vscode import: this runs in
// a worker thread, and the Node unit tests drive it directly.

import * as fs from 'node:fs';
import { ContextEngine } from '../../engine/engine';
import { ContextGcError, ENCODINGS, type SegmentMeta } from '../../engine/model';
import { looksBinary, typeForPath } from '../../engine/ingest';
import { MemoryStore } from '../../engine/store/memory';
import { openSqliteStore } from '../../engine/store/sqlite';
import type { SegmentStore } from '../../engine/store/types';
import { preloadEncoding } from '../../engine/tokens';
import { ENGINE_METHODS, localEngineApi, type EngineMethod } from '../../protocol/engineApi';
import { publishEngine, type PublishedEngine } from '../../rpc/endpoint';
import {
  isEngineMethod,
  isHostOp,
  type BindFileRequest,
  type BindFileResult,
  type EncodingResult,
  type HostOps,
  type InitOptions,
  type InitResult,
  type PlanView,
  type StashFileResult,
  type Totals,
  type WorkerEvent,
} from '../rpc/protocol';
import type { GcRequest } from '../../engine/engine';
import type { Encoding } from '../../engine/model';

/** Tag of the one segment that holds an editor-bound file's content. */
export const FILE_TAG = 'file';

export function isFileSegment(m: Pick<SegmentMeta, 'source' | 'tags'>): boolean {
  return m.source === 'editor' && m.tags.includes(FILE_TAG);
}

/** The note a truncated file's segment ends with. */
export function truncationNote(filePath: string, keptChars: number, totalChars: number): string {
  return `[Context GC: ${filePath} is ${totalChars.toLocaleString('en-US')} characters; only the first ${keptChars.toLocaleString('en-US')} are kept here. Open the file for the rest.]`;
}

export class EngineService implements HostOps {
  private engine: ContextEngine | undefined;
  private published: PublishedEngine | undefined;
  private lastTotals = '';
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly emit: (event: WorkerEvent) => void) {}

  /** Runs one request: an engine method or a host operation. */
  async dispatch(method: string, args: unknown[]): Promise<unknown> {
    if (isHostOp(method)) {
      const op = this[method] as (...a: unknown[]) => unknown;
      return op.apply(this, args);
    }
    if (!isEngineMethod(method)) throw new ContextGcError('invalid_argument', `Unknown engine worker method ${JSON.stringify(method)}.`);
    const engine = this.requireEngine();
    if (method === 'setEncoding') return this.recount(args[0] as Encoding);
    const fn = engine[method as EngineMethod] as (...a: unknown[]) => unknown;
    return fn.apply(engine, args);
  }

  /** After each request: pushes the totals when they changed (budget changes move the percent without a change event). */
  afterRequest(): void {
    if (!this.engine) return;
    let totals: Totals;
    try {
      totals = this.engine.totals();
    } catch {
      return; // closed
    }
    const key = JSON.stringify(totals);
    if (key !== this.lastTotals) {
      this.lastTotals = key;
      this.emit({ kind: 'event', name: 'totals', data: totals });
    }
  }

  async init(opts: InitOptions): Promise<InitResult> {
    if (this.engine) throw new ContextGcError('invalid_argument', 'The engine is already open in this worker.');
    const t0 = performance.now();
    let store: SegmentStore;
    if (opts.storeDir) {
      try {
        fs.mkdirSync(opts.storeDir, { recursive: true });
      } catch (err) {
        throw new ContextGcError('io_error', `Cannot create the store directory ${opts.storeDir}: ${(err as Error).message}`);
      }
      const sqlite = await openSqliteStore(opts.storeDir, { purpose: opts.purpose });
      for (const w of sqlite.openReport.warnings) this.log('warn', `store: ${w.message}`);
      store = sqlite;
    } else {
      store = new MemoryStore();
    }
    const engine = await ContextEngine.open({
      store,
      encoding: opts.encoding,
      settings: opts.settings,
      project: opts.project,
      searchDir: opts.searchDir ?? undefined,
      onSearchProgress: (done, total) => {
        if (total !== undefined && done >= total) this.log('info', `search index built: ${total} segments`);
      },
    });
    this.engine = engine;
    this.unsubscribe.push(engine.onDidChange((change) => this.emit({ kind: 'event', name: 'change', data: change })));
    if (opts.storeDir) {
      // The lock holder serves its engine on a local socket: MCP servers for this workspace forward to it
      // instead of opening the store themselves (one writer per store).
      try {
        this.published = await publishEngine(localEngineApi(engine), opts.storeDir, opts.purpose ?? 'VS Code window');
      } catch (err) {
        this.log('warn', `MCP servers cannot share this store: ${(err as Error).message}`);
      }
    }
    const openMs = Math.round(performance.now() - t0);
    this.log('info', `store open: ${opts.storeDir ?? '(memory)'} with ${engine.table.count} segments in ${openMs} ms`);
    return {
      storeKind: opts.storeDir ? 'sqlite' : 'memory',
      storeDir: opts.storeDir,
      openMs,
      segments: engine.table.count,
      totals: engine.totals(),
      encoding: engine.encoding,
      currentTask: engine.currentTask,
    };
  }

  /**
   * Loads the encoding's token tables (~1.3 s for o200k_base) right after the store is open, so the store
   * is usable sooner and the first count does not pay for it. The worker queues this like a request.
   */
  async warmUp(): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    const t0 = performance.now();
    preloadEncoding(engine.encoding);
    this.log('info', `token tables for ${engine.encoding} loaded in ${Math.round(performance.now() - t0)} ms`);
    await this.recountStale(engine);
  }

  /**
   * Segments counted with another encoding (the setting changed while the store was closed) are counted
   * again, with progress.
   */
  private async recountStale(engine: ContextEngine): Promise<void> {
    const t = engine.table;
    const want = ENCODINGS.indexOf(engine.encoding);
    let stale = 0;
    for (let id = 1; id < t.end; id++) if (t.alive[id] === 1 && t.encoding[id] !== want) stale++;
    if (stale === 0) return;
    const target = engine.encoding;
    this.log('info', `${stale} segments were counted with another encoding; recounting them with ${target}`);
    const title = `Counting tokens with ${target}`;
    await engine.setEncoding(target, (done, total) => this.emit({ kind: 'event', name: 'progress', data: { title, done, total } }));
  }

  /**
   * Records an editor's file as one segment, or brings the existing one up to date: restored from the stash
   * when the file was closed, text replaced when it changed, touched otherwise.
   */
  async bindFile(req: BindFileRequest): Promise<BindFileResult> {
    const engine = this.requireEngine();
    const before = engine.totals().workingTokens;
    const head = new TextEncoder().encode(req.text.slice(0, 8192));
    const stashedForFile = () => engine.list({ filePath: req.filePath, tier: 'stashed' }).filter((m) => !isFileSegment(m));
    const skip = (why: string): BindFileResult => ({ action: 'skipped', skipped: why, tokenDelta: 0, stashedForFile: [], totals: engine.totals() });
    if (looksBinary(head) || req.text.includes('\u0000')) return skip('binary content');
    let text = req.text;
    if (req.truncated) {
      const cut = text.lastIndexOf('\n');
      if (cut > 0) text = text.slice(0, cut + 1);
      text += '\n' + truncationNote(req.filePath, text.length, req.totalChars);
    }
    if (text.trim() === '') return skip('empty file');
    const existing = engine.list({ filePath: req.filePath }).filter(isFileSegment);
    let action: BindFileResult['action'];
    let segment: SegmentMeta;
    if (existing.length === 0) {
      const type = typeForPath(req.filePath) === 'log' ? 'log' : 'code';
      segment = await engine.add({ type, text, filePath: req.filePath, tags: [FILE_TAG], source: 'editor' });
      action = 'added';
    } else {
      const current = existing[existing.length - 1];
      action = 'touched';
      if (current.tier === 'stashed') {
        await engine.restore([current.id]);
        action = 'restored';
      }
      const updated = await engine.updateText(current.id, text);
      if (updated.textHash !== current.textHash && action === 'touched') action = 'updated';
      segment = updated;
    }
    const offer = action === 'added' || action === 'restored' ? stashedForFile() : [];
    return { action, segment, tokenDelta: engine.totals().workingTokens - before, stashedForFile: offer, totals: engine.totals() };
  }

  /** Moves a file's working segments to the stash; pinned ones stay. */
  async stashFile(filePath: string): Promise<StashFileResult> {
    const engine = this.requireEngine();
    const working = engine.list({ filePath, tier: 'working' });
    const keptPinned = working.filter((m) => m.pinned).map((m) => m.id);
    const ids = working.filter((m) => !m.pinned).map((m) => m.id);
    const change = ids.length > 0 ? await engine.stash(ids) : undefined;
    return { filePath, stashed: change?.ids ?? [], keptPinned, tokenDelta: change?.tokenDelta ?? 0, totals: engine.totals() };
  }

  planView(req: GcRequest): PlanView {
    const engine = this.requireEngine();
    const plan = engine.planGc(req);
    const items: PlanView['items'] = {};
    for (const m of engine.metas(plan.candidates.map((c) => c.id))) items[m.id] = { title: m.title, filePath: m.filePath };
    return { plan, items };
  }

  async recount(encoding: Encoding): Promise<EncodingResult> {
    const engine = this.requireEngine();
    const t0 = performance.now();
    const title = `Counting tokens with ${encoding}`;
    const r = await engine.setEncoding(encoding, (done, total) => this.emit({ kind: 'event', name: 'progress', data: { title, done, total } }));
    return { ...r, ms: Math.round(performance.now() - t0), totals: engine.totals() };
  }


  async close(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    for (const u of this.unsubscribe.splice(0)) u();
    const published = this.published;
    this.published = undefined;
    await published?.close().catch(() => undefined);
    if (engine) await engine.close();
  }

  private requireEngine(): ContextEngine {
    if (!this.engine) throw new ContextGcError('store_closed', 'The context store is not open.');
    return this.engine;
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ kind: 'event', name: 'log', data: { level, message } });
  }
}

/** Every engine method name (re-exported for the client proxy). */
export { ENGINE_METHODS };
