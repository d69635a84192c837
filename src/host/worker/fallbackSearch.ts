// Search while the engine has no full-text index attached: a scan of the most recently touched segments
// that match the request's tier/file/task filters, using the engine's own term splitting and snippets, so
// "Search Stash" works before (or without) the index. Ranked by matched terms, then recency. Bounded:
// it reads at most SCAN_LIMIT texts, and says so through `partial`.

import type { ContextEngine, SearchResult } from '../../engine/engine';
import { forEachTerm, tokenize } from '../../engine/search/tokenize';
import { makeSnippet } from '../../engine/search/snippet';
import type { SearchRequest } from '../../engine/search/types';

const SCAN_LIMIT = 20_000;
const CHUNK = 500;

export function fallbackSearch(engine: ContextEngine, req: SearchRequest): SearchResult {
  const t0 = performance.now();
  const terms = [...new Set(tokenize(req.query))];
  const needles = new Map(terms.map((t, i) => [t, i]));
  const metas = engine.list({ tier: req.tier, filePath: req.filePath, taskId: req.taskId, sort: 'recent' });
  const scanned = metas.slice(0, SCAN_LIMIT);
  const limit = Math.min(req.limit ?? 20, 1000);
  const found: SearchResult['hits'] = [];
  for (let i = 0; i < scanned.length; i += CHUNK) {
    const batch = scanned.slice(i, i + CHUNK);
    const texts = engine.texts(batch.map((m) => m.id));
    for (const meta of batch) {
      if (req.types && !req.types.includes(meta.type)) continue;
      const text = texts.get(meta.id) ?? '';
      const seen = new Set<number>();
      if (terms.length > 0) {
        forEachTerm(meta.filePath ? `${meta.filePath}\n${text}` : text, (t) => {
          const q = needles.get(t);
          if (q !== undefined) seen.add(q);
        });
        if (seen.size === 0) continue;
      }
      const { snippet, matches } = makeSnippet(text, needles);
      found.push({ id: meta.id, score: seen.size + 1 / (2 + found.length), matched: seen.size, snippet, matches, tokens: meta.tokens, meta });
    }
  }
  found.sort((a, b) => b.matched - a.matched || b.meta.touchedAt - a.meta.touchedAt || b.id - a.id);
  const hits = found.slice(0, limit);
  return {
    query: req.query,
    project: engine.project,
    hits,
    total: found.length,
    terms,
    corrections: [],
    skippedForTokens: 0,
    partial: metas.length > SCAN_LIMIT,
    plan: 'filter',
    tokens: hits.reduce((s, h) => s + h.tokens, 0),
    tookMs: Math.round((performance.now() - t0) * 100) / 100,
  };
}
