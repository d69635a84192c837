// The Context GC sidebar view in VS Code: a WebviewViewProvider that renders the panel's HTML shell and
// wires the webview to a PanelController (controller.ts), which holds all the logic and is tested in a
// real browser without VS Code. This file is only the VS Code I/O: postMessage, resource URIs, opening a
// file at a range, the clipboard, the log.
//
// No retainContextWhenHidden: the webview is rebuilt when shown again, restores its UI state itself
// (getState/setState) and says `ready`, and the controller pushes fresh state.

import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineApi } from '../../protocol/engineApi';
import type { StatusView, Tab } from '../../protocol/webview';
import { PanelController, type CrossProjectSearch, type PanelControllerOptions } from './controller';
import { panelHtml } from './html';
import type { BudgetInfo } from './views';

/** The view id in package.json `contributes.views`. */
export const PANEL_VIEW_ID = 'contextGc.panel';

export interface PanelLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RegisterPanelOptions {
  engine: EngineApi;
  /** Subscribes to the engine's changes (e.g. the RPC client's change events); returns an unsubscribe. */
  onDidChange: PanelControllerOptions['onDidChange'];
  log: PanelLogger;
  /** The budget in force and where it comes from (the selected model, a setting, or the default). */
  budgetInfo?: () => BudgetInfo;
  /** Other projects' stashes, when the host can search them; without it the panel says "not available". */
  crossProjectSearch?: CrossProjectSearch;
  /** The panel's Retry button, pressed while the status is `error`: try opening the store again. */
  onRetry?: () => Promise<void> | void;
}

export interface PanelHandle extends vscode.Disposable {
  /** Pushes fresh state soon (call when something the engine does not announce changed, e.g. settings). */
  refresh(): void;
  /** Loading / ready / error, shown by the panel (error: with what the user should do). */
  setStatus(status: StatusView): void;
  /** Reveals the view and shows a tab, optionally with a stash query. */
  show(tab: Tab, query?: string): Promise<void>;
}

export function registerPanel(context: vscode.ExtensionContext, opts: RegisterPanelOptions): PanelHandle {
  const provider = new ContextPanelProvider(context.extensionUri, opts);
  context.subscriptions.push(vscode.window.registerWebviewViewProvider(PANEL_VIEW_ID, provider), provider);
  return {
    refresh: () => provider.controller.refresh(),
    setStatus: (s) => provider.controller.setStatus(s),
    show: async (tab, query) => {
      await vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`);
      provider.controller.show(tab, query);
    },
    dispose: () => provider.dispose(),
  };
}

class ContextPanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  readonly controller: PanelController;
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    opts: RegisterPanelOptions,
  ) {
    this.controller = new PanelController({
      engine: opts.engine,
      onDidChange: opts.onDidChange,
      budgetInfo: opts.budgetInfo,
      crossProjectSearch: opts.crossProjectSearch,
      onRetry: opts.onRetry,
      io: {
        post: (msg) => this.view?.webview.postMessage(msg) ?? false,
        openFile: (file, start, end) => openFileAt(file, start, end),
        copy: async (text) => vscode.env.clipboard.writeText(text),
        log: opts.log,
      },
    });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const webview = view.webview;
    webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
      codiconUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'codicons', 'codicon.css')).toString(),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((msg: unknown) => void this.controller.receive(msg)),
      view.onDidChangeVisibility(() => {
        // Hidden: the webview is torn down (no retainContextWhenHidden); shown again, it says `ready`.
        if (!view.visible) this.controller.detach();
      }),
      view.onDidDispose(() => {
        this.controller.detach();
        if (this.view === view) this.view = undefined;
      }),
    );
  }

  dispose(): void {
    this.controller.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

async function openFileAt(file: string, lineStart: number | null, lineEnd: number | null): Promise<boolean> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const uri = path.isAbsolute(file) || !folder ? vscode.Uri.file(file) : vscode.Uri.joinPath(folder.uri, file);
  try {
    const doc = await vscode.workspace.openTextDocument(uri);
    const start = Math.max(0, (lineStart ?? 1) - 1);
    const end = Math.max(start, (lineEnd ?? lineStart ?? 1) - 1);
    const range = new vscode.Range(start, 0, end, doc.lineAt(Math.min(end, doc.lineCount - 1)).text.length);
    await vscode.window.showTextDocument(doc, { selection: lineStart === null ? undefined : range, preview: true });
    return true;
  } catch {
    return false;
  }
}
