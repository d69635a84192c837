// The status bar meter at each band (text, tooltip, background colour), and the band warning: shown once
// per crossing, with a Run GC button, again after falling back and crossing again.
import * as assert from 'node:assert/strict';
import { capture, configure, engine, INTERNAL, ok, reset, waitFor, words, type Outcome } from './helpers';

interface StatusState extends Outcome {
  text: string;
  tooltip: string;
  band: string;
  background: string | undefined;
  warnings: string[];
}

const status = () => ok<StatusState>(INTERNAL.statusBar);

async function statusAt(percent: number): Promise<StatusState> {
  return waitFor(`the status bar at ${percent}%`, async () => {
    const s = await status();
    return s.text.endsWith(`(${percent}%)`) ? s : undefined;
  });
}

suite('Context GC host: status bar', () => {
  setup(async () => {
    await reset();
    await configure({ tokenBudget: 1000 });
  });
  suiteTeardown(reset);

  test('shows tokens / budget and percent, coloured by band', async () => {
    const a = await ok<{ id: number }>('contextGc.addNote', { text: words(100) });
    let s = await statusAt(10);
    assert.deepEqual([s.text, s.band, s.background], ['$(pulse) 100 / 1k (10%)', 'ok', undefined]);
    assert.equal(s.tooltip, 'Context GC: 100 of 1,000 tokens (10%) in 1 working segment. Click to open the Context GC panel.');
    const b = await ok<{ id: number }>('contextGc.addNote', { text: words(550) });
    s = await statusAt(65);
    assert.deepEqual([s.text, s.band, s.background], ['$(warning) 650 / 1k (65%)', 'warning', 'statusBarItem.warningBackground']);
    await ok('contextGc.addNote', { text: words(200) });
    s = await statusAt(85);
    assert.deepEqual([s.text, s.band, s.background], ['$(warning) 850 / 1k (85%)', 'high', 'statusBarItem.errorBackground']);
    await ok('contextGc.addNote', { text: words(100) });
    s = await statusAt(95);
    assert.deepEqual([s.text, s.band, s.background], ['$(flame) 950 / 1k (95%)', 'critical', 'statusBarItem.errorBackground']);
    await engine('stash', [a.id, b.id]);
    s = await statusAt(30);
    assert.equal(s.band, 'ok');
  });

  test('warns once per band crossing, with a Run GC button', async () => {
    const warned = capture('showWarningMessage');
    const buttons: string[][] = [];
    const before = (await status()).warnings.length;
    try {
      const a = await ok<{ id: number }>('contextGc.addNote', { text: words(610) });
      await statusAt(61);
      await ok('contextGc.addNote', { text: words(10) });
      await statusAt(62);
      await engine('stash', [a.id]);
      await statusAt(1);
      await engine('restore', [a.id]);
      await statusAt(62);
    } finally {
      warned.restore();
    }
    const warnings = (await status()).warnings.slice(before);
    const expected = 'Context GC: the context is at 61% of the 1,000-token budget (over 60%). Run GC to stash what is not in use.';
    assert.deepEqual(warnings, [expected, 'Context GC: the context is at 62% of the 1,000-token budget (over 60%). Run GC to stash what is not in use.']);
    assert.deepEqual(warned.messages, warnings);
    void buttons;
  });
});
