// JSON Schemas for the agent tools, written once: each builder returns a plain JSON Schema object (what
// package.json `languageModelTools` and the MCP `tools/list` answer carry) that also carries its TypeScript
// type, so `Infer<typeof schema>` is the input type the tool implementation gets. `validateInput` checks a
// value against the same object and answers with a message a model can act on:
//   `ids` must be an array of segment ids, e.g. [12, 15]; got "12".
// Neither VS Code's invokeTool nor the MCP SDK's low-level server validates arguments, so this is the gate.
// Pure: no node, no vscode (protocol layer).

declare const TYPE: unique symbol;

/** The subset of JSON Schema (draft 2020-12 / draft-07 compatible) the tools use. */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  enum?: readonly (string | number | boolean)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean;
  default?: unknown;
  examples?: readonly unknown[];
}

/** A JSON Schema that knows the TypeScript type of the values it accepts (type-level only). */
export type Schema<T> = JsonSchema & { readonly [TYPE]?: T };
export type Infer<S> = S extends Schema<infer T> ? T : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ObjectType<P extends Record<string, Schema<unknown>>, R extends keyof P> = Simplify<
  { [K in R]: Infer<P[K]> } & { [K in Exclude<keyof P, R>]?: Infer<P[K]> }
>;

/** Exact type equality (used to check hand-written input types against their schemas at compile time). */
export type Equals<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;

interface Common {
  description?: string;
  /** How an error message names what is expected ("a segment id"); derived from the type when absent. */
  noun?: string;
  examples?: readonly unknown[];
  default?: unknown;
}

/** Nouns live beside the schema objects, not in them, so the JSON stays plain JSON Schema. */
const nouns = new WeakMap<JsonSchema, string>();

function make<T>(schema: JsonSchema, c: Common): Schema<T> {
  const out: JsonSchema = { ...schema };
  if (c.description !== undefined) out.description = c.description;
  if (c.default !== undefined) out.default = c.default;
  if (c.examples !== undefined) out.examples = c.examples;
  if (c.noun !== undefined) nouns.set(out, c.noun);
  return out as Schema<T>;
}

export function str(c: Common & { minLength?: number; maxLength?: number } = {}): Schema<string> {
  return make({ type: 'string', ...(c.minLength !== undefined && { minLength: c.minLength }), ...(c.maxLength !== undefined && { maxLength: c.maxLength }) }, c);
}

export function int(c: Common & { minimum?: number; maximum?: number } = {}): Schema<number> {
  return make({ type: 'integer', ...(c.minimum !== undefined && { minimum: c.minimum }), ...(c.maximum !== undefined && { maximum: c.maximum }) }, c);
}

export function num(c: Common & { minimum?: number; maximum?: number } = {}): Schema<number> {
  return make({ type: 'number', ...(c.minimum !== undefined && { minimum: c.minimum }), ...(c.maximum !== undefined && { maximum: c.maximum }) }, c);
}

export function bool(c: Common = {}): Schema<boolean> {
  return make({ type: 'boolean' }, c);
}

export function oneOf<const L extends string>(values: readonly L[], c: Common = {}): Schema<L> {
  return make({ type: 'string', enum: values }, c);
}

export function arr<T>(items: Schema<T>, c: Common & { minItems?: number; maxItems?: number } = {}): Schema<T[]> {
  return make({ type: 'array', items, ...(c.minItems !== undefined && { minItems: c.minItems }), ...(c.maxItems !== undefined && { maxItems: c.maxItems }) }, c);
}

export function obj<P extends Record<string, Schema<unknown>>, const R extends keyof P & string = never>(
  properties: P,
  required: readonly R[] = [],
  c: Common = {},
): Schema<ObjectType<P, R>> {
  return make({ type: 'object', properties, ...(required.length > 0 && { required }), additionalProperties: false }, c);
}

/** A copy of an object schema with one more optional property (the MCP variant's `confirm`). */
export function withProperty<T, K extends string, V>(schema: Schema<T>, key: K, prop: Schema<V>): Schema<Simplify<T & { [P in K]?: V }>> {
  return { ...schema, properties: { ...schema.properties, [key]: prop } } as Schema<Simplify<T & { [P in K]?: V }>>;
}

// ---------------------------------------------------------------- validation

/** Arguments that do not match a tool's schema; the message says what to send instead. */
export class ToolInputError extends Error {
  override readonly name = 'ToolInputError';
}

/** JSON for messages: `[12, 15]`, `{"ids": [12]}`, strings quoted, cut to about `max` characters. */
export function showJson(v: unknown, max = 60): string {
  const s = render(v);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

function render(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `[${v.map(render).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}: ${render(x)}`).join(', ')}}`;
  }
  return JSON.stringify(v) ?? String(v);
}

/** How a message names what a schema expects. */
export function nounOf(s: JsonSchema): string {
  const given = nouns.get(s);
  if (given !== undefined) return given;
  if (s.enum) return `one of ${s.enum.map((x) => JSON.stringify(x)).join(', ')}`;
  switch (s.type) {
    case 'string':
      return s.maxLength !== undefined ? `a string of at most ${s.maxLength} characters` : s.minLength ? 'a non-empty string' : 'a string';
    case 'integer':
      return `a whole number${range(s)}`;
    case 'number':
      return `a number${range(s)}`;
    case 'boolean':
      return 'true or false';
    case 'array':
      return `an array${s.items ? ` (each ${nounOf(s.items)})` : ''}${s.maxItems !== undefined ? ` of at most ${s.maxItems} items` : ''}`;
    case 'object':
      return 'an object';
    default:
      return 'a value';
  }
}

function range(s: JsonSchema): string {
  if (s.minimum !== undefined && s.maximum !== undefined) return ` from ${s.minimum} to ${s.maximum}`;
  if (s.minimum !== undefined) return ` of at least ${s.minimum}`;
  if (s.maximum !== undefined) return ` of at most ${s.maximum}`;
  return '';
}

function eg(s: JsonSchema): string {
  return s.examples && s.examples.length > 0 ? `, e.g. ${showJson(s.examples[0], 100)}` : '';
}

function mismatch(s: JsonSchema, path: string, v: unknown): string {
  return `\`${path}\` must be ${nounOf(s)}${eg(s)}; got ${showJson(v)}.`;
}

/** Edit distance, for "did you mean" on unknown parameter names. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

function closest(key: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = n.startsWith(key) || key.startsWith(n) ? 1 : distance(key.toLowerCase(), n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/**
 * Checks `value` against `schema`; returns the first problem as a message, or null. `where` names the
 * top-level thing in messages ("context_stash" -> "`foo` is not a parameter of context_stash").
 */
export function checkInput(schema: JsonSchema, value: unknown, where: string, path = ''): string | null {
  const s = schema;
  if (s.type === 'object') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return path === '' ? `The arguments of ${where} must be a JSON object${eg(s)}; got ${showJson(value)}.` : mismatch(s, path, value);
    }
    const o = value as Record<string, unknown>;
    const props = s.properties ?? {};
    const names = Object.keys(props);
    for (const key of Object.keys(o)) {
      if (Object.prototype.hasOwnProperty.call(props, key)) continue;
      if (o[key] === undefined) continue;
      const near = closest(key, names);
      const owner = path === '' ? `a parameter of ${where}` : `a field of \`${path}\``;
      return `\`${path === '' ? key : `${path}.${key}`}\` is not ${owner}${near ? `; did you mean \`${near}\`?` : '.'} ${path === '' ? 'Parameters' : 'Fields'}: ${names.join(', ')}.`;
    }
    for (const key of s.required ?? []) {
      if (o[key] === undefined || o[key] === null) {
        const p = props[key];
        const at = path === '' ? key : `${path}.${key}`;
        return `\`${at}\` is required: ${nounOf(p)}${eg(p)}.`;
      }
    }
    for (const key of names) {
      if (o[key] === undefined) continue;
      const err = checkInput(props[key], o[key], where, path === '' ? key : `${path}.${key}`);
      if (err !== null) return err;
    }
    return null;
  }
  if (s.type === 'array') {
    if (!Array.isArray(value)) return mismatch(s, path, value);
    if (s.minItems !== undefined && value.length < s.minItems) {
      return `\`${path}\` must have at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}${eg(s)}; got ${showJson(value)}.`;
    }
    if (s.maxItems !== undefined && value.length > s.maxItems) return `\`${path}\` can have at most ${s.maxItems} items; got ${value.length}.`;
    if (s.items) {
      for (let i = 0; i < value.length; i++) {
        const err = checkInput(s.items, value[i], where, `${path}[${i}]`);
        if (err !== null) return err;
      }
    }
    return null;
  }
  if (s.enum) return s.enum.includes(value as string) ? null : mismatch(s, path, value);
  switch (s.type) {
    case 'string':
      if (typeof value !== 'string') return mismatch(s, path, value);
      if (s.minLength !== undefined && value.length < s.minLength) return s.minLength === 1 ? `\`${path}\` must not be empty${eg(s)}.` : mismatch(s, path, value);
      if (s.maxLength !== undefined && value.length > s.maxLength) return `\`${path}\` is ${value.length} characters long; at most ${s.maxLength} are allowed.`;
      return null;
    case 'integer':
    case 'number': {
      const ok = typeof value === 'number' && Number.isFinite(value) && (s.type === 'number' || Number.isInteger(value));
      if (!ok || (s.minimum !== undefined && value < s.minimum) || (s.maximum !== undefined && value > s.maximum)) return mismatch(s, path, value);
      return null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : mismatch(s, path, value);
    default:
      return null;
  }
}

/** Checks and returns the input typed, or throws ToolInputError with the message. */
export function validateInput<T>(schema: Schema<T>, value: unknown, where: string): T {
  const err = checkInput(schema, value ?? {}, where);
  if (err !== null) throw new ToolInputError(err);
  return (value ?? {}) as T;
}
