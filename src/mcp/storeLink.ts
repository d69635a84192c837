// The MCP server's way to the store, honouring the single-writer rule. Whoever holds a store's lock owns
// it and serves its engine on a local socket (src/rpc/endpoint.ts); everyone else forwards to the owner:
//   - nothing holds the store: open it here (lock, journal, search index) and publish our engine;
//   - the extension or another MCP server holds it: forward every call over its socket;
//   - the holder publishes no socket (the CLI, for the length of one command): wait for it and retry;
//   - the owner goes away: the next call takes the lock here (a dead owner's lock is broken by
//     StoreLock) or finds the new owner. Reads are retried transparently; a change in flight at that
//     moment fails with a message saying it may or may not have been applied.
// Two clients never write one store file: all changes go through the one engine that owns it, where
// ids are assigned and journal records appended in one process.

import { ContextGcError } from '../engine/model';
import { ENGINE_METHODS, type EngineApi, type EngineMethod } from '../protocol/engineApi';
import { connectEngineSocket, EngineSocketError, type EngineSocketClient } from '../rpc/engineSocket';
import { ownerEndpoint, publishEngine } from '../rpc/endpoint';

export interface OpenedEngine {
  api: EngineApi;
  close(): Promise<void>;
}

export interface StoreLinkOptions {
  storeDir: string;
  /** Written in the lock and the endpoint: "MCP server (pid 1234)". */
  purpose: string;
  /** Opens the store here; must throw ContextGcError('store_locked') when another process holds it. */
  open: () => Promise<OpenedEngine>;
  /** Give up looking for a reachable owner after this long (default 30 s). */
  timeoutMs?: number;
  log?: (message: string) => void;
}

export type LinkRole = 'owner' | 'forwarder';

type State = { role: 'owner'; api: EngineApi; close(): Promise<void> } | { role: 'forwarder'; api: EngineApi; client: EngineSocketClient; close(): Promise<void> };

const READS: ReadonlySet<EngineMethod> = new Set<EngineMethod>(['get', 'getMeta', 'metas', 'list', 'has', 'usage', 'totals', 'planGc', 'lastGc', 'listTasks', 'taskContext', 'search', 'info']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class StoreLink {
  /** The engine, wherever it lives: calls wait until this process owns the store or reaches its owner. */
  readonly api: EngineApi;
  private state: State | null = null;
  private connecting: Promise<State> | null = null;
  private closed = false;

  constructor(private readonly opts: StoreLinkOptions) {
    const api = {} as Record<EngineMethod, (...args: unknown[]) => Promise<unknown>>;
    for (const m of ENGINE_METHODS) api[m] = (...args: unknown[]) => this.call(m, args);
    this.api = api as unknown as EngineApi;
  }

  /** What this process is for the store right now (null before the first call or after losing the owner). */
  get role(): LinkRole | null {
    return this.state?.role ?? null;
  }

  /** Owns or reaches the store; resolves with the role. */
  async connect(): Promise<LinkRole> {
    return (await this.ensure()).role;
  }

  async close(): Promise<void> {
    this.closed = true;
    const st = this.state ?? (this.connecting ? await this.connecting.catch(() => null) : null);
    this.state = null;
    await st?.close();
  }

  private async call(method: EngineMethod, args: unknown[]): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const st = await this.ensure();
      try {
        return await (st.api[method] as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        if (!(err instanceof EngineSocketError) || err.reason !== 'disconnected' || st.role !== 'forwarder') throw err;
        if (this.state === st) this.state = null;
        if (READS.has(method) && attempt === 0) continue;
        throw new EngineSocketError('disconnected', `${err.message} Check (e.g. with context_search) before repeating it.`);
      }
    }
  }

  private ensure(): Promise<State> {
    if (this.closed) return Promise.reject(new ContextGcError('store_closed', 'The MCP server is shutting down.'));
    if (this.state) return Promise.resolve(this.state);
    if (!this.connecting) {
      this.connecting = this.acquire().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async acquire(): Promise<State> {
    const { storeDir, purpose, log } = this.opts;
    const deadline = Date.now() + (this.opts.timeoutMs ?? 30_000);
    let waitingFor = '';
    for (;;) {
      if (this.closed) throw new ContextGcError('store_closed', 'The MCP server is shutting down.');
      try {
        const opened = await this.opts.open();
        const pub = await publishEngine(opened.api, storeDir, purpose).catch(async (err: unknown) => {
          await opened.close();
          throw err;
        });
        log?.(`owning the store at ${storeDir}; serving it on ${pub.endpoint.socket}`);
        return (this.state = { role: 'owner', api: opened.api, close: async () => {
          await pub.close();
          await opened.close();
        } });
      } catch (err) {
        if (!ContextGcError.is(err, 'store_locked')) throw err;
      }
      const { owner, endpoint } = ownerEndpoint(storeDir);
      if (endpoint) {
        const client = connectEngineSocket(endpoint.socket);
        try {
          await Promise.race([client.ready, sleep(5000).then(() => Promise.reject(new Error('no hello')))]);
          const st: State = { role: 'forwarder', api: client, client, close: async () => client.close() };
          client.onClose(() => {
            if (this.state === st) {
              this.state = null;
              log?.(`the store owner (${endpoint.purpose}, pid ${endpoint.pid}) went away`);
            }
          });
          log?.(`forwarding to ${endpoint.purpose} (pid ${endpoint.pid}) on ${endpoint.socket}`);
          return (this.state = st);
        } catch {
          client.close();
        }
      }
      if (owner) waitingFor = `${owner.purpose} (pid ${owner.pid})`;
      if (Date.now() >= deadline) {
        throw new ContextGcError(
          'store_locked',
          `The store at ${storeDir} is held by ${waitingFor || 'another process'}, which does not share it. Close it or wait until it finishes, then try again.`,
        );
      }
      await sleep(100);
    }
  }
}
