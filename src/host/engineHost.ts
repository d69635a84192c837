// The engine's life in the extension host: starts the worker thread that owns the store (in the background,
// so activation is registration only), shows a progress notification when opening takes more than a
// moment, makes every caller wait for the store, reports a store that cannot open (locked by another
// window, damaged) with a Retry, restarts a worker that stopped, and closes the store on deactivate.
//
// One store per workspace (VS Code's workspace storage, `context.storageUri`, is per folder set). A window
// with no folder uses a store in the global storage and says so.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { ContextGcError } from '../engine/model';
import type { ChangeResult } from '../engine/engine';
import type { EngineApi } from '../protocol/engineApi';
import type { HostSettings } from './config';
import { locateStore, moveLegacySearchIndex, type StoreLocation } from './storeFolders';
import { EngineClient, WorkerError } from './rpc/client';
import type { ArgsOf, InitResult, Method, ProgressEvent, ResultOf, Totals } from './rpc/protocol';

export type HostPhase = 'stopped' | 'starting' | 'ready' | 'failed';

/** Where this window's store lives. */
export function storeLocation(ctx: vscode.ExtensionContext): StoreLocation {
  return locateStore(ctx.storageUri?.fsPath ?? null, ctx.globalStorageUri.fsPath);
}

export const NO_FOLDER_MESSAGE =
  'Context GC: no folder is open, so this window keeps its context in Context GC\'s global storage (shared by windows without a folder). Open a folder to keep a separate context per project.';

/**
 * How long the store may take to open before a progress notification appears. Starting the worker and
 * opening a small store takes ~0.8 s (measured in code-server), which the status bar's spinner covers.
 */
const PROGRESS_AFTER_MS = 1500;

export class EngineHost implements vscode.Disposable {
  private client: EngineClient | undefined;
  private stopping = false;
  private restarting: Promise<void> | undefined;
  private stopPromise: { client: EngineClient; done: Promise<void> } | undefined;
  private progressReport: ((p: ProgressEvent) => void) | undefined;
  phase: HostPhase = 'stopped';
  error: Error | undefined;
  totals: Totals | undefined;
  info: InitResult | undefined;
  location: StoreLocation;
  /** Milliseconds from start() to the store being open, as the host saw it. */
  readyMs: number | undefined;

  private readonly changeEmitter = new vscode.EventEmitter<ChangeResult>();
  private readonly totalsEmitter = new vscode.EventEmitter<Totals>();
  private readonly phaseEmitter = new vscode.EventEmitter<HostPhase>();
  readonly onDidChange = this.changeEmitter.event;
  readonly onDidChangeTotals = this.totalsEmitter.event;
  readonly onDidChangePhase = this.phaseEmitter.event;

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly settings: () => HostSettings,
  ) {
    this.location = storeLocation(ctx);
  }

  /** Starts the worker and opens the store; resolves when open (undefined when it failed: see `error`). */
  start(): Promise<InitResult | undefined> {
    if (this.client && !this.client.isStopped) throw new Error('The engine is already running.');
    const t0 = performance.now();
    this.stopping = false;
    this.error = undefined;
    this.setPhase('starting');
    const script = path.join(this.ctx.extensionUri.fsPath, 'dist', 'engineWorker.js');
    const client = new EngineClient(new Worker(script, { name: 'context-gc-engine' }), {
      onChange: (c) => {
        if (this.totals) this.setTotals({ ...this.totals, workingTokens: c.workingTokens, workingSegments: c.workingSegments, percent: c.percent });
        this.changeEmitter.fire(c);
      },
      onTotals: (t) => this.setTotals(t),
      onProgress: (p) => this.progressReport?.(p),
      onLog: (l) => this.log[l.level](l.message),
      onCall: (method, ms, err) => {
        if (err) this.log.debug(`engine ${method} failed after ${ms.toFixed(1)} ms: ${err.message}`);
        else if (ms > 250) this.log.info(`engine ${method} took ${ms.toFixed(0)} ms`);
        else this.log.trace(`engine ${method} ${ms.toFixed(1)} ms`);
      },
      onExit: (err) => {
        if (this.stopping || client !== this.client) return;
        this.fail(err, 'Context GC\'s engine stopped unexpectedly.');
      },
    });
    this.client = client;
    const s = this.settings();
    const moved = moveLegacySearchIndex(this.location);
    if (moved) this.log.info(moved);
    const ready = client.start({
      storeDir: this.location.dir,
      searchDir: this.location.searchDir,
      encoding: s.encoding,
      settings: { budget: s.tokenBudget, thresholds: s.thresholds, recentMessages: s.recentMessages },
      project: vscode.workspace.name ?? 'no-folder',
      purpose: `VS Code window (${vscode.env.appName}, pid ${process.pid})`,
    });
    const timer = setTimeout(() => this.showOpening(ready), PROGRESS_AFTER_MS);
    return ready.then(
      (info) => {
        clearTimeout(timer);
        if (client !== this.client) return undefined;
        this.info = info;
        this.readyMs = Math.round(performance.now() - t0);
        this.log.info(`Store ready: ${info.storeKind} at ${info.storeDir ?? '(memory)'}, ${info.segments} segments; opened in ${info.openMs} ms in the worker, ${this.readyMs} ms from start.`);
        this.setTotals(info.totals);
        this.setPhase('ready');
        return info;
      },
      (err: Error) => {
        clearTimeout(timer);
        if (client === this.client) this.fail(err, 'Context GC could not open the context store.');
        return undefined;
      },
    );
  }

  private showOpening(ready: Promise<unknown>): void {
    if (this.phase !== 'starting') return;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Context GC: opening the context store…' },
      () => ready.catch(() => undefined),
    );
  }

  private fail(err: Error, headline: string): void {
    this.error = err;
    this.setPhase('failed');
    this.log.error(`${headline} ${err.message}${err instanceof WorkerError && err.workerStack ? `\n${err.workerStack}` : ''}`);
    const retry = ContextGcError.is(err, 'store_locked') || err instanceof WorkerError ? 'Retry' : undefined;
    const buttons = [...(retry ? [retry] : []), 'Show Log'];
    void vscode.window.showErrorMessage(`${headline} ${err.message}`, ...buttons).then((pick) => {
      if (pick === 'Retry') void this.restart();
      else if (pick === 'Show Log') this.log.show();
    });
  }

  private setPhase(phase: HostPhase): void {
    this.phase = phase;
    this.phaseEmitter.fire(phase);
  }

  private setTotals(t: Totals): void {
    this.totals = t;
    this.totalsEmitter.fire(t);
  }

  /** The latest totals (zeros before the store is open). */
  currentTotals(): Totals {
    const s = this.settings();
    return this.totals ?? { workingTokens: 0, workingSegments: 0, percent: 0, budget: s.tokenBudget };
  }

  /** The client once the store is open; rejects with the reason it could not open. */
  async api(): Promise<EngineClient> {
    // During a restart, wait for the new worker rather than use the closing one.
    while (this.restarting) await this.restarting;
    const client = this.client;
    if (!client) throw new ContextGcError('store_closed', 'Context GC is not running.');
    if (this.phase === 'failed' && this.error) throw this.error;
    await client.ready;
    if (client.isStopped) throw this.error ?? new ContextGcError('store_closed', 'Context GC is not running.');
    return client;
  }

  /** The engine's API (each call waits for the store). */
  async engine(): Promise<EngineApi> {
    return (await this.api()).engine;
  }

  async call<M extends Method>(method: M, ...args: ArgsOf<M>): Promise<ResultOf<M>> {
    return (await this.api()).call(method, ...args);
  }

  /**
   * Runs `task` with a progress notification fed by the worker's progress events (bulk recounts).
   */
  async withProgress<T>(title: string, task: () => Promise<T>): Promise<T> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, async (progress) => {
      let last = 0;
      this.progressReport = (p) => {
        const pct = p.total > 0 ? (p.done / p.total) * 100 : 0;
        progress.report({ message: `${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')}`, increment: pct - last });
        last = pct;
      };
      try {
        return await task();
      } finally {
        this.progressReport = undefined;
      }
    });
  }

  /** Closes the store (durable, lock released) and stops the worker. Safe to call twice (deactivate, dispose). */
  stop(): Promise<void> {
    const client = this.client;
    if (!client) return Promise.resolve();
    if (this.stopPromise?.client === client) return this.stopPromise.done;
    this.stopping = true;
    const t0 = performance.now();
    const done = client.close(8000).then(() => {
      this.log.info(`Store closed in ${Math.round(performance.now() - t0)} ms.`);
      if (this.client === client) {
        this.client = undefined;
        this.setPhase('stopped');
      }
    });
    this.stopPromise = { client, done };
    return done;
  }

  /** Closes and reopens the store from disk in a new worker. */
  async restart(): Promise<InitResult | undefined> {
    const done = (async () => {
      await this.stop();
      return this.start();
    })();
    this.restarting = done.then(() => undefined);
    try {
      return await done;
    } finally {
      this.restarting = undefined;
    }
  }

  dispose(): void {
    void this.stop();
    this.changeEmitter.dispose();
    this.totalsEmitter.dispose();
    this.phaseEmitter.dispose();
  }
}
