// Editors bound to context. A file shown in an editor is recorded as one `code` segment (workspace-relative
// file_path, the current task), refreshed when its content changed since; the files of the active and
// visible editors are GC roots. When the last tab showing a file closes (tab events, not
// onDidCloseTextDocument, which also fires on language-mode changes and other non-closes), the file's
// segments move to the stash; reopening it offers to restore its stashed notes and decisions.
// Binary, excluded and out-of-workspace files are never recorded; huge files are cut to the size limit.
//
// All engine calls go out in event order through one queue, so a close followed by a reopen always
// stashes first and restores second.

import * as vscode from 'vscode';
import { isExcludedPath } from '../engine/ingest';
import type { SegmentMeta } from '../engine/model';
import type { HostSettings } from './config';
import type { EngineHost } from './engineHost';
import { count, impact, plural } from './format';
import { firstMatch } from './glob';
import type { BindFileResult, StashFileResult } from './rpc/protocol';

/** Coalesces bursts of editor events (opening a diff changes the visible editors several times). */
const DEBOUNCE_MS = 60;

export interface BindEvent {
  filePath: string;
  result: BindFileResult;
}

export interface StashEvent {
  filePath: string;
  result: StashFileResult;
}

/** The URIs a tab shows (text, diff both sides, custom editors, notebooks). */
export function urisOfTab(tab: vscode.Tab): vscode.Uri[] {
  const input = tab.input;
  if (input instanceof vscode.TabInputText) return [input.uri];
  if (input instanceof vscode.TabInputTextDiff) return [input.original, input.modified];
  if (input instanceof vscode.TabInputCustom) return [input.uri];
  if (input instanceof vscode.TabInputNotebook) return [input.uri];
  if (input instanceof vscode.TabInputNotebookDiff) return [input.original, input.modified];
  return [];
}

/** Is any tab in any group still showing this URI? */
export function isUriInAnyTab(uri: vscode.Uri): boolean {
  const key = uri.toString();
  return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => urisOfTab(t).some((u) => u.toString() === key)));
}

export class EditorBinder implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Document version last sent to the engine, by workspace-relative path (dropped when the file closes). */
  private readonly bound = new Map<string, number>();
  private lastActive = '';
  /** Files in view at the last sync. */
  private visible = new Set<string>();
  private readonly bindEmitter = new vscode.EventEmitter<BindEvent>();
  private readonly stashEmitter = new vscode.EventEmitter<StashEvent>();
  readonly onDidBind = this.bindEmitter.event;
  readonly onDidStash = this.stashEmitter.event;
  /** The last restore offer shown (tests await it). */
  lastOffer: Promise<void> | undefined;

  constructor(
    private readonly host: EngineHost,
    private readonly log: vscode.LogOutputChannel,
    private readonly settings: () => HostSettings,
  ) {
    this.disposables.push(
      vscode.window.onDidChangeVisibleTextEditors(() => this.schedule()),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule()),
      vscode.window.tabGroups.onDidChangeTabs((e) => this.onTabsChanged(e)),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (vscode.window.visibleTextEditors.some((ed) => ed.document === doc)) this.schedule();
      }),
      this.bindEmitter,
      this.stashEmitter,
      // A (re)opened engine knows nothing of the editors: send the roots and the files in view again.
      host.onDidChangePhase((phase) => {
        if (phase !== 'ready') return;
        this.lastActive = '';
        this.visible.clear();
        this.schedule();
      }),
    );
    this.schedule();
  }

  /** Workspace-relative path of a document the engine may record, or undefined (with why, for the log). */
  relativePath(uri: vscode.Uri): { path?: string; skip?: string } {
    if (uri.scheme !== 'file' && uri.scheme !== 'vscode-remote') return { skip: `${uri.scheme} document` };
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return { skip: 'outside the workspace' };
    const multi = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const rel = vscode.workspace.asRelativePath(uri, multi).replace(/\\/g, '/');
    if (isExcludedPath(rel, [])) return { path: rel, skip: 'a binary or generated file type' };
    const glob = firstMatch(rel, this.settings().excludedGlobs);
    if (glob) return { path: rel, skip: `excluded by ${glob}` };
    return { path: rel };
  }

  /** Resolves when every event so far has been handled and its engine call has answered. */
  idle(): Promise<void> {
    if (this.pending === 0 && this.timer === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sync();
      this.checkIdle();
    }, DEBOUNCE_MS);
  }

  /** Queues an engine call after every earlier one. */
  private enqueue(what: string, fn: () => Promise<void>): void {
    this.pending++;
    this.queue = this.queue
      .then(fn)
      .catch((err: Error) => this.log.warn(`${what}: ${err.message}`))
      .finally(() => {
        this.pending--;
        this.checkIdle();
      });
  }

  private checkIdle(): void {
    if (this.pending !== 0 || this.timer !== undefined) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Active/visible files become the GC roots; newly shown or changed files are recorded. */
  private sync(): void {
    if (this.host.phase === 'failed') return;
    const docs = new Map<string, vscode.TextDocument>();
    const active = vscode.window.activeTextEditor?.document;
    for (const ed of [...(active ? [{ document: active }] : []), ...vscode.window.visibleTextEditors]) {
      const rel = this.relativePath(ed.document.uri);
      if (rel.path && !rel.skip && !docs.has(rel.path)) docs.set(rel.path, ed.document);
      else if (rel.skip && ed.document.uri.scheme === 'file') this.log.trace(`not recording ${ed.document.uri.fsPath}: ${rel.skip}`);
    }
    const roots = [...docs.keys()];
    const key = roots.join('\n');
    if (key !== this.lastActive) {
      this.lastActive = key;
      this.enqueue('setting the active files', async () => {
        await (await this.host.engine()).setActiveFiles(roots);
      });
    }
    // Record a file when it comes into view, or when its content changed (saved) while in view.
    for (const [rel, doc] of docs) {
      if (this.visible.has(rel) && this.bound.get(rel) === doc.version) continue;
      this.bound.set(rel, doc.version);
      this.enqueue(`recording ${rel}`, () => this.bind(rel, doc));
    }
    this.visible = new Set(docs.keys());
  }

  private async bind(rel: string, doc: vscode.TextDocument): Promise<void> {
    const max = this.settings().maxFileSize;
    const lastLine = doc.lineAt(doc.lineCount - 1);
    const totalChars = doc.offsetAt(lastLine.range.end);
    const truncated = totalChars > max;
    const text = truncated ? doc.getText(new vscode.Range(new vscode.Position(0, 0), doc.positionAt(max))) : doc.getText();
    const result = await this.host.call('bindFile', { filePath: rel, text, totalChars, truncated, maxBytes: max });
    if (result.action === 'skipped') this.log.info(`Not recording ${rel}: ${result.skipped}.`);
    else this.log.debug(`${rel}: ${result.action} segment #${result.segment?.id} (${impact(result.tokenDelta, result.totals)})`);
    if (truncated) this.log.info(`${rel} is ${count(totalChars)} characters; its segment keeps the first ${count(max)} (contextGc.maxFileSize).`);
    this.bindEmitter.fire({ filePath: rel, result });
    if (result.stashedForFile.length > 0) this.lastOffer = this.offerRestore(rel, result.stashedForFile);
  }

  private async offerRestore(rel: string, stashed: SegmentMeta[]): Promise<void> {
    const tokens = stashed.reduce((s, m) => s + m.tokens, 0);
    const kinds = stashed.some((m) => m.type === 'code') ? 'notes, decisions and selections' : 'notes and decisions';
    const pick = await vscode.window.showInformationMessage(
      `${rel} has ${plural(stashed.length, 'stashed segment')} (${kinds}, ${count(tokens)} tokens). Restore them to the context?`,
      'Restore',
      'Not now',
    );
    if (pick !== 'Restore') return;
    const change = await (await this.host.engine()).restore(stashed.map((m) => m.id));
    void vscode.window.showInformationMessage(`Restored ${plural(change.ids.length, 'segment')} of ${rel}: ${impact(change.tokenDelta, this.host.currentTotals())}`);
  }

  private onTabsChanged(e: vscode.TabChangeEvent): void {
    if (e.closed.length === 0) return;
    const gone = new Map<string, vscode.Uri>();
    for (const tab of e.closed) for (const uri of urisOfTab(tab)) gone.set(uri.toString(), uri);
    for (const uri of gone.values()) {
      if (isUriInAnyTab(uri)) continue;
      const rel = this.relativePath(uri);
      if (!rel.path) continue;
      const filePath = rel.path;
      this.bound.delete(filePath);
      if (!this.settings().autoStashOnClose) continue;
      this.enqueue(`stashing ${filePath}`, async () => {
        const result = await this.host.call('stashFile', filePath);
        this.stashEmitter.fire({ filePath, result });
        if (result.stashed.length > 0) {
          const msg = `Context GC: closed ${filePath}, stashed ${plural(result.stashed.length, 'segment')} (${impact(result.tokenDelta, result.totals)})`;
          this.log.info(msg);
          vscode.window.setStatusBarMessage(msg, 5000);
        }
      });
    }
    this.schedule();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
