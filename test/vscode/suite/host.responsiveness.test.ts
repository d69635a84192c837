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

/** Runs fn while sampling the event loop; returns its result and the worst delay seen, in ms. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; maxDelayMs: number; ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  let worstGap = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last - 5);
    last = now;
  }, 5);
  h.enable();
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, maxDelayMs: Math.max(h.max / 1e6 - 5, worstGap), ms: Math.round(performance.now() - t0) };
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
 * Measures each operation; one over the limit is measured again (up to 3 times in all), because other
 * processes on a shared machine also delay the loop now and then, while a stall the operation causes
 * shows up every time. Returns every attempt and whether some attempt of each op stayed under the limit.
 */
async function measureAll(ops: Op[]): Promise<{ results: Record<string, { ms: number; maxDelayMs: number }[]>; over: string[] }> {
  const results: Record<string, { ms: number; maxDelayMs: number }[]> = {};
  const over: string[] = [];
  for (const op of ops) {
    const attempts: { ms: number; maxDelayMs: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await measured(op.run);
      attempts.push({ ms: r.ms, maxDelayMs: Math.round(r.maxDelayMs * 10) / 10 });
      if (r.maxDelayMs <= LIMIT_MS) break;
    }
    results[op.name] = attempts;
    if (attempts.every((a) => a.maxDelayMs > LIMIT_MS)) over.push(op.name);
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

  test(`with ${N.toLocaleString('en-US')} segments, no operation stalls the extension host's event loop over ${LIMIT_MS} ms`, async () => {
    assert.equal((await totals()).workingSegments, N);
    // The noise floor: nothing running but the extension host's own work and the other processes on the machine.
    const baseline = await measured(() => new Promise((r) => setTimeout(r, 1000)));
    const { results, over } = await measureAll(ops);
    recordMeasurement('responsiveness (panel hidden)', { segments: N, idleBaselineMaxDelayMs: Math.round(baseline.maxDelayMs * 10) / 10, storeOpenInWorkerMs: reopenMs, operations: results });
    assert.deepEqual(over, [], `event-loop stalls over ${LIMIT_MS} ms in every attempt: ${JSON.stringify(results)}`);
  });

  test('measured for the record: the same operations with the Context GC panel visible', async () => {
    await ok('contextGc.openPanel');
    const { results } = await measureAll(ops.filter((o) => o.name !== 'search'));
    recordMeasurement('responsiveness (panel visible)', { segments: N, operations: results });
    await vscode.commands.executeCommand('workbench.view.explorer');
  });
});
