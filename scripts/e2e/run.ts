// The VS Code end-to-end harness: builds and packages the extension, installs the .vsix into a fresh
// code-server, then runs (a) the UI tests in chromium against the installed .vsix and (b) the mocha
// integration suite inside the real extension host against the repo as the extension under development.
// Prints one line per test and ends with `vscode: N passed, N failed` (scripts/test.sh adds these up).
//
//   node --import tsx scripts/e2e/run.ts     (after scripts/e2e/setup.sh; scripts/test-vscode.sh does both)
//
// Needs E2E_NODE_BIN, E2E_CODE_SERVER, E2E_TOOLS, E2E_CHROMIUM from .e2e/env.sh. Knobs: E2E_TIMEOUT_S (whole
// run, default 840), E2E_KEEP=1 (keep the temp dirs), E2E_RESULTS (default <e2e dir>/results).
// The code-server process group is killed on every way out: normal end, error, timeout, SIGINT/SIGTERM.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeBrowserProfiles } from './browser';
import { bundleSuite } from './bundleSuite';
import { runIntegration } from './integration';
import { run, tail } from './proc';
import type { TestResult } from './results';
import { CodeServer } from './server';
import { runUi } from './ui';

const REPO = path.resolve(__dirname, '..', '..');
/** Top-level dirs that never go into the .vsix (all gitignored) and are too big to copy for vsce. */
const NOT_PACKAGED = new Set(['.git', '.e2e', 'node_modules', 'out', '.vscode-test', '.context-gc']);

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run scripts/test-vscode.sh, or bash scripts/e2e/setup.sh && . .e2e/env.sh first`);
  return v;
}

const results: TestResult[] = [];
const servers: CodeServer[] = [];
let scratch: string | undefined;
/** Temp dirs to remove on every way out (a deadline or signal skips `finally` blocks: process.exit). */
const tempDirs = new Set<string>();
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}
let finished = false;
const T0 = Date.now();
const log = (msg: string): void => console.log(`[vscode ${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}`);

function record(r: TestResult): void {
  results.push(r);
  console.log(`${r.state === 'passed' ? 'PASS' : 'FAIL'} ${r.name} (${r.ms} ms)${r.error ? `\n     ${r.error.split('\n').join('\n     ')}` : ''}`);
}

/** Runs a harness step; a failing step is reported as one failed test and stops the run. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    const v = await fn();
    log(`${name}: ${Date.now() - t} ms`);
    return v;
  } catch (e) {
    record({ name: `harness: ${name}`, state: 'failed', ms: Date.now() - t, error: e instanceof Error ? e.message : String(e) });
    throw new StepFailed();
  }
}
class StepFailed extends Error {}

async function finish(code?: number): Promise<never> {
  if (!finished) {
    finished = true;
    for (const srv of servers) await srv.stop().catch(() => undefined);
    removeBrowserProfiles();
    for (const dir of tempDirs) if (dir !== scratch || process.env.E2E_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true });
    if (scratch && process.env.E2E_KEEP === '1') log(`kept the servers' dirs and workspaces: ${scratch}`);
    const passed = results.filter((r) => r.state === 'passed').length;
    const failed = results.length - passed;
    log(`done in ${((Date.now() - T0) / 1000).toFixed(1)} s`);
    console.log(`vscode: ${passed} passed, ${failed} failed`);
    process.exit(code ?? (failed === 0 && passed > 0 ? 0 : 1));
  }
  return new Promise<never>(() => undefined);
}

async function main(): Promise<void> {
  const nodeBin = need('E2E_NODE_BIN');
  const toolsDir = need('E2E_TOOLS');
  const chromium = need('E2E_CHROMIUM');
  const e2eDir = need('E2E_DIR');
  const resultsDir = process.env.E2E_RESULTS ?? path.join(e2eDir, 'results');
  fs.rmSync(resultsDir, { recursive: true, force: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  const buildLog = path.join(resultsDir, 'build.log');
  const node = path.join(nodeBin, 'node');

  await step('npm run build', async () => {
    const r = await run('npm', ['run', '-s', 'build'], { cwd: REPO, timeoutMs: 180_000, logFile: buildLog });
    if (r.code !== 0) throw new Error(`npm run build failed${r.timedOut ? ' (timed out)' : ''}:\n${tail(r.output)}`);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { main: string };
    if (!fs.existsSync(path.join(REPO, pkg.main))) throw new Error(`the build did not produce ${pkg.main} (package.json "main")`);
  });
  await step('type-check test/vscode', async () => {
    const r = await run(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'test/vscode/tsconfig.json', '--noEmit'],
      { cwd: REPO, timeoutMs: 180_000, logFile: buildLog });
    if (r.code !== 0) throw new Error(`tsc -p test/vscode/tsconfig.json found errors:\n${tail(r.output)}`);
  });
  const vsix = await step('package .vsix (vsce, --no-dependencies)', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { name: string; version: string };
    const out = path.join(resultsDir, `${pkg.name}-${pkg.version}.vsix`);
    // vsce walks every file under its cwd before applying .vscodeignore; in the repo that includes .e2e/
    // (code-server: ~100k files, 10-25 s). So package from a copy without the ignored heavy dirs; the
    // repo's .vscodeignore still decides what goes into the .vsix.
    const stage = tempDir('context-gc-vsix-');
    try {
      for (const entry of fs.readdirSync(REPO)) {
        if (!NOT_PACKAGED.has(entry)) fs.cpSync(path.join(REPO, entry), path.join(stage, entry), { recursive: true });
      }
      const vsce = path.join(toolsDir, '@vscode', 'vsce', 'vsce');
      const r = await run(node, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--skip-license', '-o', out],
        { cwd: stage, timeoutMs: 120_000, logFile: buildLog });
      if (r.code !== 0 || !fs.existsSync(out)) throw new Error(`vsce package failed:\n${tail(r.output)}`);
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
      tempDirs.delete(stage);
    }
    return out;
  });
  const suite = await step('bundle the integration suite', () => bundleSuite(REPO));
  log(`suite: ${suite.testFiles.join(', ') || '(no test files)'}`);

  scratch = tempDir('context-gc-e2e-');
  const wsUi = path.join(scratch, 'workspace-ui');
  const wsInt = path.join(scratch, 'workspace-integration');
  for (const ws of [wsUi, wsInt]) {
    fs.mkdirSync(ws, { recursive: true });
    fs.writeFileSync(path.join(ws, 'README.md'), '# e2e workspace\n\nA folder for Context GC end-to-end tests.\n');
  }
  const reportFile = path.join(resultsDir, 'integration-report.json');
  const codeServer = (name: string, smokeTestDriver: boolean): CodeServer => {
    const srv = new CodeServer({
      bin: need('E2E_CODE_SERVER'),
      nodeBin,
      dir: path.join(scratch ?? os.tmpdir(), name),
      logFile: path.join(resultsDir, `code-server-${name}.log`),
      env: { CONTEXT_GC_TEST_RESULTS: reportFile, CONTEXT_GC_TEST_MOCHA: path.join(toolsDir, 'mocha') },
      smokeTestDriver,
    });
    servers.push(srv);
    return srv;
  };
  const start = (srv: CodeServer, name: string): Promise<void> => step(`start code-server (${name})`, async () => {
    await srv.start(60_000);
    if (process.env.E2E_PGID_FILE && srv.pgid) fs.appendFileSync(process.env.E2E_PGID_FILE, `${srv.pgid}\n`);
    log(`code-server ${process.env.E2E_CODE_SERVER_VERSION ?? ''} at ${srv.url} (process group ${srv.pgid})`);
  });

  // (a) UI: the packaged .vsix, installed the way a user installs it, in a plain workbench.
  const uiServer = codeServer('ui', false);
  const t = Date.now();
  const installed = await uiServer.installExtension(vsix).catch((e: Error) => e);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { name: string; publisher: string; version: string };
  const want = `${pkg.publisher}.${pkg.name}@${pkg.version}`;
  const installName = 'the .vsix installs into code-server';
  record(installed instanceof Error
    ? { name: installName, state: 'failed', ms: Date.now() - t, error: installed.message }
    : installed.includes(want)
      ? { name: installName, state: 'passed', ms: Date.now() - t }
      : { name: installName, state: 'failed', ms: Date.now() - t, error: `expected ${want} among ${JSON.stringify(installed)}` });
  if (!(installed instanceof Error)) {
    await start(uiServer, 'ui');
    const ui = await step('UI tests', () => runUi({ server: uiServer, toolsDir, chromium, folder: wsUi, repo: REPO, resultsDir, readyTimeoutMs: 120_000 }));
    if (ui.workbenchReadyMs !== undefined) log(`workbench ready in ${ui.workbenchReadyMs} ms`);
    ui.tests.forEach(record);
    if (ui.problem) record({ name: 'ui: workbench', state: 'failed', ms: 0, error: ui.problem });
  }
  await uiServer.stop();

  // (b) integration: the repo as the extension under development, the suite inside its extension host.
  const intServer = codeServer('integration', true);
  await start(intServer, 'integration');
  const t2 = Date.now();
  const integ = await step('integration suite in the extension host', () => runIntegration({
    server: intServer, toolsDir, chromium, folder: wsInt, extensionDevelopmentPath: REPO,
    extensionTestsPath: suite.indexPath, reportFile, resultsDir, timeoutMs: 300_000,
  }));
  integ.tests.forEach((r) => record({ ...r, name: `integration: ${r.name}` }));
  if (integ.problem) record({ name: 'integration: suite run', state: 'failed', ms: Date.now() - t2, error: integ.problem });
  await intServer.stop();

  if (results.some((r) => r.state === 'failed')) {
    for (const srv of servers) {
      const logsDir = path.join(srv.userDataDir, 'logs');
      if (fs.existsSync(logsDir)) fs.cpSync(logsDir, path.join(resultsDir, `vscode-logs-${path.basename(path.dirname(srv.userDataDir))}`), { recursive: true });
    }
    log(`failure details: ${resultsDir} (code-server-*.log, *-console.log, vscode-logs-*/, screenshots)`);
  }
  log(`results and screenshots: ${resultsDir}`);
}

const totalS = Number(process.env.E2E_TIMEOUT_S ?? 840);
setTimeout(() => {
  record({ name: 'harness: whole run', state: 'failed', ms: Date.now() - T0, error: `the e2e run exceeded E2E_TIMEOUT_S=${totalS}s and was stopped` });
  void finish(1);
}, totalS * 1000);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    record({ name: 'harness: whole run', state: 'failed', ms: Date.now() - T0, error: `stopped by ${sig}` });
    void finish(1);
  });
}

main().then(() => finish(), (e: unknown) => {
  if (!(e instanceof StepFailed)) record({ name: 'harness', state: 'failed', ms: Date.now() - T0, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  return finish();
});
