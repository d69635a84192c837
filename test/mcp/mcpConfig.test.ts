// The MCP configuration the extension prints for a workspace: exact text for each client, and the
// command it gives really starts a server on that store (the SDK client launches it as a client would).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mcpConfigMarkdown, mcpServerCommand, mcpServersJson, vscodeMcpJson } from '../../src/protocol/mcpConfig';
import { tempDir } from '../engine/storeHelpers';
import { closeAll, distBuilt, SERVER_DIST } from './mcpHelpers';

after(closeAll);

const input = { serverScript: '/ext/dist/mcp.js', storeDir: "/home/me/.config/Code/User/workspaceStorage/ab12/context-gc.context-gc/store", project: "my app's", budget: 200000 };

test('the command and the per-client JSON', () => {
  assert.deepEqual(mcpServerCommand(input), {
    command: 'node',
    args: ['/ext/dist/mcp.js', '--store', input.storeDir, '--project', "my app's", '--budget', '200000'],
  });
  assert.deepEqual(mcpServersJson(input), { mcpServers: { 'context-gc': mcpServerCommand(input) } });
  assert.deepEqual(vscodeMcpJson({ ...input, name: 'ctx' }), { servers: { ctx: { type: 'stdio', ...mcpServerCommand(input) } } });
});

test('the Markdown shown by the command, with a shell-quoted Claude Code line', () => {
  const servers = JSON.stringify(mcpServersJson(input), null, 2);
  assert.equal(mcpConfigMarkdown(input), [
    '# Context GC MCP server for this workspace',
    '',
    `Store: \`${input.storeDir}\``,
    '',
    'Agents outside VS Code use the same store as this window. While VS Code holds the store the server forwards to it;',
    'when nothing holds it, the server opens it itself. Requires Node.js 20 or newer on the PATH.',
    '',
    '## Claude Code',
    '',
    '```sh',
    `claude mcp add context-gc -- node /ext/dist/mcp.js --store ${input.storeDir} --project 'my app'\\''s' --budget 200000`,
    '```',
    '',
    'or in `.mcp.json` at the project root:',
    '',
    '```json',
    servers,
    '```',
    '',
    '## Cursor (`.cursor/mcp.json`) and Cline (`cline_mcp_settings.json`)',
    '',
    '```json',
    servers,
    '```',
    '',
    '## VS Code (`.vscode/mcp.json`, for another window or profile)',
    '',
    '```json',
    JSON.stringify(vscodeMcpJson(input), null, 2),
    '```',
    '',
  ].join('\n'));
});

test('the printed command starts a working server on that store', { skip: !distBuilt() && 'dist/mcp.js is not built (npm run build)' }, async () => {
  const storeDir = tempDir('mcpcfg');
  const { command, args } = mcpServerCommand({ serverScript: SERVER_DIST, storeDir, budget: 1000 });
  const transport = new StdioClientTransport({ command: command === 'node' ? process.execPath : command, args, stderr: 'pipe' });
  const client = new Client({ name: 'config-test', version: '1.0.0' });
  await client.connect(transport);
  try {
    const res = await client.callTool({ name: 'context_add', arguments: { items: [{ text: 'from the printed config', type: 'note' }] } });
    const text = (res.content as { text: string }[])[0].text;
    assert.equal(text.split('\n')[0], 'Added 1 segment: #1 note 4 tok (+4 tokens). Working set: 4 tokens (0.4% of budget), 1 segment.');
  } finally {
    await client.close();
  }
});
