/**
 * The dashboard on a big board, in Debian's Chromium, over the real DashboardHost and a real board
 * (in-process sql.js): 300 tasks with long titles and tags. Search narrows the columns (and is
 * offered to the editor, which shares it with the Tasks tree), titles wrap, tag chips show, an
 * empty column collapses to a strip, drag and drop moves a task by the action the drop rules allow
 * (a refused drop says why), and the card's Move menu does the same from the keyboard.
 *
 * The editor panel's part (drop rules, moving, the shared filter) is played here by a small
 * stand-in that does what src/extension/dashboard/dashboardPanel.ts does with the same drop rules;
 * the editor journey (test/editor/bigBoardJourney.test.ts) runs the real panel. Screenshots go to
 * test-output/big-board/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { actionTo, commandForAction } from '../../src/core/board/actions';
import type { Agent, Task } from '../../src/core/board/boardModel';
import { dropRules, dropTarget } from '../../src/extension/dashboard/dropRules';
import { DashboardHost } from '../../src/integrations/http/dashboardHost';
import { decodePanelMessage, type PanelToClient } from '../../src/protocol/dashboard';
import { buildDashboardAssets, memoryConnection, type MemoryConnection } from './dashboardServerHelpers';

const CHROMIUM = '/usr/bin/chromium';
const shots = path.resolve(__dirname, '../../test-output/big-board');
const THEMES = {
  light: '--vscode-font-family: system-ui; --vscode-font-size: 13px; --vscode-foreground: #3b3b3b; --vscode-editor-background: #ffffff; --vscode-sideBar-background: #f8f8f8; --vscode-editorWidget-background: #ffffff; --vscode-widget-border: #e5e5e5; --vscode-focusBorder: #005fb8; --vscode-button-background: #005fb8; --vscode-button-foreground: #ffffff; --vscode-button-secondaryBackground: #e5e5e5; --vscode-button-secondaryForeground: #3b3b3b; --vscode-badge-background: #cccccc; --vscode-badge-foreground: #3b3b3b; --vscode-descriptionForeground: #616161; --vscode-input-background: #ffffff; --vscode-input-foreground: #3b3b3b; --vscode-input-border: #cecece; --vscode-charts-blue: #1a85ff; --vscode-charts-orange: #d18616; --vscode-charts-green: #388a34; --vscode-errorForeground: #f85149',
  dark: '--vscode-font-family: system-ui; --vscode-font-size: 13px; --vscode-foreground: #cccccc; --vscode-editor-background: #1f1f1f; --vscode-sideBar-background: #181818; --vscode-editorWidget-background: #202020; --vscode-widget-border: #313131; --vscode-focusBorder: #0078d4; --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff; --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc; --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8; --vscode-descriptionForeground: #9d9d9d; --vscode-input-background: #313131; --vscode-input-foreground: #cccccc; --vscode-charts-blue: #3794ff; --vscode-charts-orange: #d18616; --vscode-charts-green: #89d185; --vscode-errorForeground: #f85149',
};

/** 300 tasks, titles long enough to need two or three lines, every third with tags; no task in review. */
export async function bigBoard(conn: MemoryConnection): Promise<{ tasks: Task[]; agent: Agent }> {
  const areas = ['the login flow', 'the search index', 'the settings page', 'the sync engine', 'the rate limiter'];
  const tasks = Array.from({ length: 300 }, (_, i) => ({
    title: `${['Fix', 'Refactor', 'Document', 'Speed up'][i % 4]} ${areas[i % areas.length]} so that it handles the case #${i + 1} reported by users`,
    tags: i % 3 === 0 ? ['ui', `scope:src/${['auth', 'search', 'sync'][i % 3 === 0 ? (i / 3) % 3 : 0]}`] : i % 3 === 1 ? ['backend'] : [],
    priority: (['normal', 'high', 'low', 'critical'] as const)[i % 4],
  }));
  const { created } = (await conn.call({ type: 'board.import', file: { tasks } })) as { created: Task[] };
  const agent = (await conn.call({ type: 'agent.register', name: 'claude-1', driver: 'command', capabilities: [] })) as Agent;
  for (let i = 0; i < 6; i++) await conn.call({ type: 'task.claim', taskId: created[i]!.id, agentId: agent.id });
  for (let i = 6; i < 30; i++) await conn.call({ type: 'task.done', taskId: created[i]!.id, summary: 'Done by hand' });
  for (let i = 30; i < 34; i++) await conn.call({ type: 'task.block', taskId: created[i]!.id, reason: 'Waiting on the API key' });
  return { tasks: created, agent };
}

describe('the dashboard on a 300-task board', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}` }, () => {
  let conn: MemoryConnection;
  let host: DashboardHost;
  let assets: string;
  let browser: Browser;
  let page: Page;
  let tasks: Task[];
  const toPanel: unknown[] = [];
  let post: (m: PanelToClient) => void;

  before(async () => {
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    assets = await buildDashboardAssets();
    conn = await memoryConnection('human');
    ({ tasks } = await bigBoard(conn));
    host = new DashboardHost({ open: async () => conn, boardDir: '/workspace/.dreamos' });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    post = (m) => void page.evaluate((msg) => window.postMessage(msg, '*'), m as unknown).catch(() => undefined);
    const client = host.attach((m) => post(m as PanelToClient));
    // The panel's part, as dashboardPanel.ts does it: its own messages first, the rest to the host.
    await page.exposeBinding('__toHost', async (_src, m: unknown) => {
      const mine = decodePanelMessage(m);
      if (!mine) {
        await client.receive(m);
        if ((m as { type?: string }).type === 'ready') post({ type: 'dropRules', rules: dropRules() });
        return;
      }
      toPanel.push(mine.ok ? mine.message : mine.error);
      if (!mine.ok || mine.message.type !== 'task.move') return;
      const { task } = (await conn.call({ type: 'task.show', taskId: mine.message.taskId })) as { task: Task };
      const target = dropTarget(task.status, mine.message.column);
      const action = target && actionTo(task.status, target.to);
      if (!action) return post({ type: 'notice', level: 'error', text: 'refused' });
      await conn.call(commandForAction(action, task, 'moved on the dashboard'));
      post({ type: 'notice', level: 'info', text: `${target.label}: moved` });
    });
    await page.route('http://webview.test/**', (route) => {
      const url = new URL(route.request().url());
      if (url.pathname !== '/') return route.fulfill({ path: path.join(assets, path.basename(url.pathname)) });
      const theme = THEMES[url.searchParams.get('theme') === 'dark' ? 'dark' : 'light'];
      return route.fulfill({
        contentType: 'text/html',
        body: `<!DOCTYPE html><html lang="en" style="${theme}"><head><link rel="stylesheet" href="/dashboard.css"></head><body><div id="app"></div>
<script>window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__toHost(m), getState: () => null, setState: () => undefined });</script>
<script src="/dashboard.js"></script></body></html>`,
      });
    });
    await page.goto('http://webview.test/?theme=light');
    await page.waitForSelector('.card');
  });

  after(async () => {
    await browser?.close();
    host?.dispose();
    conn?.close();
    if (assets) rmSync(assets, { recursive: true, force: true });
  });

  const text = async (sel: string) => ((await page.locator(sel).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const column = (title: string) => page.locator('section.column').filter({ has: page.locator('.column-name', { hasText: new RegExp(`^${title}$`) }) });
  const status = async (id: string) => ((await conn.call({ type: 'task.show', taskId: id })) as { task: Task }).task.status;

  it('titles wrap instead of being cut, cards show tag chips, the empty Review column is a strip', async () => {
    const title = page.locator('.card .card-title').first();
    const lines = await title.evaluate((el) => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)));
    assert.ok(lines >= 2, `the first title takes ${lines} lines`);
    assert.ok((await title.evaluate((el) => getComputedStyle(el).whiteSpace)) !== 'nowrap');
    assert.ok(await page.locator('.card .chip', { hasText: /^ui$/ }).first().isVisible(), 'a tag chip');
    const review = column('Review');
    assert.match((await review.getAttribute('class')) ?? '', /collapsed/);
    assert.equal(await review.locator('.column-toggle').getAttribute('aria-expanded'), 'false');
    assert.match(await review.innerText(), /0/);
    const widths = await page.locator('section.column').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    assert.ok(widths[2]! < 50, `the strip is ${widths[2]} px`);
    assert.ok(widths[0]! > 200, `the others share the width: Ready is ${widths[0]} px`);
    await page.screenshot({ path: path.join(shots, '01-board-light.png') });
  });

  it('a collapsed column expands and collapses by click and by keyboard', async () => {
    const toggle = column('Review').locator('.column-toggle');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await toggle.focus();
    await page.keyboard.press('Enter');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  });

  it('/ focuses the search; it narrows every column and is offered to the editor; Escape clears it', async () => {
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'search');
    await page.keyboard.type('tag:ui owner:claude');
    await page.waitForFunction(() => /of 300 tasks match/.test(document.querySelector('.summary')?.textContent ?? ''));
    // Tasks 0-5 are claimed by claude-1; of them 0 and 3 are tagged ui.
    assert.match(await text('.summary'), /^2 of 300 tasks match/);
    const titles = await page.locator('.card .card-title').allInnerTexts();
    assert.deepEqual(titles.map((t) => t.replace(/\s+/g, ' ')).sort(), [tasks[0]!.title, tasks[3]!.title].sort());
    await page.screenshot({ path: path.join(shots, '02-search-light.png') });
    await page.waitForTimeout(400); // the query is sent once typing pauses
    assert.deepEqual(toPanel.at(-1), { type: 'filter', query: 'tag:ui owner:claude' });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => /^300 tasks/.test(document.querySelector('.summary')?.textContent ?? ''));
  });

  it("the editor's filter (the Tasks tree's) reaches the search box", async () => {
    await page.waitForTimeout(400); // (what the person just typed is sent first, and not overwritten meanwhile)
    post({ type: 'filter', query: 'status:blocked' });
    await page.waitForFunction(() => (document.querySelector('.search') as HTMLInputElement).value === 'status:blocked');
    await page.waitForFunction(() => /^4 of 300 tasks match/.test(document.querySelector('.summary')?.textContent ?? ''));
    post({ type: 'filter', query: '' });
    await page.waitForFunction(() => /^300 tasks/.test(document.querySelector('.summary')?.textContent ?? ''));
  });

  it('dragging a card onto Done marks it done; a refused drop says why', async () => {
    const ready = tasks[40]!;
    await page.locator('.search').fill(`#${41} `);
    await page.waitForFunction(() => /^1 of 300/.test(document.querySelector('.summary')?.textContent ?? ''));
    const card = page.locator(`.card[data-task-id="${ready.id}"]`);
    await card.dragTo(column('Done'));
    await page.waitForFunction((id) => document.querySelector(`section.column[data-col="4"] .card[data-task-id="${id}"]`) !== null, ready.id);
    assert.equal(await status(ready.id), 'done', 'the board has it done');
    assert.ok(toPanel.some((m) => JSON.stringify(m) === JSON.stringify({ type: 'task.move', taskId: ready.id, column: 4 })), 'the move was asked of the panel');
    await page.screenshot({ path: path.join(shots, '03-dropped-on-done-light.png') });
    // Done → In progress: no action does that.
    await page.locator(`.card[data-task-id="${ready.id}"]`).dragTo(column('In progress'));
    const toast = page.locator('.toast.error').last();
    await toast.waitFor();
    assert.match(await toast.innerText(), /A done task cannot be moved to In progress\..*Reopen → Ready/);
    assert.equal(await status(ready.id), 'done');
  });

  it("the card's Move menu does the same from the keyboard", async () => {
    const t = tasks[41]!;
    await page.locator('.search').fill('#42 ');
    await page.waitForFunction(() => /^1 of 300/.test(document.querySelector('.summary')?.textContent ?? ''));
    await page.locator(`.card[data-task-id="${t.id}"]`).focus();
    await page.keyboard.press('m');
    const menu = page.getByRole('menu');
    await menu.waitFor();
    assert.equal(await menu.getByRole('menuitem', { name: /In progress/ }).getAttribute('aria-disabled'), 'true');
    await page.screenshot({ path: path.join(shots, '04-move-menu-light.png') });
    await page.keyboard.press('ArrowDown'); // from the first allowed item (Needs attention: Block) to Done
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    for (let i = 0; i < 50 && (await status(t.id)) !== 'blocked'; i++) await page.waitForTimeout(50);
    assert.equal(await status(t.id), 'blocked', 'Block, from the menu');
    await page.locator('.search').fill('');
  });

  it('the same board in dark', async () => {
    await page.goto('http://webview.test/?theme=dark');
    await page.waitForSelector('.card .chip');
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(31, 31, 31)');
    assert.match((await column('Review').getAttribute('class')) ?? '', /collapsed/);
    await page.screenshot({ path: path.join(shots, '05-board-dark.png') });
    await page.keyboard.press('/');
    await page.keyboard.type('backend refactor');
    await page.waitForFunction(() => /of 300 tasks match/.test(document.querySelector('.summary')?.textContent ?? ''));
    await page.screenshot({ path: path.join(shots, '06-search-dark.png') });
  });
});
