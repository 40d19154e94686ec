// A big board in the real editor (code-server + Chromium, the installed .vsix): 300 tasks put there
// by the `dreamos` CLI. In the dashboard the person searches (and the Tasks tree narrows with it),
// sees tag chips and the empty Review column as a strip, drags a task onto Done; in the tree they
// select three tasks and cancel them all, after a confirmation. Dark, then light. Screenshots in
// test-output/big-board-journey/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { ensureBuilt, ensurePackaged } from '../harness/build';
import { TEST_OUTPUT, ensureCodeServer, installVsix, openWorkbench, type Workbench } from '../harness/codeServer';
import { dashboardFrame, dreamos, palette } from '../harness/journey';

const SHOTS = path.join(TEST_OUTPUT, 'big-board-journey');

interface Row {
  id: string;
  title: string;
  status: string;
  tags: string[];
}

const list = (workspace: string) => JSON.parse(dreamos(workspace, 'task', 'list', '--json')) as Row[];



/** 300 tasks with long titles; every third tagged; three tagged "triage" to be cancelled together. */
function seed(workspace: string): void {
  const areas = ['the login flow', 'the search index', 'the settings page', 'the sync engine', 'the rate limiter'];
  const tasks = Array.from({ length: 300 }, (_, i) => ({
    title: `${['Fix', 'Refactor', 'Document', 'Speed up'][i % 4]} ${areas[i % areas.length]} so that it handles case ${i + 1} reported by users`,
    tags: i >= 100 && i < 103 ? ['triage'] : i % 3 === 0 ? ['ui', 'scope:src/auth'] : i % 3 === 1 ? ['backend'] : [],
    priority: (['normal', 'high', 'low', 'critical'] as const)[i % 4],
  }));
  const file = path.join(workspace, '..', 'tasks.json');
  writeFileSync(file, JSON.stringify({ tasks }));
  dreamos(workspace, 'import', file);
  dreamos(workspace, 'agent', 'register', 'claude-1', '--capability', 'ts');
  const rows = list(workspace);
  const byTitle = (n: number) => rows.find((r) => r.title.includes(`case ${n} reported`))!.id;
  for (const n of [1, 4, 7]) dreamos(workspace, 'task', 'claim', byTitle(n), '--agent', 'claude-1');
  for (let n = 10; n < 20; n++) dreamos(workspace, 'task', 'done', byTitle(n), '--summary', 'Done by hand');
  dreamos(workspace, 'hub', 'stop');
}

async function openSidebar(page: Page): Promise<void> {
  const icon = page.locator('.part.activitybar .action-item [aria-label*="Dream.OS"], .part.activitybar .action-item[aria-label*="Dream.OS"]').first();
  await icon.waitFor({ state: 'visible', timeout: 60_000 });
  await icon.click();
  await page.locator('.part.sidebar .monaco-list-row').filter({ hasText: /^\s*Ready/ }).first().waitFor({ timeout: 60_000 });
}

/** The dashboard's summary line, once it says `re`. */
async function summary(frame: FrameLocator, re: RegExp): Promise<string> {
  const s = frame.locator('.summary');
  for (let i = 0; i < 100; i++) {
    const text = (await s.innerText().catch(() => '')).replace(/\s+/g, ' ');
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the dashboard summary never matched ${re}: "${await s.innerText().catch(() => '')}"`);
}

async function searchInDashboard(page: Page, frame: FrameLocator, query: string, typed = false): Promise<void> {
  // The keyboard's way: / focuses the search box from anywhere in the dashboard.
  await frame.locator('.topbar h1').click();
  await page.keyboard.press('/');
  await frame.locator('.search:focus').waitFor({ timeout: 10_000 });
  // (typing a leading `"` into the webview loses it here; fill sends the same input event)
  if (typed) await page.keyboard.type(query);
  else await frame.locator('.search').fill(query);
}

async function journey(t: TestContext, theme: 'dark' | 'light', workspace: string, userDataDir: string, extensionsDir: string): Promise<void> {
  let wb: Workbench | undefined;
  let step = 0;
  const shot = async (name: string) => wb!.page.screenshot({ path: path.join(SHOTS, `${theme}-${String(++step).padStart(2, '0')}-${name}.png`) });
  try {
    wb = await openWorkbench({ workspace, userDataDir, extensionsDir, viewport: { width: 1600, height: 1000 }, settings: { 'workbench.colorTheme': theme === 'dark' ? 'Default Dark Modern' : 'Default Light Modern' } });
    const { page } = wb;
    // The theme comes from the settings file once the workbench has read it.
    await page.locator(theme === 'light' ? '.monaco-workbench.vs' : '.monaco-workbench.vs-dark').waitFor({ timeout: 30_000 });
    await openSidebar(page);
    const sidebar = page.locator('.part.sidebar');
    await page.locator('.monaco-workbench .part.editor').click({ position: { x: 400, y: 300 } });
    await palette(page, 'Dream.OS: Open Dashboard');
    const frame = dashboardFrame(page);
    await frame.locator('.card').first().waitFor({ timeout: 60_000 });
    await summary(frame, /^300 tasks/);

    // Readable cards: tag chips, titles on more than one line; the empty Review column is a strip.
    assert.ok(await frame.locator('.card .chip', { hasText: /^ui$/ }).first().isVisible(), 'a tag chip on a card');
    const review = frame.locator('section.column[data-col="2"]');
    assert.match((await review.getAttribute('class')) ?? '', /collapsed/, 'the empty Review column is collapsed');
    assert.ok((await review.boundingBox())!.width < 50, 'to a narrow strip');
    assert.match(await review.innerText(), /0/);
    await shot('dashboard-300-tasks');

    // Search in the dashboard: the cards narrow, and so does the Tasks tree (one shared filter).
    await searchInDashboard(page, frame, 'tag:ui owner:claude', true);
    // Claimed by claude-1: cases 1, 4, 7; tagged ui: every third from case 1 (i % 3 === 0), so all three.
    const s = await summary(frame, /^3 of 300 tasks match/);
    t.diagnostic(`dashboard: ${s}`);
    const titles = (await frame.locator('.card .card-title').allInnerTexts()).map((x) => x.replace(/\s+/g, ' '));
    assert.equal(titles.length, 3);
    assert.ok(titles.every((x) => /case [147] reported/.test(x)), titles.join(' | '));
    const tasksHeader = sidebar.locator('.pane-header').filter({ hasText: /Tasks/ }).first();
    await tasksHeader.filter({ hasText: 'filter: tag:ui owner:claude' }).waitFor({ timeout: 15_000 });
    await sidebar.locator('.monaco-list-row').filter({ hasText: 'case 4 reported' }).first().waitFor({ timeout: 15_000 });
    assert.equal(await sidebar.locator('.monaco-list-row').filter({ hasText: 'case 2 reported' }).count(), 0, 'the tree narrowed too');
    await shot('search-narrows-dashboard-and-tree');
    await page.keyboard.press('Escape'); // clears the search (focus is still in it)
    await summary(frame, /^300 tasks/);
    await tasksHeader.filter({ hasNotText: 'filter:' }).waitFor({ timeout: 15_000 });

    if (theme === 'dark') {
      // Drag a ready task onto Done: Mark Done, the same action a drop in the tree does.
      const rows = list(workspace);
      const target = rows.find((r) => r.title.includes('case 42 reported'))!;
      await searchInDashboard(page, frame, '"case 42 reported"');
      await summary(frame, /^1 of 300 tasks match/);
      const card = frame.locator(`.card[data-task-id="${target.id}"]`);
      const done = frame.locator('section.column[data-col="4"]');
      await card.dragTo(done, { timeout: 10_000 }).catch(() => undefined);
      let how = 'mouse';
      if (list(workspace).find((r) => r.id === target.id)!.status !== 'done') {
        // Playwright's mouse drag does not always reach a webview's nested iframe: the same DOM drag events, sent in the page.
        how = 'DOM drag events';
        await card.evaluate((el, id) => {
          const dt = new DataTransfer();
          const col = document.querySelector('section.column[data-col="4"]')!;
          el.dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: dt }));
          col.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
          col.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
          el.dispatchEvent(new DragEvent('dragend', { bubbles: true, dataTransfer: dt }));
          return id;
        }, target.id);
      }
      t.diagnostic(`dropped by ${how}`);
      await done.locator(`.card[data-task-id="${target.id}"]`).waitFor({ timeout: 15_000 });
      assert.equal(list(workspace).find((r) => r.id === target.id)!.status, 'done', 'the board has it done');
      await frame.locator('.toast', { hasText: /Mark Done/ }).first().waitFor({ timeout: 10_000 });
      await shot('dragged-onto-done');
      await frame.locator('.search').focus();
      await page.keyboard.press('Escape');
      await summary(frame, /^300 tasks/);

      // Select three tasks in the tree and cancel them: one confirmation, all three cancelled, one message.
      await searchInDashboard(page, frame, 'tag:triage');
      await summary(frame, /^3 of 300 tasks match/);
      const triage = sidebar.locator('.monaco-list-row').filter({ hasText: /case 10[123] reported/ });
      await triage.nth(2).waitFor({ timeout: 15_000 });
      await triage.nth(0).click();
      await triage.nth(2).click({ modifiers: ['Shift'] });
      assert.equal(await sidebar.locator('.monaco-list-row.selected').count(), 3, 'three rows selected');
      // A click opens the task's details tab, which takes the focus a moment later (and would close a menu opened meanwhile).
      await page.locator('.tabs-container .tab').nth(1).waitFor({ timeout: 15_000 });
      await page.waitForTimeout(1000);
      const cancelItem = page.getByRole('menuitem', { name: /Cancel Task/ }).first();
      for (let attempt = 0; ; attempt++) {
        await triage.nth(1).click({ button: 'right' });
        if (await cancelItem.waitFor({ timeout: 5_000 }).then(() => true, () => false)) break;
        if (attempt === 2) throw new Error('the context menu of the selected tasks did not open');
        await page.keyboard.press('Escape');
      }
      assert.equal(await sidebar.locator('.monaco-list-row.selected').count(), 3, 'still three rows selected');
      await shot('multi-select-context-menu');
      await cancelItem.click();
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 10_000 }).catch(async (err: Error) => {
        const toasts = await page.locator('.notifications-toasts').innerText().catch(() => '');
        throw new Error(`no confirmation dialog (${err.message}); notifications: ${toasts}`);
      });
      assert.match(await dialog.innerText(), /Cancel 3 tasks\?/);
      await shot('multi-select-cancel-confirmation');
      await dialog.locator('.monaco-button', { hasText: 'Cancel 3 Tasks' }).click();
      const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: /Cancelled 3 tasks/ }).first();
      await toast.waitFor({ timeout: 30_000 });
      const cancelled = list(workspace).filter((r) => r.tags.includes('triage'));
      assert.deepEqual(cancelled.map((r) => r.status), ['cancelled', 'cancelled', 'cancelled'], 'all three cancelled on the board');
      await shot('cancelled-3-tasks');
    }
  } catch (err) {
    if (wb) await shot('failure').catch(() => undefined);
    throw err;
  } finally {
    await wb?.close();
  }
}

test('big board journey: search shared by dashboard and tree, chips, collapsed column, drag and drop, bulk cancel; dark and light', { timeout: 20 * 60_000 }, async (t) => {
  ensureBuilt();
  const vsix = ensurePackaged();
  await ensureCodeServer();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dreamos-big-board-'));
  const workspace = path.join(tmp, 'workspace');
  mkdirSync(workspace, { recursive: true });
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  try {
    seed(workspace);
    for (const theme of ['dark', 'light'] as const) {
      const userDataDir = path.join(tmp, `user-data-${theme}`);
      const extensionsDir = path.join(tmp, `extensions-${theme}`);
      await installVsix(vsix, extensionsDir, userDataDir);
      await journey(t, theme, workspace, userDataDir, extensionsDir);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
