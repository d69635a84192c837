// Request and answer shapes of the engine's search, shared by the index, the engine facade and the
// layers above it (protocol, CLI, tools). Plain data only.

import type { SegmentType, Tier } from '../model';

/**
 * One search. `query` is free text: every word is a term; identifiers and paths are split into their
 * parts. Results are ranked by how many of the terms a segment matches (more terms first), then by
 * relevance (term frequency, early position, rarer terms, matches in tags and file path), recency and
 * a type match. All filters combine with AND.
 */
export interface SearchRequest {
  query: string;
  /** The engine is per project: a request naming another project gets no hits from this index. */
  project?: string;
  /** Exact file path. */
  filePath?: string;
  /** File path prefix, e.g. `src/engine/` (plain string prefix, not a glob). */
  filePathPrefix?: string;
  taskId?: string;
  /** Segments carrying at least one of these tags. */
  tagsAny?: readonly string[];
  /** Segments carrying every one of these tags. */
  tagsAll?: readonly string[];
  types?: readonly SegmentType[];
  tier?: Tier;
  /** Time bounds in ms since the epoch, all exclusive: `createdAt > createdAfter`, `createdAt < createdBefore`. */
  createdAfter?: number;
  createdBefore?: number;
  touchedAfter?: number;
  touchedBefore?: number;
  /** Most hits to return (default 20, at most 1000). */
  limit?: number;
  /** Token cap: hits are taken in rank order while their tokens fit; a hit that does not fit is skipped. */
  maxTokens?: number;
}

/** Offsets [start, end) into `snippet` of one matched term, for highlighting. */
export type MatchRange = [start: number, end: number];

export interface SearchHit {
  id: number;
  /** Integer part: how many query terms the segment matched; fraction: relevance, recency, boosts. */
  score: number;
  /** How many of the query's terms the segment matched (text, tags or file path; typo variants count). */
  matched: number;
  /** A short piece of the text around the best match; `…` marks a cut. */
  snippet: string;
  /** Where matched terms sit in `snippet`. */
  matches: MatchRange[];
  /** The segment's token count. */
  tokens: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** How many segments matched (before `limit` and `maxTokens`). */
  total: number;
  /** The query's terms after tokenizing, in order; typo corrections are listed in `corrections`. */
  terms: string[];
  /** Query terms that matched nothing and were replaced by close words from the index. */
  corrections: { term: string; variants: string[] }[];
  /** Hits left out because they did not fit `maxTokens`. */
  skippedForTokens: number;
  /** True while the index is still being built: segments not yet indexed are missing from the hits. */
  partial: boolean;
  /** Which plan answered: `index` walks the term postings and checks filters on columns; `filter` reads the few filtered segments' texts. */
  plan: 'index' | 'filter' | 'none';
}
