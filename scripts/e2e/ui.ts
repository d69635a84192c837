// Runs the UI tests: every test/vscode/ui/**/*.ui.ts exports `tests: UiTest[]`; they share one workbench
// page (loading it takes most of the time), run one after another with a deadline each, and get a quiet
// workbench (no picker, no notification) to start from. A failing test leaves a screenshot.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from './browser';
import type { TestResult } from './results';
import type { CodeServer } from './server';
import { Workbench, type UiTest } from './workbench';

export const UI_SOURCE = path.join('test', 'vscode', 'ui');

export interface UiOptions {
  server: CodeServer;
  toolsDir: string;
  chromium: string;
  folder: string;
  repo: string;
  resultsDir: string;
  readyTimeoutMs: number;
}

export interface UiOutcome {
  tests: TestResult[];
  workbenchReadyMs?: number;
  problem?: string;
}

async function loadUiTests(repo: string): Promise<{ file: string; test: UiTest }[]> {
  const root = path.join(repo, UI_SOURCE);
  if (!fs.existsSync(root)) return [];
  const files = (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ui.ts')).sort();
  const found: { file: string; test: UiTest }[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(root, f)).href)) as { tests?: UiTest[] };
    if (!Array.isArray(mod.tests)) throw new Error(`${path.join(UI_SOURCE, f)} must export \`tests: UiTest[]\``);
    for (const test of mod.tests) found.push({ file: f, test });
  }
  return found;
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000}s`)), ms)));
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

export async function runUi(o: UiOptions): Promise<UiOutcome> {
  const found = await loadUiTests(o.repo);
  if (found.length === 0) return { tests: [] };
  const consoleLog = path.join(o.resultsDir, 'ui-console.log');
  const browser = await launchBrowser(o.toolsDir, o.chromium);
  const tests: TestResult[] = [];
  const wb = new Workbench(browser.page, o.resultsDir);
  try {
    browser.page.on('console', (m) => fs.appendFileSync(consoleLog, `[${m.type()}] ${m.text()}\n`));
    const t0 = Date.now();
    try {
      await browser.page.goto(`${o.server.url}/?folder=${encodeURIComponent(o.folder)}`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
      await wb.ready(o.readyTimeoutMs);
    } catch (e) {
      await wb.screenshot('workbench-not-ready').catch(() => undefined);
      return { tests, problem: `the workbench did not load: ${firstLine(e)}` };
    }
    const workbenchReadyMs = Date.now() - t0;
    for (const { file, test } of found) {
      const name = `ui ${file.replace(/\.ui\.ts$/, '')}: ${test.name}`;
      const start = Date.now();
      try {
        await withDeadline(test.run(wb), test.timeoutMs ?? 60_000, name);
        tests.push({ name, state: 'passed', ms: Date.now() - start });
      } catch (e) {
        const shot = await wb.screenshot(`failed-${name}`).catch(() => '');
        tests.push({ name, state: 'failed', ms: Date.now() - start, error: `${firstLine(e)}${shot ? ` (screenshot: ${shot})` : ''}` });
      }
      await withDeadline(wb.reset(), 20_000, 'reset').catch(() => undefined);
    }
    await wb.screenshot('workbench').catch(() => undefined);
    return { tests, workbenchReadyMs };
  } finally {
    await browser.close();
  }
}
