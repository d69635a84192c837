// The MCP client configuration for one workspace's store: what "Context GC: Show MCP Server Configuration"
// prints, so an agent outside VS Code (Claude Code, Cursor, Cline, another VS Code) shares the store the
// extension uses. Every client runs the same stdio command; they differ only in the file and its shape.
// Pure: paths come in as strings.

export interface McpConfigInput {
  /** Absolute path of the bundled server (the extension's dist/mcp.js). */
  serverScript: string;
  /** Absolute path of the workspace's store directory (the one the extension opens). */
  storeDir: string;
  /** Project name the extension uses for this workspace. */
  project?: string;
  /** Token budget in force, so a server that owns the store while VS Code is closed reports the same percentages. */
  budget?: number;
  /** Node executable (default "node" on the PATH). */
  nodeCommand?: string;
  /** Server name in the client's list (default "context-gc"). */
  name?: string;
}

export interface McpCommand {
  command: string;
  args: string[];
}

export function mcpServerCommand(i: McpConfigInput): McpCommand {
  const args = [i.serverScript, '--store', i.storeDir];
  if (i.project !== undefined) args.push('--project', i.project);
  if (i.budget !== undefined) args.push('--budget', String(i.budget));
  return { command: i.nodeCommand ?? 'node', args };
}

/** `{"mcpServers": {...}}`: Claude Code (.mcp.json), Cursor (.cursor/mcp.json), Cline (cline_mcp_settings.json). */
export function mcpServersJson(i: McpConfigInput): { mcpServers: Record<string, McpCommand> } {
  return { mcpServers: { [i.name ?? 'context-gc']: mcpServerCommand(i) } };
}

/** `{"servers": {...}}`: VS Code's own .vscode/mcp.json (for another editor window or profile). */
export function vscodeMcpJson(i: McpConfigInput): { servers: Record<string, McpCommand & { type: 'stdio' }> } {
  return { servers: { [i.name ?? 'context-gc']: { type: 'stdio', ...mcpServerCommand(i) } } };
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The whole explanation as Markdown, ready to show in an editor. */
export function mcpConfigMarkdown(i: McpConfigInput): string {
  const cmd = mcpServerCommand(i);
  const name = i.name ?? 'context-gc';
  const json = (v: unknown) => ['```json', JSON.stringify(v, null, 2), '```'].join('\n');
  return [
    '# Context GC MCP server for this workspace',
    '',
    `Store: \`${i.storeDir}\``,
    '',
    'Agents outside VS Code use the same store as this window. While VS Code holds the store the server forwards to it;',
    'when nothing holds it, the server opens it itself. Requires Node.js 20 or newer on the PATH.',
    '',
    '## Claude Code',
    '',
    '```sh',
    `claude mcp add ${name} -- ${[cmd.command, ...cmd.args].map(shellQuote).join(' ')}`,
    '```',
    '',
    'or in `.mcp.json` at the project root:',
    '',
    json(mcpServersJson(i)),
    '',
    '## Cursor (`.cursor/mcp.json`) and Cline (`cline_mcp_settings.json`)',
    '',
    json(mcpServersJson(i)),
    '',
    '## VS Code (`.vscode/mcp.json`, for another window or profile)',
    '',
    json(vscodeMcpJson(i)),
    '',
  ].join('\n');
}
