// What every command shares: the services it reaches, the one error boundary (log the details, show a
// short message, return the error to a script), optional arguments for scripting, and the segment picker.
//
// A command returns what it did, so scripts and the integration tests can check it:
//   success -> { message, ...data }   (the message is also shown to the user)
//   cancel  -> undefined              (nothing shown)
//   failure -> { error: { reason, message } }

import * as vscode from 'vscode';
import { ContextGcError, type SegmentMeta } from '../../engine/model';
import type { ListQuery } from '../../engine/engine';
import type { EngineApi } from '../../protocol/engineApi';
import type { Settings } from '../settings';
import type { EngineHost } from '../engineHost';
import type { EditorBinder } from '../editors';
import type { StatusBar } from '../statusBar';
import type { PanelHandle } from '../panel/provider';
import { count, location, TYPE_ICON } from '../format';
import { WorkerError } from '../rpc/client';

export interface Services {
  host: EngineHost;
  settings: Settings;
  binder: EditorBinder;
  statusBar: StatusBar;
  log: vscode.LogOutputChannel;
  /** The sidebar panel, when package.json contributes its view. */
  panel: PanelHandle | undefined;
  context: vscode.ExtensionContext;
  /** Resolves once pending settings changes have reached the engine. */
  settingsApplied(): Promise<void>;
}

export interface CommandResult {
  message: string;
  [key: string]: unknown;
}

export interface CommandFailure {
  error: { reason: string; message: string };
}

export type CommandOutcome = CommandResult | CommandFailure | undefined;

export interface CommandDef {
  id: string;
  run(s: Services, ...args: unknown[]): Promise<CommandOutcome> | CommandOutcome;
}

/** Raised by a command for a problem the user can fix (no selection, nothing to do). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly reason = 'invalid_argument',
  ) {
    super(message);
  }
}

/** Registers a command with the shared error boundary. */
export function register(s: Services, def: CommandDef): vscode.Disposable {
  return vscode.commands.registerCommand(def.id, async (...args: unknown[]): Promise<CommandOutcome> => {
    try {
      const out = await def.run(s, ...args);
      if (out && 'message' in out) s.log.info(`${def.id}: ${out.message}`);
      return out;
    } catch (err) {
      return fail(s, def.id, err);
    }
  });
}

export function fail(s: Services, id: string, err: unknown): CommandFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  const reason = ContextGcError.is(e) ? e.reason : e instanceof UserError ? e.reason : e instanceof WorkerError ? e.reason : 'internal';
  const expected = ContextGcError.is(e) || e instanceof UserError;
  if (expected) s.log.warn(`${id}: ${e.message}`);
  else s.log.error(`${id} failed: ${e.stack ?? e.message}${e instanceof WorkerError && e.workerStack ? `\n${e.workerStack}` : ''}`);
  const short = expected ? e.message : `Something went wrong (${e.message}). Details are in the Context GC log.`;
  void vscode.window.showErrorMessage(`Context GC: ${short}`, ...(expected ? [] : ['Show Log'])).then((pick) => {
    if (pick === 'Show Log') s.log.show();
  });
  return { error: { reason, message: e.message } };
}

/** Shows a command's report and returns it. */
export function done(message: string, data: Record<string, unknown> = {}): CommandResult {
  void vscode.window.showInformationMessage(message);
  return { message, ...data };
}

/** The optional argument object of a scripted call (a Uri or other value from a menu counts as none). */
export function argsOf<T extends object>(a: unknown): Partial<T> {
  if (typeof a !== 'object' || a === null || Array.isArray(a) || a instanceof vscode.Uri) return {};
  return a as Partial<T>;
}

export function idsArg(v: unknown): number[] | undefined {
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || !list.every((x) => typeof x === 'number' && Number.isInteger(x) && x > 0)) {
    throw new UserError(`ids must be segment ids (whole numbers), got ${JSON.stringify(v)}.`);
  }
  return list as number[];
}

export interface SegmentItem extends vscode.QuickPickItem {
  id: number;
}

export function segmentItem(m: SegmentMeta, detail?: string): SegmentItem {
  const where = location(m);
  return {
    id: m.id,
    label: `${TYPE_ICON[m.type]} #${m.id} ${m.title || '(untitled)'}`,
    description: `${count(m.tokens)} tokens${where ? ` · ${where}` : ''}${m.pinned ? ' · pinned' : ''}`,
    detail,
  };
}

/** Lets the user pick segments from a list query; undefined when cancelled. */
export async function pickSegments(
  engine: EngineApi,
  opts: { title: string; query: ListQuery; many: boolean; empty: string; filter?: (m: SegmentMeta) => boolean },
): Promise<number[] | undefined> {
  const metas = (await engine.list({ sort: 'recent', limit: 1000, ...opts.query })).filter(opts.filter ?? (() => true));
  if (metas.length === 0) throw new UserError(opts.empty, 'not_found');
  const items = metas.map((m) => segmentItem(m));
  if (opts.many) {
    const picked = await vscode.window.showQuickPick(items, { title: opts.title, canPickMany: true, matchOnDescription: true });
    return picked && picked.length > 0 ? picked.map((p) => p.id) : undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { title: opts.title, matchOnDescription: true });
  return picked ? [picked.id] : undefined;
}

/** The active text editor with a file the engine can record, or a UserError saying why not. */
export function activeFile(s: Services, needSelection: boolean): { editor: vscode.TextEditor; filePath: string } {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new UserError('Open a file in an editor first.');
  const rel = s.binder.relativePath(editor.document.uri);
  if (!rel.path) throw new UserError(`This editor's file cannot be recorded: ${rel.skip}.`);
  if (needSelection && editor.selection.isEmpty) throw new UserError('Select some text first.');
  return { editor, filePath: rel.path };
}
