// The host's side of the engine worker: a small typed RPC client. Each call gets a request id; the
// worker's response settles it, with ContextGcError (same reason, message, details) for engine errors
// and WorkerError for bugs or a worker that stopped. Calls made before the store is open wait for it.
// Events the worker pushes (changes, totals, progress, log lines) go to the handlers given.
// No vscode import: the Node unit tests run it against a real worker thread.

import { ContextGcError, type ErrorReason } from '../../engine/model';
import type { ChangeResult } from '../../engine/engine';
import { ENGINE_METHODS, type EngineApi } from '../../protocol/engineApi';
import {
  isWorkerMessage,
  type ArgsOf,
  type InitOptions,
  type InitResult,
  type LogEvent,
  type Method,
  type ProgressEvent,
  type RequestMessage,
  type ResultOf,
  type Totals,
  type WireError,
} from './protocol';

/** A failure that is not the engine refusing something: a bug in the worker, or the worker gone. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
  constructor(
    readonly reason: 'internal' | 'worker_exited',
    message: string,
    readonly workerStack?: string,
  ) {
    super(message);
  }
}

/** The part of worker_threads.Worker the client uses (a MessagePort pair works too, in tests). */
export interface WorkerLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<number> | Promise<void> | void;
}

export interface ClientEvents {
  onChange?(change: ChangeResult): void;
  onTotals?(totals: Totals): void;
  onProgress?(progress: ProgressEvent): void;
  onLog?(log: LogEvent): void;
  /** Every settled call, with its duration (for the trace log). */
  onCall?(method: Method, ms: number, error?: Error): void;
  /** The worker stopped (crash or terminate); every pending and later call fails with `error`. */
  onExit?(error: WorkerError): void;
}

interface Pending {
  method: Method;
  t0: number;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export function fromWireError(e: WireError): Error {
  if (e.reason === 'internal') return new WorkerError('internal', e.message, e.stack);
  return new ContextGcError(e.reason as ErrorReason, e.message, e.details);
}

export class EngineClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private started = false;
  private readonly readyPromise: Promise<InitResult>;
  private readonly settleReady: { resolve(r: InitResult): void; reject(err: Error): void };
  private initResult: InitResult | undefined;
  private stopped: WorkerError | undefined;
  private closing = false;
  /** The engine's whole API, each call forwarded to the worker (waits for the store to be open). */
  readonly engine: EngineApi;

  constructor(
    private readonly worker: WorkerLike,
    private readonly events: ClientEvents = {},
  ) {
    worker.on('message', (m) => this.onMessage(m));
    worker.on('error', (err) => this.stop(new WorkerError('worker_exited', `The Context GC engine stopped after an error: ${err.message}`, err.stack)));
    worker.on('exit', (code) => this.stop(new WorkerError('worker_exited', this.closing ? 'The Context GC engine is closed.' : `The Context GC engine stopped unexpectedly (exit code ${code}).`)));
    let settle: EngineClient['settleReady'] | undefined;
    this.readyPromise = new Promise<InitResult>((resolve, reject) => (settle = { resolve, reject }));
    this.readyPromise.catch(() => undefined); // observed through calls; never an unhandled rejection
    this.settleReady = settle!;
    const api: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const m of ENGINE_METHODS) api[m] = (...args: unknown[]) => this.callUnchecked(m, args);
    this.engine = api as unknown as EngineApi;
  }

  /** Opens the store in the worker. Every other call (even one made before this) waits for it, and fails if it fails. */
  start(opts: InitOptions): Promise<InitResult> {
    if (this.started) throw new Error('EngineClient.start called twice');
    this.started = true;
    const init = this.send('init', [opts]) as Promise<InitResult>;
    init.then(
      (r) => {
        this.initResult = r;
        this.settleReady.resolve(r);
      },
      (err: Error) => this.settleReady.reject(err),
    );
    return init;
  }

  /** Resolves when the store is open (rejects with why it could not open). */
  get ready(): Promise<InitResult> {
    return this.readyPromise;
  }

  /** Set once the store is open. */
  get info(): InitResult | undefined {
    return this.initResult;
  }

  get isStopped(): boolean {
    return this.stopped !== undefined;
  }

  call<M extends Method>(method: M, ...args: ArgsOf<M>): Promise<ResultOf<M>> {
    return this.callUnchecked(method, args) as Promise<ResultOf<M>>;
  }

  private async callUnchecked(method: Method, args: readonly unknown[]): Promise<unknown> {
    if (method !== 'init') await this.ready;
    return this.send(method, args);
  }

  private send(method: Method, args: readonly unknown[]): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    // Functions (setEncoding's progress callback) cannot cross threads; progress arrives as events.
    const clean = args.map((a) => (typeof a === 'function' ? undefined : a));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, t0: performance.now(), resolve, reject });
      const msg: RequestMessage = { kind: 'request', id, method, args: clean };
      try {
        this.worker.postMessage(msg);
      } catch (err) {
        this.pending.delete(id);
        reject(new ContextGcError('invalid_argument', `Cannot send ${method} to the engine: ${(err as Error).message}`));
      }
    });
  }

  private onMessage(m: unknown): void {
    if (!isWorkerMessage(m)) return;
    if (m.kind === 'event') {
      if (m.name === 'change') this.events.onChange?.(m.data);
      else if (m.name === 'totals') this.events.onTotals?.(m.data);
      else if (m.name === 'progress') this.events.onProgress?.(m.data);
      else if (m.name === 'log') this.events.onLog?.(m.data);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    const ms = performance.now() - p.t0;
    if (m.ok) {
      this.events.onCall?.(p.method, ms);
      p.resolve(m.result);
    } else {
      const err = fromWireError(m.error);
      this.events.onCall?.(p.method, ms, err);
      p.reject(err);
    }
  }

  private stop(err: WorkerError): void {
    if (this.stopped) return;
    this.stopped = err;
    this.settleReady.reject(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.events.onExit?.(err);
  }

  /** Closes the store (durable, lock released) and ends the worker; gives up waiting after `timeoutMs`. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.stopped) return;
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      if (this.started) {
        // A store still opening is waited for, then closed: a worker ended while holding the lock would
        // leave it naming this (living) process, and the next open would find the store locked.
        const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
        const closed = this.readyPromise.then(() => this.send('close', [])).catch(() => undefined);
        await Promise.race([closed, deadline]);
      }
    } finally {
      clearTimeout(timer);
      await this.worker.terminate();
      this.stop(new WorkerError('worker_exited', 'The Context GC engine is closed.'));
    }
  }
}
