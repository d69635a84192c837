// Shared test helpers: a settable clock, an engine over the in-memory store, and js-tiktoken as the reference counter.

import { getEncoding } from 'js-tiktoken';
import { ContextEngine, type EngineOptions } from '../../src/engine/engine';
import { MemoryStore } from '../../src/engine/store/memory';
import type { Clock, Encoding } from '../../src/engine/model';

export const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
export const HOUR = 3600_000;

export class TestClock implements Clock {
  constructor(public time = T0) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

export async function memoryEngine(opts: Partial<EngineOptions> = {}): Promise<{ engine: ContextEngine; clock: TestClock; store: MemoryStore }> {
  const clock = (opts.clock as TestClock | undefined) ?? new TestClock();
  const store = (opts.store as MemoryStore | undefined) ?? new MemoryStore();
  const engine = await ContextEngine.open({ ...opts, store, clock });
  return { engine, clock, store };
}

const refs = new Map<Encoding, ReturnType<typeof getEncoding>>();
/** Token count straight from js-tiktoken (the reference the engine must match). */
export function tiktokenCount(text: string, encoding: Encoding = 'o200k_base'): number {
  let enc = refs.get(encoding);
  if (!enc) refs.set(encoding, (enc = getEncoding(encoding)));
  return enc.encode(text, [], []).length;
}

/** " w" repeated: one token per word in both encodings, so budgets can be hit exactly. */
export function words(n: number, word = 'w'): string {
  return (word + ' ').repeat(n).trimEnd();
}
