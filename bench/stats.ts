// Small helpers shared by the benchmarks: percentiles, memory readings, the machine line, and a table printer.

import * as os from 'node:os';

export interface Row {
  bench: string;
  n: number;
  op: string;
  p50: number | string;
  p95: number | string;
  p99: number | string;
  baseline: number | string;
  ratio: number | string;
  note: string;
}

export function percentiles(xs: number[]): { p50: number; p95: number; p99: number; max: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export function memory(): { rssMb: number; heapMb: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMb: Math.round(m.rss / 1048576), heapMb: Math.round(m.heapUsed / 1048576) };
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

function fmt(v: number | string, digits = 2): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(digits);
}

/** A markdown table: times in ms, ratio = baseline / ours (how many times faster). */
export function markdownTable(rows: Row[]): string {
  const head = '| bench | segments | operation | p50 ms | p95 ms | p99 ms | baseline p50 ms | ratio | notes |\n|---|---:|---|---:|---:|---:|---:|---:|---|';
  const body = rows.map((r) => `| ${r.bench} | ${r.n.toLocaleString('en-US')} | ${r.op} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(r.baseline)} | ${typeof r.ratio === 'number' ? fmt(r.ratio, 1) + '×' : r.ratio} | ${r.note} |`);
  return [head, ...body].join('\n');
}

/**
 * True when the named bench file is the program being run (`tsx bench/search.ts`). `require.main === module`
 * cannot tell: in the bundled benchmark (out/bench/run.js) every module shares the bundle's `module`.
 */
export function isEntry(name: string): boolean {
  const entry = process.argv[1] ?? '';
  return entry.replace(/\\/g, '/').split('/').pop()?.replace(/\.[cm]?[jt]s$/, '') === name;
}
