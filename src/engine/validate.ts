// Validation of everything that enters the engine. Every check throws a ContextGcError with a reason code
// and a message that says what was wrong and what to do; a rejected batch changes nothing.

import { ContextGcError, isSegmentType, isSource, isTier, SEGMENT_TYPES, SOURCES, TIERS, type NewSegment } from './model';

export interface Limits {
  /** Largest segment text, in UTF-16 code units (default 2,000,000: about 500k tokens). */
  maxTextChars: number;
  maxTags: number;
  maxTagLength: number;
  maxIdLength: number;
}

export const DEFAULT_LIMITS: Limits = { maxTextChars: 2_000_000, maxTags: 32, maxTagLength: 64, maxIdLength: 256 };

export function validateText(text: unknown, limits: Limits, where = 'text'): string {
  if (typeof text !== 'string') throw new ContextGcError('invalid_argument', `${where} must be a string.`);
  if (text.trim().length === 0) throw new ContextGcError('empty_text', `${where} is empty; a segment needs some text.`);
  if (text.length > limits.maxTextChars) {
    throw new ContextGcError(
      'text_too_large',
      `${where} is ${text.length.toLocaleString('en-US')} characters, over the limit of ${limits.maxTextChars.toLocaleString('en-US')}; split it or raise the limit.`,
      { chars: text.length, limit: limits.maxTextChars },
    );
  }
  if (text.includes('\u0000')) throw new ContextGcError('binary_text', `${where} contains NUL bytes: binary content is not stored as context.`);
  return text;
}

/** Normalises a path to forward slashes without a leading "./". */
export function normalizePath(p: string): string {
  let s = p.replace(/\\/g, '/');
  while (s.startsWith('./')) s = s.slice(2);
  return s;
}

function optString(v: unknown, name: string, max: number): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.trim() === '') throw new ContextGcError('invalid_argument', `${name} must be a non-empty string or null.`);
  if (v.length > max) throw new ContextGcError('invalid_argument', `${name} is longer than ${max} characters.`);
  return v;
}

function optLine(v: unknown, name: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ContextGcError('invalid_line_range', `${name} must be a whole number.`);
  if (v < 1) throw new ContextGcError('invalid_line_range', `${name} must be 1 or more (lines count from 1), got ${v}.`);
  return v;
}

export interface CleanSegment {
  text: string;
  type: NewSegment['type'];
  tier: NonNullable<NewSegment['tier']>;
  taskId: string | null;
  filePath: string | null;
  lineStart: number | null;
  lineEnd: number | null;
  tags: string[];
  source: NonNullable<NewSegment['source']>;
  refs: number[];
  pinned: boolean;
  createdAt: number | null;
}

/** Checks one new segment's fields; `refExists` answers whether a referenced id exists. */
export function validateNewSegment(input: unknown, limits: Limits, refExists: (id: number) => boolean, index?: number): CleanSegment {
  const at = index === undefined ? '' : ` (segment #${index + 1} of the batch)`;
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new ContextGcError('invalid_argument', 'A segment must be an object with at least text and type.');
    }
    const s = input as Record<string, unknown>;
    if (!isSegmentType(s.type)) {
      throw new ContextGcError('invalid_type', `Unknown segment type ${JSON.stringify(s.type)}; use one of ${SEGMENT_TYPES.join(', ')}.`);
    }
    const text = validateText(s.text, limits);
    const tier = s.tier ?? 'working';
    if (!isTier(tier)) throw new ContextGcError('invalid_tier', `Unknown tier ${JSON.stringify(tier)}; use one of ${TIERS.join(', ')}.`);
    const source = s.source ?? 'user';
    if (!isSource(source)) throw new ContextGcError('invalid_source', `Unknown source ${JSON.stringify(source)}; use one of ${SOURCES.join(', ')}.`);
    const lineStart = optLine(s.lineStart, 'lineStart');
    const lineEnd = optLine(s.lineEnd, 'lineEnd');
    if (lineEnd !== null && lineStart === null) throw new ContextGcError('invalid_line_range', 'lineEnd needs a lineStart.');
    if (lineStart !== null && lineEnd !== null && lineEnd < lineStart) {
      throw new ContextGcError('invalid_line_range', `The line range ${lineStart}-${lineEnd} ends before it starts.`);
    }
    const filePathRaw = optString(s.filePath, 'filePath', 4096);
    if (lineStart !== null && filePathRaw === null) throw new ContextGcError('invalid_line_range', 'A line range needs a filePath.');
    const tags = validateTags(s.tags, limits);
    const refs = validateRefs(s.refs, refExists);
    if (s.pinned !== undefined && typeof s.pinned !== 'boolean') throw new ContextGcError('invalid_argument', 'pinned must be true or false.');
    if (s.createdAt !== undefined && s.createdAt !== null && (typeof s.createdAt !== 'number' || !Number.isFinite(s.createdAt) || s.createdAt < 0)) {
      throw new ContextGcError('invalid_argument', 'createdAt must be a time in milliseconds since 1970.');
    }
    return {
      text,
      type: s.type,
      tier,
      taskId: optString(s.taskId, 'taskId', limits.maxIdLength),
      filePath: filePathRaw === null ? null : normalizePath(filePathRaw),
      lineStart,
      lineEnd,
      tags,
      source,
      refs,
      pinned: s.pinned === true,
      createdAt: typeof s.createdAt === 'number' ? s.createdAt : null,
    };
  } catch (err) {
    if (ContextGcError.is(err) && at) throw new ContextGcError(err.reason, err.message.replace(/\.$/, '') + at + '.', err.details);
    throw err;
  }
}

export function validateTags(v: unknown, limits: Limits): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ContextGcError('invalid_argument', 'tags must be a list of strings.');
  if (v.length > limits.maxTags) throw new ContextGcError('invalid_argument', `At most ${limits.maxTags} tags per segment.`);
  const out: string[] = [];
  for (const t of v) {
    if (typeof t !== 'string' || t.trim() === '') throw new ContextGcError('invalid_argument', 'Each tag must be a non-empty string.');
    if (t.length > limits.maxTagLength) throw new ContextGcError('invalid_argument', `Tag "${t.slice(0, 20)}…" is longer than ${limits.maxTagLength} characters.`);
    const tag = t.trim();
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}

export function validateRefs(v: unknown, exists: (id: number) => boolean): number[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ContextGcError('invalid_argument', 'refs must be a list of segment ids.');
  const out: number[] = [];
  for (const r of v) {
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) throw new ContextGcError('invalid_argument', `Reference ${JSON.stringify(r)} is not a segment id.`);
    if (!exists(r)) throw new ContextGcError('missing_reference', `Reference to segment ${r}, which does not exist.`, { id: r });
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** Checks a list of segment ids given by a caller. */
export function validateIds(v: unknown, exists: (id: number) => boolean): number[] {
  if (!Array.isArray(v) || v.length === 0) throw new ContextGcError('invalid_argument', 'Give at least one segment id.');
  const seen = new Set<number>();
  const out: number[] = [];
  const missing: number[] = [];
  for (const r of v) {
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) throw new ContextGcError('invalid_argument', `${JSON.stringify(r)} is not a segment id.`);
    if (seen.has(r)) continue;
    seen.add(r);
    if (!exists(r)) missing.push(r);
    else out.push(r);
  }
  if (missing.length > 0) {
    throw new ContextGcError('not_found', `No segment with id ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}.`, { missing });
  }
  return out;
}
