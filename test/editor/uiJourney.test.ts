// A person's first minute with Dream.OS, driven in Chromium: install the packaged .vsix the way a
// user does, open the Dream.OS sidebar, run a command from the palette, read its answer.
// Screenshots of every step land in test-output/ui/ (look at them when this fails).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ensurePackaged } from '../harness/build';
import { TEST_OUTPUT, ensureCodeServer, installVsix, openWorkbench, type Workbench } from '../harness/codeServer';

const SHOTS = path.join(TEST_OUTPUT, 'ui');

test('UI journey: sidebar, command palette, board info', { timeout: 15 * 60_000 }, async (t) => {
  const vsix = ensurePackaged();
  await ensureCodeServer();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dreamos-ui-'));
  const workspace = path.join(tmp, 'workspace');
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(path.join(workspace, 'README.md'), '# A project that agents work on\n');
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });

  let started = Date.now();
  await installVsix(vsix, extensionsDir, userDataDir);
  t.diagnostic(`vsix installed in ${Date.now() - started} ms`);

  started = Date.now();
  let wb: Workbench | undefined;
  let step = 0;
  const shot = async (page: Page, name: string) => {
    await page.screenshot({ path: path.join(SHOTS, `${String(++step).padStart(2, '0')}-${name}.png`) });
  };
  try {
    wb = await openWorkbench({ workspace, userDataDir, extensionsDir });
    const { page } = wb;
    t.diagnostic(`workbench loaded in ${Date.now() - started} ms`);
    await shot(page, 'workbench-loaded');

    // 1. The Dream.OS icon in the activity bar opens its sidebar with the Tasks view.
    const icon = page.locator('.part.activitybar .action-item [aria-label*="Dream.OS"], .part.activitybar .action-item[aria-label*="Dream.OS"]').first();
    await icon.waitFor({ state: 'visible', timeout: 60_000 });
    await icon.click();
    const tasksHeader = page.locator('.part.sidebar .pane-header').filter({ hasText: /^\s*Tasks/i }).first();
    await tasksHeader.waitFor({ state: 'visible', timeout: 30_000 });
    await shot(page, 'dreamos-sidebar');
    assert.ok(await tasksHeader.isVisible(), 'the Tasks view is visible in the Dream.OS sidebar');

    // 2. F1 opens the command palette; the Dream.OS command is found by its title and run.
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 450 } }); // focus the editor area, not the tree
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('>Dream.OS: Show Board Info');
    const row = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'Dream.OS: Show Board Info' }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await shot(page, 'command-palette');
    await page.keyboard.press('Enter');

    // 3. Its answer appears as a notification naming the board.
    const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: /board/i }).first();
    await toast.waitFor({ state: 'visible', timeout: 30_000 });
    // The toast fades in; the workbench marks the end of that animation (for a readable screenshot).
    await page.locator('.notifications-toasts .notification-toast.notification-fade-in-done').first().waitFor({ timeout: 5_000 }).catch(() => undefined);
    await shot(page, 'board-info-notification');
    const text = (await toast.innerText()).replace(/\s+/g, ' ').trim();
    t.diagnostic(`notification: ${text}`);
    assert.match(text, /board/i);
    assert.match(text, /\d+\s+tasks?/i, 'the message gives the task count');
  } catch (err) {
    if (wb) await shot(wb.page, 'failure').catch(() => undefined);
    throw err;
  } finally {
    await wb?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
