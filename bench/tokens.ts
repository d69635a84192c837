// Token counting throughput: plain js-tiktoken `encode(text, [], []).length` (the baseline) versus our
// cached counter (src/engine/tokens), over the first n segments of the shared corpus, o200k_base.
//
// "cold" = a fresh counter with an empty piece cache going through the texts once (what an ingest of
// new text sees); "warm" = the same counter going through them again. Rank loading is timed apart.
// Both must give identical totals on the same texts, or the benchmark throws.
// Above 100k segments js-tiktoken runs on an evenly spaced 50k-segment sample (it would take minutes
// on all of them); our counter runs on that sample with its own fresh counter (same texts, fair ratio)
// and on all n segments.

import { getEncoding } from 'js-tiktoken';
import { createTokenCounter, preloadEncoding } from '../src/engine/tokens';
import { generateCorpus, loadSourcePool } from './corpus';
import { isEntry } from './stats';

const FULL_REFERENCE_MAX = 100_000;
const SAMPLE = 50_000;

export async function benchTokens(n: number): Promise<Record<string, string | number>> {
  const texts: string[] = [];
  for (const s of generateCorpus(n, { seed: 1 })) texts.push(s.text);

  let t = performance.now();
  const reference = getEncoding('o200k_base');
  const referenceLoadMs = performance.now() - t;
  t = performance.now();
  preloadEncoding('o200k_base');
  const oursLoadMs = performance.now() - t;

  const sampled = n > FULL_REFERENCE_MAX;
  const stride = sampled ? n / SAMPLE : 1;
  const sample = sampled ? Array.from({ length: SAMPLE }, (_, i) => texts[Math.floor(i * stride)]) : texts;

  // Baseline on the sample (all texts up to 100k).
  const ref = timed(() => sample.map((text) => reference.encode(text, [], []).length));
  const refCounts = ref.value;
  const refMs = ref.ms;
  const refTokens = sum(refCounts);

  // Ours, cold, on exactly the baseline's texts: the fair ratio. Every count must match.
  const onSample = createTokenCounter('o200k_base');
  const cold = timed(() => sample.map((text) => onSample.count(text)));
  const ourCounts = cold.value;
  const coldSampleMs = cold.ms;
  for (let i = 0; i < sample.length; i++) {
    if (ourCounts[i] !== refCounts[i]) {
      throw new Error(`Token counts differ on segment ${Math.floor(i * stride)}: ours ${ourCounts[i]}, js-tiktoken ${refCounts[i]}.`);
    }
  }
  // Warm: the same counter over the same texts again.
  t = performance.now();
  const warmTokens = sum(sample.map((text) => onSample.count(text)));
  const warmSampleMs = performance.now() - t;
  if (warmTokens !== refTokens) throw new Error(`Warm total ${warmTokens} differs from js-tiktoken's ${refTokens}.`);

  const row: Record<string, string | number> = {
    op: 'count tokens, o200k_base (cold cache vs js-tiktoken encode)',
    ratio: refMs / coldSampleMs,
    segments: n,
    tokens: refTokens,
    jsTiktokenTokensPerSec: Math.round(refTokens / (refMs / 1000)),
    coldTokensPerSec: Math.round(refTokens / (coldSampleMs / 1000)),
    warmTokensPerSec: Math.round(refTokens / (warmSampleMs / 1000)),
    warmRatio: refMs / warmSampleMs,
    // CPU time of this process: less disturbed than wall time when other work shares the cores.
    cpuRatio: ref.cpuMs / cold.cpuMs,
    jsTiktokenLoadMs: Math.round(referenceLoadMs),
    ranksLoadMs: Math.round(oursLoadMs),
    cachedPieces: onSample.cachedPieces,
    identical: 'yes (every segment)',
    corpus: `seed 1, pool ${loadSourcePool().fingerprint}`,
  };

  if (sampled) {
    // Ours over all n segments, cold then warm (js-tiktoken only saw the sample).
    const all = createTokenCounter('o200k_base');
    t = performance.now();
    let total = 0;
    for (const text of texts) total += all.count(text);
    const coldAllMs = performance.now() - t;
    t = performance.now();
    let again = 0;
    for (const text of texts) again += all.count(text);
    const warmAllMs = performance.now() - t;
    if (again !== total) throw new Error(`Second pass total ${again} differs from the first ${total}.`);
    row.tokens = total;
    row.allColdTokensPerSec = Math.round(total / (coldAllMs / 1000));
    row.allWarmTokensPerSec = Math.round(total / (warmAllMs / 1000));
    row.allSeconds = +(coldAllMs / 1000).toFixed(1);
    row.sample = `js-tiktoken on every ${stride}th segment (${SAMPLE.toLocaleString('en-US')} segments, ${refTokens.toLocaleString('en-US')} tokens); ratio on those`;
    row.identical = `yes (every sampled segment)`;
  }
  return row;
}

/** Runs fn once; wall time and this process's CPU time (user + system), in ms. */
function timed<T>(fn: () => T): { value: T; ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = fn();
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (used.user + used.system) / 1000 };
}

function sum(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

// `npx tsx bench/tokens.ts [n]`
if (isEntry('tokens')) {
  void benchTokens(Number(process.argv[2] ?? 100_000)).then((r) => console.log(r));
}
