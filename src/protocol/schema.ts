// A tiny runtime schema library for the messages that cross the webview boundary.
//
// Each schema is a function that returns null for a valid value or a message naming the first problem
// ("params.ids[3]: expected an integer >= 1, got -2"), and carries its TypeScript type, so a message is
// declared once and both its type and its validator come from that one declaration. Objects reject
// unknown keys: host and webview ship in one bundle, so an unknown key means a malformed message.
// Pure: no DOM, no node, no vscode (the webview and the host both import it).

export type Schema<T> = ((value: unknown, at: string) => string | null) & { readonly _type?: T; readonly optional?: boolean };
export type Infer<S> = S extends Schema<infer T> ? T : never;

type OptionalSchema<T> = Schema<T> & { readonly optional: true };
type OptionalKeys<S> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Record<string, Schema<unknown>>> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function make<T>(fn: (value: unknown, at: string) => string | null): Schema<T> {
  return fn as Schema<T>;
}

export function str(opts: { min?: number; max?: number } = {}): Schema<string> {
  const min = opts.min ?? 0;
  const max = opts.max ?? 10_000;
  return make((v, at) => {
    if (typeof v !== 'string') return `${at}: expected a string, got ${show(v)}`;
    if (v.length < min) return `${at}: expected at least ${min} character${min === 1 ? '' : 's'}`;
    if (v.length > max) return `${at}: expected at most ${max} characters, got ${v.length}`;
    return null;
  });
}

export function int(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return make((v, at) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return `${at}: expected an integer${opts.min !== undefined ? ` >= ${min}` : ''}${opts.max !== undefined ? ` <= ${max}` : ''}, got ${show(v)}`;
    }
    return null;
  });
}

export function num(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = opts.min ?? -Infinity;
  const max = opts.max ?? Infinity;
  return make((v, at) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      return `${at}: expected a number${opts.min !== undefined ? ` >= ${min}` : ''}${opts.max !== undefined ? ` <= ${max}` : ''}, got ${show(v)}`;
    }
    return null;
  });
}

export const bool: Schema<boolean> = make((v, at) => (typeof v === 'boolean' ? null : `${at}: expected true or false, got ${show(v)}`));

export function literal<const L extends string | number | boolean>(...values: L[]): Schema<L> {
  return make((v, at) => ((values as unknown[]).includes(v) ? null : `${at}: expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}, got ${show(v)}`));
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return make((v, at) => (v === null ? null : inner(v, at)));
}

/** Marks an object field as optional (absent or undefined). */
export function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  const fn = ((v: unknown, at: string) => (v === undefined ? null : inner(v, at))) as OptionalSchema<T>;
  Object.defineProperty(fn, 'optional', { value: true });
  return fn;
}

export function array<T>(inner: Schema<T>, opts: { min?: number; max?: number } = {}): Schema<T[]> {
  const min = opts.min ?? 0;
  const max = opts.max ?? 100_000;
  return make((v, at) => {
    if (!Array.isArray(v)) return `${at}: expected an array, got ${show(v)}`;
    if (v.length < min) return `${at}: expected at least ${min} item${min === 1 ? '' : 's'}`;
    if (v.length > max) return `${at}: expected at most ${max} items, got ${v.length}`;
    for (let i = 0; i < v.length; i++) {
      const err = inner(v[i], `${at}[${i}]`);
      if (err !== null) return err;
    }
    return null;
  });
}

export function tuple<A, B>(a: Schema<A>, b: Schema<B>): Schema<[A, B]> {
  return make((v, at) => {
    if (!Array.isArray(v) || v.length !== 2) return `${at}: expected a pair, got ${show(v)}`;
    return a(v[0], `${at}[0]`) ?? b(v[1], `${at}[1]`);
  });
}

/** A string-keyed map whose values all match `inner` (keys from `keys` when given). */
export function record<K extends string, T>(keys: readonly K[], inner: Schema<T>): Schema<Record<K, T>> {
  return make((v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${at}: expected an object, got ${show(v)}`;
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!(keys as readonly string[]).includes(k)) return `${at}: unexpected key ${JSON.stringify(k)}`;
    for (const k of keys) {
      const err = inner(o[k], `${at}.${k}`);
      if (err !== null) return err;
    }
    return null;
  });
}

export function object<S extends Record<string, Schema<unknown>>>(shape: S): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return make((v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${at}: expected an object, got ${show(v)}`;
    const o = v as Record<string, unknown>;
    for (const k in o) if (!Object.prototype.hasOwnProperty.call(shape, k)) return `${at}: unexpected key ${JSON.stringify(k)}`;
    for (const k of keys) {
      if (!shape[k].optional && !(k in o)) return `${at}.${k}: missing`;
      const err = shape[k](o[k], `${at}.${k}`);
      if (err !== null) return err;
    }
    return null;
  });
}

/** A union told apart by a string tag field, e.g. `{ status: 'ok', ... } | { status: 'unavailable', ... }`. */
export function variant<const Tag extends string, M extends Record<string, Schema<object>>>(
  tag: Tag,
  members: M,
): Schema<{ [K in keyof M]: Infer<M[K]> & { [T in Tag]: K } }[keyof M]> {
  return make((v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${at}: expected an object, got ${show(v)}`;
    const t = (v as Record<string, unknown>)[tag];
    if (typeof t !== 'string' || !Object.prototype.hasOwnProperty.call(members, t)) {
      return `${at}.${tag}: expected one of ${Object.keys(members).map((x) => JSON.stringify(x)).join(', ')}, got ${show(t)}`;
    }
    return members[t](v, at);
  });
}
