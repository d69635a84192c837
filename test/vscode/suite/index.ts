// The integration-test runner the VS Code extension host loads (extensionTestsPath): @vscode/test-electron's
// contract is a module exporting run(): Promise<void> that rejects when a test fails. It runs mocha (tdd UI)
// over every *.test.js bundled next to it (from test/vscode/suite/**/*.test.ts) and writes a JSON report to
// $CONTEXT_GC_TEST_RESULTS for the harness. mocha comes from $CONTEXT_GC_TEST_MOCHA (the e2e install) or,
// failing that, is resolved normally.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type MochaType from 'mocha';
import type { SuiteReport, TestResult } from '../../../scripts/e2e/results';

function findTests(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => path.join(dir, f));
}

export function run(): Promise<void> {
  const load = createRequire(__filename);
  const Mocha = load(process.env.CONTEXT_GC_TEST_MOCHA || 'mocha') as typeof MochaType;
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30_000, reporter: 'spec', grep: process.env.CONTEXT_GC_TEST_GREP });
  const files = findTests(__dirname);
  for (const f of files) mocha.addFile(f);
  const tests: TestResult[] = [];
  const reportFile = process.env.CONTEXT_GC_TEST_RESULTS;
  return new Promise<void>((resolve, reject) => {
    const finish = (failures: number): void => {
      const report: SuiteReport = { passed: tests.filter((t) => t.state === 'passed').length, failed: failures, tests };
      if (reportFile) fs.writeFileSync(reportFile, JSON.stringify(report, null, 2));
      if (failures > 0) reject(new Error(`${failures} of ${tests.length} integration tests failed`));
      else if (tests.length === 0) reject(new Error(`no integration tests ran (looked for *.test.js in ${__dirname})`));
      else resolve();
    };
    try {
      const runner = mocha.run(finish);
      runner.on('pass', (t) => tests.push({ name: t.fullTitle(), state: 'passed', ms: t.duration ?? 0 }));
      runner.on('fail', (t, err: Error) => tests.push({ name: t.fullTitle(), state: 'failed', ms: t.duration ?? 0, error: err.stack ?? String(err) }));
    } catch (e) {
      tests.push({ name: 'loading the suite', state: 'failed', ms: 0, error: e instanceof Error ? e.stack ?? e.message : String(e) });
      finish(1);
    }
  });
}
