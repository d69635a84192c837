// Settings take effect without a reload; an invalid value gets a clear message and the default is used.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { capture, configure, engine, INTERNAL, list, ok, reset, totals, waitFor, words, type Outcome } from './helpers';

suite('Context GC host: settings', () => {
  setup(reset);
  suiteTeardown(reset);

  test('a new token budget applies at once', async () => {
    await ok('contextGc.addNote', { text: words(500) });
    await configure({ tokenBudget: 2000 });
    assert.deepEqual(await totals(), { workingTokens: 500, workingSegments: 1, percent: 25, budget: 2000 });
    const s = await ok<Outcome & { text: string }>(INTERNAL.statusBar);
    assert.equal(s.text, '$(pulse) 500 / 2k (25%)');
  });

  test('new thresholds recolour the status bar at once', async () => {
    await configure({ tokenBudget: 1000 });
    await ok('contextGc.addNote', { text: words(500) });
    assert.equal((await ok<Outcome & { band: string }>(INTERNAL.statusBar)).band, 'ok');
    await configure({ thresholds: [40, 70, 95] });
    const s = await ok<Outcome & { band: string; background: string }>(INTERNAL.statusBar);
    assert.deepEqual([s.band, s.background], ['warning', 'statusBarItem.warningBackground']);
    const info = await engine<{ settings: { thresholds: number[] } }>('info');
    assert.deepEqual(info.settings.thresholds, [40, 70, 95]);
  });

  test('an invalid value is reported and the default used', async () => {
    const warned = capture('showWarningMessage');
    try {
      await configure({ tokenBudget: -3 });
      await waitFor('the warning', () => (warned.messages.length > 0 ? true : undefined));
    } finally {
      warned.restore();
    }
    assert.deepEqual(warned.messages, ['Context GC: contextGc.tokenBudget must be a whole number from 1,000 to 100,000,000 (got -3); using the default 1,000,000.']);
    assert.equal((await totals()).budget, 1_000_000);
    const state = await ok<Outcome & { settingsProblems: string[] }>(INTERNAL.state);
    assert.equal(state.settingsProblems.length, 1);
  });

  test('a new encoding recounts every segment', async () => {
    // Text whose count differs between the encodings.
    const text = 'Здравствуйте, мир! Ünïcödé façade naïve résumé 日本語のテキスト';
    const added = await ok<{ id: number; tokens: number }>('contextGc.addNote', { text });
    const shown = capture('showInformationMessage');
    try {
      await configure({ encoding: 'cl100k_base' });
    } finally {
      shown.restore();
    }
    const [meta] = await list();
    assert.equal(meta.id, added.id);
    assert.notEqual(meta.tokens, added.tokens);
    assert.equal((await engine<{ encoding: string }>('info')).encoding, 'cl100k_base');
    assert.match(shown.messages.find((m) => m.includes('recounted')) ?? '', /^Context GC: recounted 1 segments with cl100k_base in \d+ ms: \+\d+ tokens; context \d+ \/ 1,000,000 tokens/);
    await configure({ encoding: undefined });
    assert.equal((await list())[0].tokens, added.tokens);
    void vscode;
  });

  test('a smaller file size limit applies to the next file opened', async () => {
    await configure({ maxFileSize: 1024 });
    const state = await ok<Outcome & { settings: { maxFileSize: number } }>(INTERNAL.state);
    assert.equal(state.settings.maxFileSize, 1024);
  });
});
