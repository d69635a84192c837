import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOUR, memoryEngine, words } from './helpers';
import { ContextGcError } from '../../src/engine/model';
import { halvings, mark, plan, scoreOf } from '../../src/engine/gc/gc';
import { SegmentTable } from '../../src/engine/table';
import { MinHeap } from '../../src/engine/gc/heap';

/**
 * The reference graph (task T is current, editor shows b.ts, the last 2 messages are roots):
 *   1 decision(T) -> 2 code a.ts -> 3 log            task root and what it reaches
 *   4 log, 10 h old                                   unreachable
 *   5 message, oldest                                 unreachable (not among the last 2)
 *   6 message                                         recent root
 *   7 message, newest -> 8 note (task U)              recent root reaches 8
 *   9 code b.ts                                       editor root
 *   10 log, pinned                                    pinned root
 *   11 code c.ts, 1 h old                             unreachable
 */
async function referenceGraph() {
  const ctx = await memoryEngine({ settings: { budget: 1000, recentMessages: 2 } });
  const { engine, clock } = ctx;
  await engine.setCurrentTask('T');
  const at = (hoursAgo: number) => clock.time - hoursAgo * HOUR;
  const add = (s: Parameters<typeof engine.add>[0]) => engine.add(s);
  await add({ type: 'decision', text: words(10), createdAt: at(5) }); // 1
  await add({ type: 'code', text: words(100), filePath: 'src/a.ts', createdAt: at(5) }); // 2
  await add({ type: 'log', text: words(50), createdAt: at(5) }); // 3
  await add({ type: 'log', text: words(200), createdAt: at(10) }); // 4
  await add({ type: 'message', text: words(20), createdAt: at(9) }); // 5
  await add({ type: 'message', text: words(20), createdAt: at(2) }); // 6
  await add({ type: 'message', text: words(20), createdAt: at(1) }); // 7
  await add({ type: 'note', text: words(30), taskId: 'U', createdAt: at(8) }); // 8
  await add({ type: 'code', text: words(100), filePath: 'src/b.ts', createdAt: at(7) }); // 9
  await add({ type: 'log', text: words(40), pinned: true, createdAt: at(9) }); // 10
  await add({ type: 'code', text: words(60), filePath: 'src/c.ts', createdAt: at(1) }); // 11
  // References are given at creation; wire them now that all ids exist.
  engine.table.setRefs(1, [2]);
  engine.table.setRefs(2, [3]);
  engine.table.setRefs(7, [8]);
  engine.setActiveFiles(['src/b.ts']);
  return ctx;
}

test('mark finds exactly the segments reachable from the four kinds of root', async () => {
  const { engine } = await referenceGraph();
  const m = mark(engine.table, { currentTask: 'T', activeFiles: ['src/b.ts'], recentMessages: 2 });
  const reachable = [...Array(12).keys()].filter((id) => m.reachedBy[id] !== 0);
  assert.deepEqual(reachable, [1, 2, 3, 6, 7, 8, 9, 10]);
  assert.deepEqual(m.roots, { pinned: 1, task: 1, editor: 1, recent: 2 });
  assert.equal(m.unreachableWorking, 3);
  assert.equal(m.unreachableWorkingTokens, 200 + 20 + 60);
  assert.equal(m.reachableWorkingTokens, 10 + 100 + 50 + 20 + 20 + 30 + 100 + 40);
});

test('the plan takes unreachable segments first, lowest score first, until the target is met', async () => {
  const { engine } = await referenceGraph();
  const plan = engine.planGc({ targetTokens: 210 });
  assert.deepEqual(plan.candidates.map((c) => c.id), [4, 5]);
  assert.equal(plan.plannedTokens, 220);
  assert.equal(plan.workingTokens, 650);
  assert.equal(plan.workingTokensAfter, 430);
  assert.equal(plan.percentBefore, 65);
  assert.equal(plan.percentAfter, 43);
  assert.equal(plan.shortfall, 0);
  assert.equal(plan.candidates[0].reason, 'unreachable log, touched 10 h ago, not referenced');
  assert.equal(plan.candidates[1].reason, 'unreachable message, touched 9 h ago, not referenced');
  assert.equal(plan.candidates[0].reachable, false);
});

test('reachable segments come only after every unreachable one, roots last, pinned never', async () => {
  const { engine } = await referenceGraph();
  const plan = engine.planGc({ targetTokens: 10_000 });
  assert.deepEqual(plan.candidates.map((c) => c.id), [4, 5, 11, 3, 2, 8, 9, 6, 7, 1]);
  assert.ok(!plan.candidates.some((c) => c.id === 10), 'the pinned segment is never planned');
  assert.equal(plan.plannedTokens, 610);
  assert.equal(plan.shortfall, 10_000 - 610);
  const three = plan.candidates.find((c) => c.id === 3)!;
  assert.equal(three.reachedFrom, 'task');
  assert.equal(three.reason, 'log reachable from a task root, offered because unreachable segments did not meet the target, touched 5 h ago, referenced by 1');
  assert.equal(plan.candidates.find((c) => c.id === 9)!.reason, 'editor root code, offered only because the target is still not met, touched 7 h ago, not referenced');
});

test('without includeReachable the plan stops at the unreachable set', async () => {
  const { engine } = await referenceGraph();
  const plan = engine.planGc({ targetTokens: 10_000, includeReachable: false });
  assert.deepEqual(plan.candidates.map((c) => c.id), [4, 5, 11]);
});

test('the default target brings the working set under 60% of the budget', async () => {
  const { engine } = await referenceGraph();
  const plan = engine.planGc();
  assert.equal(plan.targetTokens, 50);
  assert.deepEqual(plan.candidates.map((c) => c.id), [4]);
  engine.configure({ budget: 2000 });
  assert.deepEqual(engine.planGc().candidates, []);
  assert.equal(engine.planGc().targetTokens, 0);
});

test('applying a plan stashes its candidates, ages the survivors, and can be undone', async () => {
  const { engine } = await referenceGraph();
  const plan = engine.planGc({ targetTokens: 210 });
  const result = await engine.applyGc({ ids: plan.candidates.map((c) => c.id) });
  assert.deepEqual(result.ids, [4, 5]);
  assert.equal(result.tokenDelta, -220);
  assert.equal(result.workingTokens, 430);
  assert.equal(engine.getMeta(4).tier, 'stashed');
  assert.equal(engine.getMeta(1).generation, 'old');
  assert.equal(engine.getMeta(1).survivals, 1);
  assert.equal(engine.getMeta(4).survivals, 0);
  assert.equal(engine.getMeta(4).generation, 'young');
  assert.deepEqual(engine.lastGc(), { ids: [4, 5], at: engine.getMeta(4).createdAt + 10 * 3600_000 });
  const undo = await engine.undoLastGc();
  assert.equal(engine.lastGc(), null);
  assert.deepEqual(undo.ids, [4, 5]);
  assert.equal(undo.workingTokens, 650);
  await assert.rejects(engine.undoLastGc(), { reason: 'not_found', message: 'There is no GC to undo.' });
});

test('GC refuses pinned ids and deleting without confirm', async () => {
  const { engine } = await referenceGraph();
  await assert.rejects(engine.applyGc({ ids: [4, 10] }), (e: unknown) => ContextGcError.is(e, 'pinned') && e.message === 'Pinned segments are never collected: 10.');
  await assert.rejects(engine.applyGc({ ids: [4], mode: 'delete' }), {
    reason: 'confirm_required',
    message: 'Collecting by delete removes 1 segment for good; pass confirm, or use mode "stash".',
  });
  assert.equal(engine.getMeta(4).tier, 'working');
  const done = await engine.applyGc({ ids: [4], mode: 'delete', confirm: true });
  assert.deepEqual(done.ids, [4]);
  assert.equal(engine.has(4), false);
  await assert.rejects(engine.undoLastGc(), { message: 'The last GC deleted its segments; there is nothing to undo.' });
});

test('survivors of a GC score higher than young segments of the same age and type', async () => {
  const { engine, clock } = await memoryEngine({ settings: { budget: 100, recentMessages: 0 } });
  await engine.add({ type: 'log', text: words(30) }); // 1
  await engine.add({ type: 'log', text: words(30) }); // 2
  await engine.applyGc({ ids: [2] }); // 1 survives and grows old
  await engine.restore([2]);
  clock.advance(HOUR);
  await engine.touch([1, 2]);
  const plan = engine.planGc({ targetTokens: 1 });
  assert.deepEqual(plan.candidates.map((c) => c.id), [2]);
});

test('the heap pops the lowest score first and breaks ties by the lower id', () => {
  const scores = Float64Array.from([0.5, 0.1, 0.5, 0.9, 0.1]);
  const ids = Int32Array.from([10, 20, 5, 7, 3]);
  const heap = new MinHeap(scores, ids, 5);
  const out: number[] = [];
  for (let x = heap.pop(); x; x = heap.pop()) out.push(x.id);
  assert.deepEqual(out, [3, 20, 5, 10, 7]);
});

test('planGc rejects a bad target with a message naming it', async () => {
  const { engine } = await memoryEngine();
  assert.throws(() => engine.planGc({ targetTokens: -5 }), { reason: 'invalid_argument', message: 'targetTokens must be a number of tokens, 0 or more (got -5).' });
  assert.throws(() => engine.planGc({ targetPercent: 150 }), { reason: 'invalid_argument', message: 'targetPercent must be between 0 and 100 (got 150).' });
});

test('a stashed segment reached from a root is marked but not counted in the working totals', async () => {
  const { engine } = await referenceGraph();
  await engine.stash([3]);
  const m = mark(engine.table, { currentTask: 'T', activeFiles: ['src/b.ts'], recentMessages: 2 });
  assert.equal(m.reachedBy[3], 2); // reached from the task root (bit 2) through 1 -> 2 -> 3
  assert.equal(m.reachableWorking, 7);
  assert.equal(m.reachableWorkingTokens, 10 + 100 + 20 + 20 + 30 + 100 + 40);
  assert.equal(m.unreachableWorking, 3);
  assert.equal(m.unreachableWorkingTokens, 200 + 20 + 60);
});

test('recent-message roots are the newest by creation time even when ids are not in time order', () => {
  const t = new SegmentTable();
  // Ids 1..6 created at 50, 10, 60, 20, 60, 5: the newest two are 5 and 3 (equal times: the higher id is newer).
  [50, 10, 60, 20, 60, 5].forEach((created, i) => t.put(meta(i + 1, { createdAt: created, touchedAt: created })));
  const m = mark(t, { currentTask: null, activeFiles: [], recentMessages: 2 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].filter((id) => m.rootBits[id] !== 0), [3, 5]);
  const m3 = mark(t, { currentTask: null, activeFiles: [], recentMessages: 3 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].filter((id) => m3.rootBits[id] !== 0), [1, 3, 5]);
});

test('the heap plan picks exactly what a full sort of every score picks, for every target', () => {
  // 3000 segments with pseudo-random ages, types, sizes, references and pins; many share a touch time,
  // so equal scores (broken by id) fall in the same histogram bin.
  const t = new SegmentTable();
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const types = ['message', 'code', 'log', 'note', 'decision', 'summary'] as const;
  const now = 100 * HOUR;
  for (let id = 1; id <= 3000; id++) {
    const touched = now - Math.floor(rnd() * 40) * HOUR;
    t.put(meta(id, {
      type: types[Math.floor(rnd() * types.length)],
      tokens: 1 + Math.floor(rnd() * 500),
      createdAt: touched,
      touchedAt: touched,
      pinned: rnd() < 0.02,
      generation: rnd() < 0.3 ? 'old' : 'young',
      survivals: Math.floor(rnd() * 4),
      refs: id > 10 && rnd() < 0.2 ? [1 + Math.floor(rnd() * (id - 1))] : [],
      filePath: rnd() < 0.1 ? 'src/open.ts' : null,
    }));
  }
  const roots = { currentTask: null, activeFiles: ['src/open.ts'], recentMessages: 5 };
  const m = mark(t, roots);
  const all: { id: number; score: number }[] = [];
  let working = 0;
  for (let id = 1; id <= 3000; id++) {
    working += t.tokens[id];
    if (t.isPinned(id)) continue;
    all.push({ id, score: (m.rootBits[id] !== 0 ? 2 : m.reachedBy[id] !== 0 ? 1 : 0) + scoreOf(t, id, now) });
  }
  all.sort((a, b) => a.score - b.score || a.id - b.id);
  for (const target of [1, 250, 5_000, 100_000, 400_000, 10_000_000]) {
    const expected: number[] = [];
    let freed = 0;
    for (const c of all) {
      if (freed >= target) break;
      freed += t.tokens[c.id];
      expected.push(c.id);
    }
    const p = plan(t, { ...roots, now, budget: working, targetTokens: target }, working);
    assert.deepEqual(p.candidates.map((c) => c.id), expected, `target ${target}`);
    assert.equal(p.plannedTokens, freed);
  }
});

function meta(id: number, over: Partial<import('../../src/engine/model').SegmentMeta>): import('../../src/engine/model').SegmentMeta {
  return {
    id, type: 'message', tier: 'working', taskId: null, filePath: null, lineStart: null, lineEnd: null, tags: [], source: 'user',
    refs: [], pinned: false, generation: 'young', survivals: 0, createdAt: 0, touchedAt: 0, tokens: 10, encoding: 'o200k_base',
    textHash: '0000000000000000', title: '', chars: 40, ...over,
  };
}

test('recency halves exactly at whole half-lives, stays within 2e-7 of 2^-x between them, and only decreases', () => {
  assert.equal(halvings(0), 1);
  assert.equal(halvings(-5), 1); // touched in the future (clock skew) counts as just touched
  assert.equal(halvings(1), 0.5);
  assert.equal(halvings(10), 1 / 1024);
  assert.equal(halvings(64), 0);
  let prev = Infinity;
  for (let i = 0; i <= 64 * 1000; i++) {
    const x = i / 1000;
    const r = halvings(x);
    if (x < 64) assert.ok(Math.abs(r / Math.pow(2, -x) - 1) < 2e-7, `x = ${x}`);
    assert.ok(r < prev, `not decreasing at x = ${x}`);
    prev = r;
  }
});
