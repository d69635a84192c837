// Integration tests that run inside the real VS Code extension host (code-server here, desktop VS Code
// through test/vscode/runTest.ts): activation and the contributed commands, against the real `vscode` API.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'context-gc.context-gc';

suite('Context GC extension', () => {
  test('is installed, activates, and registers its commands', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    await ext.activate();
    assert.equal(ext.isActive, true);
    const ours = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('contextGc.') && !c.startsWith('contextGc.panel.')).sort();
    const declared = (ext.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(ours, declared);
  });

  test('Show Usage returns the usage text it shows', async () => {
    const shown = await vscode.commands.executeCommand<{ message: string }>('contextGc.showUsage');
    assert.match(shown.message, /^Context: [\d,]+ \/ 1,000,000 tokens \(\d+(\.\d)?%\) in \d+ segments?;/);
  });

  test('runs with the workspace folder the harness opened', () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1);
    assert.equal(folders[0].uri.scheme, 'file');
  });
});
