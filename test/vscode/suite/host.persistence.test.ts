// The store survives the extension host letting go of it: closing the store and opening it again from
// disk in a new worker (what a window reload does to the extension; the UI test does a real reload).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { capture, INTERNAL, list, ok, recordMeasurement, reset, totals, waitFor, words, type Outcome } from './helpers';

interface State extends Outcome {
  phase: string;
  location: { dir: string };
  info: { segments: number; openMs: number; currentTask: string | null };
}

suite('Context GC host: persistence', () => {
  setup(reset);
  suiteTeardown(reset);

  test('segments, pins, tiers and the current task survive closing and reopening the store', async () => {
    await ok('contextGc.setCurrentTask', { taskId: 'persisted-task' });
    const a = await ok<{ id: number }>('contextGc.addNote', { text: words(30) });
    const b = await ok<{ id: number }>('contextGc.addDecision', { text: 'keep me pinned', pinned: true });
    const c = await ok<{ id: number }>('contextGc.addNote', { text: 'stash me' });
    await ok('contextGc.stashSegment', { ids: [c.id] });
    const before = await list();
    const totalsBefore = await totals();
    const state = await ok<State>(INTERNAL.restart);
    assert.equal(state.phase, 'ready');
    assert.equal(state.info.currentTask, 'persisted-task');
    assert.ok(fs.readdirSync(state.location.dir).some((f) => f === 'snapshot.db' || f.startsWith('journal.')), 'the store is on disk');
    assert.ok(fs.existsSync(path.join(state.location.dir, 'store.lock')));
    // The search index was saved on close inside the store folder, where the CLI and MCP server look too.
    assert.ok(fs.existsSync(path.join(state.location.dir, 'search', 'search-index.jsonl')), 'the search index is saved in the store folder');
    assert.equal(fs.existsSync(path.join(path.dirname(state.location.dir), 'search')), false);
    assert.deepEqual(await list(), before);
    assert.deepEqual(await totals(), totalsBefore);
    const byId = new Map(before.map((m) => [m.id, m]));
    assert.deepEqual([byId.get(a.id)?.tier, byId.get(b.id)?.pinned, byId.get(c.id)?.tier], ['working', true, 'stashed']);
    recordMeasurement('reopen', { segments: state.info.segments, storeOpenInWorkerMs: state.info.openMs });
  });

  test('a store held by another window: a clear error, commands refuse with store_locked, Retry opens it once free', async () => {
    const state = await ok<State>(INTERNAL.state);
    const lock = path.join(state.location.dir, 'store.lock');
    // Another live process on this host takes the lock (pid 1 is always alive).
    const foreign = { pid: 1, hostname: os.hostname(), purpose: 'VS Code window (other)', startedAt: Date.UTC(2026, 0, 1), token: 'foreign' };
    fs.writeFileSync(lock, JSON.stringify(foreign));
    const errors = capture('showErrorMessage');
    let failed: State & { failure: { reason: string; message: string } };
    try {
      failed = await ok(INTERNAL.restart);
      await waitFor('the error message', () => (errors.messages.length > 0 ? true : undefined));
    } finally {
      errors.restore();
    }
    assert.equal(failed.phase, 'failed');
    assert.equal(failed.failure.reason, 'store_locked');
    assert.match(errors.messages[0], /^Context GC could not open the context store\. The store at .* is in use by VS Code window \(other\) \(pid 1, since 2026-01-01T00:00:00\.000Z\)\./);
    const bar = await ok<Outcome & { text: string; background: string }>(INTERNAL.statusBar);
    assert.deepEqual([bar.text, bar.background], ['$(error) Context GC', 'statusBarItem.errorBackground']);
    const refused = await vscode.commands.executeCommand<Outcome>('contextGc.addNote', { text: 'not now' });
    assert.equal(refused?.error?.reason, 'store_locked');
    fs.rmSync(lock);
    const again = await ok<State>(INTERNAL.restart);
    assert.equal(again.phase, 'ready');
    await ok('contextGc.addNote', { text: 'now it works' });
  });
});
