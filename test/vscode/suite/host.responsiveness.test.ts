// Heavy work stays off the extension host's event loop: with 20,000 segments in the store, a recount in
// another encoding, a GC over everything, a search, usage, and closing + reopening the store (snapshot
// export and load) all run in the worker while the host's event loop keeps ticking. This test shares
// the extension host's thread, so it measures the same loop the extension runs on.
import * as assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { configure, engine, INTERNAL, ok, recordMeasurement, reset, totals, type Outcome } from './helpers';

const N = 20_000;
const VOCAB = ['journal', 'snapshot', 'segment', 'token', 'budget', 'stash', 'restore', 'worker', 'thread', 'commit', 'fsync', 'index', 'search', 'query', 'editor', 'status', 'plan', 'mark', 'sweep', 'root'];

function textOf(i: number): string {
  let x = (i * 2654435761) >>> 0;
  const words: string[] = [`Segment ${i}:`];
  for (let k = 0; k < 60; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    words.push(VOCAB[x % VOCAB.length] + (k % 7 === 0 ? String(x % 97) : ''));
  }
  return words.join(' ');
}

interface Sample {
  ms: number;
  /** Worst lateness of a 5 ms timer: our stalls, but also time the OS gave other processes. */
  maxDelayMs: number;
  /** Time the loop spent running callbacks (event-loop utilization): no single callback is longer than this. */
  activeMs: number;
}

/** Runs fn while sampling the event loop. */
async function measured<T>(fn: () => Promise<T>): Promise<Sample & { value: T }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  let worstGap = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last - 5);
    last = now;
  }, 5);
  h.enable();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  try {
    const value = await fn();
    const elu = performance.eventLoopUtilization(elu0);
    const r1 = (x: number) => Math.round(x * 10) / 10;
    return { value, ms: Math.round(performance.now() - t0), maxDelayMs: r1(Math.max(h.max / 1e6 - 5, worstGap)), activeMs: r1(elu.active) };
  } finally {
    h.disable();
    clearInterval(tick);
  }
}

interface Op {
  name: string;
  /** Runs once; repeatable (the encoding op toggles between the two encodings). */
  run(): Promise<unknown>;
}

const LIMIT_MS = 50;

/**
 * Measures each operation. An attempt passes when the loop was never late by more than the limit, or when
 * the loop ran callbacks for less than the limit in all (then no callback can have blocked it that long:
 * the lateness was the OS running other processes on a shared machine). A failing attempt is measured
 * again, up to 3 times, since a stall the operation causes shows up every time.
 */
async function measureAll(ops: Op[]): Promise<{ results: Record<string, Sample[]>; over: string[] }> {
  const results: Record<string, Sample[]> = {};
  const over: string[] = [];
  const passes = (a: Sample) => a.maxDelayMs <= LIMIT_MS || a.activeMs < LIMIT_MS;
  for (const op of ops) {
    const attempts: Sample[] = [];
    for (let i = 0; i < 3; i++) {
      const { value: _value, ...sample } = await measured(op.run);
      attempts.push(sample);
      if (passes(sample)) break;
    }
    results[op.name] = attempts;
    if (!attempts.some(passes)) over.push(op.name);
  }
  return { results, over };
}

suite('Context GC host: responsiveness', function () {
  this.timeout(300_000);
  let encoding: 'o200k_base' | 'cl100k_base' = 'o200k_base';
  const ops: Op[] = [
    { name: 'usage', run: () => ok('contextGc.showUsage') },
    { name: 'search', run: () => engine('search', { query: 'journal fsync snapshot', limit: 50 }) },
    {
      name: 'recount in the other encoding',
      run: () => {
        encoding = encoding === 'o200k_base' ? 'cl100k_base' : 'o200k_base';
        return configure({ encoding });
      },
    },
    {
      name: 'run GC over half the tokens, then undo it',
      run: async () => {
        const gc = await ok<{ ids: number[] }>('contextGc.runGc', { apply: 'all', targetTokens: Math.floor((N * 70) / 2) });
        assert.ok(gc.ids.length > 0);
        await ok('contextGc.undoGc');
      },
    },
    {
      name: 'close and reopen the store (snapshot export and load)',
      run: async () => {
        const state = await ok<Outcome & { info: { segments: number; openMs: number } }>(INTERNAL.restart);
        assert.equal(state.info.segments, N);
        reopenMs.push(state.info.openMs);
      },
    },
  ];
  const reopenMs: number[] = [];

  suiteSetup(async () => {
    await reset();
    // The panel refreshes its working-set list on every change while it is visible; show the explorer instead.
    await vscode.commands.executeCommand('workbench.view.explorer');
    for (let i = 0; i < N; i += 2000) {
      await engine('addMany', Array.from({ length: 2000 }, (_, k) => ({ type: k % 10 === 0 ? 'log' : 'message', text: textOf(i + k), source: 'agent' })));
    }
  });
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.view.explorer');
    await configure({ encoding: undefined });
    await reset();
  });

  test(`with ${N.toLocaleString('en-US')} segments, no operation blocks the extension host's event loop for ${LIMIT_MS} ms`, async () => {
    assert.equal((await totals()).workingSegments, N);
    // The noise floor: nothing running but the extension host's own work and the other processes on the machine.
    const { value: _idle, ...baseline } = await measured(() => new Promise((r) => setTimeout(r, 1000)));
    const { results, over } = await measureAll(ops);
    recordMeasurement('responsiveness (panel hidden)', { segments: N, idleBaseline: baseline, storeOpenInWorkerMs: reopenMs, operations: results });
    assert.deepEqual(over, [], `the event loop was blocked over ${LIMIT_MS} ms in every attempt: ${JSON.stringify(results)}`);
  });

  test('measured for the record: the same operations with the Context GC panel visible', async () => {
    await ok('contextGc.openPanel');
    const { results } = await measureAll(ops.filter((o) => o.name !== 'search'));
    recordMeasurement('responsiveness (panel visible)', { segments: N, operations: results });
    await vscode.commands.executeCommand('workbench.view.explorer');
  });
});
