// The `contextGc.*` settings: names, defaults and validation. A value the user wrote that does not fit
// (wrong type, out of range) is replaced by its default and named in a problem message that says what
// was wrong and what is used instead. Pure (no vscode): the host reads raw values and passes them in,
// and the Node unit tests check the rules. package.json `contributes.configuration` declares the same
// keys and defaults; a unit test keeps the two in step.

import { ENCODINGS, type Encoding } from '../engine/model';

export const SECTION = 'contextGc';

export interface HostSettings {
  /** Token budget of the model in use. */
  tokenBudget: number;
  encoding: Encoding;
  /** Warning thresholds in percent, increasing. */
  thresholds: number[];
  autoStashOnClose: boolean;
  /** How many of the newest messages are GC roots. */
  recentMessages: number;
  /** Bytes of a file kept in its segment; the rest is left out with a note. */
  maxFileSize: number;
  /** Files never recorded (globs relative to the workspace folder). */
  excludedGlobs: string[];
}

export const DEFAULT_EXCLUDED_GLOBS = [
  '**/node_modules/**', '**/.git/**', '**/dist/**', '**/out/**', '**/build/**', '**/coverage/**', '**/.next/**',
  '**/target/**', '**/__pycache__/**', '**/.venv/**', '**/*.min.js', '**/*.min.css', '**/*.map', '**/*.lock', '**/package-lock.json',
];

export const DEFAULT_SETTINGS: HostSettings = {
  tokenBudget: 1_000_000,
  encoding: 'o200k_base',
  thresholds: [60, 80, 90],
  autoStashOnClose: true,
  recentMessages: 20,
  maxFileSize: 1_048_576,
  excludedGlobs: DEFAULT_EXCLUDED_GLOBS,
};

export const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof HostSettings)[];

export const LIMITS = {
  tokenBudget: { min: 1_000, max: 100_000_000 },
  recentMessages: { min: 0, max: 10_000 },
  /** The engine keeps at most 2,000,000 characters per segment; the truncation note needs a little room. */
  maxFileSize: { min: 1_024, max: 1_900_000 },
} as const;

export interface ValidatedSettings {
  settings: HostSettings;
  /** One sentence per rejected value. */
  problems: string[];
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 59) + '…' : s;
};

function wholeNumber(key: string, v: unknown, min: number, max: number, problems: string[], fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  problems.push(`${SECTION}.${key} must be a whole number from ${fmt(min)} to ${fmt(max)} (got ${show(v)}); using the default ${fmt(fallback)}.`);
  return fallback;
}

/** Validates raw setting values (`read(key)` gives the user's value, or undefined when unset). */
export function validateSettings(read: (key: keyof HostSettings) => unknown): ValidatedSettings {
  const problems: string[] = [];
  const d = DEFAULT_SETTINGS;
  const tokenBudget = wholeNumber('tokenBudget', read('tokenBudget'), LIMITS.tokenBudget.min, LIMITS.tokenBudget.max, problems, d.tokenBudget);
  const recentMessages = wholeNumber('recentMessages', read('recentMessages'), LIMITS.recentMessages.min, LIMITS.recentMessages.max, problems, d.recentMessages);
  const maxFileSize = wholeNumber('maxFileSize', read('maxFileSize'), LIMITS.maxFileSize.min, LIMITS.maxFileSize.max, problems, d.maxFileSize);

  let encoding = d.encoding;
  const enc = read('encoding');
  if (enc !== undefined) {
    if ((ENCODINGS as readonly unknown[]).includes(enc)) encoding = enc as Encoding;
    else problems.push(`${SECTION}.encoding must be one of ${ENCODINGS.join(', ')} (got ${show(enc)}); using the default ${d.encoding}.`);
  }

  let thresholds = [...d.thresholds];
  const th = read('thresholds');
  if (th !== undefined) {
    const ok =
      Array.isArray(th) &&
      th.length >= 1 &&
      th.length <= 5 &&
      th.every((x, i) => typeof x === 'number' && Number.isFinite(x) && x > 0 && x <= 100 && (i === 0 || x > (th[i - 1] as number)));
    if (ok) thresholds = [...(th as number[])];
    else problems.push(`${SECTION}.thresholds must be 1 to 5 increasing percentages above 0 and at most 100, like [60, 80, 90] (got ${show(th)}); using the default [${d.thresholds.join(', ')}].`);
  }

  let autoStashOnClose = d.autoStashOnClose;
  const auto = read('autoStashOnClose');
  if (auto !== undefined) {
    if (typeof auto === 'boolean') autoStashOnClose = auto;
    else problems.push(`${SECTION}.autoStashOnClose must be true or false (got ${show(auto)}); using the default ${d.autoStashOnClose}.`);
  }

  let excludedGlobs = [...d.excludedGlobs];
  const globs = read('excludedGlobs');
  if (globs !== undefined) {
    if (Array.isArray(globs) && globs.every((g) => typeof g === 'string' && g.trim() !== '')) excludedGlobs = globs.map((g: string) => g.trim());
    else problems.push(`${SECTION}.excludedGlobs must be a list of glob patterns such as "**/dist/**" (got ${show(globs)}); using the defaults.`);
  }

  return { settings: { tokenBudget, encoding, thresholds, autoStashOnClose, recentMessages, maxFileSize, excludedGlobs }, problems };
}
