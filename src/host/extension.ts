// The extension host entry point. activate() only registers things (commands, status bar, editor and tab
// listeners, settings) and starts the engine worker without waiting for it: the store opens in the
// background, and commands issued before it is open wait for it. Every registration goes into
// context.subscriptions; deactivate() closes the store so it is durable and its lock is released.

import * as vscode from 'vscode';
import { ENGINE_METHODS, type EngineApi } from '../protocol/engineApi';
import { SECTION, type HostSettings as HostSettings } from './config';
import { ALL_COMMAND_IDS, PANEL_VIEW_ID } from './commandIds';
import { register, type CommandDef, type Services } from './commands/base';
import { gcCommands } from './commands/gc';
import { internalCommands, type HostTimings } from './commands/internal';
import { segmentCommands } from './commands/segments';
import { taskCommands } from './commands/tasks';
import { BUDGET_MODEL_KEY, usageCommands } from './commands/usage';
import { EditorBinder } from './editors';
import { EngineHost, NO_FOLDER_MESSAGE } from './engineHost';
import { impact } from './format';
import { registerPanel, type PanelHandle } from './panel/provider';
import type { BudgetInfo } from './panel/views';
import { Reports } from './reports';
import { Settings, type SettingsChange } from './settings';
import { StatusBar } from './statusBar';
import { registerContextTools, type ContextToolsHandle } from './tools/register';

let running: EngineHost | undefined;

/** The engine API for long-lived users (the panel): each call goes to the worker running now (it changes on restart). */
function stableEngine(host: EngineHost): EngineApi {
  const api: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const m of ENGINE_METHODS) {
    api[m] = async (...args: unknown[]) => ((await host.engine()) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[m](...args);
  }
  return api as unknown as EngineApi;
}

/** Where the budget in force comes from, for the panel: a model picked by Switch Token Budget, a setting, or the default. */
function budgetInfo(ctx: vscode.ExtensionContext, settings: Settings): BudgetInfo {
  const picked = ctx.workspaceState.get<{ model: string; budget: number }>(BUDGET_MODEL_KEY);
  if (picked && picked.budget === settings.current.tokenBudget) return { source: 'model', model: picked.model };
  const i = vscode.workspace.getConfiguration(SECTION).inspect('tokenBudget');
  const set = i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
  return { source: set === undefined || settings.problems.some((p) => p.startsWith(`${SECTION}.tokenBudget`)) ? 'default' : 'setting', model: null };
}

/** Whether package.json contributes the panel view (a later issue); Open Panel falls back to usage without it. */
function hasPanelView(ctx: vscode.ExtensionContext): boolean {
  const views = (ctx.extension.packageJSON as { contributes?: { views?: Record<string, { id: string }[]> } }).contributes?.views ?? {};
  return Object.values(views).some((list) => list.some((v) => v.id === PANEL_VIEW_ID));
}

/** What activate() returns (ext.exports): the registered Language Model Tools, for integration tests. */
export interface ContextGcExports {
  lmTools: ContextToolsHandle;
}

export function activate(context: vscode.ExtensionContext): ContextGcExports {
  const t0 = performance.now();
  const timings: HostTimings = { activateMs: 0, phases: {}, phaseAtReturn: 'stopped' };
  let last = t0;
  const mark = (name: string): void => {
    const now = performance.now();
    timings.phases[name] = Math.round((now - last) * 100) / 100;
    last = now;
  };
  const log = vscode.window.createOutputChannel('Context GC', { log: true });
  const settings = new Settings(log);
  mark('log + settings');
  const current = (): HostSettings => settings.current;
  const host = new EngineHost(context, log, current);
  running = host;
  const binder = new EditorBinder(host, log, current);
  const reports = new Reports();
  const panel = hasPanelView(context);
  const statusBar = new StatusBar(host, current, () => panel);
  mark('editors + status bar');
  const panelHandle: PanelHandle | undefined = panel
    ? registerPanel(context, {
        engine: stableEngine(host),
        onDidChange: (listener) => {
          const d = host.onDidChange(listener);
          return () => d.dispose();
        },
        log,
        budgetInfo: () => budgetInfo(context, settings),
        onRetry: async () => {
          await host.restart();
        },
      })
    : undefined;
  if (panelHandle) {
    const status = () =>
      panelHandle.setStatus(
        host.phase === 'ready' ? { kind: 'ready' } : host.phase === 'failed' ? { kind: 'error', message: host.error?.message ?? 'The context store could not open.' } : { kind: 'loading', message: 'Opening the context store…' },
      );
    context.subscriptions.push(host.onDidChangePhase(status), settings.onDidChange(() => panelHandle.refresh()));
    status();
  }
  mark('panel');

  let applying: Promise<void> = Promise.resolve();
  const services: Services = { host, settings, binder, statusBar, log, panel: panelHandle, context, settingsApplied: () => applying };
  context.subscriptions.push(
    log,
    settings,
    host,
    binder,
    reports,
    statusBar,
    settings.onDidChange((change) => {
      applying = applying.then(() => applySettings(services, change)).catch((err: Error) => log.error(`Applying settings failed: ${err.message}`));
    }),
  );

  const defs: CommandDef[] = [...usageCommands(reports), ...gcCommands, ...segmentCommands, ...taskCommands(reports), ...internalCommands(timings)];
  const missing = ALL_COMMAND_IDS.filter((id) => !defs.some((d) => d.id === id));
  if (missing.length > 0) log.error(`Commands declared but not implemented: ${missing.join(', ')}`);
  for (const def of defs) context.subscriptions.push(register(services, def));
  mark('commands');

  if (host.location.scope === 'global') {
    log.info(NO_FOLDER_MESSAGE);
    void vscode.window.showInformationMessage(NO_FOLDER_MESSAGE);
  }
  const lmTools = registerContextTools(stableEngine(host), { log });
  context.subscriptions.push(lmTools);
  mark('language model tools');

  void host.start();
  mark('worker start');
  timings.phaseAtReturn = host.phase;
  timings.activateMs = Math.round((performance.now() - t0) * 100) / 100;
  log.info(`Activated in ${timings.activateMs} ms; the store opens in the background (${host.location.dir}).`);
  return { lmTools };
}

/** Applies a settings change to the running engine, the status bar and (live) the editor binding. */
async function applySettings(s: Services, { previous, current }: SettingsChange): Promise<void> {
  const engineChanged =
    previous.tokenBudget !== current.tokenBudget || previous.recentMessages !== current.recentMessages || previous.thresholds.join() !== current.thresholds.join();
  if (previous.thresholds.join() !== current.thresholds.join()) s.statusBar.render();
  if (!engineChanged && previous.encoding === current.encoding) return;
  if (s.host.phase !== 'ready' && s.host.phase !== 'starting') return;
  let engine;
  try {
    engine = await s.host.engine();
  } catch {
    return; // the store did not open; the next start reads the settings afresh
  }
  if (engineChanged) {
    await engine.configure({ budget: current.tokenBudget, thresholds: current.thresholds, recentMessages: current.recentMessages });
    s.log.info(`Settings applied: budget ${current.tokenBudget}, thresholds ${current.thresholds.join('/')}, recent messages ${current.recentMessages}.`);
    s.statusBar.render();
  }
  if (previous.encoding !== current.encoding) {
    const r = await s.host.withProgress(`Context GC: counting tokens with ${current.encoding}`, () => s.host.call('recount', current.encoding));
    const msg = `Context GC: recounted ${r.recounted.toLocaleString('en-US')} segments with ${current.encoding} in ${r.ms} ms: ${impact(r.tokenDelta, r.totals)}`;
    s.log.info(msg);
    void vscode.window.showInformationMessage(msg);
  }
}

export async function deactivate(): Promise<void> {
  const host = running;
  running = undefined;
  await host?.stop();
}
