// "Context GC: Show MCP Server Configuration": opens a Markdown document with the MCP client configuration
// for this workspace's store (src/protocol/mcpConfig.ts), and returns the text (for tests and callers).
// The command id and its package.json contribution belong to the host's command table (src/host/commands).

import * as path from 'node:path';
import * as vscode from 'vscode';
import { mcpConfigMarkdown, type McpConfigInput } from '../../protocol/mcpConfig';

export function mcpConfigFor(context: vscode.ExtensionContext, storeDir: string, extra: Omit<McpConfigInput, 'serverScript' | 'storeDir'> = {}): McpConfigInput {
  return { serverScript: path.join(context.extensionUri.fsPath, 'dist', 'mcp.js'), storeDir, ...extra };
}

export async function showMcpConfiguration(input: McpConfigInput, open = true): Promise<string> {
  const text = mcpConfigMarkdown(input);
  if (open) {
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: text });
    await vscode.window.showTextDocument(doc, { preview: false });
  }
  return text;
}
