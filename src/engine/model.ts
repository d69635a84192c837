// The engine's vocabulary: segments, tiers, tasks, and the typed errors every boundary reports.
// Pure TypeScript: no vscode, no DOM (lint enforces it).

export const SEGMENT_TYPES = ['message', 'code', 'log', 'note', 'decision', 'summary'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

export const TIERS = ['working', 'stashed'] as const;
export type Tier = (typeof TIERS)[number];

export const SOURCES = ['editor', 'agent', 'chat', 'import', 'user'] as const;
export type Source = (typeof SOURCES)[number];

export const ENCODINGS = ['o200k_base', 'cl100k_base'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** Young segments have not yet survived a GC; old ones have (generational aging). */
export const GENERATIONS = ['young', 'old'] as const;
export type Generation = (typeof GENERATIONS)[number];

/** Everything about a segment except its text. Ids are positive integers, unique and stable per store. */
export interface SegmentMeta {
  id: number;
  type: SegmentType;
  tier: Tier;
  taskId: string | null;
  filePath: string | null;
  lineStart: number | null;
  lineEnd: number | null;
  tags: string[];
  source: Source;
  refs: number[];
  pinned: boolean;
  generation: Generation;
  survivals: number;
  createdAt: number;
  touchedAt: number;
  tokens: number;
  encoding: Encoding;
  /** Hash of the text the token count was taken from (hex). */
  textHash: string;
  /** First line of the text, trimmed and cut to 120 characters: what lists show. */
  title: string;
  /** Size of the text in UTF-16 code units. */
  chars: number;
}

export interface Segment extends SegmentMeta {
  text: string;
}

/** What a caller gives to add a segment. Everything but text and type has a default. */
export interface NewSegment {
  text: string;
  type: SegmentType;
  taskId?: string | null;
  filePath?: string | null;
  lineStart?: number | null;
  lineEnd?: number | null;
  tags?: string[];
  source?: Source;
  refs?: number[];
  pinned?: boolean;
  tier?: Tier;
  /** Defaults to the clock's now. */
  createdAt?: number;
}

export type ErrorReason =
  | 'invalid_argument'
  | 'invalid_type'
  | 'invalid_tier'
  | 'invalid_source'
  | 'invalid_line_range'
  | 'missing_reference'
  | 'empty_text'
  | 'text_too_large'
  | 'binary_text'
  | 'not_found'
  | 'confirm_required'
  | 'pinned'
  | 'no_task'
  | 'store_locked'
  | 'store_corrupt'
  | 'store_closed'
  | 'schema_too_new'
  | 'io_error';

/** The one error type the engine throws. `reason` is for code; `message` is for people and agents. */
export class ContextGcError extends Error {
  override readonly name = 'ContextGcError';
  constructor(
    readonly reason: ErrorReason,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  static is(err: unknown, reason?: ErrorReason): err is ContextGcError {
    return err instanceof ContextGcError && (reason === undefined || err.reason === reason);
  }
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Counts tokens exactly as js-tiktoken does for one encoding. */
export interface TokenCounter {
  readonly encoding: Encoding;
  count(text: string): number;
}

export function isSegmentType(v: unknown): v is SegmentType {
  return typeof v === 'string' && (SEGMENT_TYPES as readonly string[]).includes(v);
}
export function isTier(v: unknown): v is Tier {
  return typeof v === 'string' && (TIERS as readonly string[]).includes(v);
}
export function isSource(v: unknown): v is Source {
  return typeof v === 'string' && (SOURCES as readonly string[]).includes(v);
}
export function isEncoding(v: unknown): v is Encoding {
  return typeof v === 'string' && (ENCODINGS as readonly string[]).includes(v);
}

/** The title lists show: first non-empty line, trimmed, at most 120 characters. */
export function titleOf(text: string): string {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    if (line) return line.length > 120 ? line.slice(0, 119) + '…' : line;
    start = end + 1;
  }
  return '';
}

/** FNV-1a 64-bit over UTF-16 code units, as 16 hex digits. Fast, stable, and enough to notice a changed text. */
export function hashText(text: string): string {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x01000193 | 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h1 >>> 13);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
