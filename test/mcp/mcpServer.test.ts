// The real MCP server process (node --import tsx src/mcp/server.ts, and the built dist/mcp.js), spoken
// to over stdio by the official SDK client: the tool list, every tool's happy path with exact answers,
// exact errors, the confirm rule, and a store that survives the server's shutdown.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContextEngine } from '../../src/engine/engine';
import { openSqliteStore } from '../../src/engine/store/sqlite';
import { LOCK_FILE } from '../../src/engine/store/lock';
import { ENDPOINT_FILE } from '../../src/rpc/endpoint';
import { mcpToolList } from '../../src/protocol/tools';
import { INSTRUCTIONS } from '../../src/mcp/mcpServer';
import { tiktokenCount } from '../engine/helpers';
import { tempDir } from '../engine/storeHelpers';
import { closeAll, distBuilt, startMcp, type McpProc } from './mcpHelpers';

after(closeAll);

async function expectAnswer(p: McpProc, tool: string, args: Record<string, unknown>, lines: string[]): Promise<void> {
  const r = await p.call(tool, args);
  assert.equal(r.isError, false, r.text);
  assert.equal(r.text, lines.join('\n'));
  assert.equal(Number(/\(answer: (\d+) tokens\)$/.exec(r.text)?.[1]), tiktokenCount(r.text));
}

async function expectError(p: McpProc, tool: string, args: Record<string, unknown>, message: string): Promise<void> {
  const r = await p.call(tool, args);
  assert.equal(r.isError, true, r.text);
  assert.equal(r.text, message);
}

const SEED = [
  { text: 'npm test: 42 passing, 3 failing in auth/redirect.spec.ts', type: 'log', tags: ['ci'] },
  { text: 'Decided: set the session cookie before redirecting, not after.', type: 'decision' },
  { text: 'The redirect loop comes from the auth middleware re-reading an empty session.', type: 'note', tags: ['auth'], file_path: 'src/auth/middleware.ts', line_start: 3, line_end: 9 },
];

test('initialize names the server and its instructions; tools/list is the nine declared tools with their schemas', async () => {
  const p = await startMcp(tempDir('mcp'));
  assert.deepEqual(p.client.getServerVersion(), { name: 'context-gc', version: '0.1.0' });
  assert.equal(p.client.getInstructions(), INSTRUCTIONS);
  const { tools } = await p.client.listTools();
  assert.deepEqual(tools, mcpToolList());
  await p.close();
});

test('every tool over stdio: add, task, search, stash, restore, pin, unpin, usage, plan, show, list', async () => {
  const dir = tempDir('mcp');
  const p = await startMcp(dir);
  await expectAnswer(p, 'context_add', { items: SEED }, [
    'Added 3 segments: #1 log 16 tok, #2 decision 14 tok, #3 note 14 tok (+44 tokens). Working set: 44 tokens (0% of budget), 3 segments.',
    'Next: pin decisions that must survive GC: context_pin {"ids": [2]}.',
    '(answer: 69 tokens)',
  ]);
  await expectAnswer(p, 'context_task', { action: 'set', task_id: 'fix-login', title: 'Fix the login redirect loop' }, [
    'Current task: fix-login (was: none).',
    'Token impact: none. Working set: 44 tokens (0% of budget), 3 segments.',
    'Next: context_task {"action": "show"} shows its context; new notes and decisions now belong to it.',
    '(answer: 60 tokens)',
  ]);
  await expectAnswer(p, 'context_add', { items: [{ text: 'Root cause: cookie set after redirect.', type: 'summary' }] }, [
    'Added 1 segment: #4 summary 8 tok (+8 tokens). Working set: 52 tokens (0% of budget), 4 segments.',
    'Next: find them later with context_search; link related segments through `refs`.',
    '(answer: 53 tokens)',
  ]);
  await expectAnswer(p, 'context_search', { query: 'redirect session' }, [
    '4 segments match "redirect session"; showing 4 (52 tokens in full):',
    '#3 note working 14 tok src/auth/middleware.ts:3-9: …redirect loop comes from the auth middleware re-reading an empty session.',
    '#2 decision working 14 tok: …set the session cookie before redirecting, not after.',
    '#4 summary working 8 tok: …cookie set after redirect.',
    '#1 log working 16 tok: …3 failing in auth/redirect.spec.ts',
    'Nothing changed. Next: "include_text": true shows their full text here.',
    '(answer: 121 tokens)',
  ]);
  await expectAnswer(p, 'context_stash', { ids: [1] }, [
    'Stashed 1 segment: #1 (-16 tokens). Working set: 36 tokens (0% of budget), 3 segments.',
    'Next: stashed segments stay searchable (context_search with "tier": "stashed"); bring any back with context_restore {"ids": [1]}.',
    '(answer: 65 tokens)',
  ]);
  await expectAnswer(p, 'context_search', { query: 'failing', tier: 'stashed', include_text: true }, [
    '1 segment matches "failing", tier stashed; showing 1 (16 tokens in full):',
    '--- #1 log stashed 16 tok "npm test: 42 passing, 3 failing in auth…"',
    'npm test: 42 passing, 3 failing in auth/redirect.spec.ts',
    'Nothing changed. Next: context_restore {"ids": [1]} brings stashed hits back.',
    '(answer: 86 tokens)',
  ]);
  await expectAnswer(p, 'context_restore', { ids: [1] }, [
    'Restored 1 segment: #1 (+16 tokens). Working set: 52 tokens (0% of budget), 4 segments.',
    '--- #1 log 16 tok "npm test: 42 passing, 3 failing in auth…"',
    'npm test: 42 passing, 3 failing in auth/redirect.spec.ts',
    'Next: pin what must stay with context_pin {"ids": [1]}; stash it again when done.',
    '(answer: 95 tokens)',
  ]);
  await expectAnswer(p, 'context_pin', { ids: [2] }, [
    'Pinned 1 segment: #2 (14 tokens): GC never collects it.',
    'Token impact: none (pins do not move segments). Working set: 52 tokens (0% of budget), 4 segments.',
    'Next: unpin with context_unpin when they stop mattering; pinned segments count against the budget.',
    '(answer: 70 tokens)',
  ]);
  await expectAnswer(p, 'context_unpin', { ids: [2] }, [
    'Unpinned 1 segment: #2 (14 tokens): GC may collect it again.',
    'Token impact: none (pins do not move segments). Working set: 52 tokens (0% of budget), 4 segments.',
    'Next: context_plan_gc shows whether GC would now collect them.',
    '(answer: 65 tokens)',
  ]);
  await expectAnswer(p, 'context_analyze_usage', {}, [
    'Working set: 52 of 1,000,000 tokens (0%, band ok; warnings at 60/80/90%), 4 segments. Stashed: 0 tokens in 0 segments. Health 92/100.',
    'Largest: #1 log 16 tok "npm test: 42 passing, 3 failing in auth…" · #2 decision 14 tok "Decided: set the session cookie before …" · #3 note 14 tok src/auth/middleware.ts:3-9 · #4 summary 8 tok "Root cause: cookie set after redirect."',
    'By type: log 16 · decision 14 · note 14 · summary 8',
    'By task: (no task) 44 · fix-login 8',
    'Pinned: 0 segments, 0 tokens. Unreachable from roots: 44 tokens. Current task: fix-login.',
    'Nothing changed. Next: Stash old logs and tool output; they stay searchable in the stash. e.g. context_stash {"types": ["log"]}.',
    '(answer: 219 tokens)',
  ]);
  // The plan's reasons carry ages from the server's real clock, so only its shape is exact here.
  const plan = await p.call('context_plan_gc', { target_tokens: 10 });
  const lines = plan.text.split('\n');
  assert.equal(lines.length, 4);
  assert.equal(lines[0], 'GC plan to free 10 tokens: stash 1 segment, 16 tokens; 0% -> 0% of 1,000,000.');
  assert.match(lines[1], /^#1 log 16 tok "npm test: 42 passing, 3 failing in auth…": unreachable log, touched \d+ s ago, not referenced$/);
  assert.equal(lines[2], 'Nothing changed. Next: context_stash {"target_tokens": 10} stashes this plan; or stash a subset: context_stash {"ids": [1]}.');
  assert.equal(Number(/\(answer: (\d+) tokens\)$/.exec(lines[3])?.[1]), tiktokenCount(plan.text));
  await expectAnswer(p, 'context_task', { action: 'show' }, [
    'Task fix-login "Fix the login redirect loop" (current): 1 working segment, 8 tokens; 0 stashed, 0 tokens.',
    'Recent: #4 summary 8 tok "Root cause: cookie set after redirect."',
    'Nothing changed. Next: context_task {"action": "snapshot"} condenses it before pruning.',
    '(answer: 73 tokens)',
  ]);
  await expectAnswer(p, 'context_task', { action: 'list' }, [
    '1 task: fix-login (current) "Fix the login redirect loop"',
    'Nothing changed. Next: context_task {"action": "show", "task_id": "fix-login"} or switch with "action": "set".',
    '(answer: 51 tokens)',
  ]);
  await p.close();

  // The server closed the store cleanly: lock and endpoint gone, everything durable.
  assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false);
  assert.equal(fs.existsSync(path.join(dir, ENDPOINT_FILE)), false);
  const engine = await ContextEngine.open({ store: await openSqliteStore(dir, { purpose: 'check' }), search: false });
  assert.deepEqual(engine.list().map((m) => [m.id, m.type, m.tier, m.taskId]), [[1, 'log', 'working', null], [2, 'decision', 'working', null], [3, 'note', 'working', null], [4, 'summary', 'working', 'fix-login']]);
  assert.equal(engine.currentTask, 'fix-login');
  await engine.close();
});

test('malformed arguments, unknown tools and unconfirmed bulk moves come back as isError results the model can act on', async () => {
  const p = await startMcp(tempDir('mcp'));
  await expectError(p, 'context_stash', { ids: '12' }, '`ids` must be an array of segment ids, e.g. [12, 15]; got "12".');
  await expectError(p, 'context_search', {}, '`query` is required: search words, e.g. "token budget".');
  await expectError(p, 'context_plan_gc', { target: 5 }, '`target` is not a parameter of context_plan_gc; did you mean `target_tokens`? Parameters: target_tokens, target_percent, include_reachable, limit.');
  await expectError(p, 'context_add', { items: [{ text: 'x', type: 'memo' }] }, '`items[0].type` must be one of "note", "decision", "summary", "log"; got "memo".');
  await expectError(p, 'context_restore', { ids: [404] }, 'No segment with id 404. Find ids with context_search.');
  await expectError(p, 'context_task', { action: 'show' }, 'There is no current task: give `task_id`, or start one with context_task {"action": "set", "task_id": "fix-login"}.');
  await expectError(p, 'context_nope', {}, 'There is no tool "context_nope"; the Context GC tools are context_analyze_usage, context_plan_gc, context_stash, context_search, context_restore, context_pin, context_unpin, context_add, context_task.');

  const items = Array.from({ length: 21 }, (_, i) => ({ text: `log line ${i}`, type: 'log', tags: ['bulk'] }));
  assert.equal((await p.call('context_add', { items })).isError, false);
  await expectError(p, 'context_stash', { tags: ['bulk'] },
    'Confirmation needed: this moves 21 segments (84 tokens) out of the working set; they stay searchable and can be restored. That is more than 20 segments at once. ' +
    'Ask the user whether to go ahead; if they agree, call context_stash again with the same arguments and "confirm": true.');
  const ok = await p.call('context_stash', { tags: ['bulk'], confirm: true });
  assert.equal(ok.isError, false, ok.text);
  assert.equal(ok.text.split('\n')[0], 'Stashed 21 segments: #21, #20, #19, #18, #17, #16, #15, #14, #13, #12, #11, #10, … (+9 more) (-84 tokens). Working set: 0 tokens (0% of budget), 0 segments.');
  await p.close();
});

test('the built server (dist/mcp.js) lists the tools and answers', { skip: !distBuilt() && 'dist/mcp.js is not built (npm run build)' }, async () => {
  const p = await startMcp(tempDir('mcp'), { bin: 'dist' });
  assert.deepEqual((await p.client.listTools()).tools.map((t) => t.name), mcpToolList().map((t) => t.name));
  await expectAnswer(p, 'context_add', { items: [SEED[1]] }, [
    'Added 1 segment: #1 decision 14 tok (+14 tokens). Working set: 14 tokens (0% of budget), 1 segment.',
    'Next: pin decisions that must survive GC: context_pin {"ids": [1]}.',
    '(answer: 55 tokens)',
  ]);
  await p.close();
});
