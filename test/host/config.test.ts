// Settings validation: good values pass, each bad value is replaced by its default with a message that
// names the setting, what was wrong and what is used instead.
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_SETTINGS, validateSettings, type HostSettings } from '../../src/host/config';

const read = (values: Partial<Record<keyof HostSettings, unknown>>) => (key: keyof HostSettings) => values[key];

describe('validateSettings', () => {
  test('unset settings are the defaults, without problems', () => {
    assert.deepEqual(validateSettings(read({})), { settings: DEFAULT_SETTINGS, problems: [] });
  });

  test('valid values are used as given', () => {
    const v = { tokenBudget: 200_000, encoding: 'cl100k_base', thresholds: [50, 75], autoStashOnClose: false, recentMessages: 0, maxFileSize: 4096, excludedGlobs: ['**/gen/**'] };
    assert.deepEqual(validateSettings(read(v)), { settings: v, problems: [] });
  });

  test('each invalid value falls back to its default with a clear message', () => {
    const r = validateSettings(read({ tokenBudget: -5, encoding: 'p50k', thresholds: [90, 80], autoStashOnClose: 'yes', recentMessages: 2.5, maxFileSize: 10, excludedGlobs: 'dist' }));
    assert.deepEqual(r.settings, DEFAULT_SETTINGS);
    assert.deepEqual(r.problems, [
      'contextGc.tokenBudget must be a whole number from 1,000 to 100,000,000 (got -5); using the default 1,000,000.',
      'contextGc.recentMessages must be a whole number from 0 to 10,000 (got 2.5); using the default 20.',
      'contextGc.maxFileSize must be a whole number from 1,024 to 1,900,000 (got 10); using the default 1,048,576.',
      'contextGc.encoding must be one of o200k_base, cl100k_base (got "p50k"); using the default o200k_base.',
      'contextGc.thresholds must be 1 to 5 increasing percentages above 0 and at most 100, like [60, 80, 90] (got [90,80]); using the default [60, 80, 90].',
      'contextGc.autoStashOnClose must be true or false (got "yes"); using the default true.',
      'contextGc.excludedGlobs must be a list of glob patterns such as "**/dist/**" (got "dist"); using the defaults.',
    ]);
  });

  test('one bad value does not disturb the good ones', () => {
    const r = validateSettings(read({ tokenBudget: '128000', encoding: 'cl100k_base' }));
    assert.equal(r.settings.tokenBudget, 1_000_000);
    assert.equal(r.settings.encoding, 'cl100k_base');
    assert.equal(r.problems.length, 1);
  });
});
