// Snippets: a short piece of a hit's text around its best match, with the offsets of the matched terms
// so a UI can highlight them. The window is the one that shows the most distinct query terms.
//
// Hits can be long (logs, whole files), so we do not tokenize them whole: `indexOf` on the lower-cased
// text finds where a term may be, and only the word around each place is checked to confirm it is a
// real term occurrence (not `error` inside `errorCount`'s neighbour `terrors`, say). The chosen window is
// tokenized again to list every match in it.
//
// Every query makes up to `limit` snippets, so this allocates little beyond its answer: occurrences go
// into module-level typed arrays, and an ASCII word is confirmed without slicing it (`isTermSpan`).

import type { MatchRange } from './types';
import { forEachTerm, isTermSpan, isWordCode, keep } from './tokenize';

/** Characters of text shown around a match. */
export const SNIPPET_LENGTH = 160;
/** Confirmed occurrences looked at per term, and in all; places checked per term (short terms sit inside many words). */
const PER_TERM = 32;
const ATTEMPTS_PER_TERM = 64;
/** Substring hits looked at per term before giving up on finding it in this text. */
const MAX_SCANNED = 20_000;
const MAX_OCCURRENCES = 128;
/** Words longer than this are not checked for a match inside them (blobs). */
const MAX_WORD = 1024;
/** Text shown before the first match of the window. */
const LEAD = 24;

/** Occurrences of the current text, in text order: [start, end) and the query term it stands for. */
let occStart: Int32Array = new Int32Array(256);
let occEnd: Int32Array = new Int32Array(256);
let occTerm: Int32Array = new Int32Array(256);
let occCount = 0;

function pushOccurrence(start: number, end: number, term: number): void {
  if (occCount === occStart.length) {
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    occStart = grow(occStart);
    occEnd = grow(occEnd);
    occTerm = grow(occTerm);
  }
  occStart[occCount] = start;
  occEnd[occCount] = end;
  occTerm[occCount] = term;
  occCount++;
}

/**
 * Sort the occurrences by start, longer first at the same start (an insertion sort: each term's
 * occurrences come in text order already, and there are few).
 */
function sortOccurrences(): void {
  for (let i = 1; i < occCount; i++) {
    const s = occStart[i];
    const e = occEnd[i];
    const t = occTerm[i];
    let k = i - 1;
    while (k >= 0 && (occStart[k] > s || (occStart[k] === s && occEnd[k] < e))) {
      occStart[k + 1] = occStart[k];
      occEnd[k + 1] = occEnd[k];
      occTerm[k + 1] = occTerm[k];
      k--;
    }
    occStart[k + 1] = s;
    occEnd[k + 1] = e;
    occTerm[k + 1] = t;
  }
}

function isAsciiRange(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) > 127) return false;
  return true;
}

/** Occurrences of the needles as terms, in text order (at most PER_TERM per needle): sets `occ*` and `occCount`. */
function findOccurrences(text: string, needles: ReadonlyMap<string, number>): void {
  occCount = 0;
  const lower = text.toLowerCase();
  if (lower.length !== text.length) {
    // Lower-casing changed lengths (rare scripts): offsets differ, so tokenize the start of the text instead.
    forEachTerm(text.slice(0, 16_384), (t, start, end) => {
      const q = needles.get(t);
      if (q !== undefined && occCount < MAX_OCCURRENCES) pushOccurrence(start, end, q);
    });
    return;
  }
  for (const [term, q] of needles) {
    const kept = keep(term);
    let from = 0;
    let found = 0;
    let attempts = 0;
    for (let scanned = 0; found < PER_TERM && attempts < ATTEMPTS_PER_TERM && scanned < MAX_SCANNED; scanned++) {
      const p = lower.indexOf(term, from);
      if (p < 0) break;
      from = p + 1;
      // A term starts and ends at a word edge, an underscore or a case change; most substring hits do not.
      if (!edgeBefore(text, p) || !edgeAfter(text, p + term.length)) continue;
      attempts++;
      let ws = p;
      while (ws > 0 && p - ws < MAX_WORD && isWordCode(text.charCodeAt(ws - 1))) ws--;
      let we = p + term.length;
      while (we < text.length && we - p < MAX_WORD && isWordCode(text.charCodeAt(we))) we++;
      let ok = false;
      if (isAsciiRange(text, ws, we)) {
        // The word's characters lower-case one by one, so the term at p spells `term` already (indexOf).
        ok = kept && isTermSpan(text, ws, we, p, p + term.length);
      } else {
        forEachTerm(text.slice(ws, we), (t, s) => {
          if (!ok && s + ws === p && t === term) ok = true;
        });
      }
      if (ok) {
        pushOccurrence(p, p + term.length, q);
        found++;
      }
    }
  }
  sortOccurrences();
  if (occCount > MAX_OCCURRENCES) occCount = MAX_OCCURRENCES;
}

function isUpperCode(c: number): boolean {
  return c >= 65 && c <= 90;
}

/** Could a term start at `p`? (start of text, after a non-word character or `_`, or at a capital) */
function edgeBefore(text: string, p: number): boolean {
  if (p === 0) return true;
  const prev = text.charCodeAt(p - 1);
  return !isWordCode(prev) || prev === 95 || isUpperCode(text.charCodeAt(p));
}

/** Could a term end at `e`? (end of text, before a non-word character, `_` or a capital) */
function edgeAfter(text: string, e: number): boolean {
  if (e >= text.length) return true;
  const next = text.charCodeAt(e);
  return !isWordCode(next) || next === 95 || isUpperCode(next);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 12 || c === 11;
}

/** Is `c` matched by a regular expression's `\s` (white space and line terminators)? */
function isRegExpSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** text[from, to) with every `\s` character turned into a plain space (as `.replace(/\s/g, ' ')`). */
function flattenSpaces(text: string, from: number, to: number): string {
  let i = from;
  while (i < to && !(isRegExpSpace(text.charCodeAt(i)) && text.charCodeAt(i) !== 32)) i++;
  if (i === to) return text.slice(from, to);
  let out = text.slice(from, i);
  let run = i;
  for (; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || !isRegExpSpace(c)) continue;
    if (i > run) out += text.slice(run, i);
    out += ' ';
    run = i + 1;
  }
  if (to > run) out += text.slice(run, to);
  return out;
}

/**
 * `needles` maps a term to the query term it stands for (several terms, e.g. typo variants, may stand
 * for the same query term).
 */
export function makeSnippet(text: string, needles: ReadonlyMap<string, number>, length = SNIPPET_LENGTH): { snippet: string; matches: MatchRange[] } {
  if (needles.size > 0) findOccurrences(text, needles);
  else occCount = 0;
  const n = occCount;
  let ws = 0;
  if (n > 0) {
    // Pick the window start (just before some occurrence) covering the most distinct query terms.
    let best = -1;
    for (let i = 0; i < n; i++) {
      const from = Math.max(0, occStart[i] - LEAD);
      let seen = 0;
      for (let k = i; k < n && occEnd[k] <= from + length; k++) seen |= 1 << occTerm[k];
      let distinct = 0;
      for (let b = seen; b !== 0; b &= b - 1) distinct++;
      if (distinct > best) {
        best = distinct;
        ws = from;
      }
    }
    // Start at a word boundary when one is near (before the first match).
    let first = ws;
    for (let i = 0; i < n; i++) {
      if (occStart[i] >= ws) {
        first = occStart[i];
        break;
      }
    }
    for (let p = ws; p < first; p++) {
      if (isSpace(text.charCodeAt(p))) {
        ws = p + 1;
        break;
      }
    }
  }
  let we = Math.min(text.length, ws + length);
  if (we < text.length) {
    for (let p = we; p > ws + length / 2; p--) {
      if (isSpace(text.charCodeAt(p))) {
        we = p;
        break;
      }
    }
  }
  // Do not cut a surrogate pair in half.
  if (ws > 0 && ws < text.length && (text.charCodeAt(ws) & 0xfc00) === 0xdc00) ws++;
  if (we < text.length && we > ws && (text.charCodeAt(we - 1) & 0xfc00) === 0xd800) we--;
  const head = ws > 0 ? '…' : '';
  const tail = we < text.length ? '…' : '';
  const body = flattenSpaces(text, ws, we);
  const matches: MatchRange[] = [];
  if (n > 0) {
    // Every match inside the window: tokenize the window widened to whole words.
    let a = ws;
    while (a > 0 && ws - a < MAX_WORD && isWordCode(text.charCodeAt(a - 1))) a--;
    let b = we;
    while (b < text.length && b - we < MAX_WORD && isWordCode(text.charCodeAt(b))) b++;
    forEachTerm(
      text,
      (t, start, end) => {
        if (start < ws || end > we || !needles.has(t)) return;
        const ms = start - ws + head.length;
        const me = end - ws + head.length;
        const last = matches[matches.length - 1];
        if (last && ms <= last[1]) last[1] = Math.max(last[1], me);
        else matches.push([ms, me]);
      },
      a,
      b,
    );
  }
  return { snippet: head + body + tail, matches };
}
