// Every palette command, driven by arguments (scripting) and through its quick pick / input box (stubbed
// inside the extension host), checking what it did, the report it showed and its token impact.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { capture, configure, engine, list, ok, open, reset, stub, totals, waitFor, words, writeFile, type Outcome } from './helpers';

interface Ids extends Outcome {
  ids: number[];
  tokenDelta: number;
}

/** Stubs showQuickPick to answer with the items `choose` returns (or the one it returns). */
function pickWith(choose: (items: vscode.QuickPickItem[], opts: vscode.QuickPickOptions | undefined) => unknown) {
  const seen: { items: vscode.QuickPickItem[]; title?: string }[] = [];
  const restore = stub('showQuickPick', async (items: unknown, opts: unknown) => {
    const list = (await items) as vscode.QuickPickItem[];
    const o = opts as vscode.QuickPickOptions | undefined;
    seen.push({ items: list, title: o?.title });
    return choose(list, o);
  });
  return { seen, restore };
}

function inputWith(value: string | undefined) {
  return stub('showInputBox', async () => value);
}

suite('Context GC host: commands', () => {
  setup(reset);
  suiteTeardown(reset);

  test('Show Usage reports tokens, segments and health', async () => {
    await ok('contextGc.addNote', { text: words(40) });
    const out = await ok<{ usage: { workingTokens: number; budget: number; health: { score: number } } }>('contextGc.showUsage');
    assert.equal(out.usage.workingTokens, 40);
    assert.equal(out.message, `Context: 40 / 1,000,000 tokens (0%) in 1 segment; stashed 0 segments (0 tokens); pinned 0 tokens; health ${out.usage.health.score}/100.`);
  });

  test('Add Note and Add Decision: from arguments and from the input box, reporting the token impact', async () => {
    const shown = capture('showInformationMessage');
    try {
      const note = await ok<{ id: number; tokens: number }>('contextGc.addNote', { text: words(12) });
      assert.equal(note.tokens, 12);
      assert.equal(shown.messages.at(-1), `Added #${note.id} note “${words(12)}” (12 tokens): +12 tokens; context 12 / 1,000,000 tokens (0%).`);
      const restore = inputWith('Use the journal for durability');
      let dec: { id: number; tokens: number };
      try {
        dec = await ok('contextGc.addDecision');
      } finally {
        restore();
      }
      const [meta] = (await list()).filter((m) => m.id === dec.id);
      assert.deepEqual([meta.type, meta.title, meta.source], ['decision', 'Use the journal for durability', 'user']);
      const cancel = inputWith(undefined);
      try {
        assert.equal(await vscode.commands.executeCommand('contextGc.addNote'), undefined);
      } finally {
        cancel();
      }
    } finally {
      shown.restore();
    }
    assert.equal((await list()).length, 2);
  });

  test('Add Selection and Stash Selection record the selected lines of the active file', async () => {
    writeFile('src/sel.ts', 'line one\nline two\nline three\nline four\n');
    const ed = await open('src/sel.ts');
    ed.selection = new vscode.Selection(1, 0, 3, 0);
    const added = await ok<{ id: number }>('contextGc.addSelection');
    ed.selection = new vscode.Selection(3, 0, 3, 9);
    const stashed = await ok<{ id: number }>('contextGc.stashSelection');
    const byId = new Map((await list({ filePath: 'src/sel.ts' })).map((m) => [m.id, m]));
    assert.deepEqual([byId.get(added.id)?.lineStart, byId.get(added.id)?.lineEnd, byId.get(added.id)?.tier, byId.get(added.id)?.tags], [2, 3, 'working', ['selection']]);
    assert.deepEqual([byId.get(stashed.id)?.lineStart, byId.get(stashed.id)?.lineEnd, byId.get(stashed.id)?.tier], [4, 4, 'stashed']);
    assert.equal((await engine<{ text: string }>('get', added.id)).text, 'line two\nline three\n');
    ed.selection = new vscode.Selection(0, 0, 0, 0);
    const empty = await vscode.commands.executeCommand<Outcome>('contextGc.addSelection');
    assert.deepEqual(empty?.error, { reason: 'invalid_argument', message: 'Select some text first.' });
  });

  test('Stash File: by argument and for the active editor', async () => {
    writeFile('src/f.ts', 'export const f = 1;\n');
    await open('src/f.ts');
    await ok('contextGc.addNote', { text: 'about f' });
    const out = await ok<Ids>('contextGc.stashFile');
    assert.equal(out.ids.length, 2);
    assert.deepEqual((await list({ filePath: 'src/f.ts', tier: 'working' })).length, 0);
    const again = await ok<Ids>('contextGc.stashFile', { filePath: 'src/f.ts' });
    assert.equal(again.message, 'Nothing of src/f.ts is in the context to stash.');
  });

  test('Stash Segments, Restore, Pin, Unpin: by ids and through the quick pick', async () => {
    const a = await ok<{ id: number }>('contextGc.addNote', { text: words(10, 'a') });
    const b = await ok<{ id: number }>('contextGc.addNote', { text: words(20, 'b') });
    const shown = capture('showInformationMessage');
    try {
      const st = await ok<Ids>('contextGc.stashSegment', { ids: [a.id] });
      assert.deepEqual([st.ids, st.tokenDelta], [[a.id], -10]);
      assert.equal(shown.messages.at(-1), 'Stashed 1 segment: −10 tokens; context 20 / 1,000,000 tokens (0%).');
      let picker = pickWith((items) => items.filter((i) => i.label.includes(`#${b.id} `)));
      try {
        const st2 = await ok<Ids>('contextGc.stashSegment');
        assert.deepEqual(st2.ids, [b.id]);
        assert.equal(picker.seen[0].items.length, 1);
      } finally {
        picker.restore();
      }
      picker = pickWith((items) => items);
      try {
        const back = await ok<Ids>('contextGc.restore');
        assert.deepEqual([...back.ids].sort(), [a.id, b.id].sort());
        assert.equal(back.tokenDelta, 30);
      } finally {
        picker.restore();
      }
      const pin = await ok<Ids>('contextGc.pin', { ids: [a.id] });
      assert.deepEqual(pin.ids, [a.id]);
      const refused = await vscode.commands.executeCommand<Outcome>('contextGc.stashSegment', { ids: [a.id] });
      assert.equal(refused?.error?.reason, 'pinned');
      picker = pickWith((items) => items);
      try {
        const unpin = await ok<Ids>('contextGc.unpin');
        assert.deepEqual(unpin.ids, [a.id]);
      } finally {
        picker.restore();
      }
      const missing = await vscode.commands.executeCommand<Outcome>('contextGc.restore', { ids: [987654] });
      assert.deepEqual(missing?.error, { reason: 'not_found', message: 'No segment with id 987654.' });
    } finally {
      shown.restore();
    }
  });

  test('an error reaches the user as a short message', async () => {
    const errors = capture('showErrorMessage');
    try {
      await vscode.commands.executeCommand('contextGc.pin', { ids: [424242] });
    } finally {
      errors.restore();
    }
    assert.deepEqual(errors.messages, ['Context GC: No segment with id 424242.']);
  });

  test('Search Stash finds stashed segments by words, shows snippets, and restores the pick', async () => {
    const keep = await ok<{ id: number }>('contextGc.addNote', { text: 'The journal uses group commit with fdatasync' });
    const other = await ok<{ id: number }>('contextGc.addNote', { text: 'Unrelated shopping list: apples' });
    await ok('contextGc.stashSegment', { ids: [keep.id, other.id] });
    const picker = pickWith((items) => [items[0]]);
    let out: Ids;
    try {
      out = await ok<Ids>('contextGc.searchStash', { query: 'group commit' });
    } finally {
      picker.restore();
    }
    assert.deepEqual(out.ids, [keep.id]);
    assert.equal(picker.seen[0].items.length, 1);
    assert.match(picker.seen[0].items[0].detail ?? '', /group commit/);
    const none = await ok('contextGc.searchStash', { query: 'zebra' });
    assert.equal(none.message, 'No stashed segment matches “zebra”.');
    const direct = await ok<Ids>('contextGc.searchStash', { restore: [other.id] });
    assert.deepEqual(direct.ids, [other.id]);
  });

  test('Run GC previews the plan with reasons, stashes what stays checked, and Undo Last GC brings it back', async () => {
    await configure({ tokenBudget: 1000 });
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push((await ok<{ id: number }>('contextGc.addNote', { text: words(200) })).id);
    assert.equal((await totals()).percent, 80);
    const picker = pickWith((items) => items.slice(0, 1));
    let out: Ids & { plan: { candidates: { id: number }[]; percentBefore: number } };
    try {
      out = await ok('contextGc.runGc');
    } finally {
      picker.restore();
    }
    const shown = picker.seen[0];
    assert.ok(shown.items.length >= 1);
    assert.ok(shown.items.every((i) => i.picked === true && (i.detail ?? '').length > 0), 'every candidate is checked and has a reason');
    assert.match(shown.title ?? '', /^Context GC: stash \d+ segments?, [\d,]+ tokens \(80% → \d+(\.\d)?%\)\? Uncheck what to keep\.$/);
    assert.equal(out.ids.length, 1);
    assert.equal(out.tokenDelta, -200);
    assert.equal((await totals()).percent, 60);
    const undo = await ok<Ids>('contextGc.undoGc');
    assert.deepEqual(undo.ids, out.ids);
    assert.equal((await totals()).percent, 80);
    const all = await ok<Ids>('contextGc.runGc', { apply: 'all', targetPercent: 30 });
    assert.ok((await totals()).percent <= 30);
    assert.equal(all.tokenDelta, -(all.ids.length * 200));
  });

  test('Set Current Task: by argument, and a new task through the quick pick and input box', async () => {
    await ok('contextGc.setCurrentTask', { taskId: 'task-one' });
    const n = await ok<{ id: number }>('contextGc.addNote', { text: 'belongs to task one' });
    assert.equal((await list()).find((m) => m.id === n.id)?.taskId, 'task-one');
    const picker = pickWith((items) => items.find((i) => i.label.includes('New task')));
    const input = inputWith('task-two');
    let out: Outcome & { taskId: string; previous: string; stashed: number[] };
    try {
      out = await ok('contextGc.setCurrentTask');
    } finally {
      picker.restore();
      input();
    }
    assert.deepEqual([out.taskId, out.previous, out.stashed], ['task-two', 'task-one', [n.id]]);
    assert.match(out.message ?? '', /^Current task: task-two \(was task-one\)\. Stashed 1 segment of task-one\. New segments belong to task-two: −\d+ tokens; context 0 \/ 1,000,000 tokens \(0%\)\.$/);
    assert.ok(picker.seen[0].items.some((i) => i.label === 'task-one'));
    const back = await ok<{ restored: number[] }>('contextGc.setCurrentTask', { taskId: 'task-one' });
    assert.deepEqual(back.restored, [n.id]);
  });

  test('Show Task Context and Snapshot Task', async () => {
    await ok('contextGc.setCurrentTask', { taskId: 'task-ctx' });
    await ok('contextGc.addDecision', { text: 'decide things' });
    const ctx = await ok<{ context: { task: { id: string }; workingSegments: number } }>('contextGc.showTaskContext');
    assert.deepEqual([ctx.context.task.id, ctx.context.workingSegments], ['task-ctx', 1]);
    const shownDoc = await waitFor('the task report', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'context-gc'));
    assert.match(shownDoc.document.getText(), /^# Task: task-ctx — current\n/);
    const snap = await ok<{ id: number; tokens: number }>('contextGc.snapshotTask');
    const meta = (await list()).find((m) => m.id === snap.id);
    assert.deepEqual([meta?.type, meta?.tags, meta?.taskId], ['summary', ['task-snapshot'], 'task-ctx']);
    assert.ok(snap.tokens > 0);
  });

  test('Switch Token Budget: by argument and from the presets; it takes effect at once', async () => {
    await ok('contextGc.addNote', { text: words(1000) });
    const out = await ok<{ budget: number; percent: number }>('contextGc.switchBudget', { budget: 200_000 });
    assert.deepEqual([out.budget, out.percent], [200_000, 0.5]);
    assert.equal(vscode.workspace.getConfiguration('contextGc').get('tokenBudget'), 200_000);
    const picker = pickWith((items) => items.find((i) => i.label.startsWith('128k')));
    try {
      const viaPick = await ok<{ budget: number; percent: number }>('contextGc.switchBudget');
      assert.deepEqual([viaPick.budget, viaPick.percent], [128_000, 0.8]);
    } finally {
      picker.restore();
    }
    assert.equal((await totals()).budget, 128_000);
    const bad = await vscode.commands.executeCommand<Outcome>('contextGc.switchBudget', { budget: 12 });
    assert.equal(bad?.error?.reason, 'invalid_argument');
  });

  test('Open Panel focuses the panel; Show Log shows the log', async () => {
    const out = await ok<{ panel: boolean }>('contextGc.openPanel');
    assert.equal(out.panel, true);
    await ok('contextGc.showLog');
  });

  test('Show MCP Server Configuration prints a config for this store, which the window serves to MCP servers', async () => {
    const { location } = (await vscode.commands.executeCommand<{ location: { dir: string } }>('contextGc.internal.state'))!;
    const state = { storeDir: location.dir };
    const out = await ok<{ text: string }>('contextGc.showMcpConfig', { open: false });
    assert.ok(out.text.includes(JSON.stringify(state.storeDir).slice(1, -1)), 'the configuration names this window\'s store');
    assert.match(out.text, /dist[\\/]mcp\.js/);
    const endpoint = JSON.parse(fs.readFileSync(path.join(state.storeDir, 'store.endpoint.json'), 'utf8')) as { socket: string; pid: number };
    assert.equal(typeof endpoint.socket, 'string');
    assert.ok(fs.existsSync(endpoint.socket), 'the engine socket exists while the window holds the store');
  });
});
