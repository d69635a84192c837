// The Context GC Language Model Tools inside the real extension host, through the real registration
// path: vscode.lm.tools lists what package.json declares, vscode.lm.invokeTool runs each tool against the
// extension's engine worker (no chat model needed: invokeTool without a toolInvocationToken is allowed),
// malformed arguments reject with the exact message, and confirmation is asked above the threshold.
//
// What cannot be observed here: with no chat session, VS Code shows a confirmation as a modal dialog, and
// in extension-test mode its DialogService answers every confirm() with "confirmed" without showing
// anything (skipDialogs when extensionTestsLocationURI is set). So invokeTool above the threshold runs;
// the confirmation text itself is checked on the registered tool object's prepareInvocation.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { createTokenCounter } from '../../../src/engine/tokens';
import { languageModelToolsContribution, TOOL_NAMES } from '../../../src/protocol/tools';
import { activate, engine, list, reset, totals } from './helpers';

interface ToolsExports {
  lmTools: { tools: ReadonlyMap<string, vscode.LanguageModelTool<Record<string, unknown>>> };
}

const counter = createTokenCounter('o200k_base');

/** Invokes a tool and returns its answer without the "(answer: N tokens)" line, after checking that line. */
async function invoke(name: string, input: object): Promise<string> {
  const result = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
  const text = result.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : `<${typeof p}>`)).join('');
  assert.equal(Number(/\n\(answer: (\d+) tokens\)$/.exec(text)?.[1]), counter.count(text), `the cost line of ${name} counts the whole answer`);
  return text.slice(0, text.lastIndexOf('\n'));
}

async function invokeFails(name: string, input: unknown): Promise<string> {
  try {
    await vscode.lm.invokeTool(name, { input: input as object, toolInvocationToken: undefined });
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail(`${name} ${JSON.stringify(input)} did not fail`);
}

const token = new vscode.CancellationTokenSource().token;

suite('Context GC Language Model Tools', () => {
  let exportsApi: ToolsExports;
  suiteSetup(async () => {
    const ext = await activate();
    exportsApi = ext.exports as ToolsExports;
    await reset();
  });
  setup(reset);
  suiteTeardown(reset);

  test('vscode.lm.tools lists the nine tools exactly as package.json declares them', () => {
    const ours = vscode.lm.tools.filter((t) => t.tags.includes('context-gc'));
    assert.deepEqual(ours.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
    const declared = new Map(languageModelToolsContribution().map((c) => [c.name as string, c]));
    for (const t of ours) {
      const c = declared.get(t.name)!;
      assert.equal(t.description, c.modelDescription);
      assert.deepEqual(t.inputSchema, c.inputSchema);
    }
    assert.deepEqual([...exportsApi.lmTools.tools.keys()], [...TOOL_NAMES]);
  });

  test('invokeTool runs every tool against the extension\'s engine and answers with what changed, the impact and a next step', async () => {
    const before = (await engine<{ currentTask: string | null }>('info')).currentTask;
    assert.equal(await invoke('context_task', { action: 'set', task_id: 'lm-tools', title: 'LM tools', keep_previous: true }), [
      `Current task: lm-tools (was: ${before ?? 'none'}).`,
      'Token impact: none. Working set: 0 tokens (0% of budget), 0 segments.',
      'Next: context_task {"action": "show"} shows its context; new notes and decisions now belong to it.',
    ].join('\n'));
    const added = await invoke('context_add', { items: [
      { text: 'The redirect loop comes from the auth middleware re-reading an empty session.', type: 'note', tags: ['auth'] },
      { text: 'Decided: set the session cookie before redirecting, not after.', type: 'decision' },
    ] });
    const [a, b] = (await list()).map((m) => m.id).slice(-2);
    assert.equal(added, [
      `Added 2 segments: #${a} note 14 tok, #${b} decision 14 tok (+28 tokens). Working set: 28 tokens (0% of budget), 2 segments.`,
      `Next: pin decisions that must survive GC: context_pin {"ids": [${b}]}.`,
    ].join('\n'));
    const search = await invoke('context_search', { query: 'redirect session' });
    assert.equal(search.split('\n')[0], '2 segments match "redirect session"; showing 2 (28 tokens in full):');
    assert.equal(await invoke('context_stash', { ids: [a] }), [
      `Stashed 1 segment: #${a} (-14 tokens). Working set: 14 tokens (0% of budget), 1 segment.`,
      `Next: stashed segments stay searchable (context_search with "tier": "stashed"); bring any back with context_restore {"ids": [${a}]}.`,
    ].join('\n'));
    assert.deepEqual((await list({ tier: 'stashed' })).map((m) => m.id), [a]);
    assert.equal(await invoke('context_restore', { ids: [a] }), [
      `Restored 1 segment: #${a} (+14 tokens). Working set: 28 tokens (0% of budget), 2 segments.`,
      `--- #${a} note 14 tok "The redirect loop comes from the auth m…"`,
      'The redirect loop comes from the auth middleware re-reading an empty session.',
      `Next: pin what must stay with context_pin {"ids": [${a}]}; stash it again when done.`,
    ].join('\n'));
    assert.match(await invoke('context_pin', { ids: [b] }), new RegExp(`^Pinned 1 segment: #${b} \\(14 tokens\\): GC never collects it\\.\n`));
    assert.match(await invoke('context_unpin', { ids: [b] }), new RegExp(`^Unpinned 1 segment: #${b} \\(14 tokens\\): GC may collect it again\\.\n`));
    assert.equal((await invoke('context_analyze_usage', { top: 1 })).split('\n')[0],
      'Working set: 28 of 1,000,000 tokens (0%, band ok; warnings at 60/80/90%), 2 segments. Stashed: 0 tokens in 0 segments. Health 100/100.');
    assert.equal((await invoke('context_plan_gc', { target_tokens: 10 })).split('\n')[0], 'GC plan to free 10 tokens: stash 1 segment, 14 tokens; 0% -> 0% of 1,000,000.');
    assert.equal((await invoke('context_task', { action: 'show' })).split('\n')[0], 'Task lm-tools "LM tools" (current): 2 working segments, 28 tokens; 0 stashed, 0 tokens.');
    if (before !== null) await invoke('context_task', { action: 'set', task_id: before, keep_previous: true });
  });

  test('malformed arguments reject with the exact message the model can act on; VS Code\'s schema has no `confirm`', async () => {
    assert.equal(await invokeFails('context_stash', { ids: '12' }), '`ids` must be an array of segment ids, e.g. [12, 15]; got "12".');
    assert.equal(await invokeFails('context_search', {}), '`query` is required: search words, e.g. "token budget".');
    assert.equal(await invokeFails('context_plan_gc', { target: 5 }), '`target` is not a parameter of context_plan_gc; did you mean `target_tokens`? Parameters: target_tokens, target_percent, include_reachable, limit.');
    assert.equal(await invokeFails('context_add', { items: [{ text: 'x', type: 'memo' }] }), '`items[0].type` must be one of "note", "decision", "summary", "log"; got "memo".');
    assert.equal(await invokeFails('context_restore', { ids: [999999] }), 'No segment with id 999999. Find ids with context_search.');
    assert.equal(
      await invokeFails('context_stash', { ids: [1], confirm: true }),
      '`confirm` is not a parameter of context_stash. Parameters: ids, query, file_path, file_prefix, task_id, tags, types, max_segments, target_tokens, target_percent, include_reachable.',
    );
    assert.deepEqual(await list(), []);
  });

  test('above 20 segments prepareInvocation asks for confirmation; at 20 it does not; invoke then moves them', async () => {
    const items = Array.from({ length: 21 }, (_, i) => ({ text: `log line ${i}`, type: 'log', tags: ['lm-bulk'] }));
    await invoke('context_add', { items });
    const stash = exportsApi.lmTools.tools.get('context_stash')!;
    const prepared = await stash.prepareInvocation!({ input: { tags: ['lm-bulk'] } }, token);
    assert.equal(prepared?.invocationMessage, 'Stashing segments matching tags lm-bulk');
    assert.equal(prepared?.confirmationMessages?.title, 'Stash 21 segments?');
    assert.equal((prepared?.confirmationMessages?.message as vscode.MarkdownString).value, 'This moves 21 segments (84 tokens) out of the working set; they stay searchable and can be restored.');
    const ids = (await list()).map((m) => m.id);
    const twenty = await stash.prepareInvocation!({ input: { ids: ids.slice(0, 20) } }, token);
    assert.equal(twenty?.confirmationMessages, undefined);
    assert.equal((await totals()).workingSegments, 21, 'preparing changed nothing');
    // Through invokeTool the workbench asks (a dialog, auto-confirmed in test mode), then invoke runs.
    const text = await invoke('context_stash', { tags: ['lm-bulk'] });
    assert.match(text, /^Stashed 21 segments: #\d+, .* \(-84 tokens\)\. Working set: 0 tokens \(0% of budget\), 0 segments\.\n/);
    assert.equal((await list({ tier: 'stashed' })).length, 21);
  });
});
