// Bundles the integration suite that runs inside the VS Code extension host: test/vscode/suite/index.ts
// (the runner, @vscode/test-electron's `run()` contract) plus every test/vscode/suite/**/*.test.ts, one
// CommonJS file each, keeping their relative paths. `vscode` is provided by the extension host and `mocha`
// is loaded at run time from the harness's install, so both stay external.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SUITE_SOURCE = path.join('test', 'vscode', 'suite');

export interface BundledSuite {
  /** The compiled runner: pass it as extensionTestsPath. */
  indexPath: string;
  /** The compiled test files, relative to the bundle dir. */
  testFiles: string[];
}

/** Finds test/vscode/suite/**\/*.test.ts, sorted so runs are repeatable. */
export function findSuiteTests(repo: string): string[] {
  const root = path.join(repo, SUITE_SOURCE);
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join(root, f))
    .sort();
}

export async function bundleSuite(repo: string, outDir = path.join(repo, 'out', 'vscode-suite')): Promise<BundledSuite> {
  const root = path.join(repo, SUITE_SOURCE);
  const tests = findSuiteTests(repo);
  fs.rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(root, 'index.ts'), ...tests],
    outbase: root,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'error',
  });
  return {
    indexPath: path.join(outDir, 'index.js'),
    testFiles: tests.map((t) => path.relative(root, t).replace(/\.ts$/, '.js')),
  };
}
