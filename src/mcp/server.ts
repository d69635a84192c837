// context-gc MCP server (dist/mcp.js): a stdio MCP server exposing the Context GC tools for agents
// outside VS Code (Claude Code, Cursor, Cline, ...), on the same store the extension uses.
//
//   node dist/mcp.js [--store DIR] [--project NAME] [--budget N] [--wait-ms N]
//
// --store defaults to $CONTEXT_GC_STORE, else .context-gc in the current directory. --budget (used only
// while this server owns the store) keeps percentages in step with the extension's budget. The VS Code command
// "Context GC: Show MCP Server Configuration" prints the exact command line for the current workspace's
// store. The server owns the store when nothing else holds it, and forwards to the owner (the extension
// or another MCP server) when something does (storeLink.ts). Logs go to stderr; stdout is the protocol.

import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ContextGcError } from '../engine/model';
import { openCliEngine } from '../cli/open';
import { localEngineApi } from '../protocol/engineApi';
import { createMcpServer } from './mcpServer';
import { StoreLink } from './storeLink';

const USAGE = 'Usage: context-gc-mcp [--store DIR] [--project NAME] [--budget N] [--wait-ms N]';

function log(message: string): void {
  process.stderr.write(`[context-gc mcp ${process.pid}] ${message}\n`);
}

async function main(argv: string[]): Promise<void> {
  let values: { store?: string; project?: string; budget?: string; 'wait-ms'?: string; help?: boolean };
  try {
    values = parseArgs({ args: argv, options: { store: { type: 'string' }, project: { type: 'string' }, budget: { type: 'string' }, 'wait-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message.split('\n')[0]}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const storeDir = path.resolve(values.store ?? process.env.CONTEXT_GC_STORE ?? '.context-gc');
  const waitMs = values['wait-ms'] === undefined ? 30_000 : Number(values['wait-ms']);
  if (!Number.isInteger(waitMs) || waitMs < 0) {
    process.stderr.write(`--wait-ms must be a whole number of milliseconds\n${USAGE}\n`);
    process.exit(2);
  }
  const budget = values.budget === undefined ? undefined : Number(values.budget);
  if (budget !== undefined && (!Number.isInteger(budget) || budget < 1)) {
    process.stderr.write(`--budget must be a whole number of tokens\n${USAGE}\n`);
    process.exit(2);
  }
  const purpose = `MCP server (pid ${process.pid})`;
  const link = new StoreLink({
    storeDir,
    purpose,
    timeoutMs: waitMs,
    log,
    open: async () => {
      const engine = await openCliEngine(storeDir, { purpose, lockWaitMs: 0, project: values.project, budget, onWarning: (m) => log(`store: ${m}`) });
      return { api: localEngineApi(engine), close: () => engine.close() };
    },
  });
  // Take the store (or find its owner) now, so this server can serve others; calls wait for it.
  link.connect().catch((err: unknown) => log(`store not reachable yet: ${ContextGcError.is(err) ? err.message : String(err)}`));

  const server = createMcpServer(link.api, { onCall: (name, isError, tokens, ms) => log(`${name} ${isError ? 'error' : 'ok'} ${tokens} tokens ${ms.toFixed(1)} ms`) });
  const transport = new StdioServerTransport();
  let stopping = false;
  // Closing the server closes the transport, which calls back here: the flag is set before anything runs.
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why})`);
    await server.close().catch(() => undefined);
    await link.close().catch((err: unknown) => log(`closing the store failed: ${String(err)}`));
    process.exit(0);
  };
  transport.onclose = () => void stop('transport closed');
  process.stdin.on('end', () => void stop('stdin closed'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await server.connect(transport);
  log(`serving ${storeDir}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  log(`fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
