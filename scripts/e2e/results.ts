// The one shape every part of the harness reports in, and the file the in-host suite writes.
export interface TestResult {
  name: string;
  state: 'passed' | 'failed';
  ms: number;
  error?: string;
}

/** Written by test/vscode/suite/index.ts to $CONTEXT_GC_TEST_RESULTS. */
export interface SuiteReport {
  passed: number;
  failed: number;
  tests: TestResult[];
}
