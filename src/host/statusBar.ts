// The status bar meter: tokens used / budget and percent, coloured by band (warning background from the
// first threshold, error background from the second), updated on every engine change. When the working
// set climbs into a higher band, one warning notification with a "Run GC" button (once per crossing:
// falling back below a threshold and climbing over it again warns again).

import * as vscode from 'vscode';
import type { HostSettings } from './config';
import { Commands } from './commandIds';
import type { EngineHost } from './engineHost';
import { bandFor, count, failedView, STARTING_VIEW, statusView, type StatusView } from './format';
import type { Totals } from './rpc/protocol';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private bandIndex: number | undefined;
  view: StatusView = STARTING_VIEW;
  /** Every band warning shown, newest last (tests read it). */
  readonly warnings: string[] = [];

  constructor(
    private readonly host: EngineHost,
    private readonly settings: () => HostSettings,
    private readonly panelAvailable: () => boolean,
  ) {
    this.item = vscode.window.createStatusBarItem('contextGc.usage', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Context GC';
    this.disposables.push(
      this.item,
      host.onDidChangeTotals((t) => this.update(t)),
      host.onDidChangePhase(() => this.render()),
    );
    this.render();
    this.item.show();
  }

  /** Re-renders with the current settings (thresholds changed). */
  render(): void {
    if (this.host.phase === 'failed') this.apply(failedView(this.host.error?.message ?? 'unknown error.'), Commands.showLog);
    else if (this.host.phase === 'ready' && this.host.totals) this.update(this.host.totals, false);
    else this.apply(STARTING_VIEW, Commands.showLog);
  }

  private update(t: Totals, notify = true): void {
    if (this.host.phase !== 'ready') return;
    const thresholds = this.settings().thresholds;
    const panel = this.panelAvailable();
    this.apply(statusView(t, thresholds, panel ? 'open the Context GC panel' : 'show usage'), panel ? Commands.openPanel : Commands.showUsage);
    const { index, threshold } = bandFor(t.percent, thresholds);
    const previous = this.bandIndex;
    this.bandIndex = index;
    // The first reading (store just opened) sets the band without a warning: nothing was crossed.
    if (notify && previous !== undefined && index > previous && threshold !== null) this.warn(t, threshold);
  }

  /** Forget the band (after a restart, the first reading again sets it silently). */
  resetBand(): void {
    this.bandIndex = undefined;
  }

  private warn(t: Totals, threshold: number): void {
    const msg = `Context GC: the context is at ${t.percent}% of the ${count(t.budget)}-token budget (over ${threshold}%). Run GC to stash what is not in use.`;
    this.warnings.push(msg);
    void vscode.window.showWarningMessage(msg, 'Run GC').then((pick) => {
      if (pick === 'Run GC') void vscode.commands.executeCommand(Commands.runGc);
    });
  }

  private apply(view: StatusView, command: string): void {
    this.view = view;
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
    this.item.command = command;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
