// Headless Debian chromium driven by playwright-core, both installed by scripts/e2e/setup.sh (outside
// node_modules, so the project's own install stays small). The interfaces below declare only the part of
// playwright's API the harness and the UI tests use; they match playwright-core's own signatures.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Locator {
  first(): Locator;
  nth(index: number): Locator;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  filter(options: { hasText?: string | RegExp; has?: Locator }): Locator;
  waitFor(options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  click(options?: { timeout?: number }): Promise<void>;
  fill(value: string, options?: { timeout?: number }): Promise<void>;
  press(key: string, options?: { timeout?: number }): Promise<void>;
  textContent(options?: { timeout?: number }): Promise<string | null>;
  inputValue(options?: { timeout?: number }): Promise<string>;
  innerText(options?: { timeout?: number }): Promise<string>;
  allInnerTexts(): Promise<string[]>;
  isVisible(): Promise<boolean>;
  count(): Promise<number>;
}

export interface ConsoleMessage {
  type(): string;
  text(): string;
}

export interface Page {
  goto(url: string, options?: { waitUntil?: 'load' | 'domcontentloaded' | 'commit'; timeout?: number }): Promise<unknown>;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  keyboard: { press(key: string): Promise<void>; type(text: string, options?: { delay?: number }): Promise<void> };
  screenshot(options: { path: string; fullPage?: boolean; animations?: 'disabled' | 'allow' }): Promise<Buffer>;
  exposeFunction(name: string, callback: (...args: never[]) => unknown): Promise<void>;
  on(event: 'console', listener: (message: ConsoleMessage) => void): Page;
  on(event: 'pageerror', listener: (error: Error) => void): Page;
  waitForTimeout(ms: number): Promise<void>;
  setDefaultTimeout(ms: number): void;
}

interface BrowserContext {
  pages(): Page[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

interface Playwright {
  chromium: {
    launchPersistentContext(userDataDir: string, options: {
      executablePath: string;
      headless: boolean;
      viewport: { width: number; height: number };
      args: string[];
      timeout?: number;
    }): Promise<BrowserContext>;
  };
}

export interface Browser {
  page: Page;
  close(): Promise<void>;
}

function loadPlaywright(toolsDir: string): Playwright {
  const load = createRequire(path.join(toolsDir, 'noop.js'));
  return load('playwright-core') as Playwright;
}

const profiles = new Set<string>();

/** Removes the profiles of browsers not closed (a run stopped by its deadline or a signal). */
export function removeBrowserProfiles(): void {
  for (const dir of profiles) fs.rmSync(dir, { recursive: true, force: true });
  profiles.clear();
}

/** Launches chromium with a throw-away profile; close() also removes the profile. */
export async function launchBrowser(toolsDir: string, chromiumPath: string): Promise<Browser> {
  const { chromium } = loadPlaywright(toolsDir);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'context-gc-chromium-'));
  profiles.add(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    timeout: 60_000,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    close: async () => {
      await Promise.race([context.close().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
      fs.rmSync(profile, { recursive: true, force: true });
      profiles.delete(profile);
    },
  };
}
