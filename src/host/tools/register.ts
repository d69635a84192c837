// The Context GC Language Model Tools in VS Code: each tool declared in package.json
// `languageModelTools` (generated from src/protocol/tools.ts) is registered with vscode.lm.registerTool
// and runs the shared implementation over the engine. prepareInvocation shows a progress message and,
// when a call would move more than CONFIRM_ABOVE segments, confirmation messages: VS Code asks the user
// before invoke runs, so invoke itself needs no `confirm` argument (unlike MCP).
// A failed call throws an Error whose message is the text the model can act on (VS Code hands it to the
// model as the tool's result).

import * as vscode from 'vscode';
import type { EngineApi } from '../../protocol/engineApi';
import { prepareTool, runTool, TOOLS } from '../../protocol/tools';

export type ToolInput = Record<string, unknown>;

export interface ContextToolsHandle extends vscode.Disposable {
  /** The tool objects as registered, by name (integration tests call prepareInvocation on them). */
  readonly tools: ReadonlyMap<string, vscode.LanguageModelTool<ToolInput>>;
}

export interface ContextToolsOptions {
  log?: vscode.LogOutputChannel;
  /** Calls that would move more segments than this ask for confirmation (default CONFIRM_ABOVE). */
  confirmAbove?: number;
}

/** Registers every Context GC tool; dispose the handle (or push it into context.subscriptions) to remove them. */
export function registerContextTools(api: EngineApi, opts: ContextToolsOptions = {}): ContextToolsHandle {
  const tools = new Map<string, vscode.LanguageModelTool<ToolInput>>();
  const disposables: vscode.Disposable[] = [];
  for (const spec of TOOLS) {
    const name = spec.name;
    const tool: vscode.LanguageModelTool<ToolInput> = {
      async prepareInvocation(options) {
        const p = await prepareTool(name, options.input, { api, confirmAbove: opts.confirmAbove });
        if (!p.confirmation) return { invocationMessage: p.invocationMessage };
        return { invocationMessage: p.invocationMessage, confirmationMessages: { title: p.confirmation.title, message: new vscode.MarkdownString(p.confirmation.message) } };
      },
      async invoke(options) {
        const t0 = performance.now();
        const answer = await runTool(name, options.input, { api, host: 'vscode', confirmAbove: opts.confirmAbove });
        opts.log?.info(`Tool ${name}: ${answer.isError ? 'error' : 'ok'}, answer ${answer.tokens} tokens, ${Math.round(performance.now() - t0)} ms`);
        if (answer.isError) throw new Error(answer.text);
        return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(answer.text)]);
      },
    };
    tools.set(name, tool);
    disposables.push(vscode.lm.registerTool(name, tool));
  }
  return {
    tools,
    dispose: () => {
      for (const d of disposables.splice(0)) d.dispose();
    },
  };
}
