// Starts the real MCP server as a child process (node --import tsx src/mcp/server.ts, or dist/mcp.js)
// and talks to it over stdio with the official SDK client.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const REPO = path.resolve(__dirname, '..', '..');
export const SERVER_SRC = path.join(REPO, 'src', 'mcp', 'server.ts');
export const SERVER_DIST = path.join(REPO, 'dist', 'mcp.js');

export interface McpProc {
  client: Client;
  transport: StdioClientTransport;
  pid: number;
  /** stderr lines so far. */
  logs: string[];
  call(name: string, args?: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
  /** Resolves with the first stderr line matching `re` (waits up to `ms`). */
  waitForLog(re: RegExp, ms?: number): Promise<string>;
  close(): Promise<void>;
}

const running = new Set<McpProc>();

/** Closes every server still running (use in after()): a failed test must not leave processes behind. */
export async function closeAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.close().catch(() => undefined)));
}

export async function startMcp(storeDir: string, opts: { bin?: 'src' | 'dist'; args?: string[] } = {}): Promise<McpProc> {
  const args = opts.bin === 'dist' ? [SERVER_DIST] : ['--import', 'tsx', SERVER_SRC];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...args, '--store', storeDir, ...(opts.args ?? [])],
    cwd: REPO,
    env: { ...process.env } as Record<string, string>,
    stderr: 'pipe',
  });
  const logs: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  let partial = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      logs.push(line);
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const client = new Client({ name: 'context-gc-tests', version: '1.0.0' });
  await client.connect(transport);
  const proc: McpProc = {
    client,
    transport,
    pid: transport.pid ?? -1,
    logs,
    async call(name, a = {}) {
      const res = await client.callTool({ name, arguments: a });
      const content = res.content as { type: string; text: string }[];
      return { text: content.map((c) => c.text).join('\n'), isError: res.isError === true };
    },
    waitForLog(re, ms = 30_000) {
      const hit = logs.find((l) => re.test(l));
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no log line matching ${re} within ${ms} ms; logs:\n${logs.join('\n')}`)), ms);
        waiters.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
    close: async () => {
      running.delete(proc);
      await client.close();
    },
  };
  running.add(proc);
  return proc;
}

export function distBuilt(): boolean {
  return fs.existsSync(SERVER_DIST);
}

/** Runs `fn` over `items` with at most `width` in flight. */
export async function pool<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}
