// Snippets: the allocation-lean makeSnippet (typed-array occurrences, ASCII words confirmed without
// slicing, spaces flattened by hand) must answer exactly as the plain version it replaced, kept below as
// the reference, on random texts full of edge cases (case changes, underscores, acronyms, non-ASCII
// letters, the Kelvin sign, dotted capital I, odd white space, long words).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MatchRange } from '../../src/engine/search/types';
import { forEachTerm, isWordCode, tokenize } from '../../src/engine/search/tokenize';
import { makeSnippet } from '../../src/engine/search/snippet';
import { rng } from './searchFixtures';

// ---------------------------------------------------------------- the reference (the previous implementation)

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

interface Occurrence {
  start: number;
  end: number;
  term: number;
}

/** Occurrences of the needles as terms, in text order (at most PER_TERM per needle). */
function findOccurrences(text: string, needles: ReadonlyMap<string, number>): Occurrence[] {
  const lower = text.toLowerCase();
  const out: Occurrence[] = [];
  if (lower.length !== text.length) {
    // Lower-casing changed lengths (rare scripts): offsets differ, so tokenize the start of the text instead.
    forEachTerm(text.slice(0, 16_384), (t, start, end) => {
      const q = needles.get(t);
      if (q !== undefined && out.length < MAX_OCCURRENCES) out.push({ start, end, term: q });
    });
    return out;
  }
  for (const [term, q] of needles) {
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
      forEachTerm(text.slice(ws, we), (t, s) => {
        if (!ok && s + ws === p && t === term) ok = true;
      });
      if (ok) {
        out.push({ start: p, end: p + term.length, term: q });
        found++;
      }
    }
  }
  out.sort((a, b) => a.start - b.start || b.end - a.end);
  return out.length > MAX_OCCURRENCES ? out.slice(0, MAX_OCCURRENCES) : out;
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

/**
 * `needles` maps a term to the query term it stands for (several terms, e.g. typo variants, may stand
 * for the same query term).
 */
function referenceSnippet(text: string, needles: ReadonlyMap<string, number>, length = 160): { snippet: string; matches: MatchRange[] } {
  const occ = needles.size > 0 ? findOccurrences(text, needles) : [];
  let ws = 0;
  if (occ.length > 0) {
    // Pick the window start (just before some occurrence) covering the most distinct query terms.
    let best = -1;
    for (let i = 0; i < occ.length; i++) {
      const from = Math.max(0, occ[i].start - LEAD);
      let seen = 0;
      for (let k = i; k < occ.length && occ[k].end <= from + length; k++) seen |= 1 << occ[k].term;
      let distinct = 0;
      for (let b = seen; b !== 0; b &= b - 1) distinct++;
      if (distinct > best) {
        best = distinct;
        ws = from;
      }
    }
    // Start at a word boundary when one is near (before the first match).
    const first = occ.find((o) => o.start >= ws)?.start ?? ws;
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
  const body = text.slice(ws, we).replace(/\s/g, ' ');
  const matches: MatchRange[] = [];
  if (occ.length > 0) {
    // Every match inside the window: tokenize the window widened to whole words.
    let a = ws;
    while (a > 0 && ws - a < MAX_WORD && isWordCode(text.charCodeAt(a - 1))) a--;
    let b = we;
    while (b < text.length && b - we < MAX_WORD && isWordCode(text.charCodeAt(b))) b++;
    forEachTerm(text.slice(a, b), (t, s, e) => {
      const start = s + a;
      const end = e + a;
      if (start < ws || end > we || !needles.has(t)) return;
      const ms = start - ws + head.length;
      const me = end - ws + head.length;
      const last = matches[matches.length - 1];
      if (last && ms <= last[1]) last[1] = Math.max(last[1], me);
      else matches.push([ms, me]);
    });
  }
  return { snippet: head + body + tail, matches };
}

// ---------------------------------------------------------------- the comparison

const WORDS = [
  'error', 'Error', 'ERROR', 'errors', 'terrors', 'errorCount', 'parseJsonConfig', 'JSONParser', 'HTTPServer', 'json',
  'Json', 'snake_case_name', '__init__', '_private', 'trailing_', 'x86_64', 'v2Api', 'getID', 'IOError', 'config',
  'Café', 'naïve', 'STRASSE', 'Straße', '日本語', 'emoji😀here', 'ΣΟΦΙΑ', 'σοφίας', 'İstanbul', '\u212Aelvin', 'kelvin',
  'a', 'the', 'of', 'io', 'id', 'record', 'torn', 'journal', 'replay', 'a'.repeat(60), 'err_or', 'Err0r', 'eRRor',
];
const SEPARATORS = [' ', ' ', ' ', '\n', '\t', '\r\n', '.', '/', '-', '(', ')', ': ', '\u00a0', '\u2028', '\u3000', '\u180e', '\ufeff', '\u200b', '  '];

function randomText(r: () => number): string {
  const n = r() < 0.1 ? 200 + Math.floor(r() * 400) : 1 + Math.floor(r() * 60);
  let s = '';
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.02) s += 'q'.repeat(900 + Math.floor(r() * 300)) + 'Error';
    else s += WORDS[Math.floor(r() * WORDS.length)];
    s += SEPARATORS[Math.floor(r() * SEPARATORS.length)];
  }
  return s;
}

test('makeSnippet answers exactly as the reference on random texts', () => {
  const r = rng(17);
  for (let round = 0; round < 3000; round++) {
    const text = randomText(r);
    const terms = [...new Set(tokenize(text))];
    const needles = new Map<string, number>();
    const want = Math.floor(r() * 5);
    for (let k = 0; k < want; k++) {
      const x = r();
      let t = ['error', 'json', 'kelvin', 'missing', 'σοφίας', 'ht', 'http', 'tp', 'rror', 'init'][Math.floor(r() * 10)];
      if (terms.length > 0 && x < 0.85) {
        t = terms[Math.floor(r() * terms.length)];
        // A piece of a term: found inside words, at case changes, across parts.
        if (x < 0.35 && t.length > 2) {
          const from = Math.floor(r() * (t.length - 1));
          t = t.slice(from, from + 2 + Math.floor(r() * (t.length - from - 1)));
        }
      }
      if (!needles.has(t)) needles.set(t, Math.floor(r() * 4));
    }
    const length = r() < 0.8 ? 160 : 20 + Math.floor(r() * 200);
    assert.deepEqual(makeSnippet(text, needles, length), referenceSnippet(text, needles, length), JSON.stringify({ text: text.slice(0, 300), needles: [...needles], length }));
  }
});

test('white space in the snippet becomes plain spaces, exactly as /\\s/ sees it', () => {
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const text = `ab${String.fromCharCode(c)}cd`;
    assert.equal(makeSnippet(text, new Map()).snippet, text.replace(/\s/g, ' '), `U+${c.toString(16)}`);
  }
});
