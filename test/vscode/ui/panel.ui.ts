// UI test of the Context GC panel inside real VS Code (code-server): a person opens a file, sees its
// segment in the sidebar panel, plans a GC from the panel, applies it, and sees the status bar meter drop
// by exactly what the panel said it freed. The panel is a webview: its DOM lives in two nested iframes
// (VS Code's webview host frame, then the content frame), reached with playwright frame locators.
import * as assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import { uiTest, type UiTest, type Workbench } from '../../../scripts/e2e/workbench';

/** The Context GC status bar item's text ("12 / 1M (0%)"), once it shows a count. */
async function meter(wb: Workbench, timeoutMs = 30_000): Promise<string> {
  const item = wb.page.locator('.part.statusbar .statusbar-item', { hasText: / \/ [\d.]+[kM]? \(\d+(\.\d)?%\)/ }).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  return (await item.innerText()).trim();
}
const tokensOf = (text: string): number => Number(/^([\d,]+) \//.exec(text)?.[1]?.replace(/,/g, '') ?? NaN);

/** The panel's content frame (the workbench's Page is playwright's Page; browser.ts declares only a part of it). */
function panelFrame(wb: Workbench): FrameLocator {
  const page = wb.page as unknown as Page;
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

export const tests: UiTest[] = [
  uiTest(
    'the Context GC panel shows an opened file\'s segment, and applying a GC from it drops the status bar meter',
    async (wb) => {
      // Open README.md from the explorer: the editor binding records it as a segment.
      await wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'README.md' }).first().click();
      // Show the Context GC view from its activity bar container.
      await wb.page.locator('.part.activitybar .action-item a[aria-label^="Context GC"], .part.activitybar .action-item[aria-label^="Context GC"]').first().click();
      const panel = panelFrame(wb);
      await panel.locator('.app.ready').waitFor({ state: 'visible', timeout: 60_000 });
      await panel.locator('#tab-working').click();
      const row = panel.locator('.seg-row', { hasText: 'e2e workspace' }).first();
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      assert.match((await row.locator('.row-sub').innerText()).trim(), /^README\.md(:\d+(-\d+)?)? · /);
      await wb.screenshot('panel-working-set');

      const before = tokensOf(await meter(wb));
      assert.ok(before > 0, `the meter shows ${before} tokens`);
      // Plan "get under 0 %": every segment is offered, least useful first; apply stashes them.
      await panel.locator('#tab-gc').click();
      await panel.locator('#gc-kind-percent').check();
      await panel.locator('#gc-percent').fill('0');
      await panel.locator('[data-action=plan]').click();
      await panel.locator('.gc-row').first().waitFor({ state: 'visible', timeout: 30_000 });
      await wb.screenshot('panel-gc-plan');
      await panel.locator('[data-action=apply]').click();
      const result = panel.locator('[data-testid=gc-result-text]');
      await result.waitFor({ state: 'visible', timeout: 30_000 });
      const m = /^Stashed \d+ segments?, freed ([\d,]+) tokens: ([\d,]+) → ([\d,]+) /.exec((await result.innerText()).trim());
      assert.ok(m, `unexpected result: ${await result.innerText()}`);
      const freed = Number(m[1].replace(/,/g, ''));
      assert.equal(Number(m[2].replace(/,/g, '')), before);
      assert.ok(freed > 0);
      // The status bar follows the engine: it drops by what the panel freed.
      const end = Date.now() + 20_000;
      let after = tokensOf(await meter(wb));
      while (after !== before - freed && Date.now() < end) {
        await wb.page.waitForTimeout(250);
        after = tokensOf(await meter(wb));
      }
      assert.equal(after, before - freed);
      await wb.screenshot('panel-gc-applied');
      // Put the context back for the tests after this one.
      await panel.locator('[data-action=undo]').click();
      const restoreEnd = Date.now() + 20_000;
      while (tokensOf(await meter(wb)) !== before && Date.now() < restoreEnd) await wb.page.waitForTimeout(250);
      assert.equal(tokensOf(await meter(wb)), before);
    },
    180_000,
  ),
];
