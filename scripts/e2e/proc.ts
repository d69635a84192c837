// Child processes for the e2e harness: every command runs in its own process group with a deadline, so a
// hung build, packager or server can be killed whole (children included) and cannot eat CI's time budget.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the whole process group after this long. */
  timeoutMs: number;
  /** Append stdout and stderr here (the output is also returned). */
  logFile?: string;
}

export interface RunResult {
  code: number | null;
  output: string;
  timedOut: boolean;
  ms: number;
}

/** Sends `signal` to the process group led by `pid`; a group already gone is not an error. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already exited
  }
}

/** True while any process of the group led by `pid` is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL whatever of the group is still there after `graceMs`. */
export async function stopGroup(pid: number | undefined, graceMs = 3000): Promise<void> {
  if (pid === undefined) return;
  killGroup(pid, 'SIGTERM');
  const end = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < end) await sleep(100);
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts `cmd` as the leader of a new process group (stdin closed). */
export function spawnGroup(cmd: string, args: string[], opts: Omit<RunOptions, 'timeoutMs'>): ChildProcess {
  return spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a command to completion or to its deadline, whichever comes first. Never rejects. */
export function run(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawnGroup(cmd, args, opts);
    const chunks: Buffer[] = [];
    const log = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
    log?.write(`$ ${cmd} ${args.join(' ')}\n`);
    const collect = (b: Buffer): void => {
      chunks.push(b);
      log?.write(b);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void stopGroup(child.pid, 2000);
    }, opts.timeoutMs);
    const finish = (code: number | null, extra = ''): void => {
      clearTimeout(timer);
      log?.end();
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') + extra, timedOut, ms: Date.now() - t0 });
    };
    child.on('error', (e) => finish(null, `\n${cmd}: ${e.message}\n`));
    child.on('close', (code) => finish(timedOut ? null : code));
  });
}

/** The last `n` lines of a text, for failure reports. */
export function tail(text: string, n = 30): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
