// How a process finds the engine of the process that owns a store. The owner (the extension's engine
// worker, or an MCP server that opened the store itself) serves its engine on a local socket and records
// the socket in `store.endpoint.json`, next to `store.lock`. Another process that finds the store locked
// reads the endpoint, checks that it belongs to the lock's holder (same pid), and forwards its calls.
//
// The socket lives in a private directory, `<tmpdir>/context-gc-<uid>` (mode 0700, refused if another
// user owns it), named after a hash of the store path and the owner's pid, because unix socket paths
// are limited to ~104 bytes and store paths under VS Code's storage are long. The socket itself is 0600.
// On Windows it is a named pipe. Pure node: no vscode.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextGcError } from '../engine/model';
import { lockOwner, pidAlive, type LockOwner } from '../engine/store/lock';
import type { EngineApi } from '../protocol/engineApi';
import { serveEngineSocket, SOCKET_PROTOCOL, type EngineSocketServer } from './engineSocket';

export const ENDPOINT_FILE = 'store.endpoint.json';

export interface Endpoint {
  /** The socket (or pipe) path to connect to. */
  socket: string;
  pid: number;
  /** Who serves: "VS Code window", "MCP server", ... (as in the lock). */
  purpose: string;
  startedAt: number;
  protocol: number;
}

function storeKey(storeDir: string): string {
  return crypto.createHash('sha256').update(path.resolve(storeDir)).digest('hex').slice(0, 16);
}

/** The private directory sockets live in; created 0700, refused when someone else owns it. */
export function socketDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = path.join(os.tmpdir(), `context-gc-${uid}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || (typeof process.getuid === 'function' && st.uid !== process.getuid())) {
    throw new ContextGcError('io_error', `${dir} is not a directory owned by this user; remove it so Context GC can keep its sockets private.`);
  }
  if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  return dir;
}

/** Where the owner of `storeDir` with this pid serves its engine. */
export function socketPathFor(storeDir: string, pid = process.pid): string {
  if (process.platform === 'win32') return `\\\\.\\pipe\\context-gc-${storeKey(storeDir)}-${pid}`;
  return path.join(socketDir(), `${storeKey(storeDir)}-${pid}.sock`);
}

export function readEndpoint(storeDir: string): Endpoint | undefined {
  try {
    const e = JSON.parse(fs.readFileSync(path.join(storeDir, ENDPOINT_FILE), 'utf8')) as Endpoint;
    return typeof e.socket === 'string' && typeof e.pid === 'number' ? e : undefined;
  } catch {
    return undefined;
  }
}

function writeEndpoint(storeDir: string, e: Endpoint): void {
  const file = path.join(storeDir, ENDPOINT_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(e));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function removeEndpoint(storeDir: string, e: Endpoint): void {
  const now = readEndpoint(storeDir);
  if (now && now.pid === e.pid && now.socket === e.socket) fs.rmSync(path.join(storeDir, ENDPOINT_FILE), { force: true });
}

/** The endpoint of the process holding `storeDir`'s lock, if that process publishes one. */
export function ownerEndpoint(storeDir: string): { owner: LockOwner | undefined; endpoint: Endpoint | undefined } {
  const owner = lockOwner(storeDir);
  const endpoint = readEndpoint(storeDir);
  return { owner, endpoint: owner && endpoint && endpoint.pid === owner.pid && endpoint.protocol === SOCKET_PROTOCOL ? endpoint : undefined };
}

/** Sockets of this store left by owners that died without closing (a killed process leaves its socket file). */
function removeDeadSockets(storeDir: string): void {
  if (process.platform === 'win32') return;
  const dir = socketDir();
  const prefix = `${storeKey(storeDir)}-`;
  for (const name of fs.readdirSync(dir)) {
    const m = name.startsWith(prefix) ? /-(\d+)\.sock$/.exec(name) : null;
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) fs.rmSync(path.join(dir, name), { force: true });
  }
}

export interface PublishedEngine {
  readonly endpoint: Endpoint;
  readonly server: EngineSocketServer;
  /** Stops serving and removes the endpoint file (call before closing the store). */
  close(): Promise<void>;
}

/**
 * Serves `api` for other processes and records where: call right after opening the store (while
 * holding its lock), and `close()` before closing it. This is what the extension's engine worker and an
 * MCP server that owns its store both call.
 */
export async function publishEngine(api: EngineApi, storeDir: string, purpose: string): Promise<PublishedEngine> {
  removeDeadSockets(storeDir);
  const socket = socketPathFor(storeDir);
  const server = await serveEngineSocket(api, socket, { purpose });
  const endpoint: Endpoint = { socket, pid: process.pid, purpose, startedAt: Date.now(), protocol: SOCKET_PROTOCOL };
  try {
    writeEndpoint(storeDir, endpoint);
  } catch (err) {
    await server.close();
    throw err;
  }
  let closed = false;
  return {
    endpoint,
    server,
    close: async () => {
      if (closed) return;
      closed = true;
      removeEndpoint(storeDir, endpoint);
      await server.close();
    },
  };
}
