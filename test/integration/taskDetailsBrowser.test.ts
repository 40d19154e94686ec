/**
 * A task's details as a person reads them, in Debian's Chromium: the editor's details view (the
 * details page bundle, webview-ui/src/detailsPage.ts) and the dashboard's details pane, over the
 * real DashboardHost through a stand-in of the webview API (postMessage), on a real 300-task board with an agent's run on it. Names,
 * not ids; the run's transcript and tokens; the actions that apply. Screenshots in light and dark
 * go to test-output/details/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Agent, Task } from '../../src/core/board/boardModel';
import type { RunRecord } from '../../src/core/runs/runModel';
import { DashboardHost } from '../../src/integrations/http/dashboardHost';
import { buildDashboardAssets, memoryConnection, populate, type MemoryConnection } from './dashboardServerHelpers';

const CHROMIUM = '/usr/bin/chromium';
const shots = path.resolve(__dirname, '../../test-output/details');
/** VS Code's Light Modern and Dark Modern colours, as a webview gets them. */
const THEMES = {
  light: '--vscode-font-family: system-ui; --vscode-font-size: 13px; --vscode-foreground: #3b3b3b; --vscode-editor-background: #ffffff; --vscode-sideBar-background: #f8f8f8; --vscode-editorWidget-background: #f8f8f8; --vscode-widget-border: #e5e5e5; --vscode-focusBorder: #005fb8; --vscode-button-background: #005fb8; --vscode-button-foreground: #ffffff; --vscode-button-secondaryBackground: #e5e5e5; --vscode-button-secondaryForeground: #3b3b3b; --vscode-badge-background: #cccccc; --vscode-badge-foreground: #3b3b3b; --vscode-descriptionForeground: #3b3b3b; --vscode-input-background: #ffffff; --vscode-input-foreground: #3b3b3b; --vscode-input-border: #cecece; --vscode-textLink-foreground: #005fb8; --vscode-charts-blue: #1a85ff; --vscode-charts-orange: #d18616; --vscode-charts-green: #388a34; --vscode-errorForeground: #f85149',
  dark: '--vscode-font-family: system-ui; --vscode-font-size: 13px; --vscode-foreground: #cccccc; --vscode-editor-background: #1f1f1f; --vscode-sideBar-background: #181818; --vscode-editorWidget-background: #202020; --vscode-widget-border: #313131; --vscode-focusBorder: #0078d4; --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff; --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc; --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8; --vscode-descriptionForeground: #9d9d9d; --vscode-input-background: #313131; --vscode-input-foreground: #cccccc; --vscode-textLink-foreground: #4daafc; --vscode-charts-blue: #3794ff; --vscode-charts-orange: #d18616; --vscode-charts-green: #89d185; --vscode-errorForeground: #f85149',
};

describe('task details in Chromium', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}` }, () => {
  let conn: MemoryConnection;
  let host: DashboardHost;
  let assets: string;
  let browser: Browser;
  let page: Page;
  let tasks: Task[];
  let agents: Agent[];

  before(async () => {
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    assets = await buildDashboardAssets();
    conn = await memoryConnection('human');
    ({ tasks, agents } = await populate(conn, 300));
    // The first task went to review by claude-1; give it a run with a transcript, as the loop host records one.
    const run = (await conn.call({ type: 'run.start', taskId: tasks[0]!.id, agentId: agents[0]!.id, run: 1, protocol: 'claude' })) as RunRecord;
    await conn.call({
      type: 'run.append',
      runId: run.id,
      events: [
        { t: 'session', id: 'sess-1' },
        { t: 'message', text: 'Reading the parser and its tests.' },
        { t: 'tool', name: 'Edit', target: 'src/parser.ts' },
        { t: 'edit', file: 'src/parser.ts' },
        { t: 'result', ok: true, text: 'Fixed the parser; 42 tests pass.', tokens: { input: 1200, output: 340, cached: 0 }, costUsd: 0.0123 },
      ],
    });
    await conn.call({ type: 'run.end', runId: run.id, status: 'succeeded' });
    // The editor's details view is a webview: a stand-in acquireVsCodeApi() posts into a real DashboardHost, as the panel does.
    host = new DashboardHost({ open: async () => conn, boardDir: '/workspace/.dreamos' });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1000, height: 1000 } });
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    const client = host.attach((m) => void page.evaluate((msg) => window.postMessage(msg, '*'), m as unknown).catch(() => undefined));
    await page.exposeBinding('__toHost', (_src, m: unknown) => void client.receive(m));
    await page.route('http://webview.test/**', (route) => {
      const url = new URL(route.request().url());
      if (url.pathname !== '/') return route.fulfill({ path: path.join(assets, path.basename(url.pathname)) });
      const theme = THEMES[url.searchParams.get('theme') === 'dark' ? 'dark' : 'light'];
      const bundle = url.searchParams.get('page') === 'dashboard' ? 'dashboard' : 'details';
      return route.fulfill({
        contentType: 'text/html',
        body: `<!DOCTYPE html><html lang="en" style="${theme}"><head><link rel="stylesheet" href="/${bundle}.css"></head><body><div id="app" data-task="${url.searchParams.get('task')}" data-at="1"></div>
<script>window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__toHost(m), getState: () => null, setState: () => undefined });</script>
<script src="/${bundle}.js"></script></body></html>`,
      });
    });
  });

  after(async () => {
    await browser?.close();
    host?.dispose();
    conn?.close();
    if (assets) rmSync(assets, { recursive: true, force: true });
  });

  const text = async (sel: string) => ((await page.locator(sel).first().textContent()) ?? '').replace(/\s+/g, ' ');

  it('the details view shows a task with names, its run transcript, tokens and cost, and the actions that apply', async () => {
    await page.goto(`http://webview.test/?task=${tasks[0]!.id}`);
    await page.waitForSelector(`.details [data-for="${tasks[0]!.id}"]`);
    const all = await text('.details');
    assert.match(await text('.details-title'), new RegExp(tasks[0]!.title.replace(/[#]/g, '.')));
    assert.match(all, /Assignee\s*claude-1|Assigneeclaude-1/, 'the owner by name');
    assert.doesNotMatch(all, /agt_[0-9a-f]{12}/, 'no agent ids anywhere a person reads');
    assert.match(all, /by claude-1/, 'history says who, by name');
    assert.match(all, /by you/, 'the person is "you"');
    assert.match(all, /Run 1 by claude-1/);
    assert.match(all, /1,200 in \/ 340 out tokens, \$0\.0123/, 'tokens and cost');
    assert.match(await text('.transcript'), /Reading the parser.*→ Edit src\/parser\.ts.*edited src\/parser\.ts.*Fixed the parser; 42 tests pass\./);
    assert.match(all, /42 passed/, 'evidence');
    assert.match(all, /Depends on/, 'dependencies');
    assert.equal(await page.locator('.details button[aria-label^="Close details"]').count(), 0, 'a page of its own has nothing to close');
    assert.ok(await page.getByRole('button', { name: /^Mark done/ }).isVisible(), 'review → done applies');
    assert.equal(await page.getByRole('button', { name: /^Retry|^Unblock/ }).count(), 0, 'retry does not apply to a task in review');
    await page.screenshot({ path: path.join(shots, 'details-view-light.png'), fullPage: true });
    await page.goto(`http://webview.test/?task=${tasks[0]!.id}&theme=dark`);
    await page.waitForSelector(`.details [data-for="${tasks[0]!.id}"] ~ *, .details .runs`);
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(31, 31, 31)', 'the editor theme wins');
    await page.screenshot({ path: path.join(shots, 'details-view-dark.png'), fullPage: true });
  });

  it('an action in the view changes the task, and the view follows', async () => {
    await page.getByLabel('What was done').fill('Looked at it: fine');
    await page.getByRole('button', { name: /^Mark done/ }).click();
    await page.waitForFunction(() => /Status\s*done/.test(document.querySelector('.facts')?.textContent ?? ''));
    const shown = (await conn.call({ type: 'task.show', taskId: tasks[0]!.id })) as { task: Task };
    assert.equal(shown.task.status, 'done');
    assert.equal(shown.task.resultSummary, 'Looked at it: fine');
    assert.ok(await page.getByRole('button', { name: /^Reopen/ }).isVisible(), 'a done task offers Reopen');
  });

  it('a dependency link moves the view to that task', async () => {
    await page.locator('.details .links button').first().click();
    await page.waitForFunction((id) => document.querySelector('.details [data-for]')?.getAttribute('data-for') !== id, tasks[0]!.id);
    // The new task's title shows at once and its details ("Loading…") a moment later: wait for them.
    await page.waitForFunction(() => !/Loading…/.test(document.querySelector('.details')?.textContent ?? ''), undefined, { timeout: 10_000 }).catch(() => undefined);
    assert.match(await text('.details'), /Needed by/);
  });

  it('the dashboard at 300 tasks names agents, not ids, in light and dark', async () => {
    for (const theme of ['light', 'dark'] as const) {
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.goto(`http://webview.test/?page=dashboard&theme=${theme}`);
      await page.waitForSelector('.card');
      await page.waitForSelector('.timeline li button');
      assert.match(await text('.summary'), /300 tasks/);
      assert.doesNotMatch(await text('.timeline'), /agt_[0-9a-f]{12}/, 'the activity feed names agents');
      assert.doesNotMatch(await text('.agents'), /agt_[0-9a-f]{12}|loop_/, 'agent cards name agents and swarms');
      await page.screenshot({ path: path.join(shots, `dashboard-300-${theme}.png`) });
    }
  });
});
