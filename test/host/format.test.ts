// What the user reads: compact token counts, the token-impact sentence, the status bar text, tooltip and
// colour in each band, and the exclusion globs.
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bandFor, compact, impact, statusView } from '../../src/host/format';
import { matchesGlob } from '../../src/host/glob';
import { DEFAULT_EXCLUDED_GLOBS } from '../../src/host/config';

describe('format', () => {
  test('compact token counts', () => {
    assert.deepEqual([0, 950, 1000, 12_345, 123_456, 999_499, 999_500, 1_000_000, 1_250_000, 128_000].map(compact), ['0', '950', '1k', '12.3k', '123k', '999k', '1M', '1M', '1.3M', '128k']);
  });

  test('impact says the change and where the context now stands', () => {
    const t = { workingTokens: 12_345, workingSegments: 3, percent: 1.2, budget: 1_000_000 };
    assert.equal(impact(-1234, t), '−1,234 tokens; context 12,345 / 1,000,000 tokens (1.2%).');
    assert.equal(impact(5, t), '+5 tokens; context 12,345 / 1,000,000 tokens (1.2%).');
    assert.equal(impact(0, t), 'no token change; context 12,345 / 1,000,000 tokens (1.2%).');
  });

  test('bands: at or above a threshold', () => {
    const th = [60, 80, 90];
    assert.deepEqual([0, 59.9, 60, 79.9, 80, 90, 100, 150].map((p) => bandFor(p, th).band), ['ok', 'ok', 'warning', 'warning', 'high', 'critical', 'critical', 'critical']);
  });

  test('the status bar in each band', () => {
    const at = (tokens: number) => statusView({ workingTokens: tokens, workingSegments: 2, percent: tokens / 10, budget: 1000 }, [60, 80, 90]);
    assert.deepEqual(at(100), {
      text: '$(pulse) 100 / 1k (10%)',
      tooltip: 'Context GC: 100 of 1,000 tokens (10%) in 2 working segments. Click to open the Context GC panel.',
      band: 'ok',
      background: undefined,
    });
    assert.deepEqual([at(650).text, at(650).band, at(650).background], ['$(warning) 650 / 1k (65%)', 'warning', 'statusBarItem.warningBackground']);
    assert.deepEqual([at(850).text, at(850).band, at(850).background], ['$(warning) 850 / 1k (85%)', 'high', 'statusBarItem.errorBackground']);
    assert.deepEqual([at(950).text, at(950).band, at(950).background], ['$(flame) 950 / 1k (95%)', 'critical', 'statusBarItem.errorBackground']);
    assert.equal(at(850).tooltip, 'Context GC: 850 of 1,000 tokens (85%) in 2 working segments. Over the 80% threshold: run GC to stash what is not in use. Click to open the Context GC panel.');
  });
});

describe('excluded globs', () => {
  const cases: [string, string, boolean][] = [
    ['node_modules/a/b.js', '**/node_modules/**', true],
    ['pkg/node_modules/a.js', '**/node_modules/**', true],
    ['src/node_modules.ts', '**/node_modules/**', false],
    ['a/b.min.js', '*.min.js', true],
    ['src/a.ts', 'src/*.ts', true],
    ['src/x/a.ts', 'src/*.ts', false],
    ['src/x/a.ts', 'src/**/*.ts', true],
    ['src/a.ts', 'src/**/*.ts', true],
    ['conf.yaml', '*.{json,yaml}', true],
    ['conf.yml', '*.{json,yaml}', false],
    ['a1.ts', 'a[0-9].ts', true],
    ['ab.ts', 'a?.ts', true],
    ['a/b.ts', 'a?b.ts', false],
  ];
  for (const [p, g, want] of cases) test(`${g} ${want ? 'matches' : 'does not match'} ${p}`, () => assert.equal(matchesGlob(p, g), want));

  test('the defaults exclude dependencies and build output but not sources', () => {
    const hit = (p: string) => DEFAULT_EXCLUDED_GLOBS.some((g) => matchesGlob(p, g));
    assert.deepEqual(['node_modules/x/i.js', 'dist/extension.js', 'web/out/a.js', 'app.min.js', 'yarn.lock', 'package-lock.json', 'src/a.ts', 'README.md', 'src/build.ts'].map(hit),
      [true, true, true, true, true, true, false, false, false]);
  });
});
