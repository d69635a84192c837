// Activation: registration only, the store opening in the background in the worker, one sqlite store in
// this workspace's storage, every declared command registered; measured timings go to host-measurements.json.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activate, cmd, INTERNAL, ok, recordMeasurement, waitFor, type Outcome } from './helpers';

interface State extends Outcome {
  phase: string;
  location: { dir: string; scope: string };
  info: { storeKind: string; storeDir: string; openMs: number; segments: number };
  readyMs: number;
  activateMs: number;
  activatePhases: Record<string, number>;
  phaseAtReturn: string;
}

suite('Context GC host: activation', () => {
  test('activates with registration only and opens the sqlite store in the workspace storage', async () => {
    const ext = await activate();
    const state = await waitFor('the store to open', async () => {
      const s = await ok<State>(INTERNAL.state);
      return s.phase === 'ready' ? s : undefined;
    });
    assert.equal(state.info.storeKind, 'sqlite');
    assert.equal(state.location.scope, 'workspace');
    assert.equal(path.basename(state.location.dir), 'store');
    assert.equal(state.info.storeDir, state.location.dir);
    assert.ok(fs.existsSync(path.join(state.location.dir, 'store.lock')), 'the window holds the store lock');
    // Activation does no store work: it returns while the store is still opening, in a few milliseconds
    // (5-8 ms on a quiet machine; the bound leaves room for a loaded CI machine).
    recordMeasurement('activation', { activateMs: state.activateMs, phases: state.activatePhases, storeOpenInWorkerMs: state.info.openMs, startToReadyMs: state.readyMs, extensionPath: ext.extensionPath });
    assert.equal(state.phaseAtReturn, 'starting');
    assert.ok(state.activateMs < 100, `activate() took ${state.activateMs} ms: ${JSON.stringify(state.activatePhases)}`);
  });

  test('registers exactly the commands package.json declares', async () => {
    const ext = await activate();
    const declared = (ext.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command).sort();
    const registered = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('contextGc.') && !c.startsWith('contextGc.panel.')).sort();
    assert.deepEqual(registered, declared);
  });

  test('commands issued at once wait for the store rather than fail', async () => {
    // A restart puts the host back into "starting"; a command issued right away still answers.
    const restarting = cmd(INTERNAL.restart);
    const usage = await ok<{ usage: { budget: number } }>('contextGc.showUsage');
    assert.equal(usage.usage.budget, 1_000_000);
    const after = await restarting;
    assert.equal(after.phase, 'ready');
  });
});
