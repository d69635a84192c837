// The engine's search: see searchIndex.ts for the design.
export { SearchIndex, INDEX_FORMAT, INDEX_VERSION, DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY_TERMS } from './searchIndex';
export type { GetTexts, SearchIndexOptions, BuildOptions, IndexStats } from './searchIndex';
export type { SearchRequest, SearchHit, SearchResult, MatchRange } from './types';
export { tokenize, forEachTerm, analyzeText, STOPWORDS } from './tokenize';
