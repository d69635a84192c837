// The store survives the extension host letting go of it: closing the store and opening it again from
// disk in a new worker (what a window reload does to the extension; the UI test does a real reload).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INTERNAL, list, ok, recordMeasurement, reset, totals, words, type Outcome } from './helpers';

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
    assert.deepEqual(await list(), before);
    assert.deepEqual(await totals(), totalsBefore);
    const byId = new Map(before.map((m) => [m.id, m]));
    assert.deepEqual([byId.get(a.id)?.tier, byId.get(b.id)?.pinned, byId.get(c.id)?.tier], ['working', true, 'stashed']);
    recordMeasurement('reopen', { segments: state.info.segments, storeOpenInWorkerMs: state.info.openMs });
  });
});
