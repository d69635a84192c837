// The single-writer lock of a store: `store.lock` in the store directory, created with O_EXCL, holding
// who owns it ({pid, hostname, purpose, startedAt, token}). A second writer fails fast with a message
// naming the owner, or waits for it up to a timeout when asked. A lock left by a process that died
// (same host, pid no longer running) is recovered: broken under a short-lived `store.lock.break` guard
// so two processes recovering at once cannot both win.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextGcError } from '../model';

export const LOCK_FILE = 'store.lock';
const BREAK_FILE = 'store.lock.break';
/** A lock file that is still empty or unreadable after this long was left by a crash mid-create. */
const UNREADABLE_STALE_MS = 5000;
/** A break guard older than this was left by a process that died while recovering a lock. */
const BREAK_STALE_MS = 10_000;
const POLL_MS = 50;

export interface LockOwner {
  pid: number;
  hostname: string;
  /** What holds the store: "VS Code window", "cli", "mcp", ... */
  purpose: string;
  /** Epoch ms. */
  startedAt: number;
  /** Random; tells this lock from a later one with the same pid. */
  token: string;
  /**
   * When the holding process started (epoch ms). With the pid it names the process: a lock with our pid
   * but another start time was left by an earlier process the pid was recycled from (stale), while one
   * with our start time belongs to another thread of this process (live, not ours to break).
   */
  processStart?: number;
  /**
   * Linux: when the holding process started, in clock ticks since boot (/proc/<pid>/stat). Pids wrap at
   * 32,768 there, fast on a busy machine: a lock whose pid now names a process that started at another
   * tick was left by a process that is gone (stale), however alive the pid looks.
   */
  startTicks?: number;
}

/** A process as Linux's /proc shows it (state letter, start in clock ticks since boot); undefined elsewhere or when it is gone. */
export function procStat(pid: number): { state: string; startTicks: number } | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses; field 22 is the start time.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  return fields[0] && Number.isFinite(startTicks) ? { state: fields[0], startTicks } : undefined;
}

const START_TICKS = procStat(process.pid)?.startTicks;

/** This process's start time, the same in every thread of it. */
const PROCESS_START = Math.round(Date.now() - process.uptime() * 1000);
/** Start times computed in two threads differ by clock reads; a recycled pid's process started long before. */
const START_TOLERANCE_MS = 1000;

export interface LockOptions {
  purpose?: string;
  /** Wait up to this long for the lock to be released (0: fail at once). */
  waitMs?: number;
  /** Epoch ms written as startedAt (tests pass a fixed clock). */
  now?: () => number;
}

/** Lock files this thread holds (for locks written before processStart existed: our pid, not held here = stale). */
const heldHere = new Set<string>();

export class StoreLock {
  private released = false;
  private constructor(
    readonly file: string,
    readonly owner: LockOwner,
  ) {}

  /** Takes the lock of `dir` or throws ContextGcError('store_locked'). */
  static async acquire(dir: string, opts: LockOptions = {}): Promise<StoreLock> {
    const file = path.join(dir, LOCK_FILE);
    const now = opts.now ?? Date.now;
    const owner: LockOwner = {
      pid: process.pid,
      hostname: os.hostname(),
      purpose: opts.purpose ?? 'a Context GC process',
      startedAt: now(),
      token: Math.random().toString(36).slice(2) + Date.now().toString(36),
      processStart: PROCESS_START,
      ...(START_TICKS !== undefined ? { startTicks: START_TICKS } : {}),
    };
    const deadline = Date.now() + (opts.waitMs ?? 0);
    for (;;) {
      if (tryCreate(file, owner)) {
        heldHere.add(file);
        return new StoreLock(file, owner);
      }
      const current = readOwner(file);
      if (current === 'gone') continue;
      if (isStale(file, current) && breakLock(dir, file, current)) continue;
      if (Date.now() >= deadline) throw lockedError(dir, current);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.file);
    const current = readOwner(this.file);
    if (current !== 'gone' && current !== 'unreadable' && current.token === this.owner.token) fs.rmSync(this.file, { force: true });
  }
}

/** Who holds the lock of `dir`, if anyone (for status displays). */
export function lockOwner(dir: string): LockOwner | undefined {
  const o = readOwner(path.join(dir, LOCK_FILE));
  return o === 'gone' || o === 'unreadable' ? undefined : o;
}

export function lockedError(dir: string, owner: LockOwner | 'unreadable'): ContextGcError {
  if (owner === 'unreadable') {
    return new ContextGcError('store_locked', `The store at ${dir} is being locked by another process right now. ` +
      'Try again in a moment.', { dir });
  }
  const host = owner.hostname === os.hostname() ? '' : ` on ${owner.hostname}`;
  return new ContextGcError('store_locked',
    `The store at ${dir} is in use by ${owner.purpose} (pid ${owner.pid}${host}, since ${new Date(owner.startedAt).toISOString()}). ` +
    'Only one process can write to a store: close that window or process, or open the store read-only to search it.',
    { dir, owner });
}

function tryCreate(file: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ContextGcError('io_error', `Cannot create the lock file ${file}: ${(err as Error).message}`);
  }
  try {
    fs.writeSync(fd, JSON.stringify(owner));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function readOwner(file: string): LockOwner | 'gone' | 'unreadable' {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const o = JSON.parse(raw) as LockOwner;
    if (typeof o.pid === 'number' && typeof o.token === 'string') return o;
  } catch {
    // fall through
  }
  return 'unreadable';
}

/** Is process `pid` on this host still running (EPERM: running, owned by someone else)? */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(file: string, owner: LockOwner | 'unreadable'): boolean {
  if (owner === 'unreadable') {
    try {
      return Date.now() - fs.statSync(file).mtimeMs > UNREADABLE_STALE_MS;
    } catch {
      return false;
    }
  }
  if (owner.hostname !== os.hostname()) return false;
  if (owner.pid === process.pid) {
    if (heldHere.has(file)) return false;
    return typeof owner.processStart === 'number' ? Math.abs(owner.processStart - PROCESS_START) > START_TOLERANCE_MS : true;
  }
  if (!pidAlive(owner.pid)) return true;
  // The pid exists: the holder, a holder killed but not yet reaped (a zombie holds nothing), or a later
  // process the pid was recycled to.
  const now = procStat(owner.pid);
  if (now === undefined) return false;
  return now.state === 'Z' || (typeof owner.startTicks === 'number' && now.startTicks !== owner.startTicks);
}

/** Removes a stale lock, unless someone else is already doing so or it changed meanwhile. */
function breakLock(dir: string, file: string, seen: LockOwner | 'unreadable'): boolean {
  const guard = path.join(dir, BREAK_FILE);
  let fd: number;
  try {
    fd = fs.openSync(guard, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > BREAK_STALE_MS) fs.rmSync(guard, { force: true });
    } catch {
      // the other breaker finished
    }
    return false;
  }
  fs.closeSync(fd);
  try {
    const now = readOwner(file);
    const same = now === 'unreadable' ? seen === 'unreadable' : now !== 'gone' && seen !== 'unreadable' && now.token === seen.token;
    if (same) fs.rmSync(file, { force: true });
    return true;
  } finally {
    fs.rmSync(guard, { force: true });
  }
}
