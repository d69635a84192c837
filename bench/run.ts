// npm run bench [-- --sizes 10000,100000,1000000] [--only gc,tokens,search,store] [--out docs/BENCHMARKS.md]
// Runs every benchmark at each size, each against its baseline measured in the same run, prints one
// table and writes it (with the machine line) to docs/BENCHMARKS.md.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { isEntry, machine, markdownTable, type Row } from './stats';

type Bench = (n: number) => Promise<Row[] | Row | Record<string, unknown>>;

async function loadBenches(only: Set<string> | null): Promise<[string, Bench][]> {
  const all: [string, () => Promise<Bench>][] = [
    ['tokens', async () => (await import('./tokens')).benchTokens as Bench],
    ['gc', async () => (await import('./gc')).benchGc as Bench],
    ['search', async () => (await import('./search')).benchSearch as Bench],
    ['store', async () => (await import('./store')).benchStore as Bench],
    ['open', async () => (await import('./open')).benchOpen as Bench],
  ];
  const out: [string, Bench][] = [];
  for (const [name, load] of all) if (!only || only.has(name)) out.push([name, await load()]);
  return out;
}

function toRows(name: string, n: number, r: Row[] | Row | Record<string, unknown>): Row[] {
  if (Array.isArray(r)) return r;
  if ('op' in r && 'p50' in r) return [r as Row];
  // A bench that answered a flat record: one row, every field in the notes.
  return [{ bench: name, n, op: String(r.op ?? name), p50: '', p95: '', p99: '', baseline: '', ratio: typeof r.ratio === 'number' ? r.ratio : '', note: Object.entries(r).filter(([k]) => k !== 'op' && k !== 'ratio').map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(2) : v}`).join(', ') }];
}

export async function runBench(sizes = [10_000, 100_000, 1_000_000], only: Set<string> | null = null, out = 'docs/BENCHMARKS.md'): Promise<Row[]> {
  const benches = await loadBenches(only);
  const rows: Row[] = [];
  const started = new Date().toISOString();
  console.log(`Machine: ${machine()}`);
  for (const n of sizes) {
    for (const [name, bench] of benches) {
      const t = performance.now();
      process.stdout.write(`${name} @ ${n.toLocaleString('en-US')} … `);
      const r = toRows(name, n, await bench(n));
      rows.push(...r);
      console.log(`${((performance.now() - t) / 1000).toFixed(1)} s`);
      (globalThis as { gc?: () => void }).gc?.();
    }
  }
  const table = markdownTable(rows);
  console.log('\n' + table);
  if (out) {
    const doc = [
      '# Benchmarks',
      '',
      `Latest run: ${started}, \`npm run bench -- --sizes ${sizes.join(',')}${only ? ` --only ${[...only].join(',')}` : ''}\`.`,
      '',
      `Machine: ${machine()}.`,
      '',
      'Times in milliseconds. *ratio* = baseline ÷ ours, both measured in the same run (higher is better).',
      '',
      table,
      '',
    ].join('\n');
    const file = path.resolve(out);
    const prev = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const marker = '<!-- bench-table -->';
    const next = prev.includes(marker) ? prev.replace(new RegExp(`${marker}[\\s\\S]*${marker}`), `${marker}\n${doc}\n${marker}`) : `${marker}\n${doc}\n${marker}\n`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, next);
    console.log(`\nwritten to ${out}`);
  }
  return rows;
}

if (isEntry('run')) {
  const { values } = parseArgs({ options: { sizes: { type: 'string' }, only: { type: 'string' }, out: { type: 'string' } } });
  const sizes = values.sizes ? values.sizes.split(',').map(Number) : undefined;
  const only = values.only ? new Set(values.only.split(',')) : null;
  runBench(sizes, only, values.out ?? 'docs/BENCHMARKS.md').catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
