// The webview's side of the protocol: sends typed requests and commands to the host, settles requests from
// the host's responses, and hands validated notifications to their handlers.
//
// Every inbound message is checked with the protocol's own schemas before anything uses it. A malformed
// one (bad envelope, unknown notification, params or result failing the schema) is dropped, counted, and
// reported to the host's log through the `log` command; a response that fails its schema rejects the
// request it answers. Nothing inbound can throw out of here.

import {
  envelopeError,
  LogCommand,
  type CommandType,
  type NotificationType,
  type RequestType,
} from '../protocol/webview';
import type { Schema } from '../protocol/schema';

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

/** A request the host refused or could not do; `reason` is the engine's (or `invalid_message`, `timeout`). */
export class HostError extends Error {
  override readonly name = 'HostError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  method: string;
  result: Schema<unknown>;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class HostConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, { params: Schema<unknown>; fn: (p: unknown) => void }>();
  /** Inbound messages rejected as malformed (tests read it through the host's log too). */
  rejected = 0;
  /** How long the last notification of each method took to validate and handle, in ms (tests report it). */
  readonly timings = new Map<string, number>();

  constructor(
    private readonly api: VsCodeApi,
    private readonly timeoutMs = 60_000,
  ) {}

  /** Starts listening to the host's messages (`window` in the webview). */
  listen(target: Pick<Window, 'addEventListener'>): void {
    target.addEventListener('message', (ev: Event) => this.receive((ev as MessageEvent).data));
  }

  request<M extends string, P, R>(d: RequestType<M, P, R>, params: P): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HostError('timeout', `The extension did not answer ${d.method} within ${Math.round(this.timeoutMs / 1000)} s. Try again, or reload the window.`));
      }, this.timeoutMs);
      this.pending.set(id, { method: d.method, result: d.result as Schema<unknown>, resolve: resolve as (v: unknown) => void, reject, timer });
      this.api.postMessage({ kind: 'request', id, method: d.method, params });
    });
  }

  command<M extends string, P>(d: CommandType<M, P>, params: P): void {
    this.api.postMessage({ kind: 'command', method: d.method, params });
  }

  onNotification<M extends string, P>(d: NotificationType<M, P>, fn: (params: P) => void): void {
    this.handlers.set(d.method, { params: d.params as Schema<unknown>, fn: fn as (p: unknown) => void });
  }

  receive(msg: unknown): void {
    const bad = envelopeError(msg, ['response', 'notification']);
    if (bad !== null) return this.reject(bad);
    const m = msg as { kind: 'response' | 'notification'; id?: number; ok?: boolean; result?: unknown; error?: { reason: string; message: string }; method?: string; params?: unknown };
    if (m.kind === 'response') {
      const p = this.pending.get(m.id!);
      if (!p) return this.reject(`response to unknown request ${m.id}`);
      this.pending.delete(m.id!);
      clearTimeout(p.timer);
      if (m.ok === false) return p.reject(new HostError(m.error!.reason, m.error!.message));
      const err = p.result(m.result, 'result');
      if (err !== null) {
        this.reject(`${p.method}: ${err}`);
        return p.reject(new HostError('invalid_message', `The extension's answer to ${p.method} was malformed: ${err}`));
      }
      return p.resolve(m.result);
    }
    const t0 = performance.now();
    const h = this.handlers.get(m.method!);
    if (!h) return this.reject(`unknown notification ${JSON.stringify(String(m.method).slice(0, 80))}`);
    const err = h.params(m.params, `${m.method}.params`);
    if (err !== null) return this.reject(err);
    try {
      h.fn(m.params);
    } catch (e) {
      this.report('error', `Handling ${m.method} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.timings.set(m.method!, performance.now() - t0);
  }

  private reject(problem: string): void {
    this.rejected++;
    this.report('warn', `Rejected a malformed message from the host: ${problem}`);
  }

  private report(level: 'warn' | 'error', message: string): void {
    console.warn(`Context GC panel: ${message}`);
    try {
      this.command(LogCommand, { level, message: message.slice(0, 4000) });
    } catch {
      // The host is gone; the console has it.
    }
  }
}
