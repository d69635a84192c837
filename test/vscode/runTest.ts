// Runs the integration suite in desktop VS Code downloaded by @vscode/test-electron, wherever that download
// works (not on this project's machines, whose only network is npm and apt: there scripts/test-vscode.sh
// runs the same suite in code-server). `node --import tsx test/vscode/runTest.ts [--version X]`
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { bundleSuite } from '../../scripts/e2e/bundleSuite';

/** mocha from $CONTEXT_GC_TEST_MOCHA, else the e2e install (scripts/e2e/setup.sh writes .e2e/env.sh). */
function findMocha(): string {
  if (process.env.CONTEXT_GC_TEST_MOCHA) return process.env.CONTEXT_GC_TEST_MOCHA;
  let tools = process.env.E2E_TOOLS;
  const envFile = path.resolve(__dirname, '..', '..', '.e2e', 'env.sh');
  if (!tools && fs.existsSync(envFile)) tools = /^export E2E_TOOLS='(.*)'$/m.exec(fs.readFileSync(envFile, 'utf8'))?.[1];
  const mocha = tools ? path.join(tools, 'mocha') : '';
  if (!mocha || !fs.existsSync(mocha)) {
    throw new Error('mocha not found: run `bash scripts/e2e/setup.sh` (it installs mocha), or set CONTEXT_GC_TEST_MOCHA to a mocha package dir');
  }
  return mocha;
}

async function main(): Promise<void> {
  const repo = path.resolve(__dirname, '..', '..');
  const { indexPath } = await bundleSuite(repo);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'context-gc-vscode-'));
  fs.writeFileSync(path.join(workspace, 'README.md'), '# e2e workspace\n');
  const versionArg = process.argv.indexOf('--version');
  const mocha = findMocha();
  try {
    await runTests({
      version: versionArg > 0 ? process.argv[versionArg + 1] : undefined,
      extensionDevelopmentPath: repo,
      extensionTestsPath: indexPath,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
      extensionTestsEnv: { CONTEXT_GC_TEST_MOCHA: mocha, CONTEXT_GC_TEST_RESULTS: path.join(repo, 'out', 'vscode-report.json') },
    });
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
