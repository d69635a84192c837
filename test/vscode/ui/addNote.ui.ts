// UI test: a person adds a note from the command palette (typing it into the input box), sees the report
// and the status bar meter move, then reloads the window and finds the same count: the store survived a
// real reload of the workbench and the extension host.
import * as assert from 'node:assert/strict';
import { uiTest, type UiTest, type Workbench } from '../../../scripts/e2e/workbench';

const NOTE = 'Remember: the journal is fsynced before we answer';

/** The Context GC status bar item's text ("12 / 1M (0%)"), once it shows a count. */
async function meter(wb: Workbench, timeoutMs = 30_000): Promise<string> {
  const item = wb.page.locator('.part.statusbar .statusbar-item', { hasText: / \/ [\d.]+[kM]? \(\d+(\.\d)?%\)/ }).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  return (await item.innerText()).trim();
}

const tokensOf = (text: string): number => Number(/^(\d+) \//.exec(text)?.[1] ?? NaN);

export const tests: UiTest[] = [
  uiTest('"Context GC: Add Note" from the palette adds the note, moves the meter, and it survives a window reload', async (wb) => {
    const before = tokensOf(await meter(wb));
    await wb.runCommand('Context GC: Add Note');
    const input = wb.page.locator('.quick-input-widget .quick-input-box input').first();
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(NOTE);
    await wb.page.keyboard.press('Enter');
    const report = await wb.waitForNotification(/^Added #\d+ note/);
    const m = /^Added #\d+ note “(.*)” \((\d+) tokens\): \+(\d+) tokens; context ([\d,]+) \/ 1,000,000 tokens \((\d+(\.\d)?)%\)\.$/.exec(report);
    assert.ok(m, `unexpected report: ${report}`);
    assert.equal(m[1], NOTE);
    const added = Number(m[2]);
    assert.equal(Number(m[3]), added);
    const after = await meter(wb);
    assert.equal(tokensOf(after), before + added);
    await wb.screenshot('add-note');

    await wb.reset();
    await wb.runCommand('Developer: Reload Window');
    await wb.ready(120_000);
    const reloaded = await meter(wb, 60_000);
    assert.equal(reloaded, after);
    await wb.screenshot('add-note-after-reload');
  }, 180_000),
];
