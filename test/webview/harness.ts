// The browser test bench for the panel: a small HTTP server on 127.0.0.1 serves the panel's real HTML
// (src/host/panel/html.ts, with its CSP and nonce) and only dist/ and media/ (like localResourceRoots);
// Debian's headless Chromium, driven by playwright-core, loads it with an `acquireVsCodeApi` that routes
// the webview's messages to a real PanelController (the host side, minus VS Code) running over a real
// ContextEngine on a MemoryStore. Host -> webview messages are delivered as `message` events, as VS Code
// does. Everything either side sends is recorded so tests can assert the exact traffic.

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ContextEngine, type EngineOptions } from '../../src/engine/engine';
import { MemoryStore } from '../../src/engine/store/memory';
import { localEngineApi } from '../../src/protocol/engineApi';
import type { HostMessage } from '../../src/protocol/webview';
import { PanelController, type CrossProjectSearch } from '../../src/host/panel/controller';
import { panelHtml } from '../../src/host/panel/html';
import { THEMES, type ThemeKind } from './themes';
import { TestClock } from '../engine/helpers';

const ROOT = path.resolve(__dirname, '../..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.svg': 'image/svg+xml', '.map': 'application/json' };

export interface Server {
  origin: string;
  /** The nonce of the last page served. */
  lastNonce: string;
  close(): Promise<void>;
}

export async function startServer(): Promise<Server> {
  const state = { origin: '', lastNonce: '' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      state.lastNonce = randomBytes(18).toString('base64');
      const html = panelHtml({
        cspSource: state.origin,
        nonce: state.lastNonce,
        scriptUri: `${state.origin}/dist/webview.js`,
        styleUri: `${state.origin}/media/panel.css`,
        codiconUri: `${state.origin}/dist/codicons/codicon.css`,
      });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
      return;
    }
    const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^\/+/, '');
    const allowed = rel.startsWith('dist' + path.sep) || rel.startsWith('media' + path.sep);
    const file = path.join(ROOT, rel);
    if (!allowed || !file.startsWith(ROOT + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get origin() {
      return state.origin;
    },
    get lastNonce() {
      return state.lastNonce;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60_000 });
}

export interface PanelOptions {
  theme?: ThemeKind;
  width?: number;
  height?: number;
  engine?: Partial<EngineOptions>;
  /** Fills the engine before the page loads. */
  seed?: (engine: ContextEngine, clock: TestClock) => Promise<void>;
  crossProjectSearch?: CrossProjectSearch;
  onRetry?: () => void;
  debounceMs?: number;
  budgetInfo?: () => { source: 'model' | 'setting' | 'default'; model: string | null };
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** One panel under test: the page, the engine, the controller, and the recorded traffic. */
export class PanelBench {
  readonly fromWebview: unknown[] = [];
  readonly toWebview: HostMessage[] = [];
  readonly log: LogLine[] = [];
  readonly opened: { file: string; lineStart: number | null; lineEnd: number | null }[] = [];
  readonly clipboard: string[] = [];
  readonly consoleErrors: string[] = [];
  readonly pageErrors: string[] = [];
  /** What the webview last saved with setState (survives reloads like VS Code's). */
  savedState: unknown = undefined;
  private postQueue: Promise<unknown> = Promise.resolve();
  controller!: PanelController;

  private constructor(
    readonly page: Page,
    readonly context: BrowserContext,
    readonly engine: ContextEngine,
    readonly clock: TestClock,
    private readonly server: Server,
  ) {}

  static async open(browser: Browser, server: Server, opts: PanelOptions = {}): Promise<PanelBench> {
    const clock = new TestClock();
    const engine = await ContextEngine.open({ store: new MemoryStore(), clock, project: 'demo', ...opts.engine });
    if (opts.seed) await opts.seed(engine, clock);
    await engine.whenSearchReady();
    const context = await browser.newContext({ viewport: { width: opts.width ?? 300, height: opts.height ?? 820 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const bench = new PanelBench(page, context, engine, clock, server);
    const theme = THEMES[opts.theme ?? 'dark'];
    bench.controller = new PanelController({
      engine: localEngineApi(engine),
      onDidChange: (l) => engine.onDidChange(l),
      now: () => clock.now(),
      debounceMs: opts.debounceMs ?? 20,
      maxWaitMs: 200,
      budgetInfo: opts.budgetInfo,
      crossProjectSearch: opts.crossProjectSearch,
      onRetry: opts.onRetry,
      io: {
        post: (msg) => bench.deliver(msg),
        openFile: async (file, lineStart, lineEnd) => {
          bench.opened.push({ file, lineStart, lineEnd });
          return !file.includes('missing');
        },
        copy: async (text) => {
          bench.clipboard.push(text);
        },
        log: {
          info: (m) => bench.log.push({ level: 'info', message: m }),
          warn: (m) => bench.log.push({ level: 'warn', message: m }),
          error: (m) => bench.log.push({ level: 'error', message: m }),
        },
      },
    });
    page.on('console', (m) => {
      if (m.type() === 'error') bench.consoleErrors.push(`${m.text()} ${m.location().url}`);
    });
    page.on('pageerror', (e) => bench.pageErrors.push(`${e.message}\n${e.stack ?? ''}`));
    await page.exposeFunction('__ctxgcToHost', async (msg: unknown) => {
      bench.fromWebview.push(msg);
      await bench.controller.receive(msg);
    });
    await page.exposeFunction('__ctxgcSaveState', (s: unknown) => {
      bench.savedState = s;
    });
    // As a string, not a function: tsx (esbuild keepNames) would wrap a function's inner names in a
    // `__name` helper the page does not have. `__name` is defined too, for page.evaluate callbacks.
    await page.addInitScript({ content: initScript(theme.vars, theme.bodyClass) });
    await bench.load();
    return bench;
  }

  /** Loads (or reloads) the page and waits until the host has pushed its first full state. */
  async load(): Promise<void> {
    this.controller.detach();
    await this.page.goto(`${this.server.origin}/`, { waitUntil: 'load' });
    await this.page.waitForSelector('.app.ready');
    await this.settled();
  }

  /** Host -> webview, in order, as a `message` event. */
  deliver(msg: HostMessage | unknown): Promise<unknown> {
    this.toWebview.push(msg as HostMessage);
    this.postQueue = this.postQueue
      // As a JSON string: playwright's own serialisation of a 10k-row object is far slower than the
      // structured clone VS Code's postMessage does; JSON is close to it.
      .then(() => this.page.evaluate((json) => window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(json) })), JSON.stringify(msg)))
      .catch(() => undefined);
    return this.postQueue;
  }

  /** Waits until the host has nothing scheduled and the page has processed every message. */
  async settled(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.controller.settled();
      await this.postQueue;
      await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    }
  }

  /** The requests the webview sent (method and params), optionally only of one method. */
  requests(method?: string): { method: string; params: unknown }[] {
    return this.fromWebview
      .filter((m): m is { kind: string; method: string; params: unknown } => typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'request')
      .filter((m) => method === undefined || m.method === method)
      .map((m) => ({ method: m.method, params: m.params }));
  }

  async screenshot(file: string): Promise<void> {
    await this.settled();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file, animations: 'disabled' });
  }

  async close(): Promise<void> {
    this.controller.dispose();
    await this.context.close();
    await this.engine.close();
  }
}

/** Polls `cond` until it holds (or fails after `ms`). */
export async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs in the page before the panel's bundle: VS Code's webview API stand-in and the theme variables. */
function initScript(vars: Record<string, string>, bodyClass: string): string {
  return `(() => {
  window.__name = (f) => f;
  let acquired = false;
  const saved = sessionStorage.getItem('ctxgc-state');
  let state = saved === null ? undefined : JSON.parse(saved);
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: (m) => window.__ctxgcToHost(JSON.parse(JSON.stringify(m))),
      getState: () => state,
      setState: (s) => {
        state = s;
        sessionStorage.setItem('ctxgc-state', JSON.stringify(s));
        window.__ctxgcSaveState(s);
      },
    });
  };
  const vars = ${JSON.stringify(vars)};
  const apply = () => {
    for (const k of Object.keys(vars)) document.documentElement.style.setProperty('--vscode-' + k, vars[k]);
    document.body.classList.add(${JSON.stringify(bodyClass)});
  };
  document.addEventListener('DOMContentLoaded', apply);
})();`;
}

/** A realistic working set: two tasks, files with line ranges, messages, logs, decisions, pins, a stash. */
export async function seedDemo(engine: ContextEngine, clock: TestClock): Promise<void> {
  const min = 60_000;
  clock.advance(-6 * 60 * min);
  await engine.setCurrentTask('flaky-tests', { title: 'Fix the flaky CI tests' });
  await engine.addMany([
    { type: 'log', text: 'FAIL test/engine/gc.test.ts > plans under the budget\nAssertionError: expected 412 to equal 400\n' + 'at Context.<anonymous> (test/engine/gc.test.ts:88:12)\n'.repeat(40), source: 'agent', tags: ['ci'] },
    { type: 'message', text: 'The GC test fails only when the clock crosses an hour boundary; the age rounding differs.', source: 'chat' },
    { type: 'code', text: 'export function formatAge(ms: number): string {\n  const s = Math.max(0, Math.round(ms / 1000));\n  // rounding happens here\n}\n'.repeat(6), filePath: 'src/engine/gc/gc.ts', lineStart: 340, lineEnd: 352, source: 'editor' },
  ]);
  clock.advance(3 * 60 * min);
  await engine.setCurrentTask('auth-refactor', { title: 'Refactor the login flow', stashPrevious: false });
  const added = await engine.addMany([
    { type: 'decision', text: 'Decision: keep session tokens in the OS keychain via SecretStorage, never in settings.json.', source: 'user', pinned: true },
    { type: 'code', text: 'export async function login(user: string, password: string): Promise<Session> {\n  const token = await authClient.exchange(user, password);\n  await secrets.store("session", token);\n  return { user, token };\n}\n'.repeat(8), filePath: 'src/auth/login.ts', lineStart: 12, lineEnd: 58, source: 'editor' },
    { type: 'code', text: 'export class SessionStore {\n  constructor(private readonly secrets: SecretStorage) {}\n  async get(): Promise<string | undefined> { return this.secrets.get("session"); }\n}\n'.repeat(10), filePath: 'src/auth/sessionStore.ts', lineStart: 1, lineEnd: 40, source: 'editor' },
    { type: 'log', text: 'npm test\n> context-gc@0.1.0 test\n' + 'ok 12 - login stores the token in SecretStorage\n'.repeat(120), source: 'agent', tags: ['test-output'] },
    { type: 'message', text: 'Can you move the token refresh out of the login handler and into SessionStore?', source: 'chat' },
    { type: 'message', text: 'Moved refresh() into SessionStore; login() now only exchanges credentials and stores the session.', source: 'agent' },
    { type: 'note', text: 'Remember: the OAuth callback port is fixed at 54321 in the test fixture.', source: 'user', tags: ['key'] },
    { type: 'code', text: 'import { login } from "./login";\n\ndescribe("login", () => {\n  it("stores the token", async () => {\n    await login("ada", "pw");\n  });\n});\n'.repeat(5), filePath: 'test/auth/login.test.ts', lineStart: 1, lineEnd: 35, source: 'editor' },
  ]);
  clock.advance(2 * 60 * min);
  await engine.addMany([
    { type: 'log', text: 'webpack build\n' + 'asset main.js 1.2 MiB [emitted] (name: main)\n'.repeat(200), source: 'agent', tags: ['build'] },
    { type: 'summary', text: 'Summary of the auth discussion: tokens go to SecretStorage; refresh lives in SessionStore; the login handler stays thin.', source: 'agent' },
  ]);
  // Stashed earlier work, searchable.
  const stash = await engine.addMany([
    { type: 'log', text: 'ECONNREFUSED 127.0.0.1:54321 while refreshing the session token in SessionStore.refresh()', source: 'agent', tags: ['error'] },
    { type: 'code', text: 'function refreshToken(store: SessionStore) {\n  return store.refresh();\n}\n', filePath: 'src/auth/refresh.ts', lineStart: 3, lineEnd: 5, source: 'editor' },
    { type: 'message', text: 'The session token refresh races with logout; guard it with the store lock.', source: 'chat' },
    { type: 'note', text: 'Old idea: cache the session token in memory for five minutes.', source: 'user' },
  ]);
  await engine.stash(stash.map((s) => s.id));
  clock.advance(30 * min);
  await engine.touch([added[4].id, added[5].id]);
}
