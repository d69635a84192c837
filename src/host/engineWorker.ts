// The engine worker thread (bundled as dist/engineWorker.js): owns the ContextEngine and its store so the
// extension host's event loop never runs store open, snapshots, bulk ingest or bulk token counting.
// Requests are handled one at a time, in arrival order (a file's bind and its stash cannot interleave);
// each gets exactly one response, and errors keep their ContextGcError reason.

import { parentPort } from 'node:worker_threads';
import { ContextGcError } from '../engine/model';
import { isRequestMessage, type RequestMessage, type WireError, type WorkerMessage } from './rpc/protocol';
import { EngineService } from './worker/service';

export function toWireError(err: unknown): WireError {
  if (ContextGcError.is(err)) return { reason: err.reason, message: err.message, details: err.details };
  const e = err instanceof Error ? err : new Error(String(err));
  return { reason: 'internal', message: e.message, stack: e.stack };
}

/** Serves requests from `port` until it closes. Exported so tests can run it on a MessageChannel. */
export function serve(port: { postMessage(m: WorkerMessage): void; on(ev: 'message', fn: (m: unknown) => void): void }): EngineService {
  const service = new EngineService((event) => port.postMessage(event));
  let queue: Promise<void> = Promise.resolve();
  const handle = async (m: RequestMessage): Promise<void> => {
    let reply: WorkerMessage;
    try {
      reply = { kind: 'response', id: m.id, ok: true, result: await service.dispatch(m.method, m.args) };
    } catch (err) {
      reply = { kind: 'response', id: m.id, ok: false, error: toWireError(err) };
    }
    // Events first: when the caller sees the answer, it has already seen the totals it led to.
    service.afterRequest();
    try {
      port.postMessage(reply);
    } catch (err) {
      // A result that cannot be cloned is a bug in the worker; the caller still gets an answer.
      port.postMessage({ kind: 'response', id: m.id, ok: false, error: toWireError(err) });
    }
    if (m.method === 'init' && reply.ok) {
      queue = queue
        .then(() => service.warmUp())
        .catch((err: Error) => port.postMessage({ kind: 'event', name: 'log', data: { level: 'error', message: `warm-up failed: ${err.message}` } }))
        .then(() => service.afterRequest());
    }
  };
  port.on('message', (m) => {
    if (isRequestMessage(m)) {
      queue = queue.then(() => handle(m));
      return;
    }
    // A request we cannot serve still gets its answer, so the caller does not wait forever.
    const id = (m as { id?: unknown } | null)?.id;
    if (typeof id === 'number') {
      const method = JSON.stringify((m as { method?: unknown }).method);
      port.postMessage({ kind: 'response', id, ok: false, error: { reason: 'invalid_argument', message: `Unknown engine worker method ${method}.` } });
    }
  });
  return service;
}

if (parentPort) serve(parentPort);
