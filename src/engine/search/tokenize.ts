// The search tokenizer: turns text into the terms the full-text index stores and queries look up.
//
// Code identifiers are findable by their parts: a word like `parseJsonConfig`, `snake_case_name` or
// `HTTPServer` yields the whole lower-cased identifier AND its parts (`parse`, `json`, `config`), so a
// query for "json config" finds it and a query for the exact identifier ranks it first (it matches every
// part too). Paths split at `/`, `.` and `-` into their segments the same way.
//
// Every term is a lower-cased substring of the lower-cased text. The search relies on that to pre-check
// candidate texts with `includes` before tokenizing them. Changing anything here changes what the
// index holds: bump TOKENIZER_VERSION so saved indexes are rebuilt.

export const TOKENIZER_VERSION = 1;

/** Longest term kept; longer words (base64 blobs, minified code) keep only their parts. */
export const MAX_TERM_LENGTH = 48;

/** Function words that carry no meaning for search and would be the longest postings lists in the index. */
export const STOPWORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'been', 'but', 'by', 'for', 'from', 'had', 'has', 'have',
  'he', 'her', 'his', 'i', 'if', 'in', 'into', 'is', 'it', 'its', 'of', 'on', 'or', 'our', 'she', 'so',
  'than', 'that', 'the', 'their', 'them', 'then', 'there', 'these', 'they', 'this', 'those', 'to', 'was',
  'we', 'were', 'which', 'while', 'who', 'will', 'with', 'would', 'you', 'your',
]);

const NON_ASCII_WORD = /[\p{L}\p{N}\p{M}]/u;

export function isWordCode(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  return NON_ASCII_WORD.test(String.fromCharCode(c));
}

function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}
function isLowerOrDigit(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

/** Visitor of terms: `start`/`end` are offsets of the term's characters in the original text. */
export type TermVisitor = (term: string, start: number, end: number) => void;

/** Whether a word or part is kept as a term (length bounds, stopwords). */
export function keep(term: string): boolean {
  return term.length > 1 && term.length <= MAX_TERM_LENGTH && !STOPWORDS.has(term);
}

/**
 * Visit every term of `text` in order. For a compound word the whole word comes first, then its parts.
 * A word's parts are split at `_`, at a lower-case letter or digit followed by an upper-case one
 * (`jsonConfig`), and before the last capital of an acronym that starts a new word (`HTTPServer`).
 * `from`/`to`: tokenize only that range, as if it were the whole text (offsets stay the text's).
 */
export function forEachTerm(text: string, visit: TermVisitor, from = 0, to = text.length): void {
  const n = to;
  let i = from;
  while (i < n) {
    while (i < n && !isWordCode(text.charCodeAt(i))) i++;
    if (i >= n) break;
    let start = i;
    while (i < n && isWordCode(text.charCodeAt(i))) i++;
    let end = i;
    while (start < end && text.charCodeAt(start) === 95) start++;
    while (end > start && text.charCodeAt(end - 1) === 95) end--;
    if (start === end) continue;
    const whole = text.slice(start, end).toLowerCase();
    if (keep(whole)) visit(whole, start, end);
    if (isCompound(text, start, end)) visitParts(text, start, end, visit);
  }
}

/** Is there a part boundary at `j` (a position inside the word [start, end))? */
function boundaryAt(text: string, j: number, start: number, end: number): boolean {
  const c = text.charCodeAt(j);
  if (c === 95) return true;
  if (j === start || !isUpper(c)) return false;
  const prev = text.charCodeAt(j - 1);
  if (isLowerOrDigit(prev)) return true;
  if (!isUpper(prev) || j + 1 >= end) return false;
  const next = text.charCodeAt(j + 1);
  return next >= 97 && next <= 122;
}

function isCompound(text: string, start: number, end: number): boolean {
  for (let j = start + 1; j < end; j++) if (boundaryAt(text, j, start, end)) return true;
  return false;
}

/**
 * Does tokenizing text[from, to), a run of word characters, yield a term spanning exactly [p, e) (the whole
 * word, or one of its parts)? Edges only: whether the term is kept and what it spells is the caller's to
 * check. Allocates nothing (snippets confirm every candidate occurrence with it).
 */
export function isTermSpan(text: string, from: number, to: number, p: number, e: number): boolean {
  let start = from;
  let end = to;
  while (start < end && text.charCodeAt(start) === 95) start++;
  while (end > start && text.charCodeAt(end - 1) === 95) end--;
  if (start === end || p < start || e > end) return false;
  if (p === start && e === end) return true;
  if (!isCompound(text, start, end)) return false;
  let a = start;
  for (let j = start + 1; j <= end; j++) {
    if (j < end && !boundaryAt(text, j, start, end)) continue;
    if (j > a && a === p) return j === e;
    if (a > p) return false;
    a = j < end && text.charCodeAt(j) === 95 ? j + 1 : j;
  }
  return false;
}

function visitParts(text: string, start: number, end: number, visit: TermVisitor): void {
  let p = start;
  for (let j = start + 1; j <= end; j++) {
    if (j < end && !boundaryAt(text, j, start, end)) continue;
    if (j > p) {
      const part = text.slice(p, j).toLowerCase();
      if (keep(part)) visit(part, p, j);
    }
    p = j < end && text.charCodeAt(j) === 95 ? j + 1 : j;
  }
}

/** All terms of `text` in order, with repeats. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  forEachTerm(text, (t) => out.push(t));
  return out;
}

// ---------------------------------------------------------------- relevance slots

/**
 * FlexSearch keeps each term's ids in `RESOLUTION` slots, best first. We choose the slot ourselves (its
 * `score` hook) from the term's frequency in the segment, damped by segment length (BM25's shape), and
 * whether the term appears early (the title area). The same function scores texts read outside the
 * index, so both search plans rank identically.
 */
export const RESOLUTION = 5;
const K1 = 1.2;
const B = 0.5;
const AVG_TERMS = 100;
const EARLY_TERMS = 12;

/** Weight of a match found in slot `s`: 1 for the best slot down to 1/RESOLUTION. */
export const SLOT_WEIGHT: readonly number[] = Array.from({ length: RESOLUTION }, (_, s) => 1 - s / RESOLUTION);

export interface AnalyzedText {
  /** Distinct terms in order of first appearance. */
  terms: string[];
  /** Relevance slot of each term (same order). */
  slots: Uint8Array;
}

export function slotOf(tf: number, firstPos: number, termCount: number): number {
  const norm = 1 - B + (B * termCount) / AVG_TERMS;
  const tfPart = tf / (tf + K1 * norm);
  const w = 0.7 * tfPart + (firstPos < EARLY_TERMS ? 0.3 : 0);
  return Math.min(RESOLUTION - 1, Math.floor((1 - w) * RESOLUTION));
}

/** Slot of a term found in the segment's tags, and in its file path (a term in both text and field takes the better). */
export const TAG_SLOT = 0;
export const PATH_SLOT = 1;

/**
 * The terms a segment is indexed under: its text's terms, then its file path's and tags' terms (so a query
 * word reaches a segment through its path or tags too, ranked as a strong match).
 */
export function analyzeText(text: string, filePath: string | null = null, tags: readonly string[] = []): AnalyzedText {
  const index = new Map<string, number>();
  const terms: string[] = [];
  const tf: number[] = [];
  const first: number[] = [];
  let pos = 0;
  forEachTerm(text, (t) => {
    const k = index.get(t);
    if (k === undefined) {
      index.set(t, terms.length);
      terms.push(t);
      tf.push(1);
      first.push(pos);
    } else tf[k]++;
    pos++;
  });
  const slots: number[] = new Array<number>(terms.length);
  for (let k = 0; k < terms.length; k++) slots[k] = slotOf(tf[k], first[k], pos);
  const field = (t: string, slot: number): void => {
    const k = index.get(t);
    if (k === undefined) {
      index.set(t, terms.length);
      terms.push(t);
      slots.push(slot);
    } else if (slot < slots[k]) slots[k] = slot;
  };
  if (filePath !== null) forEachTerm(filePath, (t) => field(t, PATH_SLOT));
  for (const tag of tags) forEachTerm(tag, (t) => field(t, TAG_SLOT));
  return { terms, slots: Uint8Array.from(slots) };
}
