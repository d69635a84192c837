// GC and analysis at scale: mark + score + heap top-k plan, versus the same scoring followed by a full
// sort (the baseline), and the usage analysis. Worst case for the collector: every segment in the
// working set (the mark and the scoring pass touch them all).

import { SegmentTable } from '../src/engine/table';
import { plan, scoreOf, mark } from '../src/engine/gc/gc';
import { analyze } from '../src/engine/analysis';
import { hashText, type SegmentMeta } from '../src/engine/model';
import { generateCorpus } from './corpus';
import { percentiles, memory, type Row } from './stats';

export interface GcBenchOptions {
  /** Timed repetitions of each operation. */
  runs?: number;
}

/** Builds a table of n corpus segments (token counts estimated as chars/4: the GC does not look at text). */
export function buildTable(n: number): { table: SegmentTable; totalTokens: number; now: number; files: string[]; task: string } {
  const table = new SegmentTable();
  let total = 0;
  let now = 0;
  const files: string[] = [];
  const taskCounts = new Map<string, number>();
  let id = 0;
  for (const c of generateCorpus(n, { seed: 7 })) {
    id++;
    const tokens = Math.max(1, Math.ceil(c.text.length / 4));
    total += tokens;
    if (c.createdAt > now) now = c.createdAt;
    if (c.filePath && files.length < 8 && id % 997 === 0) files.push(c.filePath);
    if (c.taskId) taskCounts.set(c.taskId, (taskCounts.get(c.taskId) ?? 0) + 1);
    const meta: SegmentMeta = {
      id,
      type: c.type,
      tier: 'working',
      taskId: c.taskId ?? null,
      filePath: c.filePath ?? null,
      lineStart: null,
      lineEnd: null,
      tags: c.tags ?? [],
      source: 'import',
      refs: (c.refs ?? []).map((r: number) => r + 1).filter((r: number) => r < id),
      pinned: id % 101 === 0,
      generation: id % 3 === 0 ? 'old' : 'young',
      survivals: id % 3 === 0 ? 2 : 0,
      createdAt: c.createdAt,
      touchedAt: c.createdAt,
      tokens,
      encoding: 'o200k_base',
      textHash: id === 1 ? hashText(c.text) : '0000000000000000',
      title: '',
      chars: c.text.length,
    };
    table.put(meta);
  }
  const task = [...taskCounts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'none';
  return { table, totalTokens: total, now: now + 60_000, files, task };
}

export async function benchGc(n: number, opts: GcBenchOptions = {}): Promise<Row[]> {
  const runs = opts.runs ?? (n >= 1_000_000 ? 15 : 40);
  const t0 = performance.now();
  const { table, totalTokens, now, files, task } = buildTable(n);
  const buildMs = performance.now() - t0;
  const mem = memory();
  // The budget is the working set's size, and the plan frees 1% of it: thousands of candidates at 1M.
  const budget = totalTokens;
  const target = Math.ceil(totalTokens / 100);
  const rootOpts = { currentTask: task, activeFiles: files, recentMessages: 20 };

  const planTimes: number[] = [];
  const markTimes: number[] = [];
  let candidates = 0;
  let first: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    const p = plan(table, { ...rootOpts, now, budget, targetTokens: target }, totalTokens);
    planTimes.push(performance.now() - s);
    markTimes.push(p.timings.markMs);
    candidates = p.candidates.length;
    if (i === 0) first = p.candidates.slice(0, 50).map((c) => c.id);
  }

  // Baseline: the same mark and scores, then sort every candidate and walk the sorted list.
  const sortTimes: number[] = [];
  for (let i = 0; i < Math.min(runs, 8); i++) {
    const s = performance.now();
    const m = mark(table, rootOpts);
    const all: { id: number; score: number }[] = [];
    for (let id = 1; id < table.end; id++) {
      if (table.alive[id] !== 1 || table.tier[id] !== 0 || table.isPinned(id)) continue;
      const phase = m.rootBits[id] !== 0 ? 2 : m.reachedBy[id] !== 0 ? 1 : 0;
      all.push({ id, score: phase + scoreOf(table, id, now) });
    }
    all.sort((a, b) => a.score - b.score || a.id - b.id);
    let freed = 0;
    const picked: number[] = [];
    for (const c of all) {
      if (freed >= target) break;
      freed += table.tokens[c.id];
      picked.push(c.id);
    }
    sortTimes.push(performance.now() - s);
    if (i === 0 && picked.slice(0, 50).join() !== first.join()) throw new Error('GC bench: heap plan and full-sort plan disagree');
  }

  const analysisTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    analyze(table, { ...rootOpts, now, budget });
    analysisTimes.push(performance.now() - s);
  }
  const p = percentiles(planTimes);
  const b = percentiles(sortTimes);
  const a = percentiles(analysisTimes);
  const mk = percentiles(markTimes);
  return [
    { bench: 'gc', n, op: 'table build (SoA, from corpus)', p50: buildMs, p95: buildMs, p99: buildMs, baseline: '', ratio: '', note: `${(totalTokens / 1e6).toFixed(1)}M est. tokens` },
    { bench: 'gc', n, op: 'GC plan: mark+score+heap top-k', p50: p.p50, p95: p.p95, p99: p.p99, baseline: b.p50, ratio: b.p50 / p.p50, note: `${candidates} candidates (free 1%); baseline = full sort; mark p50 ${mk.p50.toFixed(1)} ms` },
    { bench: 'gc', n, op: 'usage analysis', p50: a.p50, p95: a.p95, p99: a.p99, baseline: '', ratio: '', note: `table RSS ${mem.rssMb} MB, heap ${mem.heapMb} MB` },
  ];
}
