// A working session driven in Chromium as a person does it, on the installed .vsix: the board was
// filled by the `dreamos` CLI (as agents do), the person creates a task from the palette, sees it
// in the Tasks view, moves a task with its context menu, opens the dashboard, reviews an agent's
// proposal in the diff editor and approves it from the editor title. Screenshots in
// test-output/journey/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureBuilt, ensurePackaged } from '../harness/build';
import { TEST_OUTPUT, ensureCodeServer, installVsix, openWorkbench, type Workbench } from '../harness/codeServer';
import { dashboardFrame, dreamos, palette } from '../harness/journey';

const SHOTS = path.join(TEST_OUTPUT, 'journey');



/** Answers the next quick input (input box or pick) with `text` (empty: accept what is there). */
async function answer(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  if (text) await input.fill(text);
  await page.waitForTimeout(150); // the widget filters as you type
  await page.keyboard.press('Enter');
}


test('board journey: palette, tree, context menu, dashboard, proposal approved in the diff editor', { timeout: 15 * 60_000 }, async (t) => {
  ensureBuilt();
  const vsix = ensurePackaged();
  await ensureCodeServer();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dreamos-journey-'));
  const workspace = path.join(tmp, 'workspace');
  const draft = path.join(tmp, 'draft');
  mkdirSync(path.join(workspace, 'src'), { recursive: true });
  mkdirSync(path.join(draft, 'src'), { recursive: true });
  writeFileSync(path.join(workspace, 'src', 'greeting.ts'), "export const greeting = 'hello';\n");
  writeFileSync(path.join(draft, 'src', 'greeting.ts'), "export const greeting = 'hello, world';\nexport const shout = greeting.toUpperCase();\n");
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });

  // What agents did before the person arrived, through the CLI (its background hub is stopped
  // afterwards, so the editor window becomes the hub and the CLI's writes must have survived).
  dreamos(workspace, 'agent', 'register', 'claude-1', '--capability', 'ts');
  dreamos(workspace, 'task', 'add', 'Polish the greeting', '--priority', 'high');
  dreamos(workspace, 'task', 'add', 'Write release notes');
  const proposal = JSON.parse(dreamos(workspace, 'propose', '--title', 'Friendlier greeting', '--rationale', 'Users asked for a warmer hello.', '--file', 'src/greeting.ts', '--from', draft, '--json')) as { id: string };
  dreamos(workspace, 'hub', 'stop');

  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  await installVsix(vsix, extensionsDir, userDataDir);

  let wb: Workbench | undefined;
  let step = 0;
  const shot = async (name: string) => wb!.page.screenshot({ path: path.join(SHOTS, `${String(++step).padStart(2, '0')}-${name}.png`) });
  try {
    wb = await openWorkbench({ workspace, userDataDir, extensionsDir, viewport: { width: 1440, height: 900 } });
    const { page } = wb;
    const icon = page.locator('.part.activitybar .action-item [aria-label*="Dream.OS"], .part.activitybar .action-item[aria-label*="Dream.OS"]').first();
    await icon.waitFor({ state: 'visible', timeout: 60_000 });
    await icon.click();
    const sidebar = page.locator('.part.sidebar');
    await sidebar.getByText('Polish the greeting').first().waitFor({ timeout: 30_000 });
    await shot('sidebar-with-cli-tasks');

    // Create a task from the palette: title, then Enter through priority and kind, a description,
    // tags, and no dependencies (six numbered steps).
    await page.locator('.monaco-workbench .part.editor').click({ position: { x: 400, y: 300 } });
    await palette(page, 'Dream.OS: Create Task');
    await answer(page, 'Add a farewell message');
    await answer(page, ''); // priority: normal
    await answer(page, ''); // kind: feature
    await answer(page, 'Say goodbye politely.');
    await answer(page, 'ui'); // tags
    await answer(page, ''); // depends on: none
    const row = sidebar.locator('.monaco-list-row').filter({ hasText: 'Add a farewell message' }).first();
    await row.waitFor({ timeout: 30_000 });
    await shot('task-created-from-palette');

    // Move it with the context menu: Mark Task Done asks what was done.
    await row.click({ button: 'right' });
    const menuItem = page.getByRole('menuitem', { name: /Mark Task Done/ }).first();
    await menuItem.waitFor({ timeout: 10_000 });
    await shot('task-context-menu');
    await menuItem.click();
    await answer(page, 'Farewell added by hand');
    await sidebar.locator('.monaco-list-row').filter({ hasText: /^\s*Done/ }).first().waitFor({ timeout: 30_000 });
    await shot('task-moved-to-done');
    const board = JSON.parse(dreamos(workspace, 'task', 'list', '--status', 'done', '--json')) as { title: string }[];
    assert.ok(board.some((x) => x.title === 'Add a farewell message'), 'the CLI sees the task done: one board for the editor and the CLI');

    // The dashboard shows the same board.
    await palette(page, 'Dream.OS: Open Dashboard');
    const frame = dashboardFrame(page);
    await frame.getByText('Polish the greeting').first().waitFor({ timeout: 60_000 });
    await shot('dashboard');

    // Review the agent's proposal: it opens in the diff editor; Approve in the editor title applies it.
    // (the dashboard webview now has the focus: open the proposal from the Proposals view instead)
    await sidebar.locator('.monaco-list-row').filter({ hasText: 'greeting.ts' }).first().click();
    await page.locator('.monaco-diff-editor').first().waitFor({ timeout: 30_000 });
    await page.locator('.monaco-diff-editor').getByText('hello, world').first().waitFor({ timeout: 30_000 });
    await shot('proposal-in-diff-editor');
    const approveButton = page.locator('.editor-actions .action-label[aria-label*="Approve Proposal"]').first();
    await approveButton.waitFor({ state: 'visible', timeout: 10_000 });
    await approveButton.click();
    const deadline = Date.now() + 60_000;
    while (!readFileSync(path.join(workspace, 'src', 'greeting.ts'), 'utf8').includes('hello, world') && Date.now() < deadline) await page.waitForTimeout(200);
    assert.equal(readFileSync(path.join(workspace, 'src', 'greeting.ts'), 'utf8'), "export const greeting = 'hello, world';\nexport const shout = greeting.toUpperCase();\n");
    await page.locator('.notifications-toasts .notification-toast').filter({ hasText: /applied/ }).first().waitFor({ timeout: 30_000 });
    await shot('proposal-applied');
    const shown = JSON.parse(dreamos(workspace, 'proposal', 'show', proposal.id, '--json')) as { status: string };
    assert.equal(shown.status, 'applied');

    // An agent fails a task (through the CLI, as agents do): a notification says so, by name, with
    // Retry and Open; Needs You appears with it. Retry puts the task back in the queue.
    const agentId = (JSON.parse(dreamos(workspace, 'agent', 'show', 'claude-1', '--json')) as { id: string }).id;
    const claimed = JSON.parse(dreamos(workspace, 'task', 'next', '--agent', agentId, '--json', '--as', agentId)) as { task: { id: string; title: string }; lease: { token: number } };
    assert.equal(claimed.task.title, 'Polish the greeting');
    dreamos(workspace, 'task', 'fail', claimed.task.id, '--reason', 'tests red', '--token', String(claimed.lease.token), '--as', agentId);
    const failedToast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Task "Polish the greeting" failed: tests red' }).first();
    await failedToast.waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.notifications-toasts .notification-toast.notification-fade-in-done').first().waitFor({ timeout: 5_000 }).catch(() => undefined);
    const buttons = (await failedToast.locator('.monaco-button').allInnerTexts()).map((b) => b.trim());
    assert.deepEqual(buttons, ['Retry', 'Open'], 'the notification offers what to do next');
    await sidebar.locator('.pane-header').filter({ hasText: /Needs You/i }).first().waitFor({ timeout: 30_000 });
    await shot('task-failed-notification');
    await failedToast.locator('.monaco-button').filter({ hasText: 'Retry' }).first().click();
    const retried = Date.now() + 30_000;
    let status = '';
    while (Date.now() < retried && (status = (JSON.parse(dreamos(workspace, 'task', 'show', claimed.task.id, '--json')) as { task: { status: string } }).task.status) !== 'ready') await page.waitForTimeout(200);
    assert.equal(status, 'ready', 'Retry from the notification put the task back in the queue');
    t.diagnostic(`screenshots in ${SHOTS}`);
  } catch (err) {
    if (wb) await shot('failure').catch(() => undefined);
    throw err;
  } finally {
    await wb?.close();
    try {
      dreamos(workspace, 'hub', 'stop'); // a background hub left by a failed step
    } catch {
      // none running, or it belonged to the editor window that just closed
    }
    rmSync(tmp, { recursive: true, force: true });
  }
});
