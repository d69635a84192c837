// The input of every agent tool, declared twice on purpose and checked against each other: once as the
// TypeScript interface the implementation reads, once as the JSON Schema the model is shown (package.json
// `languageModelTools`, MCP `tools/list`). The `Equals` assertions at the bottom fail the type check when
// the two drift apart, and the schema's own `Infer` type is what validation hands to the implementation.
// Parameter names are snake_case, as agents expect in tool calls.

import { arr, bool, int, obj, oneOf, str, type Equals, type Infer } from './toolSchema';

export const ALL_TYPES = ['message', 'code', 'log', 'note', 'decision', 'summary'] as const;
export type AnySegmentType = (typeof ALL_TYPES)[number];
/** What an agent may add: its own notes, decisions, summaries and logs (messages and code come from the editor and chat). */
export const ADD_TYPES = ['note', 'decision', 'summary', 'log'] as const;
export type AddType = (typeof ADD_TYPES)[number];
export const TASK_ACTIONS = ['set', 'show', 'snapshot', 'list', 'resume'] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

// ---------------------------------------------------------------- the TypeScript types

export interface UsageInput {
  top?: number;
}

export interface PlanInput {
  target_tokens?: number;
  target_percent?: number;
  include_reachable?: boolean;
  limit?: number;
}

export interface StashInput {
  ids?: number[];
  query?: string;
  file_path?: string;
  file_prefix?: string;
  task_id?: string;
  tags?: string[];
  types?: AnySegmentType[];
  max_segments?: number;
  target_tokens?: number;
  target_percent?: number;
  include_reachable?: boolean;
}

export interface SearchInput {
  query: string;
  file_path?: string;
  file_prefix?: string;
  task_id?: string;
  tags?: string[];
  types?: AnySegmentType[];
  tier?: 'working' | 'stashed';
  limit?: number;
  max_tokens?: number;
  include_text?: boolean;
}

export interface RestoreInput {
  ids?: number[];
  undo_last_gc?: boolean;
  include_text?: boolean;
  max_tokens?: number;
}

export interface PinInput {
  ids: number[];
}

export interface AddItem {
  text: string;
  type: AddType;
  tags?: string[];
  file_path?: string;
  line_start?: number;
  line_end?: number;
  refs?: number[];
  pin?: boolean;
  task_id?: string;
}

export interface AddInput {
  items: AddItem[];
}

export interface TaskInput {
  action: TaskAction;
  task_id?: string;
  title?: string;
  keep_previous?: boolean;
  snapshot_id?: number;
}

// ---------------------------------------------------------------- the JSON Schemas

const segmentId = int({ minimum: 1, noun: 'a segment id (a whole number of at least 1)', examples: [12] });
const ids = (description: string) => arr(segmentId, { minItems: 1, maxItems: 1000, noun: 'an array of segment ids', examples: [[12, 15]], description });
const types = arr(oneOf(ALL_TYPES), {
  minItems: 1,
  noun: `an array of segment types (${ALL_TYPES.map((t) => JSON.stringify(t)).join(', ')})`,
  examples: [['log']],
  description: 'Only segments of these types.',
});
const tags = (description: string) => arr(str({ minLength: 1, maxLength: 64 }), { maxItems: 32, noun: 'an array of tag strings', examples: [['auth']], description });
const filePath = str({ minLength: 1, maxLength: 4096, noun: 'a workspace-relative file path', examples: ['src/auth/login.ts'], description: 'Only segments bound to this exact file (workspace-relative, forward slashes).' });
const filePrefix = str({ minLength: 1, maxLength: 4096, noun: 'a path prefix', examples: ['src/auth/'], description: 'Only segments whose file path starts with this prefix, e.g. a folder.' });
const taskId = (description: string) => str({ minLength: 1, maxLength: 256, noun: 'a task id', examples: ['fix-login'], description });
const targetTokens = int({ minimum: 1, maximum: 100_000_000, noun: 'a number of tokens (a whole number of at least 1)', examples: [20000], description: 'Free at least this many tokens.' });
const targetPercent = int({ minimum: 0, maximum: 100, noun: 'a percentage from 0 to 100', examples: [50], description: 'Or: bring the working set under this percent of the budget (default 60).' });
const includeReachable = bool({ description: 'Also offer segments still reachable from a root when unreachable ones do not meet the target (default true).' });
const includeText = (description: string) => bool({ description });
const maxTokens = (description: string) => int({ minimum: 1, maximum: 200_000, noun: 'a token count (a whole number of at least 1)', examples: [2000], description });

export const usageSchema = obj({
  top: int({ minimum: 1, maximum: 20, description: 'How many of the largest working segments to list (default 5).', examples: [5] }),
});

export const planSchema = obj({
  target_tokens: targetTokens,
  target_percent: targetPercent,
  include_reachable: includeReachable,
  limit: int({ minimum: 1, maximum: 50, description: 'How many candidates to list (default 10); the plan itself covers all of them.', examples: [10] }),
});

export const stashSchema = obj(
  {
    ids: ids('Segment ids to stash. Or choose by query/filters, or by a GC target — one way per call.'),
    query: str({ maxLength: 1000, noun: 'search words', examples: ['npm test output'], description: 'Stash the working segments matching these words (combined with the filters).' }),
    file_path: filePath,
    file_prefix: filePrefix,
    task_id: taskId('Only segments of this task.'),
    tags: tags('Only segments carrying at least one of these tags.'),
    types,
    max_segments: int({ minimum: 1, maximum: 1000, description: 'With a query or filters: stash at most this many matches, best first (default 50).', examples: [50] }),
    target_tokens: targetTokens,
    target_percent: targetPercent,
    include_reachable: includeReachable,
  },
  [],
  { examples: [{ ids: [12, 15] }] },
);

export const searchSchema = obj(
  {
    query: str({ maxLength: 1000, noun: 'search words', examples: ['token budget'], description: 'Words to find (identifiers and paths match by their parts; typos are tolerated). May be "" when a file, task or tag filter is given.' }),
    file_path: filePath,
    file_prefix: filePrefix,
    task_id: taskId('Only segments of this task.'),
    tags: tags('Only segments carrying at least one of these tags.'),
    types,
    tier: oneOf(['working', 'stashed'], { description: 'Only segments in this tier (default both).' }),
    limit: int({ minimum: 1, maximum: 100, description: 'Most hits to return (default 10).', examples: [10] }),
    max_tokens: maxTokens('Token cap on the hits returned, counting each hit\'s full text (default none; 4000 with include_text).'),
    include_text: includeText('Return each hit\'s full text instead of a snippet (default false).'),
  },
  ['query'],
  { examples: [{ query: 'token budget' }] },
);

export const restoreSchema = obj(
  {
    ids: ids('Segment ids to bring back into the working set.'),
    undo_last_gc: bool({ description: 'Instead of ids: bring back everything the last GC stashed.' }),
    include_text: includeText('Return the restored segments\' text so it is in context (default true).'),
    max_tokens: maxTokens('Cap on the text returned (default 2000 tokens); segments past it are listed by id.'),
  },
  [],
  { examples: [{ ids: [12, 15] }] },
);

export const pinSchema = obj({ ids: ids('Segment ids.') }, ['ids'], { examples: [{ ids: [12, 15] }] });

export const addItemSchema = obj(
  {
    text: str({ minLength: 1, noun: 'the text to keep', examples: ['Use Redis for sessions.'], description: 'The content.' }),
    type: oneOf(ADD_TYPES, { description: 'note: a fact or finding; decision: a choice made and why; summary: a condensed account; log: tool or command output.' }),
    tags: tags('Tags for finding it later.'),
    file_path: str({ minLength: 1, maxLength: 4096, noun: 'a workspace-relative file path', examples: ['src/auth/login.ts'], description: 'File it is about (workspace-relative).' }),
    line_start: int({ minimum: 1, description: 'First line it is about (needs file_path).', examples: [10] }),
    line_end: int({ minimum: 1, description: 'Last line (needs line_start).', examples: [42] }),
    refs: arr(segmentId, { maxItems: 1000, noun: 'an array of segment ids', examples: [[12]], description: 'Segments it refers to (keeps them alive while it is).' }),
    pin: bool({ description: 'Pin it so GC never collects it (default false).' }),
    task_id: taskId('Task it belongs to (default: the current task).'),
  },
  ['text', 'type'],
  { noun: 'an object with text and type', examples: [{ text: 'Use Redis for sessions.', type: 'decision' }] },
);

export const addSchema = obj(
  {
    items: arr(addItemSchema, {
      minItems: 1,
      maxItems: 100,
      noun: 'an array of items to add',
      examples: [[{ text: 'Use Redis for sessions.', type: 'decision' }]],
      description: 'One or more segments to add in one call (all or nothing).',
    }),
  },
  ['items'],
  { examples: [{ items: [{ text: 'Use Redis for sessions.', type: 'decision' }] }] },
);

export const taskSchema = obj(
  {
    action: oneOf(TASK_ACTIONS, { description: 'set: make task_id the current task; show: a task\'s context; snapshot: condense a task into one summary segment; list: all tasks; resume: restore a snapshot and its task.' }),
    task_id: taskId('The task (set needs it; show and snapshot default to the current task).'),
    title: str({ minLength: 1, maxLength: 200, description: 'With set: a human title for the task.', examples: ['Fix the login redirect'] }),
    keep_previous: bool({ description: 'With set: keep the previous task\'s segments in the working set (default false: they are stashed, and come back when you switch back).' }),
    snapshot_id: segmentId,
  },
  ['action'],
  { examples: [{ action: 'show' }] },
);

// ---------------------------------------------------------------- the two declarations agree

type Assert<T extends true> = T;
export type InputTypesMatchSchemas = [
  Assert<Equals<Infer<typeof usageSchema>, UsageInput>>,
  Assert<Equals<Infer<typeof planSchema>, PlanInput>>,
  Assert<Equals<Infer<typeof stashSchema>, StashInput>>,
  Assert<Equals<Infer<typeof searchSchema>, SearchInput>>,
  Assert<Equals<Infer<typeof restoreSchema>, RestoreInput>>,
  Assert<Equals<Infer<typeof pinSchema>, PinInput>>,
  Assert<Equals<Infer<typeof addItemSchema>, AddItem>>,
  Assert<Equals<Infer<typeof addSchema>, AddInput>>,
  Assert<Equals<Infer<typeof taskSchema>, TaskInput>>,
];
