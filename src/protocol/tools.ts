// The agent tools, declared once for both hosts: VS Code Language Model Tools (package.json
// `languageModelTools` + vscode.lm.registerTool, src/host/tools/) and the stdio MCP server (src/mcp/).
// Each tool has a name, a description that tells the model when to use it, a JSON input schema (its
// TypeScript type checked against it in toolInputs.ts), and an implementation over EngineApi
// (toolImpl.ts) that answers in compact text ending with what the answer itself costs:
// "(answer: 84 tokens)".
//
// Confirmation: a call that would move more than CONFIRM_ABOVE segments stops at its gate. In VS Code,
// prepareTool() runs the tool up to that gate against a read-only engine and returns confirmation
// messages, which VS Code shows before invoking; in MCP, where no host asks the user, the call is
// refused with a message telling the model to ask the user and call again with "confirm": true.

import type { EngineApi } from './engineApi';
import { ENGINE_METHODS, type EngineMethod } from './engineApi';
import { ContextGcError, type Encoding } from '../engine/model';
import { createTokenCounter } from '../engine/tokens';
import { bool, checkInput, ToolInputError, withProperty, type JsonSchema, type Schema } from './toolSchema';
import {
  addSchema,
  pinSchema,
  planSchema,
  restoreSchema,
  searchSchema,
  stashSchema,
  taskSchema,
  usageSchema,
  type AddInput,
  type PinInput,
  type PlanInput,
  type RestoreInput,
  type SearchInput,
  type StashInput,
  type TaskInput,
  type UsageInput,
} from './toolInputs';
import { addTool, describeFilters, idList, n, pinTool, planTool, restoreTool, searchTool, stashTool, taskTool, usageTool, type Moving, type ToolEnv } from './toolImpl';

/** Calls that would move more segments than this need the user's confirmation. */
export const CONFIRM_ABOVE = 20;

export const TOOL_NAMES = [
  'context_analyze_usage',
  'context_plan_gc',
  'context_stash',
  'context_search',
  'context_restore',
  'context_pin',
  'context_unpin',
  'context_add',
  'context_task',
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export type ToolHost = 'vscode' | 'mcp';

export interface ToolSpec<I = unknown> {
  name: ToolName;
  displayName: string;
  /** `#name` in VS Code chat. */
  referenceName: string;
  /** A codicon id. */
  icon: string;
  userDescription: string;
  /** When to use the tool: what the model reads. */
  modelDescription: string;
  schema: Schema<I>;
  /** Changes nothing (MCP readOnlyHint). */
  readOnly: boolean;
  /** Repeating the call changes nothing more (MCP idempotentHint). */
  idempotent: boolean;
  /** May move many segments: confirmation above CONFIRM_ABOVE (VS Code dialog; MCP `confirm`). */
  confirms: boolean;
  /** The progress message VS Code shows while the tool runs. */
  progress(input: I): string;
  run(input: I, env: ToolEnv, confirmAbove: number): Promise<string[]>;
}

function spec<I>(s: ToolSpec<I>): ToolSpec {
  return s as unknown as ToolSpec;
}

const quoted = (s: string | undefined) => JSON.stringify(s ?? '');

export const TOOLS: readonly ToolSpec[] = [
  spec<UsageInput>({
    name: 'context_analyze_usage',
    displayName: 'Context Usage',
    referenceName: 'contextUsage',
    icon: 'dashboard',
    userDescription: 'How full the context budget is, what uses it, and what to do about it.',
    modelDescription:
      'Shows how full the context budget is: working-set tokens and percent, the warning band (60/80/90%), the largest segments, tokens by type and task, pins, ' +
      'a health score and a recommended next step. Use it before pruning, when the user asks about context size or tokens, or when earlier details seem lost. Read-only.',
    schema: usageSchema,
    readOnly: true,
    idempotent: true,
    confirms: false,
    progress: () => 'Reading context usage',
    run: (input, env) => usageTool(input, env),
  }),
  spec<PlanInput>({
    name: 'context_plan_gc',
    displayName: 'Plan Context GC',
    referenceName: 'contextPlanGc',
    icon: 'checklist',
    userDescription: 'Preview which segments a garbage collection would stash, and why.',
    modelDescription:
      'Previews a garbage collection without changing anything: which working segments would be stashed to free `target_tokens` (or to get under `target_percent` of the budget, default 60%), ' +
      'the reason for each (unreachable, untouched for long, low-value type) and the percent before and after. Pinned segments, the current task\'s key segments, open editors and recent messages ' +
      'are roots and go last. Use before context_stash with a target, and show the plan to the user when it is large. Read-only.',
    schema: planSchema,
    readOnly: true,
    idempotent: true,
    confirms: false,
    progress: () => 'Planning a context GC',
    run: (input, env, above) => planTool(input, env, above),
  }),
  spec<StashInput>({
    name: 'context_stash',
    displayName: 'Stash Context',
    referenceName: 'contextStash',
    icon: 'archive',
    userDescription: 'Move segments out of the working set into the searchable, restorable stash.',
    modelDescription:
      'Moves segments out of the working set into the stash: not deleted, still searchable and restorable. Choose them ONE way per call: `ids`; or `query` and/or filters ' +
      '(file_path, file_prefix, task_id, tags, types), skipping pinned matches; or a GC target (target_tokens or target_percent) to apply the plan context_plan_gc shows. ' +
      `Use when the context is getting full or a topic is finished. Moving more than ${CONFIRM_ABOVE} segments needs the user's confirmation.`,
    schema: stashSchema,
    readOnly: false,
    idempotent: false,
    confirms: true,
    progress: (i) =>
      i.ids !== undefined ? `Stashing ${idList(i.ids, 6)}` : i.target_tokens !== undefined || i.target_percent !== undefined || i.include_reachable !== undefined ? 'Stashing the GC plan' : `Stashing segments matching ${describeFilters(i)}`,
    run: (input, env) => stashTool(input, env),
  }),
  spec<SearchInput>({
    name: 'context_search',
    displayName: 'Search Context',
    referenceName: 'contextSearch',
    icon: 'search',
    userDescription: 'Search the working set and the stash by words and filters.',
    modelDescription:
      'Searches this project\'s context, working set and stash, by words (code identifiers and paths match by their parts; typos are tolerated) and filters (file_path, file_prefix, task_id, tags, types, tier). ' +
      'Returns ranked hits with ids and snippets, bounded by `limit` and `max_tokens`; include_text returns their full text. Use it to find something read or discussed earlier before re-reading files or asking again, ' +
      'and to find ids for context_restore, context_pin or context_stash. Read-only.',
    schema: searchSchema,
    readOnly: true,
    idempotent: true,
    confirms: false,
    progress: (i) => `Searching context for ${quoted(i.query)}`,
    run: (input, env) => searchTool(input, env),
  }),
  spec<RestoreInput>({
    name: 'context_restore',
    displayName: 'Restore Context',
    referenceName: 'contextRestore',
    icon: 'history',
    userDescription: 'Bring stashed segments back into the working set.',
    modelDescription:
      'Brings stashed segments back into the working set by `ids` (or everything the last GC stashed, with undo_last_gc) and returns their text, up to max_tokens, so it is in context again. ' +
      `Use when earlier material is needed again; find ids with context_search. Restoring more than ${CONFIRM_ABOVE} segments needs the user's confirmation.`,
    schema: restoreSchema,
    readOnly: false,
    idempotent: false,
    confirms: true,
    progress: (i) => (i.ids !== undefined ? `Restoring ${idList(i.ids, 6)}` : 'Undoing the last context GC'),
    run: (input, env) => restoreTool(input, env),
  }),
  spec<PinInput>({
    name: 'context_pin',
    displayName: 'Pin Context',
    referenceName: 'contextPin',
    icon: 'pinned',
    userDescription: 'Pin segments so garbage collection never stashes them.',
    modelDescription:
      'Pins segments so garbage collection never stashes them: requirements, key decisions, the code being changed. Pinned segments still count against the budget. ' +
      'Use for what must stay in context through pruning; find ids with context_search or context_analyze_usage.',
    schema: pinSchema,
    readOnly: false,
    idempotent: true,
    confirms: false,
    progress: (i) => `Pinning ${idList(i.ids, 6)}`,
    run: (input, env) => pinTool(input, env, true),
  }),
  spec<PinInput>({
    name: 'context_unpin',
    displayName: 'Unpin Context',
    referenceName: 'contextUnpin',
    icon: 'pin',
    userDescription: 'Let garbage collection stash segments again.',
    modelDescription: 'Removes pins so garbage collection may stash those segments again. Use when a pinned item no longer matters, or when pins hold too much of the budget.',
    schema: pinSchema,
    readOnly: false,
    idempotent: true,
    confirms: false,
    progress: (i) => `Unpinning ${idList(i.ids, 6)}`,
    run: (input, env) => pinTool(input, env, false),
  }),
  spec<AddInput>({
    name: 'context_add',
    displayName: 'Add to Context',
    referenceName: 'contextAdd',
    icon: 'add',
    userDescription: 'Record notes, decisions, summaries or logs as context segments.',
    modelDescription:
      'Records notes, decisions, summaries or logs as context segments, several in one call (all or nothing), optionally tagged, bound to a file and lines, or linked to other segments. ' +
      'Use it to keep a finding or decision that must survive pruning (pin it when essential), or to save a summary before stashing the detail it condenses.',
    schema: addSchema,
    readOnly: false,
    idempotent: false,
    confirms: false,
    progress: (i) => `Adding ${i.items.length === 1 ? 'a segment' : `${n(i.items.length)} segments`} to context`,
    run: (input, env) => addTool(input, env),
  }),
  spec<TaskInput>({
    name: 'context_task',
    displayName: 'Context Task',
    referenceName: 'contextTask',
    icon: 'tasklist',
    userDescription: 'Set, show, snapshot, list or resume the current task.',
    modelDescription:
      'Manages the current task, which GC roots and new segments belong to. action "set" switches to task_id (the previous task\'s unpinned segments are stashed and come back when you switch back); ' +
      '"show" lists a task\'s context; "snapshot" condenses a task (pins, decisions, recent messages, files) into one summary segment; "list" shows all tasks; "resume" restores a snapshot and makes its task current. ' +
      'Use "set" when starting a different piece of work, and "snapshot" before pruning a long task.',
    schema: taskSchema,
    readOnly: false,
    idempotent: false,
    confirms: true,
    progress: (i) => (i.action === 'set' ? `Switching to task ${i.task_id ?? ''}` : i.action === 'resume' ? `Resuming snapshot #${i.snapshot_id ?? ''}` : `Context task: ${i.action}`),
    run: (input, env) => taskTool(input, env),
  }),
];

const BY_NAME = new Map<string, ToolSpec>(TOOLS.map((t) => [t.name, t]));

export function toolSpec(name: string): ToolSpec | undefined {
  return BY_NAME.get(name);
}

const CONFIRM_PROPERTY = bool({
  description: `Set to true only after the user agreed: a call that would move more than ${CONFIRM_ABOVE} segments is refused until then.`,
});

/** The schema a host validates against: MCP's confirmable tools take `confirm` (VS Code asks the user itself). */
function schemaFor(t: ToolSpec, host: ToolHost): JsonSchema {
  return host === 'mcp' && t.confirms ? withProperty(t.schema, 'confirm', CONFIRM_PROPERTY) : t.schema;
}

/** The schema a host shows, as plain JSON. */
export function inputSchemaFor(t: ToolSpec, host: ToolHost): JsonSchema {
  return JSON.parse(JSON.stringify(schemaFor(t, host))) as JsonSchema;
}

/** package.json `contributes.languageModelTools` (a unit test keeps the manifest equal to this). */
export function languageModelToolsContribution(): Record<string, unknown>[] {
  return TOOLS.map((t) => ({
    name: t.name,
    displayName: t.displayName,
    toolReferenceName: t.referenceName,
    canBeReferencedInPrompt: true,
    icon: `$(${t.icon})`,
    userDescription: t.userDescription,
    modelDescription: t.modelDescription,
    tags: ['context-gc'],
    inputSchema: inputSchemaFor(t, 'vscode'),
  }));
}

/** The MCP `tools/list` entries. */
export function mcpToolList(): { name: string; title: string; description: string; inputSchema: JsonSchema; annotations: Record<string, unknown> }[] {
  return TOOLS.map((t) => ({
    name: t.name,
    title: t.displayName,
    description: t.modelDescription,
    inputSchema: inputSchemaFor(t, 'mcp'),
    annotations: { title: t.displayName, readOnlyHint: t.readOnly, destructiveHint: false, idempotentHint: t.idempotent, openWorldHint: false },
  }));
}

// ---------------------------------------------------------------- running

export interface ToolContext {
  api: EngineApi;
  host: ToolHost;
  /** Default CONFIRM_ABOVE. */
  confirmAbove?: number;
}

export interface ToolAnswer {
  text: string;
  /** Tokens of `text` in the engine's encoding. */
  tokens: number;
  isError: boolean;
}

/** A call stopped for the user's confirmation (MCP). */
export class ConfirmationNeeded extends Error {
  override readonly name = 'ConfirmationNeeded';
}

const counters = new Map<Encoding, (s: string) => number>();
function counterFor(encoding: Encoding): (s: string) => number {
  let c = counters.get(encoding);
  if (!c) {
    const counter = createTokenCounter(encoding);
    c = (s: string) => counter.count(s);
    counters.set(encoding, c);
  }
  return c;
}

/** Appends "(answer: N tokens)" where N counts the whole answer, this line included. */
export function withCost(body: string, count: (s: string) => number): { text: string; tokens: number } {
  let stated = count(body) + 6;
  let best: { text: string; tokens: number } | undefined;
  for (let i = 0; i < 6; i++) {
    const text = `${body}\n(answer: ${stated} tokens)`;
    const actual = count(text);
    if (actual === stated) return { text, tokens: actual };
    if (!best || stated > best.tokens) best = { text, tokens: stated };
    stated = actual;
  }
  return best!;
}

function mcpGate(tool: string, confirmed: boolean, above: number): (m: Moving) => Promise<void> {
  return async (m) => {
    if (confirmed || (m.count !== null && m.count <= above)) return;
    const many = m.count === null ? '' : ` That is more than ${above} segments at once.`;
    throw new ConfirmationNeeded(
      `Confirmation needed: ${m.detail.charAt(0).toLowerCase()}${m.detail.slice(1)}${many} Ask the user whether to go ahead; if they agree, call ${tool} again with the same arguments and "confirm": true.`,
    );
  };
}

/** The message an error becomes: what went wrong and what to do, for the model. */
export function errorText(err: unknown): string {
  if (err instanceof ToolInputError || err instanceof ConfirmationNeeded) return err.message;
  if (ContextGcError.is(err)) return err.message;
  const e = err as { reason?: unknown; message?: unknown };
  if (e && typeof e.reason === 'string' && typeof e.message === 'string') return e.message;
  return `Context GC failed: ${err instanceof Error ? err.message : String(err)}`;
}

/** Validates the arguments and runs the tool. Never throws: failures come back with isError. */
export async function runTool(name: string, input: unknown, ctx: ToolContext): Promise<ToolAnswer> {
  let encoding: Encoding = 'o200k_base';
  const t = BY_NAME.get(name);
  try {
    if (!t) throw new ToolInputError(`There is no tool ${JSON.stringify(name)}; the Context GC tools are ${TOOL_NAMES.join(', ')}.`);
    const schema = schemaFor(t, ctx.host);
    const args = (input ?? {}) as Record<string, unknown>;
    const problem = checkInput(schema, args, name);
    if (problem !== null) throw new ToolInputError(problem);
    const info = await ctx.api.info();
    encoding = info.encoding;
    const above = ctx.confirmAbove ?? CONFIRM_ABOVE;
    const gate = ctx.host === 'mcp' ? mcpGate(name, args.confirm === true, above) : async () => undefined;
    const { confirm: _confirm, ...rest } = args;
    const lines = await t.run(rest, { api: ctx.api, info, gate }, above);
    return { ...withCost(lines.join('\n'), counterFor(encoding)), isError: false };
  } catch (err) {
    const text = errorText(err);
    return { text, tokens: counterFor(encoding)(text), isError: true };
  }
}

export interface PreparedInvocation {
  invocationMessage: string;
  confirmation?: { title: string; message: string };
}

class Prepared extends Error {
  constructor(readonly moving: Moving) {
    super('prepared');
  }
}

class MutationInPrepare extends Error {}

const READS: ReadonlySet<EngineMethod> = new Set<EngineMethod>(['get', 'getMeta', 'metas', 'list', 'has', 'usage', 'totals', 'planGc', 'lastGc', 'listTasks', 'taskContext', 'search', 'info']);

/** The engine with every changing method refused: what prepareTool runs against. */
function readOnly(api: EngineApi): EngineApi {
  const out = {} as Record<EngineMethod, unknown>;
  for (const m of ENGINE_METHODS) {
    out[m] = READS.has(m) ? api[m] : async () => Promise.reject(new MutationInPrepare(m));
  }
  return out as EngineApi;
}

/**
 * What VS Code shows before invoking (LanguageModelTool.prepareInvocation): a progress message, and
 * confirmation messages when the call would move more than `confirmAbove` segments. Side-effect free:
 * the tool runs only up to its gate, against a read-only engine.
 */
export async function prepareTool(name: string, input: unknown, ctx: Omit<ToolContext, 'host'>): Promise<PreparedInvocation> {
  const t = BY_NAME.get(name);
  if (!t) return { invocationMessage: `Running ${name}` };
  const args = input ?? {};
  if (checkInput(t.schema, args, name) !== null) return { invocationMessage: `${t.displayName}` };
  const invocationMessage = t.progress(args);
  if (!t.confirms) return { invocationMessage };
  const above = ctx.confirmAbove ?? CONFIRM_ABOVE;
  try {
    const info = await ctx.api.info();
    await t.run(args, { api: readOnly(ctx.api), info, gate: async (m) => Promise.reject(new Prepared(m)) }, above);
  } catch (err) {
    if (err instanceof Prepared && (err.moving.count === null || err.moving.count > above)) {
      return { invocationMessage, confirmation: { title: err.moving.title, message: err.moving.detail } };
    }
  }
  return { invocationMessage };
}
