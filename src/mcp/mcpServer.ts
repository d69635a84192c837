// The MCP side of the agent tools: an MCP server (official TypeScript SDK, low-level Server so the tools'
// own JSON Schemas are served as they are) whose tools/list and tools/call are the same declarations and
// implementations the VS Code Language Model Tools use (src/protocol/tools.ts), with host 'mcp': a call
// that would move many segments needs "confirm": true, which the model gets only by asking the user.
// Tool failures come back as results with isError (text the model can act on), not as protocol errors.

import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { EngineApi } from '../protocol/engineApi';
import { CONFIRM_ABOVE, mcpToolList, runTool } from '../protocol/tools';

export const SERVER_NAME = 'context-gc';
export const SERVER_VERSION = '0.1.0';

export const INSTRUCTIONS =
  'Context GC keeps this project\'s context: a working set counted against a token budget, and a searchable stash of what was moved out. ' +
  'Check context_analyze_usage when the context grows, context_search before re-reading files or asking again, context_plan_gc then context_stash to prune, ' +
  'context_restore to bring things back, context_pin for what must stay, context_add to record notes and decisions, context_task when the work changes. ' +
  `Calls that would move more than ${CONFIRM_ABOVE} segments need the user's go-ahead: ask, then repeat with "confirm": true.`;

export interface McpServerOptions {
  /** Calls that would move more segments than this need confirm (default CONFIRM_ABOVE). */
  confirmAbove?: number;
  /** Called after every tool call (for logs). */
  onCall?: (name: string, isError: boolean, tokens: number, ms: number) => void;
}

export function createMcpServer(api: EngineApi, opts: McpServerOptions = {}): Server {
  const server = new Server({ name: SERVER_NAME, version: SERVER_VERSION }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: mcpToolList() }));
  server.setRequestHandler(CallToolRequestSchema, async (req): Promise<CallToolResult> => {
    const t0 = performance.now();
    const answer = await runTool(req.params.name, req.params.arguments ?? {}, { api, host: 'mcp', confirmAbove: opts.confirmAbove });
    opts.onCall?.(req.params.name, answer.isError, answer.tokens, performance.now() - t0);
    return { content: [{ type: 'text', text: answer.text }], ...(answer.isError && { isError: true }) };
  });
  return server;
}
