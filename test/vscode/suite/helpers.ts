// Helpers for the Context GC integration tests that run inside the real extension host: run commands and
// engine calls, reset the store between tests, write and open workspace files, stub the window's pickers
// and message functions (the test bundle lives inside the extension's folder, so it shares the
// extension's `vscode` API object), and wait for editor events to reach the engine.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'context-gc.context-gc';
export const INTERNAL = {
  statusBar: 'contextGc.internal.statusBar',
  state: 'contextGc.internal.state',
  idle: 'contextGc.internal.idle',
  engine: 'contextGc.internal.engine',
  restart: 'contextGc.internal.restart',
} as const;

export interface Outcome {
  message?: string;
  error?: { reason: string; message: string };
  [key: string]: unknown;
}

export interface SegmentMeta {
  id: number;
  type: string;
  tier: 'working' | 'stashed';
  taskId: string | null;
  filePath: string | null;
  lineStart: number | null;
  lineEnd: number | null;
  tags: string[];
  source: string;
  pinned: boolean;
  tokens: number;
  title: string;
  chars: number;
  textHash: string;
}

export async function activate(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded`);
  await ext.activate();
  return ext;
}

export async function cmd<T extends Outcome = Outcome>(id: string, ...args: unknown[]): Promise<T> {
  return (await vscode.commands.executeCommand<T>(id, ...args)) as T;
}

/** Runs a command that must succeed, and returns its outcome. */
export async function ok<T = Outcome>(id: string, ...args: unknown[]): Promise<T & Outcome> {
  const out = await cmd<T & Outcome>(id, ...args);
  assert.ok(out, `${id} returned nothing (cancelled?)`);
  assert.equal(out.error, undefined, `${id} failed: ${out.error?.message}`);
  return out;
}

/** Calls one engine method in the extension's worker. */
export async function engine<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
  const out = await ok<{ result: T }>(INTERNAL.engine, method, ...args);
  return out.result;
}

export const idle = (): Promise<Outcome> => ok(INTERNAL.idle);

export async function list(query: Record<string, unknown> = {}): Promise<SegmentMeta[]> {
  return engine<SegmentMeta[]>('list', query);
}

export async function totals(): Promise<{ workingTokens: number; workingSegments: number; percent: number; budget: number }> {
  return engine('totals');
}

export function folder(): vscode.WorkspaceFolder {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the test window has no folder');
  return f;
}

export function uriOf(rel: string): vscode.Uri {
  return vscode.Uri.joinPath(folder().uri, rel);
}

/** Writes a file into the workspace folder (creating its directories) and returns its URI. */
export function writeFile(rel: string, content: string | Uint8Array): vscode.Uri {
  const uri = uriOf(rel);
  fs.mkdirSync(path.dirname(uri.fsPath), { recursive: true });
  fs.writeFileSync(uri.fsPath, content);
  return uri;
}

export async function open(rel: string, column: vscode.ViewColumn = vscode.ViewColumn.One, preview = false): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uriOf(rel));
  const ed = await vscode.window.showTextDocument(doc, { viewColumn: column, preview });
  await idle();
  return ed;
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await idle();
}

/** Closes the tabs showing `rel` in one editor group (or all groups). */
export async function closeTabs(rel: string, group?: vscode.TabGroup): Promise<void> {
  const key = uriOf(rel).toString();
  const groups = group ? [group] : vscode.window.tabGroups.all;
  const tabs = groups.flatMap((g) => g.tabs.filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key));
  assert.ok(tabs.length > 0, `no tab shows ${rel}`);
  await vscode.window.tabGroups.close(tabs);
  await idle();
}

type Window = typeof vscode.window;
type Stubbable = 'showQuickPick' | 'showInputBox' | 'showInformationMessage' | 'showWarningMessage' | 'showErrorMessage';

/** Replaces a window function until the returned restore() is called. */
export function stub<K extends Stubbable>(name: K, impl: (...args: unknown[]) => unknown): () => void {
  const w = vscode.window as unknown as Record<string, unknown>;
  const original = w[name];
  w[name] = impl;
  assert.equal((vscode.window as Window)[name], impl, `vscode.window.${name} cannot be stubbed`);
  return () => {
    w[name] = original;
  };
}

/** Records every message shown with `name` (answers undefined, or `answer(message)`) until restore. */
export function capture(name: 'showInformationMessage' | 'showWarningMessage' | 'showErrorMessage', answer?: (message: string, buttons: string[]) => string | undefined) {
  const messages: string[] = [];
  const restore = stub(name, (...args: unknown[]) => {
    const message = String(args[0]);
    messages.push(message);
    const buttons = args.slice(1).filter((a): a is string => typeof a === 'string');
    return Promise.resolve(answer?.(message, buttons));
  });
  return { messages, restore };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const SETTING_KEYS = ['tokenBudget', 'encoding', 'thresholds', 'autoStashOnClose', 'recentMessages', 'maxFileSize', 'excludedGlobs'];

/** Sets contextGc.* settings (undefined removes one) in the workspace and waits until they are applied. */
export async function configure(values: Record<string, unknown>): Promise<void> {
  const cfg = vscode.workspace.getConfiguration('contextGc');
  for (const [k, v] of Object.entries(values)) await cfg.update(k, v, vscode.ConfigurationTarget.Workspace);
  await idle();
}

/** Back to a clean state: no editors, default settings, an empty store, no current task change. */
export async function reset(): Promise<void> {
  await closeAllEditors();
  const cfg = vscode.workspace.getConfiguration('contextGc');
  for (const k of SETTING_KEYS) if (cfg.inspect(k)?.workspaceValue !== undefined) await cfg.update(k, undefined, vscode.ConfigurationTarget.Workspace);
  await idle();
  const all = await list();
  const pinned = all.filter((m) => m.pinned).map((m) => m.id);
  if (pinned.length) await engine('unpin', pinned);
  if (all.length) await engine('delete', all.map((m) => m.id), { confirm: true });
  await idle();
}

/** " w" repeated: exactly n tokens in both encodings. */
export const words = (n: number, word = 'w'): string => Array.from({ length: n }, () => word).join(' ');

/** Where timings measured in the extension host are written (next to the suite's JSON report). */
export function recordMeasurement(name: string, value: unknown): void {
  const report = process.env.CONTEXT_GC_TEST_RESULTS;
  if (!report) return;
  const file = path.join(path.dirname(report), 'host-measurements.json');
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // first measurement
  }
  all[name] = value;
  fs.writeFileSync(file, JSON.stringify(all, null, 2));
}
