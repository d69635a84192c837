// UI test: a person runs "Context GC: Show Usage" from the command palette and sees its notification.
import * as assert from 'node:assert/strict';
import { uiTest, type UiTest } from '../../../scripts/e2e/workbench';

export const tests: UiTest[] = [
  uiTest('"Context GC: Show Usage" from the command palette shows the usage notification', async (wb) => {
    await wb.runCommand('Context GC: Show Usage');
    const message = await wb.waitForNotification(/^Context: /);
    assert.match(message, /^Context: [\d,]+ \/ 1,000,000 tokens \(\d+(\.\d)?%\) in \d+ segments?;/);
    await wb.screenshot('show-usage');
  }),
];
