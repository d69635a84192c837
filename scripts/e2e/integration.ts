// Runs the bundled mocha suite inside the real extension host of a running code-server, the way
// @vscode/test-web does: the workbench reads extensionDevelopmentPath / extensionTestsPath from its `payload`
// URL parameter, the Node extension host loads the suite and calls its run(), and when that settles the
// workbench calls window.codeAutomationExit(code), which the harness exposes to catch the exit code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchBrowser } from './browser';
import type { SuiteReport, TestResult } from './results';
import type { CodeServer } from './server';

export interface IntegrationOptions {
  server: CodeServer;
  toolsDir: string;
  chromium: string;
  /** Workspace folder the window opens. */
  folder: string;
  /** The extension under development (the repo: its package.json and dist/). */
  extensionDevelopmentPath: string;
  /** The bundled runner (out/vscode-suite/index.js). */
  extensionTestsPath: string;
  /** Where the in-host runner writes its SuiteReport (must match the server's CONTEXT_GC_TEST_RESULTS). */
  reportFile: string;
  resultsDir: string;
  timeoutMs: number;
}

export interface IntegrationOutcome {
  exitCode: number | undefined;
  tests: TestResult[];
  /** Set when the run itself broke (no exit, no report, crash), beyond individual test failures. */
  problem?: string;
}

export async function runIntegration(o: IntegrationOptions): Promise<IntegrationOutcome> {
  fs.rmSync(o.reportFile, { force: true });
  const consoleLog = path.join(o.resultsDir, 'integration-console.log');
  const payload = [
    ['extensionDevelopmentPath', o.server.remoteUri(o.extensionDevelopmentPath)],
    ['extensionTestsPath', o.server.remoteUri(o.extensionTestsPath)],
  ];
  const url = `${o.server.url}/?folder=${encodeURIComponent(o.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const browser = await launchBrowser(o.toolsDir, o.chromium);
  let exitCode: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const { page } = browser;
    page.on('console', (m) => fs.appendFileSync(consoleLog, `[${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => fs.appendFileSync(consoleLog, `[pageerror] ${e.message}\n`));
    const exited = new Promise<void>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => {
        exitCode = code;
        resolve();
      });
    });
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, o.timeoutMs)));
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await Promise.race([exited, deadline]);
    await page.screenshot({ path: path.join(o.resultsDir, 'integration.png') }).catch(() => undefined);
  } finally {
    clearTimeout(timer);
    await browser.close();
  }
  let report: SuiteReport | undefined;
  try {
    report = JSON.parse(fs.readFileSync(o.reportFile, 'utf8')) as SuiteReport;
  } catch {
    // handled below
  }
  const tests = report?.tests ?? [];
  if (exitCode === undefined) {
    return { exitCode, tests, problem: `the extension host did not finish the suite within ${o.timeoutMs / 1000}s (console: ${consoleLog})` };
  }
  if (!report) return { exitCode, tests, problem: `the suite wrote no report (exit code ${exitCode}; console: ${consoleLog})` };
  if (report.tests.length === 0) return { exitCode, tests, problem: `the suite ran no tests (console: ${consoleLog})` };
  if (exitCode !== 0 && report.failed === 0) {
    return { exitCode, tests, problem: `the extension host exited with ${exitCode} though no test failed (console: ${consoleLog})` };
  }
  return { exitCode, tests };
}
