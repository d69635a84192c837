// Snippets: a short piece of a hit's text around its best match, with the offsets of the matched terms
// so a UI can highlight them. The window is the one that shows the most distinct query terms.

import type { MatchRange } from './types';
import { forEachTerm } from './tokenize';

/** Characters of text shown around a match. */
export const SNIPPET_LENGTH = 160;
/** How far into a long text we look for matches (tokenizing a huge log for a snippet is not worth it). */
const SCAN_LIMIT = 64_000;
const MAX_OCCURRENCES = 128;
const LEAD = 24;

interface Occurrence {
  start: number;
  end: number;
  term: number;
}

/**
 * `needles` maps a term to the query term it stands for (several terms, e.g. typo variants, may stand
 * for the same query term).
 */
export function makeSnippet(text: string, needles: ReadonlyMap<string, number>, length = SNIPPET_LENGTH): { snippet: string; matches: MatchRange[] } {
  const occ: Occurrence[] = [];
  const scanned = text.length > SCAN_LIMIT ? text.slice(0, SCAN_LIMIT) : text;
  if (needles.size > 0) {
    forEachTerm(scanned, (t, start, end) => {
      const q = needles.get(t);
      if (q !== undefined && occ.length < MAX_OCCURRENCES) occ.push({ start, end, term: q });
    });
  }
  let ws = 0;
  if (occ.length > 0) {
    // Pick the window start (just before some occurrence) covering the most distinct query terms.
    let best = -1;
    let bestStart = 0;
    for (let i = 0; i < occ.length; i++) {
      const from = Math.max(0, occ[i].start - LEAD);
      const seen = new Set<number>();
      for (let k = i; k < occ.length && occ[k].end <= from + length; k++) seen.add(occ[k].term);
      if (seen.size > best) {
        best = seen.size;
        bestStart = from;
      }
    }
    ws = bestStart;
    // Start at a word boundary when one is near.
    if (ws > 0) {
      const limit = Math.min(occ.find((o) => o.start >= ws)?.start ?? ws, ws + LEAD);
      for (let p = ws; p < limit; p++) {
        if (/\s/.test(text[p])) {
          ws = p + 1;
          break;
        }
      }
    }
  }
  let we = Math.min(text.length, ws + length);
  if (we < text.length) {
    for (let p = we; p > ws + length / 2; p--) {
      if (/\s/.test(text[p])) {
        we = p;
        break;
      }
    }
  }
  const head = ws > 0 ? '…' : '';
  const tail = we < text.length ? '…' : '';
  const body = text.slice(ws, we).replace(/\s/g, ' ');
  const matches: MatchRange[] = [];
  for (const o of occ) {
    if (o.start < ws || o.end > we) continue;
    const s = o.start - ws + head.length;
    const e = o.end - ws + head.length;
    const last = matches[matches.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else matches.push([s, e]);
  }
  return { snippet: head + body + tail, matches };
}
