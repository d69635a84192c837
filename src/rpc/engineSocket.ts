// EngineApi over a local socket, so a process that does not own a store can use the engine of the one
// that does (the single-writer rule: one process opens a store; everyone else forwards to it).
//
// Transport: a unix domain socket (a named pipe on Windows) speaking JSON lines.
//   server -> client, once on connect: {"hello": {"protocol": 1, "pid": 1234, ...}}
//   client -> server: {"id": 7, "method": "addMany", "args": [[{"text": "...", "type": "note"}]]}
//                     ("undef": [0] lists argument positions that were undefined: JSON cannot say so)
//   server -> client: {"id": 7, "result": ...}  or  {"id": 7, "error": {"reason": "not_found", "message": "...", "details": {...}}}
// Requests on one connection may complete out of order; ids pair them. ContextGcError crosses with its
// reason, message and details and is rethrown as a ContextGcError on the client. Arguments that are
// functions (setEncoding's progress callback) do not cross.
// Pure node: no vscode. The extension's engine worker serves the same socket as an MCP server that owns
// its store (see endpoint.ts for how the socket is found).

import * as fs from 'node:fs';
import * as net from 'node:net';
import { ContextGcError, type ErrorReason } from '../engine/model';
import { ENGINE_METHODS, type EngineApi, type EngineMethod } from '../protocol/engineApi';

export const SOCKET_PROTOCOL = 1;
/** A line longer than this (bytes) is refused: no call or answer of the engine comes near it. */
const MAX_LINE = 256 << 20;

const ERROR_REASONS: readonly ErrorReason[] = [
  'invalid_argument', 'invalid_type', 'invalid_tier', 'invalid_source', 'invalid_line_range', 'missing_reference', 'empty_text', 'text_too_large',
  'binary_text', 'not_found', 'confirm_required', 'pinned', 'no_task', 'store_locked', 'store_corrupt', 'store_closed', 'schema_too_new', 'io_error',
];

/** A failure of the link rather than of the engine: the owner went away, or spoke nonsense. */
export class EngineSocketError extends Error {
  override readonly name = 'EngineSocketError';
  constructor(
    readonly reason: 'disconnected' | 'protocol' | 'remote',
    message: string,
  ) {
    super(message);
  }
}

export interface Hello {
  protocol: number;
  pid: number;
  [key: string]: unknown;
}

interface WireError {
  reason: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Splits a byte stream into lines (utf8 safe: splits on the newline byte, decodes whole lines). */
function lineReader(onLine: (line: string) => void, onTooLong: () => void): (chunk: Buffer) => void {
  let parts: Buffer[] = [];
  let size = 0;
  return (chunk) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      const line = parts.length === 0 ? piece.toString('utf8') : Buffer.concat([...parts, piece]).toString('utf8');
      parts = [];
      size = 0;
      start = nl + 1;
      if (line.trim() !== '') onLine(line);
    }
    if (start < chunk.length) {
      parts.push(chunk.subarray(start));
      size += chunk.length - start;
      if (size > MAX_LINE) {
        parts = [];
        size = 0;
        onTooLong();
      }
    }
  };
}

function toWire(err: unknown): WireError {
  if (ContextGcError.is(err)) return { reason: err.reason, message: err.message, ...(err.details !== undefined && { details: err.details }) };
  return { reason: 'internal', message: err instanceof Error ? err.message : String(err) };
}

function fromWire(e: WireError): Error {
  if ((ERROR_REASONS as readonly string[]).includes(e.reason)) return new ContextGcError(e.reason as ErrorReason, e.message, e.details);
  return new EngineSocketError('remote', e.message);
}

export interface EngineSocketServer {
  readonly path: string;
  /** Open client connections. */
  connections(): number;
  /** Stops listening and drops every client (their pending calls fail with "disconnected"). */
  close(): Promise<void>;
}

/**
 * Serves `api` on `socketPath` (created mode 0600; keep it in a 0700 directory, see endpoint.ts). A
 * leftover socket file at the path is replaced: call this only while holding the store's lock.
 */
export async function serveEngineSocket(api: EngineApi, socketPath: string, hello: Record<string, unknown> = {}): Promise<EngineSocketServer> {
  const isPipe = process.platform === 'win32';
  if (!isPipe) fs.rmSync(socketPath, { force: true });
  const sockets = new Set<net.Socket>();
  const greeting = JSON.stringify({ hello: { ...hello, protocol: SOCKET_PROTOCOL, pid: process.pid } }) + '\n';
  const server = net.createServer((conn) => {
    sockets.add(conn);
    conn.on('close', () => sockets.delete(conn));
    conn.on('error', () => conn.destroy());
    const send = (msg: unknown) => {
      if (!conn.destroyed) conn.write(JSON.stringify(msg) + '\n');
    };
    conn.write(greeting);
    conn.on(
      'data',
      lineReader(
        (line) => {
          let req: { id?: unknown; method?: unknown; args?: unknown; undef?: unknown };
          try {
            req = JSON.parse(line) as typeof req;
          } catch {
            send({ id: null, error: { reason: 'protocol', message: 'A request must be one line of JSON.' } });
            return;
          }
          const id = req.id;
          if (typeof req.method !== 'string' || !(ENGINE_METHODS as readonly string[]).includes(req.method)) {
            send({ id, error: { reason: 'protocol', message: `Unknown engine method ${JSON.stringify(req.method)}.` } });
            return;
          }
          const args: unknown[] = Array.isArray(req.args) ? req.args : [];
          // JSON has no undefined: the client lists the argument positions that were undefined.
          if (Array.isArray(req.undef)) for (const i of req.undef) if (typeof i === 'number') args[i] = undefined;
          const fn = api[req.method as EngineMethod] as (...a: unknown[]) => Promise<unknown>;
          Promise.resolve()
            .then(() => fn(...args))
            .then(
              (result) => send({ id, result }),
              (err: unknown) => send({ id, error: toWire(err) }),
            );
        },
        () => conn.destroy(),
      ),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (!isPipe) fs.chmodSync(socketPath, 0o600);
  return {
    path: socketPath,
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          if (!isPipe) fs.rmSync(socketPath, { force: true });
          resolve();
        });
      }),
  };
}

export type EngineSocketClient = EngineApi & {
  readonly socketPath: string;
  /** Resolves with the server's hello once connected; rejects when the connection fails. */
  readonly ready: Promise<Hello>;
  readonly closed: boolean;
  /** Called once when the connection ends: with the error when it never worked, without when the owner went away or close(). */
  onClose(listener: (err?: Error) => void): void;
  close(): void;
};

/** A client of `serveEngineSocket`: every EngineApi method, forwarded. Connects at once. */
export function connectEngineSocket(socketPath: string): EngineSocketClient {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>();
  const closeListeners: ((err?: Error) => void)[] = [];
  let nextId = 1;
  let closed = false;
  let greeted = false;
  let resolveReady!: (h: Hello) => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<Hello>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => undefined);
  const sock = net.connect(socketPath);
  const finish = (err?: Error) => {
    if (closed) return;
    closed = true;
    const why = err ?? new EngineSocketError('disconnected', `The connection to the Context GC store owner (${socketPath}) closed.`);
    rejectReady(why);
    for (const [, p] of pending) {
      p.reject(new EngineSocketError('disconnected', `The process that owns the store went away during ${p.method}; the call may or may not have been applied.`));
    }
    pending.clear();
    for (const l of closeListeners) l(err);
  };
  sock.on('error', (err) => {
    // Before the hello this is a failure to connect; after it, just the owner going away.
    finish(greeted ? undefined : new EngineSocketError('disconnected', `Cannot reach the Context GC store owner at ${socketPath}: ${err.message}`));
    sock.destroy();
  });
  sock.on('close', () => finish());
  sock.on(
    'data',
    lineReader(
      (line) => {
        let msg: { hello?: Hello; id?: number; result?: unknown; error?: WireError };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          finish(new EngineSocketError('protocol', 'The store owner sent a line that is not JSON.'));
          sock.destroy();
          return;
        }
        if (msg.hello !== undefined) {
          greeted = true;
          if (msg.hello.protocol !== SOCKET_PROTOCOL) {
            finish(new EngineSocketError('protocol', `The store owner speaks engine-socket protocol ${msg.hello.protocol}; this process speaks ${SOCKET_PROTOCOL}. Update Context GC everywhere.`));
            sock.destroy();
            return;
          }
          resolveReady(msg.hello);
          return;
        }
        if (!greeted || typeof msg.id !== 'number') return;
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.error) p.reject(fromWire(msg.error));
        else p.resolve(msg.result);
      },
      () => {
        finish(new EngineSocketError('protocol', 'The store owner sent an answer over the size limit.'));
        sock.destroy();
      },
    ),
  );

  const callRemote = (method: EngineMethod, args: unknown[]): Promise<unknown> => {
    if (closed) return Promise.reject(new EngineSocketError('disconnected', `The connection to the Context GC store owner (${socketPath}) is closed.`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, method });
      const undef: number[] = [];
      const wire = args.map((a, i) => {
        if (a !== undefined && typeof a !== 'function') return a;
        undef.push(i);
        return null;
      });
      sock.write(JSON.stringify(undef.length > 0 ? { id, method, args: wire, undef } : { id, method, args: wire }) + '\n');
    });
  };
  const client = {
    socketPath,
    ready,
    get closed() {
      return closed;
    },
    onClose(listener: (err?: Error) => void) {
      if (closed) listener();
      else closeListeners.push(listener);
    },
    close() {
      sock.destroy();
      finish();
    },
  } as Record<string, unknown>;
  for (const m of ENGINE_METHODS) client[m] = (...args: unknown[]) => callRemote(m, args);
  return client as unknown as EngineSocketClient;
}
