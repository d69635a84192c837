// Reads `contextGc.*` settings, validates them (config.ts), tells the user once about each value that was
// rejected (and which default is used instead), and fires a change event with the old and new values so
// the engine, the status bar and the editor binding apply them without a reload.

import * as vscode from 'vscode';
import { SECTION, validateSettings, type HostSettings } from './config';

export interface SettingsChange {
  previous: HostSettings;
  current: HostSettings;
}

export class Settings implements vscode.Disposable {
  current: HostSettings;
  problems: string[] = [];
  private readonly shown = new Set<string>();
  private readonly emitter = new vscode.EventEmitter<SettingsChange>();
  private readonly listener: vscode.Disposable;
  readonly onDidChange = this.emitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.current = this.read();
    this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      const previous = this.current;
      this.current = this.read();
      this.emitter.fire({ previous, current: this.current });
    });
  }

  private read(): HostSettings {
    const cfg = vscode.workspace.getConfiguration(SECTION);
    const { settings, problems } = validateSettings((key) => cfg.get(key));
    this.problems = problems;
    for (const p of problems) {
      this.log.warn(`Setting ignored: ${p}`);
      if (this.shown.has(p)) continue;
      this.shown.add(p);
      void vscode.window.showWarningMessage(`Context GC: ${p}`, 'Open Settings').then((pick) => {
        if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', SECTION);
      });
    }
    // A problem fixed and made again is worth saying again.
    for (const p of [...this.shown]) if (!problems.includes(p)) this.shown.delete(p);
    return settings;
  }

  /** Where a setting change made by a command goes: the workspace when a folder is open. */
  static target(): vscode.ConfigurationTarget {
    return vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  }

  dispose(): void {
    this.listener.dispose();
    this.emitter.dispose();
  }
}
