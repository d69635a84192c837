// The extension host entry point: VS Code calls activate() once, and every registration goes into
// context.subscriptions so deactivation disposes it. Minimal for now (one command, used to prove the
// end-to-end harness in scripts/e2e); the engine wiring, views and tools grow from here.
import * as vscode from 'vscode';

/** Command ids, matching package.json `contributes.commands`. */
export const Commands = { showUsage: 'contextGc.showUsage' } as const;

/** What `Context GC: Show Usage` reports until the engine is wired in. */
export const NO_USAGE_YET = 'Context GC is active. No context has been recorded yet.';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.showUsage, (): string => {
      void vscode.window.showInformationMessage(NO_USAGE_YET);
      return NO_USAGE_YET;
    }),
  );
}

export function deactivate(): void {}
