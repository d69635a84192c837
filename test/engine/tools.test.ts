// The agent tools over a real engine (durable sql.js store on disk, real search index, real token
// counts): each tool's exact answer, exact errors for malformed arguments, the confirmation threshold in
// both hosts, and answers that state their own token cost correctly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIRM_ABOVE, prepareTool, runTool, withCost, type ToolHost } from '../../src/protocol/tools';
import { tiktokenCount } from './helpers';
import { addBulk, openWorld, seed, type ToolWorld } from './toolsFixture';

async function world(): Promise<ToolWorld> {
  const w = await openWorld();
  await seed(w);
  return w;
}

/** Runs a tool and checks its answer line by line, and that "(answer: N tokens)" is the answer's true size. */
async function expectAnswer(w: ToolWorld, tool: string, input: unknown, lines: string[], host: ToolHost = 'mcp'): Promise<void> {
  const r = await runTool(tool, input, { api: w.api, host });
  assert.equal(r.isError, false, r.text);
  assert.equal(r.text, lines.join('\n'));
  assertCost(r.text, r.tokens);
}

function assertCost(text: string, tokens: number): void {
  const m = /\n\(answer: (\d+) tokens\)$/.exec(text);
  assert.ok(m, `no cost line in ${JSON.stringify(text.slice(-60))}`);
  assert.equal(Number(m[1]), tiktokenCount(text));
  assert.equal(tokens, tiktokenCount(text));
}

async function expectError(w: ToolWorld, tool: string, input: unknown, message: string, host: ToolHost = 'mcp'): Promise<void> {
  const r = await runTool(tool, input, { api: w.api, host });
  assert.equal(r.isError, true, r.text);
  assert.equal(r.text, message);
}

test('context_analyze_usage: totals and band, the largest segments, tokens by type and task, and a next step', async () => {
  const w = await world();
  await expectAnswer(w, 'context_analyze_usage', {}, [
    'Working set: 536 of 5,000 tokens (10.7%, band ok; warnings at 60/80/90%), 8 segments. Stashed: 0 tokens in 0 segments. Health 78/100.',
    'Largest: #6 log 311 tok "npm test: 42 passing, 3 failing" · #1 log 126 tok "webpack 5 build output" · #5 code 35 tok src/auth/callback.ts:10-14 · #3 code 15 tok src/ui/chart.ts:1-3 · #7 decision 14 tok "Decided: set the session cookie before …"',
    'By type: log 437 · code 50 · message 21 · decision 14 · note 14',
    'By task: fix-login 384 · (no task) 152',
    'Pinned: 0 segments, 0 tokens. Unreachable from roots: 487 tokens. Current task: fix-login.',
    'Nothing changed. Next: Stash old logs and tool output; they stay searchable in the stash. e.g. context_stash {"types": ["log"]}.',
    '(answer: 234 tokens)',
  ]);
  await expectAnswer(w, 'context_analyze_usage', { top: 2 }, [
    'Working set: 536 of 5,000 tokens (10.7%, band ok; warnings at 60/80/90%), 8 segments. Stashed: 0 tokens in 0 segments. Health 78/100.',
    'Largest: #6 log 311 tok "npm test: 42 passing, 3 failing" · #1 log 126 tok "webpack 5 build output"',
    'By type: log 437 · code 50 · message 21 · decision 14 · note 14',
    'By task: fix-login 384 · (no task) 152',
    'Pinned: 0 segments, 0 tokens. Unreachable from roots: 487 tokens. Current task: fix-login.',
    'Nothing changed. Next: Stash old logs and tool output; they stay searchable in the stash. e.g. context_stash {"types": ["log"]}.',
    '(answer: 185 tokens)',
  ]);
  await w.close();
});

test('context_plan_gc: nothing to collect under the target; a token or percent target lists candidates with reasons and changes nothing', async () => {
  const w = await world();
  const before = w.engine.info();
  await expectAnswer(w, 'context_plan_gc', {}, [
    'Nothing to collect: the working set (536 tokens, 10.7%) already meets the target (get under 60% of the budget).',
    'Nothing changed. Next: nothing to do.',
    '(answer: 45 tokens)',
  ]);
  await expectAnswer(w, 'context_plan_gc', { target_tokens: 400, limit: 2 }, [
    'GC plan to free 400 tokens: stash 3 segments, 452 tokens; 10.7% -> 1.7% of 5,000.',
    '#1 log 126 tok "webpack 5 build output": unreachable log, touched 5 h ago, not referenced',
    '#3 code 15 tok src/ui/chart.ts:1-3: unreachable code, touched 5 h ago, not referenced',
    '+1 more candidate, 311 tokens.',
    'Nothing changed. Next: context_stash {"target_tokens": 400} stashes this plan; or stash a subset: context_stash {"ids": [1, 3, 6]}.',
    '(answer: 142 tokens)',
  ]);
  await expectAnswer(w, 'context_plan_gc', { target_percent: 5, include_reachable: false }, [
    'GC plan to get under 5% of the budget: stash 3 segments, 452 tokens; 10.7% -> 1.7% of 5,000.',
    '#1 log 126 tok "webpack 5 build output": unreachable log, touched 5 h ago, not referenced',
    '#3 code 15 tok src/ui/chart.ts:1-3: unreachable code, touched 5 h ago, not referenced',
    '#6 log 311 tok "npm test: 42 passing, 3 failing": unreachable log, touched 1 h ago, not referenced',
    'Nothing changed. Next: context_stash {"target_percent": 5, "include_reachable": false} stashes this plan; or stash a subset: context_stash {"ids": [1, 3, 6]}.',
    '(answer: 174 tokens)',
  ]);
  assert.deepEqual(w.engine.info(), before);
  await w.close();
});

test('context_search: ranked hits with snippets, typo fixes, full text, filter-only listing, no hits, and the max_tokens cap', async () => {
  const w = await world();
  await expectAnswer(w, 'context_search', { query: 'redirect loop' }, [
    '4 segments match "redirect loop"; showing 4 (370 tokens in full):',
    '#8 note working 14 tok: …redirect loop comes from the auth middleware re-reading an empty session.',
    '#4 message working 10 tok: …the login redirect loop after the OAuth callback.',
    '#6 log working 311 tok: …expected redirect AssertionError: expected redirect AssertionError: expected redirect AssertionError: expected redirect AssertionError: expected redirect…',
    '#5 code working 35 tok src/auth/callback.ts:10-14: … if (!session) return redirect("/login"); return redirect(req.query.next); }',
    'Nothing changed. Next: "include_text": true shows their full text here.',
    '(answer: 144 tokens)',
  ]);
  await expectAnswer(w, 'context_search', { query: 'redirct', types: ['note'], include_text: true }, [
    '1 segment matches "redirct", types note; showing 1 (14 tokens in full):',
    '--- #8 note working 14 tok "The redirect loop comes from the auth m…"',
    'The redirect loop comes from the auth middleware re-reading an empty session.',
    'Typo fixes: redirct -> redirect.',
    'Nothing changed. Next: use the ids with context_pin, context_stash or context_restore.',
    '(answer: 87 tokens)',
  ]);
  await expectAnswer(w, 'context_search', { query: '', task_id: 'fix-login', limit: 3 }, [
    '5 segments match task fix-login; showing 3 (339 tokens in full):',
    '#8 note working 14 tok: The redirect loop comes from the auth middleware re-reading an empty session.',
    '#7 decision working 14 tok: Decided: set the session cookie before redirecting, not after.',
    '#6 log working 311 tok: npm test: 42 passing, 3 failing AssertionError: expected redirect AssertionError: expected redirect AssertionError: expected redirect AssertionError: expected…',
    'Nothing changed. Next: "include_text": true shows their full text here; a higher "limit" shows more.',
    '(answer: 128 tokens)',
  ]);
  await expectAnswer(w, 'context_search', { query: 'zebra' }, [
    'No segment matches "zebra".',
    'Nothing changed. Next: try other words or fewer filters.',
    '(answer: 25 tokens)',
  ]);
  await expectAnswer(w, 'context_search', { query: 'redirect', max_tokens: 30 }, [
    '4 segments match "redirect"; showing 2 (24 tokens in full):',
    '#8 note working 14 tok: …redirect loop comes from the auth middleware re-reading an empty session.',
    '#4 message working 10 tok: …the login redirect loop after the OAuth callback.',
    '2 more hits did not fit max_tokens 30.',
    'Nothing changed. Next: "include_text": true shows their full text here.',
    '(answer: 88 tokens)',
  ]);
  await w.close();
});

test('context_stash: by ids, by query, by type (pinned and stashed left alone); stashed segments stay searchable', async () => {
  const w = await world();
  await expectAnswer(w, 'context_stash', { ids: [1, 2] }, [
    'Stashed 2 segments: #1, #2 (-137 tokens). Working set: 399 tokens (8% of budget), 6 segments.',
    'Next: stashed segments stay searchable (context_search with "tier": "stashed"); bring any back with context_restore {"ids": [1, 2]}.',
    '(answer: 71 tokens)',
  ]);
  await expectAnswer(w, 'context_stash', { query: 'chart' }, [
    'Stashed 1 segment: #3 (-15 tokens). Working set: 384 tokens (7.7% of budget), 5 segments.',
    'Next: stashed segments stay searchable (context_search with "tier": "stashed"); bring any back with context_restore {"ids": [3]}.',
    '(answer: 67 tokens)',
  ]);
  await expectAnswer(w, 'context_stash', { types: ['log'] }, [
    'Stashed 1 segment: #6 (-311 tokens). Working set: 73 tokens (1.5% of budget), 4 segments.',
    'Next: stashed segments stay searchable (context_search with "tier": "stashed"); bring any back with context_restore {"ids": [6]}.',
    '(answer: 67 tokens)',
  ]);
  await expectAnswer(w, 'context_stash', { ids: [1, 4] }, [
    'Stashed 1 segment: #4 (-10 tokens). Working set: 63 tokens (1.3% of budget), 3 segments.',
    'Already stashed: #1.',
    'Next: stashed segments stay searchable (context_search with "tier": "stashed"); bring any back with context_restore {"ids": [4]}.',
    '(answer: 74 tokens)',
  ]);
  await expectAnswer(w, 'context_search', { query: 'webpack chunk', tier: 'stashed' }, [
    '1 segment matches "webpack chunk", tier stashed; showing 1 (126 tokens in full):',
    '#1 log stashed 126 tok: webpack 5 build output chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chun…',
    'Nothing changed. Next: context_restore {"ids": [1]} brings stashed hits back; "include_text": true shows their full text here.',
    '(answer: 94 tokens)',
  ]);
  assert.deepEqual(w.engine.list({ tier: 'working' }).map((m) => m.id), [5, 7, 8]);
  await w.close();
});

test('context_stash with a GC target applies the plan context_plan_gc shows', async () => {
  const w = await world();
  await expectAnswer(w, 'context_stash', { target_tokens: 400 }, [
    'Stashed 3 segments: #1, #3, #6 (-452 tokens). Working set: 84 tokens (1.7% of budget), 5 segments.',
    'Next: stashed segments stay searchable (context_search with "tier": "stashed"); bring any back with context_restore {"ids": [1, 3, 6]}.',
    '(answer: 79 tokens)',
  ]);
  await expectAnswer(w, 'context_stash', { target_percent: 60 }, [
    'Nothing to collect: the working set (84 tokens, 1.7%) already meets the target.',
    'Nothing changed. Next: nothing to do.',
    '(answer: 36 tokens)',
  ]);
  await w.close();
});

test('context_restore: brings segments back with their text, cut at max_tokens; include_text false', async () => {
  const w = await world();
  await w.engine.stash([1, 3, 5]);
  await expectAnswer(w, 'context_restore', { ids: [3, 4] }, [
    'Restored 1 segment: #3 (+15 tokens). Working set: 375 tokens (7.5% of budget), 6 segments.',
    'Already in the working set: #4.',
    '--- #3 code 15 tok src/ui/chart.ts:1-3',
    'export function renderChart(data: Point[]) {',
    '  return draw(data);',
    '}',
    '--- #4 message 10 tok "Fix the login redirect loop after the O…"',
    'Fix the login redirect loop after the OAuth callback.',
    'Next: pin what must stay with context_pin {"ids": [3]}; stash it again when done.',
    '(answer: 126 tokens)',
  ]);
  await expectAnswer(w, 'context_restore', { ids: [1, 5], max_tokens: 100 }, [
    'Restored 2 segments: #1, #5 (+161 tokens). Working set: 536 tokens (10.7% of budget), 8 segments.',
    '--- #5 code 35 tok src/auth/callback.ts:10-14',
    'export function handleCallback(req: Request) {',
    '  const session = readSession(req);',
    '  if (!session) return redirect("/login");',
    '  return redirect(req.query.next);',
    '}',
    'Text not shown (over max_tokens 100): #1 (126 tok).',
    'Next: pin what must stay with context_pin {"ids": [1, 5]}; stash it again when done.',
    '(answer: 132 tokens)',
  ]);
  await expectAnswer(w, 'context_restore', { ids: [3], include_text: false }, [
    'Nothing moved. Working set: 536 tokens (10.7% of budget), 8 segments.',
    'Already in the working set: #3.',
    'Next: pin what must stay with context_pin {"ids": [3]}; stash it again when done.',
    '(answer: 58 tokens)',
  ]);
  await w.close();
});

test('context_restore undo_last_gc brings back what the last GC stashed', async () => {
  const w = await world();
  await expectAnswer(w, 'context_stash', { target_tokens: 400 }, [
    'Stashed 3 segments: #1, #3, #6 (-452 tokens). Working set: 84 tokens (1.7% of budget), 5 segments.',
    'Next: stashed segments stay searchable (context_search with "tier": "stashed"); bring any back with context_restore {"ids": [1, 3, 6]}.',
    '(answer: 79 tokens)',
  ]);
  await expectAnswer(w, 'context_restore', { undo_last_gc: true, confirm: true, max_tokens: 200 }, [
    'Restored 3 segments: #1, #3, #6 (+452 tokens). Working set: 536 tokens (10.7% of budget), 8 segments.',
    '--- #1 log 126 tok "webpack 5 build output"',
    'webpack 5 build output',
    'chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk chunk',
    '--- #3 code 15 tok src/ui/chart.ts:1-3',
    'export function renderChart(data: Point[]) {',
    '  return draw(data);',
    '}',
    'Text not shown (over max_tokens 200): #6 (311 tok).',
    'Next: pin what must stay with context_pin {"ids": [1, 3, 6]}; stash it again when done.',
    '(answer: 258 tokens)',
  ]);
  await w.close();
});

test('context_pin / context_unpin: pins change no tokens and report what was already so', async () => {
  const w = await world();
  await expectAnswer(w, 'context_pin', { ids: [7, 8] }, [
    'Pinned 2 segments: #7, #8 (28 tokens): GC never collects them.',
    'Token impact: none (pins do not move segments). Working set: 536 tokens (10.7% of budget), 8 segments.',
    'Next: unpin with context_unpin when they stop mattering; pinned segments count against the budget.',
    '(answer: 75 tokens)',
  ]);
  await expectAnswer(w, 'context_pin', { ids: [8] }, [
    'Nothing changed: already pinned.',
    'Token impact: none (pins do not move segments). Working set: 536 tokens (10.7% of budget), 8 segments.',
    'Next: unpin with context_unpin when they stop mattering; pinned segments count against the budget.',
    '(answer: 62 tokens)',
  ]);
  await expectAnswer(w, 'context_unpin', { ids: [8, 5] }, [
    'Unpinned 1 segment: #8 (14 tokens): GC may collect it again.',
    'Already unpinned: #5.',
    'Token impact: none (pins do not move segments). Working set: 536 tokens (10.7% of budget), 8 segments.',
    'Next: context_plan_gc shows whether GC would now collect them.',
    '(answer: 75 tokens)',
  ]);
  assert.deepEqual(w.engine.list({ pinned: true }).map((m) => m.id), [7]);
  await w.close();
});

test('context_add: several items in one call, with tags, file lines, refs, pin and task', async () => {
  const w = await world();
  await expectAnswer(w, 'context_add', { items: [{ text: 'Root cause: cookie set after redirect.', type: 'note', tags: ['auth'], file_path: 'src/auth/callback.ts', line_start: 12, line_end: 13 }, { text: 'Decided: add a regression test for the callback.', type: 'decision', refs: [8] }] }, [
    'Added 2 segments: #9 note 8 tok, #10 decision 11 tok (+19 tokens). Working set: 555 tokens (11.1% of budget), 10 segments.',
    'Next: pin decisions that must survive GC: context_pin {"ids": [10]}.',
    '(answer: 64 tokens)',
  ]);
  await expectAnswer(w, 'context_add', { items: [{ text: 'pinned finding', type: 'note', pin: true, task_id: 'other' }] }, [
    'Added 1 segment: #11 note pinned 3 tok (+3 tokens). Working set: 558 tokens (11.2% of budget), 11 segments.',
    'Next: find them later with context_search; link related segments through `refs`.',
    '(answer: 56 tokens)',
  ]);
  const note = w.engine.get(9);
  assert.deepEqual([note.type, note.source, note.filePath, note.lineStart, note.lineEnd, note.tags, note.taskId], ['note', 'agent', 'src/auth/callback.ts', 12, 13, ['auth'], 'fix-login']);
  assert.deepEqual(w.engine.getMeta(10).refs, [8]);
  assert.deepEqual([w.engine.getMeta(11).pinned, w.engine.getMeta(11).taskId], [true, 'other']);
  await w.close();
});

test('context_add is all or nothing: one bad item adds none', async () => {
  const w = await world();
  await expectError(w, 'context_add', { items: [{ text: 'fine', type: 'note' }, { text: 'bad ref', type: 'note', refs: [404] }] }, 'Reference to segment 404, which does not exist (segment #2 of the batch).');
  assert.equal(w.engine.info().segments, 8);
  await w.close();
});

test('context_task: show, snapshot, list, set (stashing the previous task), show another, resume a snapshot, set keeping the previous', async () => {
  const w = await world();
  await expectAnswer(w, 'context_task', { action: 'show' }, [
    'Task fix-login "Fix the login redirect loop" (current): 5 working segments, 384 tokens; 0 stashed, 0 tokens.',
    'Recent: #8 note 14 tok "The redirect loop comes from the auth m…" · #7 decision 14 tok "Decided: set the session cookie before …" · #6 log 311 tok "npm test: 42 passing, 3 failing" · #5 code 35 tok src/auth/callback.ts:10-14 · #4 message 10 tok "Fix the login redirect loop after the O…"',
    'Files: src/auth/callback.ts 35',
    'Nothing changed. Next: context_task {"action": "snapshot"} condenses it before pruning.',
    '(answer: 155 tokens)',
  ]);
  await expectAnswer(w, 'context_task', { action: 'snapshot' }, [
    'Snapshot #9 of task fix-login: 99 tokens, lists 2 segments (+99 tokens). Working set: 635 tokens (12.7% of budget), 9 segments.',
    'Next: the task\'s detail can now be stashed (context_plan_gc); resume later with context_task {"action": "resume", "snapshot_id": 9}.',
    '(answer: 78 tokens)',
  ]);
  await expectAnswer(w, 'context_task', { action: 'list' }, [
    '1 task: fix-login (current) "Fix the login redirect loop"',
    'Nothing changed. Next: context_task {"action": "show", "task_id": "fix-login"} or switch with "action": "set".',
    '(answer: 51 tokens)',
  ]);
  await expectAnswer(w, 'context_task', { action: 'set', task_id: 'chart-flicker', title: 'Chart flicker' }, [
    'Current task: chart-flicker (was: fix-login).',
    'Moved: stashed 6 segments of fix-login (-483 tokens). Working set: 152 tokens (3% of budget), 3 segments.',
    'Next: context_task {"action": "show"} shows its context; new notes and decisions now belong to it.',
    '(answer: 72 tokens)',
  ]);
  await expectAnswer(w, 'context_task', { action: 'show', task_id: 'fix-login' }, [
    'Task fix-login "Fix the login redirect loop": 0 working segments, 0 tokens; 6 stashed, 483 tokens.',
    'Snapshots: #9 (99 tok)',
    'Nothing changed. Next: context_task {"action": "resume", "snapshot_id": 9} restores the latest snapshot.',
    '(answer: 67 tokens)',
  ]);
  await expectAnswer(w, 'context_task', { action: 'resume', snapshot_id: 9 }, [
    'Resumed task fix-login from snapshot #9 (+483 tokens). Working set: 635 tokens (12.7% of budget), 9 segments.',
    '--- #9 summary 99 tok "# Task snapshot: Fix the login redirect…"',
    '# Task snapshot: Fix the login redirect loop',
    '',
    'Task: fix-login. Taken 2026-11-24T17:00:00.000Z from 5 segments.',
    '',
    '## Decisions',
    '- [#7 decision] Decided: set the session cookie before redirecting, not after.',
    '',
    '## Recent messages',
    '- [#4 message] Fix the login redirect loop after the OAuth callback.',
    '',
    '## Files',
    '- src/auth/callback.ts (lines 10-14): 35 tokens',
    'Next: context_task {"action": "show"} lists what is in context for it.',
    '(answer: 172 tokens)',
  ]);
  await expectAnswer(w, 'context_task', { action: 'set', task_id: 'docs', keep_previous: true }, [
    'Current task: docs (was: fix-login).',
    'Token impact: none. Working set: 635 tokens (12.7% of budget), 9 segments.',
    'Next: context_task {"action": "show"} shows its context; new notes and decisions now belong to it.',
    '(answer: 62 tokens)',
  ]);
  await w.close();
});

const MALFORMED: [tool: string, input: unknown, message: string, host?: ToolHost][] = [
  ['context_stash', { ids: '12' }, '`ids` must be an array of segment ids, e.g. [12, 15]; got "12".'],
  ['context_stash', { ids: [12, '15'] }, '`ids[1]` must be a segment id (a whole number of at least 1), e.g. 12; got "15".'],
  ['context_stash', { ids: [] }, '`ids` must have at least 1 item, e.g. [12, 15]; got [].'],
  ['context_stash', { ids: [0] }, '`ids[0]` must be a segment id (a whole number of at least 1), e.g. 12; got 0.'],
  ['context_stash', {}, 'Say which segments to stash: `ids` (e.g. {"ids": [12, 15]}), a `query` and/or filters (`file_path`, `file_prefix`, `task_id`, `tags`, `types`), or a GC target (`target_tokens` or `target_percent`).'],
  ['context_stash', { ids: [1], query: 'x' }, 'Choose segments one way per call: `ids`, or a query/filters, or a GC target; got `ids` and `query`.'],
  ['context_stash', { query: 'chart', target_tokens: 10 }, 'Choose segments one way per call: `ids`, or a query/filters, or a GC target; got `query` and `target_tokens`.'],
  ['context_stash', { ids: [99, 100] }, 'No segment with id 99, 100. Find ids with context_search.'],
  ['context_stash', { ids: [1], confirm: true }, '`confirm` is not a parameter of context_stash. Parameters: ids, query, file_path, file_prefix, task_id, tags, types, max_segments, target_tokens, target_percent, include_reachable.', 'vscode'],
  ['context_stash', { ids: [1], confirm: 'yes' }, '`confirm` must be true or false; got "yes".'],
  ['context_plan_gc', { target: 5 }, '`target` is not a parameter of context_plan_gc; did you mean `target_tokens`? Parameters: target_tokens, target_percent, include_reachable, limit.'],
  ['context_plan_gc', { target_tokens: 10, target_percent: 5 }, 'Give `target_tokens` or `target_percent`, not both.'],
  ['context_plan_gc', { target_percent: 150 }, '`target_percent` must be a percentage from 0 to 100, e.g. 50; got 150.'],
  ['context_plan_gc', { target_tokens: 1.5 }, '`target_tokens` must be a number of tokens (a whole number of at least 1), e.g. 20000; got 1.5.'],
  ['context_plan_gc', 'free 1000 tokens', 'The arguments of context_plan_gc must be a JSON object; got "free 1000 tokens".'],
  ['context_plan_gc', [1], 'The arguments of context_plan_gc must be a JSON object; got [1].'],
  ['context_search', {}, '`query` is required: search words, e.g. "token budget".'],
  ['context_search', { query: 'x', tier: 'archived' }, '`tier` must be one of "working", "stashed"; got "archived".'],
  ['context_search', { query: 'x', types: 'log' }, '`types` must be an array of segment types ("message", "code", "log", "note", "decision", "summary"), e.g. ["log"]; got "log".'],
  ['context_search', { query: 'x', limit: 0 }, '`limit` must be a whole number from 1 to 100, e.g. 10; got 0.'],
  ['context_search', { query: 'x', max_tokens: -1 }, '`max_tokens` must be a token count (a whole number of at least 1), e.g. 2000; got -1.'],
  ['context_search', { query: '' }, 'An empty search needs a task, file path or tag filter to list; give a query or one of those filters.'],
  ['context_search', { querry: 'x' }, '`querry` is not a parameter of context_search; did you mean `query`? Parameters: query, file_path, file_prefix, task_id, tags, types, tier, limit, max_tokens, include_text.'],
  ['context_restore', {}, 'Say what to restore: `ids` (e.g. {"ids": [12, 15]}), or "undo_last_gc": true.'],
  ['context_restore', { ids: [1], undo_last_gc: true }, 'Give `ids` or "undo_last_gc": true, not both.'],
  ['context_pin', {}, '`ids` is required: an array of segment ids, e.g. [12, 15].'],
  ['context_pin', { ids: 7 }, '`ids` must be an array of segment ids, e.g. [12, 15]; got 7.'],
  ['context_unpin', { ids: [7], all: true }, '`all` is not a parameter of context_unpin. Parameters: ids.'],
  ['context_add', {}, '`items` is required: an array of items to add, e.g. [{"text": "Use Redis for sessions.", "type": "decision"}].'],
  ['context_add', { items: [] }, '`items` must have at least 1 item, e.g. [{"text": "Use Redis for sessions.", "type": "decision"}]; got [].'],
  ['context_add', { items: [{ text: 'x', type: 'memo' }] }, '`items[0].type` must be one of "note", "decision", "summary", "log"; got "memo".'],
  ['context_add', { items: [{ text: 'ok', type: 'note' }, { type: 'note' }] }, '`items[1].text` is required: the text to keep, e.g. "Use Redis for sessions.".'],
  ['context_add', { items: [{ text: '', type: 'note' }] }, '`items[0].text` must not be empty, e.g. "Use Redis for sessions.".'],
  ['context_add', { items: [{ text: 'x', type: 'note', line_start: 3 }] }, '`items[0].line_start` needs `file_path` (the file the lines are in).'],
  ['context_add', { items: [{ text: 'x', type: 'note', file_path: 'a.ts', line_end: 3 }] }, '`items[0].line_end` needs `line_start`.'],
  ['context_add', { items: [{ text: 'x', type: 'note', file_path: 'a.ts', line_start: 5, line_end: 3 }] }, '`items[0]`: line_end 3 is before line_start 5.'],
  ['context_add', { items: [{ text: 'x', type: 'note', refs: [404] }] }, 'Reference to segment 404, which does not exist.'],
  ['context_add', { items: [{ text: 'x', type: 'note', tags: 'auth' }] }, '`items[0].tags` must be an array of tag strings, e.g. ["auth"]; got "auth".'],
  ['context_add', { items: [{ text: 'x', type: 'note', text2: 'y' }] }, '`items[0].text2` is not a field of `items[0]`; did you mean `text`? Fields: text, type, tags, file_path, line_start, line_end, refs, pin, task_id.'],
  ['context_add', { text: 'x', type: 'note' }, '`text` is not a parameter of context_add. Parameters: items.'],
  ['context_task', {}, '`action` is required: one of "set", "show", "snapshot", "list", "resume".'],
  ['context_task', { action: 'switch', task_id: 'x' }, '`action` must be one of "set", "show", "snapshot", "list", "resume"; got "switch".'],
  ['context_task', { action: 'set' }, 'Action "set" needs `task_id`, e.g. {"action": "set", "task_id": "fix-login"}.'],
  ['context_task', { action: 'show', title: 'x' }, '`title` does not apply to action "show" (only to "set").'],
  ['context_task', { action: 'resume' }, 'Action "resume" needs `snapshot_id`, e.g. {"action": "resume", "snapshot_id": 41}.'],
  ['context_task', { action: 'resume', snapshot_id: 4 }, 'Segment #4 is not a task snapshot; context_task {"action": "show"} lists a task\'s snapshots.'],
  ['context_task', { action: 'list', task_id: 'x' }, '`task_id` does not apply to action "list" (only to "set", "show", "snapshot").'],
  ['context_task', { action: 'snapshot', task_id: 'nope' }, 'Task "nope" has no segments to snapshot.'],
  ['context_stash', { ids: [7] }, 'Segment 7 is pinned; unpin before stashing.'],
  ['context_delete', { ids: [1] }, 'There is no tool "context_delete"; the Context GC tools are context_analyze_usage, context_plan_gc, context_stash, context_search, context_restore, context_pin, context_unpin, context_add, context_task.'],
];

test('malformed arguments and refused calls get an exact error the model can act on', async () => {
  const w = await world();
  await w.engine.pin([7]);
  const before = w.engine.info();
  for (const [tool, input, message, host] of MALFORMED) {
    await expectError(w, tool, input, message, host);
  }
  assert.deepEqual(w.engine.info(), before, 'no malformed call changed anything');
  await w.close();
});

test(`MCP: a call moving more than ${CONFIRM_ABOVE} segments is refused until confirm is true; ${CONFIRM_ABOVE} pass without it`, async () => {
  const w = await world();
  const ids = await addBulk(w, 25);
  const confirmStash =
    'Confirmation needed: this moves 25 segments (125 tokens) out of the working set; they stay searchable and can be restored. That is more than 20 segments at once. ' +
    'Ask the user whether to go ahead; if they agree, call context_stash again with the same arguments and "confirm": true.';
  await expectError(w, 'context_stash', { tags: ['bulk'] }, confirmStash);
  await expectError(w, 'context_stash', { tags: ['bulk'], confirm: false }, confirmStash);
  await expectError(w, 'context_stash', { ids }, confirmStash);
  assert.equal(w.engine.info().workingSegments, 33, 'nothing moved');
  await expectAnswer(w, 'context_stash', { ids: ids.slice(0, 20) }, [
    'Stashed 20 segments: #9, #10, #11, #12, #13, #14, #15, #16, #17, #18, #19, #20, … (+8 more) (-100 tokens). Working set: 561 tokens (11.2% of budget), 13 segments.',
    'Next: stashed segments stay searchable (context_search with "tier": "stashed"); bring any back with context_restore {"ids": [9, 10, 11]}.',
    '(answer: 112 tokens)',
  ]);
  // Only segments that would actually move count: 21 ids of which 20 are already stashed pass.
  const r = await runTool('context_stash', { ids: ids.slice(0, 21) }, { api: w.api, host: 'mcp' });
  assert.equal(r.text.split('\n')[0], 'Stashed 1 segment: #29 (-5 tokens). Working set: 556 tokens (11.1% of budget), 12 segments.');
  await expectError(w, 'context_restore', { ids: ids.slice(0, 21) },
    'Confirmation needed: this moves 21 segments (105 tokens) back into the working set. That is more than 20 segments at once. ' +
    'Ask the user whether to go ahead; if they agree, call context_restore again with the same arguments and "confirm": true.');
  await expectError(w, 'context_restore', { undo_last_gc: true }, 'There is no GC to undo.');
  const ok = await runTool('context_restore', { ids: ids.slice(0, 21), confirm: true, include_text: false }, { api: w.api, host: 'mcp' });
  assert.equal(ok.text.split('\n')[0], 'Restored 21 segments: #9, #10, #11, #12, #13, #14, #15, #16, #17, #18, #19, #20, … (+9 more) (+105 tokens). Working set: 661 tokens (13.2% of budget), 33 segments.');
  // A task switch that would stash more than the threshold asks too.
  await expectError(w, 'context_task', { action: 'set', task_id: 'other' },
    'Confirmation needed: switching stashes up to 30 segments (509 tokens) of task fix-login; switching back restores them. That is more than 20 segments at once. ' +
    'Ask the user whether to go ahead; if they agree, call context_task again with the same arguments and "confirm": true.');
  assert.equal(w.engine.currentTask, 'fix-login');
  // Undoing a GC counts what it would bring back.
  const gc = await runTool('context_stash', { target_percent: 0, confirm: true }, { api: w.api, host: 'mcp' });
  assert.match(gc.text, /^Stashed 33 segments: .* \(-661 tokens\)\. Working set: 0 tokens \(0% of budget\), 0 segments\.\n/);
  await expectError(w, 'context_restore', { undo_last_gc: true },
    'Confirmation needed: this moves the 33 segments (661 tokens) the last GC stashed back into the working set. That is more than 20 segments at once. ' +
    'Ask the user whether to go ahead; if they agree, call context_restore again with the same arguments and "confirm": true.');
  assert.equal(w.engine.info().workingSegments, 0);
  await w.close();
});

test('VS Code: prepareTool asks for confirmation above the threshold, changes nothing, and invoke then runs without `confirm`', async () => {
  const w = await world();
  const ids = await addBulk(w, 25);
  const before = w.engine.info();
  assert.deepEqual(await prepareTool('context_stash', { tags: ['bulk'] }, { api: w.api }), {
    invocationMessage: 'Stashing segments matching tags bulk',
    confirmation: { title: 'Stash 25 segments?', message: 'This moves 25 segments (125 tokens) out of the working set; they stay searchable and can be restored.' },
  });
  assert.deepEqual(await prepareTool('context_stash', { ids: ids.slice(0, 20) }, { api: w.api }), { invocationMessage: 'Stashing #9, #10, #11, #12, #13, #14, … (+14 more)' });
  assert.deepEqual(await prepareTool('context_restore', { undo_last_gc: true }, { api: w.api }), { invocationMessage: 'Undoing the last context GC' }, 'no GC to undo');
  assert.deepEqual(await prepareTool('context_task', { action: 'set', task_id: 'other' }, { api: w.api }), {
    invocationMessage: 'Switching to task other',
    confirmation: { title: 'Switch to task other?', message: 'Switching stashes up to 30 segments (509 tokens) of task fix-login; switching back restores them.' },
  });
  assert.deepEqual(await prepareTool('context_task', { action: 'set', task_id: 'other', keep_previous: true }, { api: w.api }), { invocationMessage: 'Switching to task other' });
  // Read-only and never confirmable tools prepare a progress message only, and nothing runs.
  assert.deepEqual(await prepareTool('context_task', { action: 'snapshot' }, { api: w.api }), { invocationMessage: 'Context task: snapshot' });
  assert.deepEqual(await prepareTool('context_add', { items: [{ text: 'x', type: 'note' }] }, { api: w.api }), { invocationMessage: 'Adding a segment to context' });
  assert.deepEqual(await prepareTool('context_search', { query: 'redirect' }, { api: w.api }), { invocationMessage: 'Searching context for "redirect"' });
  assert.deepEqual(await prepareTool('context_pin', { ids: 'x' }, { api: w.api }), { invocationMessage: 'Pin Context' });
  assert.deepEqual(w.engine.info(), before, 'prepare changed nothing');
  // VS Code already asked the user, so invoke runs; `confirm` is not part of VS Code's schema.
  const r = await runTool('context_stash', { tags: ['bulk'] }, { api: w.api, host: 'vscode' });
  assert.equal(r.text.split('\n')[0], 'Stashed 25 segments: #33, #32, #31, #30, #29, #28, #27, #26, #25, #24, #23, #22, … (+13 more) (-125 tokens). Working set: 536 tokens (10.7% of budget), 8 segments.');
  await runTool('context_stash', { target_percent: 0 }, { api: w.api, host: 'vscode' });
  assert.deepEqual(await prepareTool('context_restore', { undo_last_gc: true }, { api: w.api, confirmAbove: 5 }), {
    invocationMessage: 'Undoing the last context GC',
    confirmation: { title: 'Undo the last GC?', message: 'This moves the 8 segments (536 tokens) the last GC stashed back into the working set.' },
  });
  await w.close();
});

test('every answer states its own size: "(answer: N tokens)" equals js-tiktoken\'s count of the whole answer, in both encodings', async () => {
  for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
    const w = await world();
    if (encoding !== 'o200k_base') await w.engine.setEncoding(encoding);
    const calls: [string, unknown][] = [
      ['context_analyze_usage', {}], ['context_plan_gc', { target_tokens: 100 }], ['context_search', { query: 'redirect', include_text: true }],
      ['context_stash', { ids: [1] }], ['context_restore', { ids: [1] }], ['context_pin', { ids: [4] }], ['context_unpin', { ids: [4] }],
      ['context_add', { items: [{ text: 'ünïcödé ✓ "quotes" and emoji 🚀', type: 'note' }] }], ['context_task', { action: 'show' }],
    ];
    for (const [tool, input] of calls) {
      const r = await runTool(tool, input, { api: w.api, host: 'mcp' });
      assert.equal(r.isError, false, r.text);
      assert.equal(Number(/\(answer: (\d+) tokens\)$/.exec(r.text)?.[1]), tiktokenCount(r.text, encoding), `${tool} in ${encoding}`);
    }
    await w.close();
  }
});

test('withCost finds the stated size that includes the cost line itself', () => {
  const count = (s: string) => tiktokenCount(s);
  for (const body of ['x', 'Stashed 3 segments.', 'word '.repeat(95).trim(), 'word '.repeat(994).trim()]) {
    const { text, tokens } = withCost(body, count);
    assert.equal(text, `${body}\n(answer: ${tokens} tokens)`);
    assert.equal(tokens, count(text));
  }
});
