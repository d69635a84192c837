// The tool declarations agree with themselves and with the outside world: package.json carries exactly
// the declared tools, every schema is valid JSON Schema (ajv, strict), ajv and our validator accept and
// refuse the same arguments, and the MCP variant differs from VS Code's only by `confirm`.
// (The hand-written TypeScript input types are checked against the schemas at compile time:
// `InputTypesMatchSchemas` in src/protocol/toolInputs.ts, which `tsc --noEmit` type-checks.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { CONFIRM_ABOVE, inputSchemaFor, languageModelToolsContribution, mcpToolList, TOOL_NAMES, TOOLS } from '../../src/protocol/tools';
import { checkInput } from '../../src/protocol/toolSchema';
import type { InputTypesMatchSchemas } from '../../src/protocol/toolInputs';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { languageModelTools: unknown } };

test('package.json languageModelTools is exactly what the declarations produce (node --import tsx scripts/sync-tool-manifest.ts)', () => {
  assert.deepEqual(pkg.contributes.languageModelTools, languageModelToolsContribution());
});

test('tool names are unique, snake_case with the context_ prefix, and each tells the model when to use it', () => {
  assert.deepEqual(TOOLS.map((t) => t.name), [...TOOL_NAMES]);
  assert.equal(new Set(TOOL_NAMES).size, 9);
  for (const t of TOOLS) {
    assert.match(t.name, /^context_[a-z_]{2,56}$/);
    assert.match(t.modelDescription, /\bUse\b/, `${t.name} says when to use it`);
    assert.ok(t.modelDescription.length < 1024, `${t.name} description is short`);
  }
  const unused: InputTypesMatchSchemas | undefined = undefined;
  assert.equal(unused, undefined);
});

test('the MCP schema is the VS Code schema plus `confirm` for the tools that move many segments', () => {
  const confirming = TOOLS.filter((t) => t.confirms).map((t) => t.name);
  assert.deepEqual(confirming, ['context_stash', 'context_restore', 'context_task']);
  for (const t of mcpToolList()) {
    const spec = TOOLS.find((x) => x.name === t.name)!;
    const vs = inputSchemaFor(spec, 'vscode');
    if (spec.confirms) {
      const { confirm, ...rest } = t.inputSchema.properties!;
      assert.deepEqual(confirm, { type: 'boolean', description: `Set to true only after the user agreed: a call that would move more than ${CONFIRM_ABOVE} segments is refused until then.` });
      assert.deepEqual({ ...t.inputSchema, properties: rest }, vs);
    } else {
      assert.deepEqual(t.inputSchema, vs);
    }
    assert.deepEqual(t.annotations, { title: spec.displayName, readOnlyHint: spec.readOnly, destructiveHint: false, idempotentHint: spec.idempotent, openWorldHint: false });
  }
});

/** Arguments a model might send: valid ones, and every way of getting the shape wrong. */
const SAMPLES: Record<string, unknown[]> = {
  context_analyze_usage: [{}, { top: 3 }, { top: 0 }, { top: 21 }, { top: 2.5 }, { top: '3' }, { extra: 1 }, [], 'x', null],
  context_plan_gc: [{}, { target_tokens: 1 }, { target_percent: 0 }, { target_percent: 100 }, { target_percent: 101 }, { target_tokens: 0 }, { include_reachable: 'no' }, { limit: 51 }, { target_tokens: 5, target_percent: 5 }],
  context_stash: [
    { ids: [1, 2] }, { ids: [] }, { ids: '12' }, { ids: [1.5] }, { ids: [0] }, { ids: ['1'] }, { query: '' }, { query: 'x', types: ['log', 'note'] },
    { types: ['memo'] }, { tags: [''] }, { tags: ['a'.repeat(65)] }, { file_path: '' }, { max_segments: 1001 }, { ids: [1], confirm: true }, { confirm: 1 }, {},
  ],
  context_search: [
    { query: 'x' }, { query: '' }, {}, { query: 1 }, { query: 'x', tier: 'working' }, { query: 'x', tier: 'all' }, { query: 'x', limit: 100 }, { query: 'x', limit: 101 },
    { query: 'x', max_tokens: 0 }, { query: 'x', include_text: 1 }, { query: 'x', types: [] }, { query: 'x', tags: ['a', 'b'] }, { query: 'x'.repeat(1001) },
  ],
  context_restore: [{ ids: [3] }, { undo_last_gc: true }, { undo_last_gc: 'yes' }, { ids: [3], max_tokens: 200_001 }, { ids: [3], include_text: false }, {}, { ids: [3], confirm: false }],
  context_pin: [{ ids: [1] }, {}, { ids: 1 }, { ids: [1], extra: true }, { ids: [-1] }],
  context_unpin: [{ ids: [1] }, { id: [1] }],
  context_add: [
    { items: [{ text: 'x', type: 'note' }] }, { items: [] }, { items: {} }, { items: [{ text: 'x' }] }, { items: [{ type: 'note' }] }, { items: [{ text: '', type: 'note' }] },
    { items: [{ text: 'x', type: 'code' }] }, { items: [{ text: 'x', type: 'log', line_start: 0 }] }, { items: [{ text: 'x', type: 'log', refs: [1, 2], pin: true, tags: ['t'], file_path: 'a', line_start: 1, line_end: 2, task_id: 'k' }] },
    { items: [{ text: 'x', type: 'note', extra: 1 }] }, { items: Array.from({ length: 101 }, () => ({ text: 'x', type: 'note' })) }, { items: [null] },
  ],
  context_task: [{ action: 'set', task_id: 'a' }, { action: 'show' }, { action: 'go' }, {}, { action: 'set', task_id: '' }, { action: 'resume', snapshot_id: 0 }, { action: 'set', title: 'x'.repeat(201) }, { action: 'list', keep_previous: 'y' }],
};

test('ajv (strict) compiles every schema and accepts and refuses exactly what our validator does', () => {
  const ajv = new Ajv({ strict: true, allErrors: false });
  let accepted = 0;
  let refused = 0;
  for (const t of TOOLS) {
    for (const host of ['vscode', 'mcp'] as const) {
      const schema = inputSchemaFor(t, host);
      const validate = ajv.compile(schema);
      for (const sample of SAMPLES[t.name]) {
        const ours = checkInput(schema, sample, t.name);
        const theirs = validate(sample);
        assert.equal(theirs, ours === null, `${t.name} (${host}) ${JSON.stringify(sample)?.slice(0, 80)}: ajv ${theirs}, ours ${ours}`);
        if (theirs) accepted++;
        else refused++;
      }
    }
  }
  assert.deepEqual({ accepted, refused }, { accepted: 54, refused: 110 });
});
