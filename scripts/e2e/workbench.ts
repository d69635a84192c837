// Drives the VS Code workbench in the browser the way a person does: command palette, notifications,
// screenshots. UI test files (test/vscode/ui/**/*.ui.ts) export `tests: UiTest[]` and get a Workbench.
// Selectors are the workbench's own DOM classes; each wait has a deadline so a missing element fails the
// test with a clear message instead of hanging.
import * as path from 'node:path';
import type { Locator, Page } from './browser';
import { sleep } from './proc';

export interface UiTest {
  name: string;
  run(wb: Workbench): Promise<void>;
  /** Default 60 s. */
  timeoutMs?: number;
}

export function uiTest(name: string, run: (wb: Workbench) => Promise<void>, timeoutMs?: number): UiTest {
  return { name, run, timeoutMs };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class Workbench {
  constructor(readonly page: Page, readonly resultsDir: string) {}

  /** Waits until the workbench shows the status bar and the explorer lists the opened folder. */
  async ready(timeoutMs = 120_000): Promise<void> {
    await this.page.locator('.monaco-workbench .part.statusbar').first().waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: timeoutMs });
  }

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** The quick input's text box: the command palette's, or that of an input box or quick pick a command opened. */
  quickInputBox(): Locator {
    return this.quickInput.locator('.quick-input-box input').first();
  }

  /** Answers the input box or quick pick a command opened: types `text` and presses Enter. */
  async answerQuickInput(text: string, timeoutMs = 10_000): Promise<void> {
    const box = this.quickInputBox();
    await box.waitFor({ state: 'visible', timeout: timeoutMs });
    await box.fill(text);
    await box.press('Enter');
  }

  /** Opens the command palette (retrying: a key press can land before the workbench has focus). */
  async openPalette(): Promise<void> {
    const input = this.quickInputBox();
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('F1');
      try {
        await input.waitFor({ state: 'visible', timeout: 5000 });
        return;
      } catch (e) {
        if (attempt === 3) throw new Error(`the command palette did not open after 3 tries: ${String(e)}`);
        await this.page.locator('.monaco-workbench .part.statusbar').first().click().catch(() => undefined);
      }
    }
  }

  /**
   * Runs a command from the palette by its exact label ("Category: Title"), as a user would. The palette
   * computes its list when it opens, so a command contributed by an extension the workbench has not
   * registered yet (right after load) is missing from it: then close, wait, and open it again.
   */
  async runCommand(label: string, timeoutMs = 30_000): Promise<void> {
    const input = this.quickInputBox();
    const exact = new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`);
    const row = this.quickInput.locator('.monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: exact }) }).first();
    const end = Date.now() + timeoutMs;
    for (;;) {
      await this.openPalette();
      await input.fill(`>${label}`);
      try {
        await row.waitFor({ state: 'visible', timeout: 3000 });
        break;
      } catch {
        const shown = await this.quickInput.locator('.monaco-list-row .label-name').allInnerTexts().catch(() => []);
        await this.page.keyboard.press('Escape');
        await this.quickInput.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
        if (Date.now() > end) {
          throw new Error(`the command palette has no command "${label}" after ${timeoutMs / 1000}s; it shows: ${JSON.stringify(shown.slice(0, 10))}`);
        }
        await sleep(1000);
      }
    }
    await row.click();
    // The palette is done when it closes, or when the command reuses the widget for its own input box or
    // quick pick (then the text no longer starts with the palette's '>').
    const done = Date.now() + 10_000;
    while ((await this.quickInput.isVisible()) && (await input.inputValue().catch(() => '')).startsWith('>')) {
      if (Date.now() > done) throw new Error(`the command palette stayed open after choosing "${label}"`);
      await sleep(100);
    }
  }

  /** Waits for a notification toast whose message matches, and returns its message text. */
  async waitForNotification(message: string | RegExp, timeoutMs = 20_000): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-toast .notification-list-item-message', { hasText: message }).first();
    await toast.waitFor({ state: 'visible', timeout: timeoutMs });
    return (await toast.innerText()).trim();
  }

  /** The messages of every notification toast now shown. */
  async notifications(): Promise<string[]> {
    return (await this.page.locator('.notifications-toasts .notification-toast .notification-list-item-message').allInnerTexts()).map((t) => t.trim());
  }

  /** Closes pickers and clears notifications so the next test starts from a quiet workbench. */
  async reset(): Promise<void> {
    for (let i = 0; i < 2; i++) {
      await this.page.keyboard.press('Escape');
      await sleep(100);
    }
    if ((await this.notifications()).length > 0) await this.runCommand('Notifications: Clear All Notifications');
  }

  /** Saves a PNG of the page into the results dir and returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(this.resultsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file, animations: 'disabled' });
    return file;
  }
}
