/**
 * The dashboard as a person uses it, in Debian's Chromium (never a downloaded browser): the real
 * server, a real 10,000-task board, the real UI bundle. Screenshots go to test-output/dashboard/.
 * Timings are printed (test diagnostics), never asserted: this machine is shared.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Task } from '../../src/core/board/boardModel';
import { DashboardHost } from '../../src/integrations/http/dashboardHost';
import { startDashboardServer, type DashboardServer } from '../../src/integrations/http/dashboardServer';
import { toTaskCard, type HostToClient } from '../../src/protocol/dashboard';
import { buildDashboardAssets, memoryConnection, populate, type MemoryConnection } from './dashboardServerHelpers';

const CHROMIUM = '/usr/bin/chromium';
const shots = path.resolve(__dirname, '../../test-output/dashboard');
const N = 10_000;

describe('dashboard in Chromium', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}` }, () => {
  let conn: MemoryConnection;
  let server: DashboardServer;
  let assets: string;
  let browser: Browser;
  let page: Page;
  let tasks: Task[];
  const figures: string[] = [];

  let stateBytes = 0;
  let objectBytes = 0;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    assets = await buildDashboardAssets();
    conn = await memoryConnection();
    tasks = (await populate(conn, N)).tasks;
    // What goes on the wire: the state message a host sends, and the same cards as plain objects.
    const probe = new DashboardHost({ open: async () => conn, boardDir: '~/project/.dreamos' });
    const state = new Promise<HostToClient>((resolve) => void probe.attach(resolve).receive({ type: 'ready' }));
    stateBytes = Buffer.byteLength(JSON.stringify(await state));
    probe.dispose();
    objectBytes = Buffer.byteLength(JSON.stringify(((await conn.call({ type: 'task.list' })) as Task[]).map(toTaskCard)));
    server = await startDashboardServer({ connection: conn, assetsDir: assets, boardDir: '~/project/.dreamos' });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    conn?.close();
    if (assets) rmSync(assets, { recursive: true, force: true });
    if (figures.length) console.log(`\n[dashboard figures]\n  ${figures.join('\n  ')}`);
  });

  const cards = () => page.locator('.card').count();
  const focused = () => page.evaluate(() => ({ id: (document.activeElement as HTMLElement | null)?.dataset.taskId, index: (document.activeElement as HTMLElement | null)?.dataset.index, column: document.activeElement?.closest<HTMLElement>('[data-column]')?.dataset.column }));

  it('opens through the one-time link and renders 10,000 tasks virtualised', async () => {
    await page.goto(server.url);
    assert.equal(new URL(page.url()).search, '', 'the token is gone from the address bar');
    await page.waitForSelector('.card');
    await page.waitForFunction(() => performance.getEntriesByName('dreamos:first-paint').length > 0);
    const [received, firstRender, firstPaint] = await page.evaluate(() => ['dreamos:state-received', 'dreamos:first-render', 'dreamos:first-paint'].map((n) => performance.getEntriesByName(n)[0]?.startTime ?? -1));
    figures.push(`state message: ${(stateBytes / 1e6).toFixed(2)} MB (the same cards as objects: ${(objectBytes / 1e6).toFixed(2)} MB); arrived at ${received!.toFixed(0)} ms after navigation start`);
    const rendered = await cards();
    const summary = await page.locator('.summary').textContent();
    figures.push(`time to first render, ${N} tasks (navigation start → board in the DOM / painted): ${firstRender!.toFixed(0)} / ${firstPaint!.toFixed(0)} ms`);
    figures.push(`cards in the DOM: ${rendered} of ${N}`);
    assert.match(summary ?? '', /10,000 tasks/);
    assert.ok(rendered > 20 && rendered <= 300, `virtualised: ${rendered} cards in the DOM`);
    const counts = await page.locator('.column-title .badge').allTextContents();
    assert.equal(counts.map((c) => Number(c.replace(/,/g, ''))).reduce((a, b) => a + b, 0), N);
    assert.equal(await page.locator('.agent').count(), 3);
    await page.screenshot({ path: path.join(shots, '01-board-10k.png') });
  });

  it('scrolls deep into a column and still renders only what is visible', async () => {
    // 60% down a column of more than 5,000 cards, whatever a row's height: past card 3,000.
    await page.locator('.viewport').first().evaluate((el) => (el.scrollTop = el.scrollHeight * 0.6));
    await page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLElement>('[data-column="0"] .card')).some((c) => Number(c.dataset.index) > 3000));
    assert.ok((await cards()) <= 300);
    await page.locator('.viewport').first().evaluate((el) => (el.scrollTop = 0));
    await page.waitForFunction(() => document.querySelector('[data-column="0"] .card[data-index="0"]') !== null);
  });

  it('shows details for a clicked card: history, evidence, actions', async () => {
    const review = page.locator(`[data-column="2"] .card[data-task-id="${tasks[0]!.id}"]`);
    const title = (await review.locator('.card-title').textContent())!;
    await review.click();
    await page.waitForSelector('.details [data-for]');
    assert.equal(await page.locator('.details-title').textContent(), title);
    assert.equal(await review.getAttribute('aria-selected'), 'true');
    const text = (await page.locator('.details').textContent())!;
    assert.match(text, /History/);
    assert.match(text, /running → review/);
    assert.match(text, /42 passed/, 'evidence');
    assert.ok(await page.getByRole('button', { name: /^Mark done/ }).isVisible());
    assert.match(text, /Depends on/);
    await page.screenshot({ path: path.join(shots, '02-details.png') });
    // A dependency is a link to its own details.
    await page.locator('.details .links button').first().click();
    await page.waitForSelector('.details .details-title:text("#1018")');
    assert.match((await page.locator('.details').textContent())!, /Needed by/);
  });

  it('is keyboard-navigable: arrows move, Enter opens details, Escape returns', async () => {
    await page.locator('[data-column="0"] .card[data-index="0"]').click();
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await focused(), { id: await page.locator('[data-column="0"] .card[data-index="1"]').getAttribute('data-task-id'), index: '1', column: '0' });
    await page.keyboard.press('ArrowRight');
    assert.equal((await focused()).column, '1', 'right moves to the next column');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('End');
    const end = await focused();
    assert.equal(end.column, '0');
    assert.ok(Number(end.index) > 5000, `End jumps to the last card (${end.index})`);
    assert.ok((await cards()) <= 300);
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const target = await focused();
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.details [data-for="${target.id}"]`);
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('details-title')), true, 'Enter moves focus to the details');
    const focusRing = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(focusRing, 'none', 'focus is visible');
    await page.keyboard.press('Escape');
    assert.equal((await focused()).id, target.id, 'Escape gives focus back to the card');
    assert.equal(await page.locator('.details [data-for]').count(), 0);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.details [data-for="${target.id}"]`);
    await page.screenshot({ path: path.join(shots, '03-keyboard.png') });
  });

  it('creates a task from the form; it appears, selected, on the board', async () => {
    await page.getByLabel('New task title').fill('Ship the live dashboard');
    await page.getByLabel('Priority', { exact: true }).selectOption('critical');
    await page.getByRole('button', { name: 'Add task' }).click();
    const card = page.locator('.card', { hasText: 'Ship the live dashboard' });
    await card.waitFor();
    assert.equal(await card.getAttribute('aria-selected'), 'true');
    await page.waitForSelector('.details-title:text("Ship the live dashboard")');
    assert.equal(await page.getByLabel('New task title').inputValue(), '');
    await page.screenshot({ path: path.join(shots, '04-created.png') });
  });

  it('shows board events live: event → DOM latency', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = tasks[2000 + i]!; // a ready task: done, it goes to the top of the Done column
      const seen = page.evaluate(
        (id) =>
          new Promise<number>((resolve) => {
            // No named functions in here: the test transpiler would wrap them in a helper the page lacks.
            const obs = new MutationObserver(() => {
              if (document.querySelector(`[data-column="4"] .card.status-done[data-task-id="${id}"]`)) {
                obs.disconnect();
                resolve(performance.timeOrigin + performance.now());
              }
            });
            obs.observe(document.body, { subtree: true, childList: true, attributes: true });
          }),
        t.id,
      );
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
      const sent = Date.now();
      await conn.call({ type: 'task.done', taskId: t.id, summary: 'done elsewhere' });
      samples.push((await seen) - sent);
    }
    samples.sort((a, b) => a - b);
    figures.push(`event → DOM latency over ${samples.length} changes: median ${samples[Math.floor(samples.length / 2)]!.toFixed(0)} ms, max ${samples[samples.length - 1]!.toFixed(0)} ms (a change after a quiet spell is sent at once; bursts are batched per 25 ms)`);
    const rate = await page.locator('[data-health="rate"]').textContent();
    assert.ok(Number(rate) > 0, 'events/s shows the activity');
    assert.ok((await page.locator('.timeline li').count()) > 5);
  });

  it('keeps its place across a reload, and health counts what the stream showed', async () => {
    const agentId = (await conn.call({ type: 'agent.list' })) as { id: string; name: string }[];
    await conn.call({ type: 'agent.lifecycle', agent: agentId[2]!.id, action: 'stall', reason: 'no heartbeat for 120 s' });
    await page.waitForFunction(() => document.querySelector('[data-health="stalls"]')?.textContent === '1');
    const selected = await page.locator('.details-title').textContent();
    await page.locator('.viewport[data-column="4"]').evaluate((el) => (el.scrollTop = 6_400));
    await page.waitForTimeout(400); // the UI saves its state a moment after a change
    await page.reload();
    await page.waitForSelector('.details [data-for]');
    assert.equal(await page.locator('.details-title').textContent(), selected, 'the selected task is shown again');
    assert.equal(await page.locator('.viewport[data-column="4"]').evaluate((el) => el.scrollTop), 6_400, 'the column scroll is back');
    assert.equal(await page.locator('[data-health="stalls"]').textContent(), '1', 'counted once, not again after the re-sync');
    await page.screenshot({ path: path.join(shots, '05-after-reload.png') });
  });

  it('runs unchanged on the VS Code webview transport (postMessage, getState/setState)', async () => {
    // A stand-in for the webview: acquireVsCodeApi() posts into the same DashboardHost the panel
    // uses, and the page is styled with VS Code's theme variables (Dark Modern).
    const host = new DashboardHost({ open: async () => conn, boardDir: '/workspace/.dreamos' });
    const webview = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    webview.on('pageerror', (e) => assert.fail(`webview error: ${e.message}`));
    const client = host.attach((m) => void webview.evaluate((msg) => window.postMessage(msg, '*'), m as unknown).catch(() => undefined));
    let saved: unknown;
    await webview.exposeBinding('__toHost', (_src, m: unknown) => void client.receive(m));
    await webview.exposeBinding('__setState', (_src, s: unknown) => void (saved = s));
    const theme = '--vscode-font-family: system-ui; --vscode-font-size: 13px; --vscode-foreground: #cccccc; --vscode-editor-background: #1f1f1f; --vscode-sideBar-background: #181818; --vscode-editorWidget-background: #202020; --vscode-widget-border: #313131; --vscode-focusBorder: #0078d4; --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff; --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc; --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8; --vscode-list-activeSelectionBackground: #04395e; --vscode-descriptionForeground: #9d9d9d; --vscode-input-background: #313131; --vscode-input-foreground: #cccccc; --vscode-textLink-foreground: #4daafc; --vscode-charts-blue: #3794ff; --vscode-charts-orange: #d18616; --vscode-charts-green: #89d185; --vscode-errorForeground: #f85149';
    await webview.route('http://webview.test/**', (route) => {
      const url = new URL(route.request().url());
      if (url.pathname !== '/') return route.fulfill({ path: path.join(assets, path.basename(url.pathname)) });
      return route.fulfill({
        contentType: 'text/html',
        body: `<!DOCTYPE html><html lang="en" style="${theme}"><head><link rel="stylesheet" href="/dashboard.css"></head><body class="vscode-dark"><div id="app"></div>
<script>const saved = ${JSON.stringify(saved ?? null)}; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__toHost(m), getState: () => saved, setState: (s) => window.__setState(s) });</script>
<script src="/dashboard.js"></script></body></html>`,
      });
    });
    try {
      await webview.goto('http://webview.test/');
      await webview.waitForSelector('.card');
      assert.ok((await webview.locator('.card').count()) <= 300);
      await webview.locator('.viewport[data-column="2"] .card').first().click();
      await webview.waitForSelector('.details [data-for]');
      const title = await webview.locator('.details-title').textContent();
      await webview.waitForTimeout(400);
      await webview.reload();
      await webview.waitForSelector('.details [data-for]');
      assert.equal(await webview.locator('.details-title').textContent(), title, 'vscode.getState brought the selection back');
      assert.equal(await webview.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(31, 31, 31)', 'the editor theme wins');
      await webview.screenshot({ path: path.join(shots, '07-vscode-webview.png') });
    } finally {
      await webview.close();
      host.dispose();
    }
  });

  it('fits a narrow editor group', async () => {
    await page.setViewportSize({ width: 720, height: 900 });
    await page.waitForTimeout(100);
    assert.ok(await page.locator('.viewport[data-column="0"] .card').first().isVisible());
    assert.ok((await cards()) <= 300);
    await page.screenshot({ path: path.join(shots, '08-narrow.png') });
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('follows the colour scheme in a browser tab', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(30, 30, 30)');
    await page.screenshot({ path: path.join(shots, '06-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });
});
