// A code-server instance for one test run: bound to 127.0.0.1 on a free port, with its own user-data and
// extensions dirs, settings that keep the workbench quiet (no welcome page, tips, telemetry, update checks,
// trust prompt, AI features), started as its own process group so stop() takes the extension host and
// every other child down with it.
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { run, sleep, spawnGroup, stopGroup, tail, type RunResult } from './proc';

export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'window.restoreWindows': 'none',
};

export interface CodeServerOptions {
  /** The code-server launcher (node_modules/.bin/code-server of the setup's install). */
  bin: string;
  /** Directory with the Node binary code-server was built for; put first on PATH. */
  nodeBin: string;
  /** Scratch dir: user-data/, extensions/, config.yaml go here. */
  dir: string;
  /** code-server's own output. */
  logFile: string;
  /** Extra environment for the server and so for the extension host it spawns. */
  env?: Record<string, string>;
  /**
   * Enable VS Code's smoke-test driver. Newer VS Code (1.139; not 1.100) honours the `payload` URL
   * parameter's extension-development entries only with it, so the integration suite needs it; but with it
   * the workbench shows no notification toasts, so UI tests run on a server without it.
   */
  smokeTestDriver?: boolean;
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export class CodeServer {
  readonly userDataDir: string;
  readonly extensionsDir: string;
  private readonly configFile: string;
  private child: ChildProcess | undefined;
  port = 0;

  constructor(private readonly opts: CodeServerOptions) {
    this.userDataDir = path.join(opts.dir, 'user-data');
    this.extensionsDir = path.join(opts.dir, 'extensions');
    this.configFile = path.join(opts.dir, 'config.yaml');
    fs.mkdirSync(path.join(this.userDataDir, 'User'), { recursive: true });
    fs.mkdirSync(this.extensionsDir, { recursive: true });
    fs.writeFileSync(path.join(this.userDataDir, 'User', 'settings.json'), JSON.stringify(QUIET_SETTINGS, null, 2));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The process group id while the server runs (for an outer watchdog to kill). */
  get pgid(): number | undefined {
    return this.child?.pid;
  }

  private env(): NodeJS.ProcessEnv {
    // EXTENSIONS_GALLERY replaces code-server's marketplace (open-vsx) entry; without a serviceUrl the
    // workbench has no gallery, so a test run makes no requests off this machine.
    return { ...process.env, EXTENSIONS_GALLERY: '{}', ...this.opts.env, PATH: `${this.opts.nodeBin}:${process.env.PATH ?? ''}` };
  }

  private baseArgs(): string[] {
    return ['--config', this.configFile, '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir];
  }

  /** Runs the code-server CLI (install/list extensions, --help) against this instance's dirs. */
  cli(args: string[], timeoutMs = 120_000): Promise<RunResult> {
    return run(this.opts.bin, [...this.baseArgs(), ...args], { env: this.env(), timeoutMs, logFile: this.opts.logFile });
  }

  async installExtension(vsix: string): Promise<string[]> {
    const r = await this.cli(['--install-extension', vsix]);
    if (r.code !== 0) throw new Error(`code-server --install-extension failed (exit ${r.code}):\n${tail(r.output)}`);
    return this.listExtensions();
  }

  async listExtensions(): Promise<string[]> {
    const r = await this.cli(['--list-extensions', '--show-versions'], 60_000);
    return r.output.split('\n').map((l) => l.trim()).filter((l) => /^[\w-]+\.[\w-]+@/.test(l));
  }

  /** Starts the server and waits until /healthz answers. */
  async start(readyTimeoutMs = 60_000): Promise<void> {
    this.port = await freePort();
    fs.writeFileSync(this.configFile, `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`);
    const help = (await this.cli(['--help'], 30_000)).output;
    const extra: string[] = [];
    // code-server versions whose VS Code needs the smoke-test driver for `payload` also have --vscode-option.
    if (this.opts.smokeTestDriver && help.includes('--vscode-option')) extra.push('--vscode-option', 'enable-smoke-test-driver');
    if (help.includes('--reconnection-grace-time')) extra.push('--reconnection-grace-time', '30');
    const log = fs.openSync(this.opts.logFile, 'a');
    this.child = spawnGroup(this.opts.bin, [...this.baseArgs(), '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened', ...extra],
    { env: this.env() });
    this.child.stdout?.on('data', (b: Buffer) => fs.writeSync(log, b));
    this.child.stderr?.on('data', (b: Buffer) => fs.writeSync(log, b));
    let exited: number | null | undefined;
    this.child.on('exit', (code) => (exited = code));
    const end = Date.now() + readyTimeoutMs;
    while (Date.now() < end) {
      if (exited !== undefined) throw new Error(`code-server exited with ${exited} before it was ready (log: ${this.opts.logFile})`);
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`code-server did not answer ${this.url}/healthz within ${readyTimeoutMs / 1000}s (log: ${this.opts.logFile})`);
  }

  async stop(): Promise<void> {
    const pid = this.child?.pid;
    this.child = undefined;
    await stopGroup(pid, 3000);
  }

  /** A path on the server's file system as the workbench addresses it (for the payload parameter). */
  remoteUri(p: string): string {
    return `vscode-remote://127.0.0.1:${this.port}${path.resolve(p)}`;
  }
}
