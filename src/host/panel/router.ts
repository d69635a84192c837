// Routes the webview's messages to handlers registered per protocol descriptor, and answers requests.
//
// Every inbound message is validated before a handler sees it: a malformed envelope, an unknown method or
// params that fail the descriptor's schema are logged and, when the message carries a request id, answered
// with an error response (`reason: 'invalid_message'`), never thrown. A handler's own error becomes an error
// response carrying the error's `reason` (ContextGcError and the RPC client's errors both have one) and
// message. Results are checked against the descriptor too, so a mapping bug shows up as a clear error.
// No vscode import: the browser tests drive this exact code.

import { envelopeError, requestIdOf, type CommandType, type RequestType, type ResponseMessage } from '../../protocol/webview';

export interface PanelLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

type AnyHandler = (params: unknown) => Promise<unknown> | unknown;
interface Entry {
  params: (v: unknown, at: string) => string | null;
  result?: (v: unknown, at: string) => string | null;
  fn: AnyHandler;
}

/** The error a response carries: `reason` for code, `message` for people. */
export function toErrorView(err: unknown): { reason: string; message: string } {
  if (typeof err === 'object' && err !== null) {
    const e = err as { reason?: unknown; message?: unknown };
    const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
    return { reason: typeof e.reason === 'string' ? e.reason : 'internal', message: message.slice(0, 4000) };
  }
  return { reason: 'internal', message: String(err).slice(0, 4000) };
}

export class MessageRouter {
  private readonly requests = new Map<string, Entry>();
  private readonly commands = new Map<string, Entry>();

  constructor(private readonly log: PanelLog) {}

  onRequest<M extends string, P, R>(d: RequestType<M, P, R>, fn: (params: P) => Promise<R> | R): this {
    this.requests.set(d.method, { params: d.params, result: d.result, fn: fn as AnyHandler });
    return this;
  }

  onCommand<M extends string, P>(d: CommandType<M, P>, fn: (params: P) => Promise<void> | void): this {
    this.commands.set(d.method, { params: d.params, fn: fn as AnyHandler });
    return this;
  }

  /** Handles one inbound message; resolves to the response to post (null for commands and dropped messages). */
  async handle(msg: unknown): Promise<ResponseMessage | null> {
    const bad = envelopeError(msg, ['request', 'command']);
    const reqId = requestIdOf(msg);
    if (bad !== null) return this.reject(reqId, bad);
    const m = msg as { kind: 'request' | 'command'; method: string; params?: unknown };
    const entry = (m.kind === 'request' ? this.requests : this.commands).get(m.method);
    if (!entry) return this.reject(reqId, `message.method: unknown ${m.kind} ${JSON.stringify(m.method.slice(0, 80))}`);
    const paramsError = entry.params(m.params, 'params');
    if (paramsError !== null) return this.reject(reqId, `${m.method}: ${paramsError}`);
    try {
      const result = await entry.fn(m.params);
      if (m.kind === 'command' || reqId === null) return null;
      const resultError = entry.result?.(result, 'result') ?? null;
      if (resultError !== null) {
        this.log.error(`Context GC panel: the answer to ${m.method} is malformed (${resultError}); this is a bug.`);
        return { kind: 'response', id: reqId, ok: false, error: { reason: 'internal', message: `The host built a malformed answer to ${m.method}: ${resultError}` } };
      }
      return { kind: 'response', id: reqId, ok: true, result };
    } catch (err) {
      const error = toErrorView(err);
      this.log.warn(`Context GC panel: ${m.method} failed: ${error.message}`);
      return reqId === null ? null : { kind: 'response', id: reqId, ok: false, error };
    }
  }

  private reject(reqId: number | null, problem: string): ResponseMessage | null {
    this.log.warn(`Context GC panel: rejected a malformed message from the webview: ${problem}`);
    return reqId === null ? null : { kind: 'response', id: reqId, ok: false, error: { reason: 'invalid_message', message: `Rejected a malformed message: ${problem}` } };
  }
}
