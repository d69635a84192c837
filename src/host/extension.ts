// The extension host entry point. activate() only registers things (commands, status bar, editor and tab
// listeners, settings) and starts the engine worker without waiting for it: the store opens in the
// background, and commands issued before it is open wait for it. Every registration goes into
// context.subscriptions; deactivate() closes the store so it is durable and its lock is released.

import * as vscode from 'vscode';
import type { HostSettings } from './config';
import { ALL_COMMAND_IDS, PANEL_VIEW_ID } from './commandIds';
import { register, type CommandDef, type Services } from './commands/base';
import { gcCommands } from './commands/gc';
import { internalCommands, type HostTimings } from './commands/internal';
import { segmentCommands } from './commands/segments';
import { taskCommands } from './commands/tasks';
import { usageCommands } from './commands/usage';
import { EditorBinder } from './editors';
import { EngineHost, NO_FOLDER_MESSAGE } from './engineHost';
import { impact } from './format';
import { Reports } from './reports';
import { Settings, type SettingsChange } from './settings';
import { StatusBar } from './statusBar';

let running: EngineHost | undefined;

/** Whether package.json contributes the panel view (a later issue); Open Panel falls back to usage without it. */
function hasPanelView(ctx: vscode.ExtensionContext): boolean {
  const views = (ctx.extension.packageJSON as { contributes?: { views?: Record<string, { id: string }[]> } }).contributes?.views ?? {};
  return Object.values(views).some((list) => list.some((v) => v.id === PANEL_VIEW_ID));
}

export function activate(context: vscode.ExtensionContext): void {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Context GC', { log: true });
  const settings = new Settings(log);
  const current = (): HostSettings => settings.current;
  const host = new EngineHost(context, log, current);
  running = host;
  const binder = new EditorBinder(host, log, current);
  const reports = new Reports();
  const panel = hasPanelView(context);
  const statusBar = new StatusBar(host, current, () => panel);

  let applying: Promise<void> = Promise.resolve();
  const services: Services = { host, settings, binder, statusBar, log, settingsApplied: () => applying };
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

  const timings: HostTimings = { activateMs: 0 };
  const defs: CommandDef[] = [...usageCommands(reports, () => panel), ...gcCommands, ...segmentCommands, ...taskCommands(reports), ...internalCommands(timings)];
  const missing = ALL_COMMAND_IDS.filter((id) => !defs.some((d) => d.id === id));
  if (missing.length > 0) log.error(`Commands declared but not implemented: ${missing.join(', ')}`);
  for (const def of defs) context.subscriptions.push(register(services, def));

  if (host.location.scope === 'global') {
    log.info(NO_FOLDER_MESSAGE);
    void vscode.window.showInformationMessage(NO_FOLDER_MESSAGE);
  }
  void host.start();
  timings.activateMs = Math.round((performance.now() - t0) * 100) / 100;
  log.info(`Activated in ${timings.activateMs} ms; the store opens in the background (${host.location.dir}).`);
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
