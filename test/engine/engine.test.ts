import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOUR, memoryEngine, T0, tiktokenCount, words } from './helpers';
import { ContextEngine } from '../../src/engine/engine';
import { MemoryStore } from '../../src/engine/store/memory';
import { bandOf } from '../../src/engine/analysis';
import { SNAPSHOT_TAG } from '../../src/engine/tasks';

test('add assigns stable ascending ids, counts tokens exactly and fills every field', async () => {
  const { engine } = await memoryEngine();
  const text = 'function parseJsonConfig(path: string) {\n  return JSON.parse(read(path));\n}';
  const a = await engine.add({ type: 'code', text, filePath: './src\\config.ts', lineStart: 3, lineEnd: 5, tags: ['config', 'config', 'json'], source: 'editor' });
  const b = await engine.add({ type: 'note', text: 'remember: config is JSON', refs: [a.id] });
  assert.equal(a.id, 1);
  assert.equal(b.id, 2);
  assert.equal(a.tokens, tiktokenCount(text));
  assert.equal(a.encoding, 'o200k_base');
  assert.equal(a.filePath, 'src/config.ts');
  assert.deepEqual(a.tags, ['config', 'json']);
  assert.equal(a.title, 'function parseJsonConfig(path: string) {');
  assert.equal(a.chars, text.length);
  assert.equal(a.tier, 'working');
  assert.equal(a.generation, 'young');
  assert.equal(a.createdAt, T0);
  assert.deepEqual(b.refs, [1]);
  assert.equal(engine.table.inDegree[1], 1);
  assert.equal(engine.get(1).text, text);
});

test('cl100k_base is selectable and counts like js-tiktoken', async () => {
  const { engine } = await memoryEngine({ encoding: 'cl100k_base' });
  const text = 'Ünïcödé and emoji 🎉 with code: const x = a?.b ?? c;';
  const meta = await engine.add({ type: 'message', text });
  assert.equal(meta.encoding, 'cl100k_base');
  assert.equal(meta.tokens, tiktokenCount(text, 'cl100k_base'));
});

test('validation rejects bad input with a typed error and changes nothing', async () => {
  const { engine } = await memoryEngine({ limits: { maxTextChars: 100 } });
  await engine.add({ type: 'note', text: 'kept' });
  const cases: [unknown, string, string][] = [
    [{ type: 'memo', text: 'x' }, 'invalid_type', 'Unknown segment type "memo"; use one of message, code, log, note, decision, summary.'],
    [{ type: 'note', text: '   ' }, 'empty_text', 'text is empty; a segment needs some text.'],
    [{ type: 'note', text: 'x'.repeat(101) }, 'text_too_large', 'text is 101 characters, over the limit of 100; split it or raise the limit.'],
    [{ type: 'note', text: 'a\u0000b' }, 'binary_text', 'text contains NUL bytes: binary content is not stored as context.'],
    [{ type: 'code', text: 'x', filePath: 'a.ts', lineStart: 0 }, 'invalid_line_range', 'lineStart must be 1 or more (lines count from 1), got 0.'],
    [{ type: 'code', text: 'x', filePath: 'a.ts', lineStart: -3, lineEnd: 4 }, 'invalid_line_range', 'lineStart must be 1 or more (lines count from 1), got -3.'],
    [{ type: 'code', text: 'x', filePath: 'a.ts', lineStart: 9, lineEnd: 4 }, 'invalid_line_range', 'The line range 9-4 ends before it starts.'],
    [{ type: 'code', text: 'x', lineStart: 1 }, 'invalid_line_range', 'A line range needs a filePath.'],
    [{ type: 'note', text: 'x', refs: [99] }, 'missing_reference', 'Reference to segment 99, which does not exist.'],
    [{ type: 'note', text: 'x', tier: 'archive' }, 'invalid_tier', 'Unknown tier "archive"; use one of working, stashed.'],
    [{ type: 'note', text: 'x', source: 'robot' }, 'invalid_source', 'Unknown source "robot"; use one of editor, agent, chat, import, user.'],
    [{ type: 'note', text: 'x', tags: [''] }, 'invalid_argument', 'Each tag must be a non-empty string.'],
    [{ type: 'note', text: 42 }, 'invalid_argument', 'text must be a string.'],
    ['just text', 'invalid_argument', 'A segment must be an object with at least text and type.'],
  ];
  for (const [input, reason, message] of cases) {
    await assert.rejects(engine.add(input as never), { name: 'ContextGcError', reason, message }, JSON.stringify(input));
  }
  // A batch with one bad segment adds nothing, and says which one.
  await assert.rejects(engine.addMany([{ type: 'note', text: 'fine' }, { type: 'note', text: '' }]), {
    reason: 'empty_text',
    message: 'text is empty; a segment needs some text (segment #2 of the batch).',
  });
  assert.equal(engine.totals().workingSegments, 1);
  assert.equal((await engine.add({ type: 'note', text: 'next' })).id, 2, 'rejected input used no ids');
});

test('stash and restore move segments between tiers and update totals at once', async () => {
  const { engine } = await memoryEngine({ settings: { budget: 1000 } });
  await engine.addMany([{ type: 'log', text: words(100) }, { type: 'note', text: words(50) }, { type: 'code', text: words(25), filePath: 'a.ts' }]);
  assert.deepEqual(engine.totals(), { workingTokens: 175, workingSegments: 3, percent: 17.5, budget: 1000 });
  const s = await engine.stash([1, 3]);
  assert.deepEqual([s.ids, s.tokenDelta, s.workingTokens, s.workingSegments], [[1, 3], -125, 50, 1]);
  const again = await engine.stash([1]);
  assert.deepEqual([again.ids, again.unchanged], [[], [1]]);
  const r = await engine.restore([3]);
  assert.deepEqual([r.ids, r.tokenDelta, r.workingTokens], [[3], 25, 75]);
  assert.equal(engine.usage().stashedTokens, 100);
  await assert.rejects(engine.stash([7]), { reason: 'not_found', message: 'No segment with id 7.' });
});

test('pins survive everything but an explicit unpin', async () => {
  const { engine } = await memoryEngine();
  await engine.addMany([{ type: 'note', text: 'a' }, { type: 'note', text: 'b' }]);
  const p = await engine.pin([1]);
  assert.deepEqual(p.ids, [1]);
  assert.deepEqual((await engine.pin([1, 2])).unchanged, [1]);
  await assert.rejects(engine.stash([1, 2]), { reason: 'pinned', message: 'Segments 1, 2 are pinned; unpin before stashing.' });
  await assert.rejects(engine.delete([1], { confirm: true }), { reason: 'pinned', message: 'Segment 1 is pinned; unpin before deleting.' });
  await engine.unpin([2]);
  assert.equal(engine.getMeta(2).pinned, false);
  assert.equal(engine.getMeta(1).pinned, true);
});

test('delete needs confirm, then removes for good and drops references to the deleted segment', async () => {
  const { engine } = await memoryEngine();
  await engine.add({ type: 'log', text: words(10) });
  await engine.add({ type: 'note', text: 'about the log', refs: [1] });
  await assert.rejects(engine.delete([1]), {
    reason: 'confirm_required',
    message: 'Deleting 1 segment cannot be undone; pass confirm to delete, or stash instead.',
  });
  assert.equal(engine.has(1), true);
  const d = await engine.delete([1], { confirm: true });
  assert.deepEqual([d.ids, d.tokenDelta], [[1], -10]);
  assert.equal(engine.has(1), false);
  assert.deepEqual(engine.getMeta(2).refs, []);
  assert.equal(engine.table.inDegree[1], 0);
});

test('token counts are cached by text hash: an unchanged text is not recounted', async () => {
  const { engine, clock } = await memoryEngine();
  const a = await engine.add({ type: 'note', text: words(5) });
  clock.advance(HOUR);
  const same = await engine.updateText(a.id, words(5));
  assert.equal(same.tokens, 5);
  assert.equal(same.textHash, a.textHash);
  assert.equal(same.touchedAt, T0 + HOUR);
  const changed = await engine.updateText(a.id, words(8));
  assert.equal(changed.tokens, 8);
  assert.notEqual(changed.textHash, a.textHash);
  assert.equal(engine.totals().workingTokens, 8);
});

test('switching the encoding recounts every segment with the new encoding', async () => {
  const { engine } = await memoryEngine();
  const text = 'const reallyLongIdentifierName = await fetchSomething(); // 日本語のコメント';
  await engine.add({ type: 'code', text });
  const progress: number[] = [];
  const r = await engine.setEncoding('cl100k_base', (done) => progress.push(done));
  assert.equal(r.recounted, 1);
  assert.deepEqual(progress, [1]);
  assert.equal(engine.getMeta(1).tokens, tiktokenCount(text, 'cl100k_base'));
  assert.equal(engine.getMeta(1).encoding, 'cl100k_base');
  assert.equal(r.tokenDelta, tiktokenCount(text, 'cl100k_base') - tiktokenCount(text));
});

test('opening a store counted with another encoding and asking for the same encoding still recounts it', async () => {
  const store = new MemoryStore();
  const { engine } = await memoryEngine({ store, encoding: 'cl100k_base' });
  const text = 'const reallyLongIdentifierName = await fetchSomething(); // 日本語のコメント';
  await engine.add({ type: 'code', text });
  const again = await ContextEngine.open({ store, encoding: 'o200k_base' });
  const r = await again.setEncoding('o200k_base');
  assert.equal(r.recounted, 1);
  assert.equal(again.getMeta(1).tokens, tiktokenCount(text));
  assert.equal(again.totals().workingTokens, tiktokenCount(text));
  assert.deepEqual(await again.setEncoding('o200k_base'), { recounted: 0, tokenDelta: 0 });
});

test('bands: 59.9% is ok, 60% warns, 80% is high, 90% is critical', async () => {
  assert.deepEqual(bandOf(59.9), { band: 'ok', threshold: null });
  assert.deepEqual(bandOf(60), { band: 'warning', threshold: 60 });
  assert.deepEqual(bandOf(79.99), { band: 'warning', threshold: 60 });
  assert.deepEqual(bandOf(80), { band: 'high', threshold: 80 });
  assert.deepEqual(bandOf(90), { band: 'critical', threshold: 90 });
  const { engine } = await memoryEngine({ settings: { budget: 1000 } });
  await engine.add({ type: 'message', text: words(599) });
  let u = engine.usage();
  assert.deepEqual([u.percent, u.band, u.warnings], [59.9, 'ok', []]);
  await engine.add({ type: 'log', text: words(1) });
  u = engine.usage();
  assert.deepEqual([u.percent, u.band, u.threshold], [60, 'warning', 60]);
  assert.deepEqual(u.warnings, ['Context at 60% of the budget (past the 60% warning threshold): 400 tokens left.']);
  await engine.add({ type: 'log', text: words(200) });
  assert.equal(engine.usage().band, 'high');
  await engine.add({ type: 'log', text: words(100) });
  u = engine.usage();
  assert.deepEqual([u.percent, u.band, u.remainingTokens], [90, 'critical', 100]);
});

test('usage reports totals by type and task, pins, ages, health factors and recommendations', async () => {
  const { engine, clock } = await memoryEngine({ settings: { budget: 1000, recentMessages: 1 } });
  await engine.setCurrentTask('fix-login');
  await engine.add({ type: 'log', text: words(400), createdAt: T0 - 30 * HOUR });
  await engine.add({ type: 'decision', text: words(100), pinned: true });
  await engine.add({ type: 'message', text: words(150), taskId: 'other' });
  await engine.add({ type: 'note', text: words(50), tier: 'stashed' });
  clock.advance(HOUR);
  const u = engine.usage();
  assert.equal(u.workingTokens, 650);
  assert.equal(u.workingSegments, 3);
  assert.equal(u.stashedTokens, 50);
  assert.deepEqual(u.byType.log, { tokens: 400, segments: 1 });
  assert.deepEqual(u.byType.note, { tokens: 0, segments: 0 });
  assert.deepEqual(u.byTask, [
    { taskId: 'fix-login', tokens: 500, segments: 2 },
    { taskId: 'other', tokens: 150, segments: 1 },
  ]);
  assert.deepEqual([u.pinnedTokens, u.pinnedSegments], [100, 1]);
  assert.equal(u.oldestAgeMs, 31 * HOUR);
  assert.equal(u.newestAgeMs, HOUR);
  assert.equal(u.unreachableTokens, 400);
  assert.deepEqual(u.health.factors.map((f) => [f.name, f.value, f.penalty]), [
    ['budget', 65, 5],
    ['stale', 61.5, 12],
    ['logs', 61.5, 8],
    ['pinned', 10, 0],
    ['unreachable', 61.5, 6],
  ]);
  assert.equal(u.health.score, 69);
  assert.deepEqual(u.recommendations.map((r) => [r.action, r.estimatedTokens]), [
    ['run_gc', 400],
    ['stash_logs', 400],
    ['stash_stale', 400],
  ]);
  assert.equal(u.recommendations[0].detail, 'Run GC: 1 unreachable segments can be stashed.');
});

test('switching task stashes the old task working set and switching back restores it', async () => {
  const { engine } = await memoryEngine();
  await engine.setCurrentTask('A', { title: 'Fix login' });
  await engine.addMany([{ type: 'code', text: words(10), filePath: 'login.ts' }, { type: 'decision', text: words(5), pinned: true }]);
  const toB = await engine.setCurrentTask('B');
  assert.equal(toB.previous, 'A');
  assert.deepEqual(toB.stashed, [1]);
  assert.equal(toB.tokenDelta, -10);
  assert.equal(engine.getMeta(2).tier, 'working', 'pinned segments stay');
  const n = await engine.add({ type: 'note', text: 'B work' });
  assert.equal(n.taskId, 'B');
  const toA = await engine.setCurrentTask('A');
  assert.deepEqual(toA.restored, [1]);
  assert.deepEqual(toA.stashed, [3]);
  assert.equal(engine.currentTask, 'A');
  assert.deepEqual(engine.listTasks().map((t) => [t.id, t.title]), [['A', 'Fix login'], ['B', 'B']]);
  await assert.rejects(engine.setCurrentTask(''), { reason: 'invalid_argument', message: 'A task id must be a non-empty string of at most 256 characters.' });
});

test('a task snapshot captures pins, decisions, recent messages and files, and restores them', async () => {
  const { engine } = await memoryEngine({ settings: { recentMessages: 2 } });
  await engine.setCurrentTask('auth', { title: 'Auth refactor' });
  await engine.add({ type: 'decision', text: 'Use JWT with rotating refresh tokens' }); // 1
  await engine.add({ type: 'note', text: 'The API key lives in .env', pinned: true }); // 2
  await engine.add({ type: 'message', text: 'first message', createdAt: T0 - 3 * HOUR }); // 3
  await engine.add({ type: 'message', text: 'second message', createdAt: T0 - 2 * HOUR }); // 4
  await engine.add({ type: 'message', text: 'third message', createdAt: T0 - HOUR }); // 5
  await engine.add({ type: 'code', text: 'export function login() {}', filePath: 'src/auth.ts', lineStart: 10, lineEnd: 12 }); // 6
  await engine.add({ type: 'log', text: 'unrelated', taskId: 'other' }); // 7
  const snap = await engine.snapshotTask();
  assert.equal(snap.id, 8);
  assert.equal(snap.type, 'summary');
  assert.deepEqual(snap.tags, [SNAPSHOT_TAG]);
  assert.deepEqual(snap.refs, [2, 1, 4, 5]);
  assert.equal(
    engine.get(8).text,
    [
      '# Task snapshot: Auth refactor',
      '',
      'Task: auth. Taken 2026-11-24T12:00:00.000Z from 6 segments.',
      '',
      '## Pinned',
      '- [#2 note] The API key lives in .env',
      '',
      '## Decisions',
      '- [#1 decision] Use JWT with rotating refresh tokens',
      '',
      '## Recent messages',
      '- [#4 message] second message',
      '- [#5 message] third message',
      '',
      '## Files',
      `- src/auth.ts (lines 10-12): ${tiktokenCount('export function login() {}')} tokens`,
    ].join('\n'),
  );
  const ctx = engine.taskContext();
  assert.deepEqual(ctx.snapshots.map((s) => s.id), [8]);
  assert.equal(ctx.files[0].path, 'src/auth.ts');
  // Move away (stashes the task's working set), then restore from the snapshot.
  await engine.unpin([2]);
  await engine.setCurrentTask('other');
  await engine.restoreSnapshot(8);
  assert.equal(engine.currentTask, 'auth');
  for (const id of [8, 2, 1, 4, 5]) assert.equal(engine.getMeta(id).tier, 'working', `segment ${id}`);
  await assert.rejects(engine.restoreSnapshot(7), { reason: 'invalid_argument', message: 'Segment 7 is not a task snapshot.' });
});

test('settings are validated and invalid values change nothing', async () => {
  const { engine } = await memoryEngine();
  assert.throws(() => engine.configure({ budget: 0 }), { reason: 'invalid_argument', message: 'The token budget must be a whole number of tokens, 1 or more (got 0).' });
  assert.throws(() => engine.configure({ thresholds: [80, 60] }), { message: 'Thresholds must be increasing percentages between 0 and 100 (got [80,60]).' });
  assert.throws(() => engine.configure({ recentMessages: -1 }), { message: 'recentMessages must be a whole number from 0 to 10000 (got -1).' });
  assert.equal(engine.settings.budget, 1_000_000);
  assert.deepEqual(engine.settings.thresholds, [60, 80, 90]);
});

test('reopening an engine over the same store restores segments, ids, the current task and totals', async () => {
  const store = new MemoryStore();
  const { engine } = await memoryEngine({ store });
  await engine.setCurrentTask('T');
  await engine.addMany([{ type: 'note', text: words(3) }, { type: 'log', text: words(4) }]);
  await engine.stash([2]);
  const again = await ContextEngine.open({ store });
  assert.equal(again.currentTask, 'T');
  assert.deepEqual(again.totals(), { workingTokens: 3, workingSegments: 1, percent: 0, budget: 1_000_000 });
  assert.equal((await again.add({ type: 'note', text: 'x' })).id, 3);
});

test('listeners hear every change with its token impact', async () => {
  const { engine } = await memoryEngine();
  const seen: string[] = [];
  const off = engine.onDidChange((c) => seen.push(`${c.action}:${c.ids.join(',')}:${c.tokenDelta}`));
  await engine.add({ type: 'note', text: words(4) });
  await engine.stash([1]);
  off();
  await engine.restore([1]);
  assert.deepEqual(seen, ['add:1:4', 'stash:1:-4']);
});

test('list filters by tier, task, file and type, and sorts by tokens or recency', async () => {
  const { engine, clock } = await memoryEngine();
  await engine.add({ type: 'code', text: words(5), filePath: 'a.ts', taskId: 'x' });
  clock.advance(1000);
  await engine.add({ type: 'code', text: words(9), filePath: 'a.ts', taskId: 'y' });
  clock.advance(1000);
  await engine.add({ type: 'log', text: words(7), taskId: 'x' });
  assert.deepEqual(engine.list({ filePath: 'a.ts' }).map((m) => m.id), [1, 2]);
  assert.deepEqual(engine.list({ taskId: 'x' }).map((m) => m.id), [1, 3]);
  assert.deepEqual(engine.list({ taskId: 'nope' }).map((m) => m.id), []);
  assert.deepEqual(engine.list({ sort: 'tokens' }).map((m) => m.id), [2, 3, 1]);
  assert.deepEqual(engine.list({ sort: 'recent', limit: 2 }).map((m) => m.id), [3, 2]);
  assert.deepEqual(engine.list({ type: 'log' }).map((m) => m.id), [3]);
});
