/**
 * The dashboard bench (part of `npm run bench`): a real hub process with a board of N tasks on disk,
 * the real dashboard server as its client, the production (minified) UI bundle, Debian's Chromium.
 *
 *   first render  navigation start → the board's first frame on screen (the page's own marks:
 *                 `dreamos:first-render` once the cards are in the DOM, `dreamos:first-paint` once
 *                 that frame has been painted). "warm": the server has been up a moment (the usual
 *                 case: it prints a link, someone opens it); "cold": the browser navigates the
 *                 instant the server starts, so the board is read while the page loads.
 *   event → DOM   a board change (task.done through the hub, fsynced) → its card in the Done
 *                 column, seen by a MutationObserver in the page; p50 / p95 over BENCH_DASH_CHANGES.
 *   state size    bytes of the `state` message.
 *
 * Baselines, in the same run and the same browser:
 *   - a plain page that fetches the same cards in the previous protocol's shape (an array of card
 *     objects, read from the board per request, as the host did before the card table and the
 *     cache) and renders them as an ordinary, non-virtualised list;
 *   - a bare WebSocket push → DOM append, the floor under any live update on this machine.
 * Ratios are dashboard / baseline. Timings are printed, never asserted (house rule).
 *
 * Env: BENCH_DASH_SIZES=1000,10000  BENCH_DASH_RUNS=5 (warm loads per size)  BENCH_DASH_COLD=3
 *      BENCH_DASH_CHANGES=60  BENCH_RESULTS=<file> (JSON figures for bench/run.mjs's summary)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Task } from '../src/core/board/boardModel';
import { connectBoard, type BoardClient } from '../src/core/hub/connect';
import { readDescriptor } from '../src/core/hub/descriptor';
import { DashboardHost } from '../src/integrations/http/dashboardHost';
import { startDashboardServer, type DashboardServer } from '../src/integrations/http/dashboardServer';
import type { HostToClient } from '../src/protocol/dashboard';
import { populate, type MemoryConnection } from '../test/integration/dashboardServerHelpers';

const CHROMIUM = '/usr/bin/chromium';
const SIZES = (process.env.BENCH_DASH_SIZES ?? '1000,10000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_DASH_RUNS ?? 5);
const COLD = Number(process.env.BENCH_DASH_COLD ?? 3);
const CHANGES = Number(process.env.BENCH_DASH_CHANGES ?? 60);
const VIEWPORT = { width: 1440, height: 900 };
const root = path.resolve(__dirname, '..');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const median = (xs: number[]) => pct(xs, 50);
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : '-');
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : 'n/a');

export interface Figure {
  bench: string;
  name: string;
  value: number;
  unit: string;
  /** Pass when value ≤ target (≥ with `atLeast`). */
  target?: number;
  atLeast?: boolean;
  note?: string;
}
const figures: Figure[] = [];
function figure(f: Figure): void {
  figures.push(f);
  if (process.env.BENCH_RESULTS) appendFileSync(process.env.BENCH_RESULTS, `${JSON.stringify(f)}\n`);
}

// ---- the board: a hub process and a client connection, like `dreamos dashboard` next to an editor

async function startBoard(n: number): Promise<{ dir: string; hub: ChildProcess; client: BoardClient; tasks: Task[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-dash-bench-'));
  const hub = fork(path.join(__dirname, 'helpers', 'hub.ts'), [JSON.stringify({ dir })], { execArgv: ['--import', 'tsx'] });
  for (let i = 0; !readDescriptor(dir); i++) {
    if (i > 600) throw new Error('the bench hub did not start');
    await sleep(20);
  }
  // As a person: tasks are finished by hand here (an agent's "done" needs evidence of work).
  const client = await connectBoard({ dir, client: 'bench-dashboard', hubMode: 'never', actor: 'human:bench' });
  // populate() needs only call(): the same lived-in board the browser test uses.
  const { tasks } = await populate(client as unknown as MemoryConnection, n);
  return { dir, hub, client, tasks };
}

async function stopBoard(b: { dir: string; hub: ChildProcess; client: BoardClient }): Promise<void> {
  await b.client.close();
  const exited = new Promise((r) => b.hub.once('exit', r));
  b.hub.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  rmSync(b.dir, { recursive: true, force: true });
}

/** The UI exactly as shipped: esbuild.mjs's webview settings with --production's minify. */
async function buildAssets(): Promise<string> {
  const esbuild = await import('esbuild');
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-dash-bench-assets-'));
  await esbuild.build({
    entryPoints: { dashboard: path.join(root, 'webview-ui/src/main.ts') },
    outdir,
    bundle: true,
    minify: true,
    platform: 'browser',
    target: ['chrome114'],
    format: 'iife',
    loader: { '.css': 'css' },
    legalComments: 'none',
    logLevel: 'error',
  });
  return outdir;
}

// ---- measuring a page load

interface Load {
  /** Cards in the DOM (ms after navigation start). */
  dom: number;
  /** That frame painted. */
  paint: number;
  state: number;
  cards: number;
}

/**
 * Loads `url` in a fresh context and reads the page's marks. Nothing runs in the page until the
 * marks are expected (Playwright's helpers cost a few ms of the page's time each).
 */
async function measureLoad(page: Page, url: string, marks: [dom: string, paint: string, state: string], selector: string): Promise<Load> {
  await page.goto(url, { waitUntil: 'load' });
  await sleep(700);
  const read = `(() => { const t = (n) => { const e = performance.getEntriesByName(n)[0]; return e ? e.startTime : -1; }; return { dom: t(${JSON.stringify(marks[0])}), paint: t(${JSON.stringify(marks[1])}), state: t(${JSON.stringify(marks[2])}), cards: document.querySelectorAll(${JSON.stringify(selector)}).length }; })()`;
  for (let i = 0; ; i++) {
    const r = (await page.evaluate(read)) as Load;
    if (r.paint >= 0) return r;
    if (i > 300) throw new Error(`${url}: no ${marks[1]} mark after 30 s`);
    await sleep(100);
  }
}

async function dashboardLoad(browser: Browser, url: () => string): Promise<Load> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
  try {
    return await measureLoad(page, url(), ['dreamos:first-render', 'dreamos:first-paint', 'dreamos:state-received'], '.card');
  } finally {
    await page.close();
  }
}

// ---- the baseline: the previous payload, rendered plainly

/** A card as the previous protocol sent it in `state` (the full list, objects). */
function legacyCard(t: Task) {
  return {
    id: t.id,
    title: t.title,
    status: t.status,
    priority: t.priority,
    kind: t.kind,
    assignee: t.assignee,
    attempts: t.attempts,
    maxAttempts: t.maxAttempts,
    tags: t.tags,
    dependsOn: t.dependsOn,
    leaseExpiresAt: t.lease?.expiresAt ?? null,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

const BASELINE_HTML = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>baseline</title>
<style>body{font:13px system-ui;margin:0}.c{border:1px solid #ccc;border-left:3px solid #36f;border-radius:4px;margin:4px 6px;padding:5px 8px}.t{font-weight:600}.m{font-size:.88em;color:#666}</style>
</head><body><div id="app">Loading…</div><script src="/baseline.js"></script></body></html>`;

// Plain DOM, no framework, no virtualisation: every card is an element.
const BASELINE_JS = `
performance.mark('baseline:start');
const ws = new WebSocket('ws://' + location.host + '/ws');
ws.onmessage = (ev) => { const d = document.createElement('div'); d.className = 'push'; d.dataset.id = ev.data; document.body.append(d); };
fetch('/cards').then((r) => r.json()).then((cards) => {
  performance.mark('baseline:state');
  const app = document.getElementById('app');
  const f = document.createDocumentFragment();
  for (const c of cards) {
    const el = document.createElement('div');
    el.className = 'c';
    const t = document.createElement('div'); t.className = 't'; t.textContent = c.title;
    const m = document.createElement('div'); m.className = 'm'; m.textContent = c.status + ' · ' + ['low','normal','high','critical'][c.priority] + ' · ' + c.kind + (c.assignee ? ' · @' + c.assignee : '');
    el.append(t, m);
    f.append(el);
  }
  app.replaceChildren(f);
  performance.mark('baseline:dom');
  requestAnimationFrame(() => setTimeout(() => performance.mark('baseline:paint'), 0));
});`;

interface Baseline {
  url: string;
  push(id: string): void;
  close(): Promise<void>;
}

async function startBaseline(client: BoardClient): Promise<Baseline> {
  const sockets = new Set<WebSocket>();
  const server: Server = createServer((req, res) => {
    if (req.url === '/') return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(BASELINE_HTML);
    if (req.url === '/baseline.js') return void res.writeHead(200, { 'Content-Type': 'application/javascript' }).end(BASELINE_JS);
    if (req.url === '/cards') {
      void client.call<Task[]>({ type: 'task.list' }).then((tasks) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(tasks.map(legacyCard))));
      return;
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    push: (id) => sockets.forEach((s) => s.send(id)),
    async close() {
      for (const s of sockets) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

// ---- live updates

/** Resolves (in the page's wall-clock ms) when `selector` first matches. Installed before the change. */
function watchFor(page: Page, selector: string): Promise<number> {
  return page.evaluate(
    `new Promise((resolve) => { const obs = new MutationObserver(() => { if (document.querySelector(${JSON.stringify(selector)})) { obs.disconnect(); resolve(performance.timeOrigin + performance.now()); } }); obs.observe(document.body, { subtree: true, childList: true, attributes: true }); })`,
  ) as Promise<number>;
}
const nextFrame = (page: Page) => page.evaluate('new Promise((r) => requestAnimationFrame(() => r(0)))');

async function eventLatencies(page: Page, client: BoardClient, ids: string[]): Promise<{ dom: number[]; ack: number[] }> {
  const dom: number[] = [];
  const ack: number[] = [];
  for (const id of ids) {
    const seen = watchFor(page, `[data-column="4"] .card.status-done[data-task-id="${id}"]`);
    await nextFrame(page);
    const sent = Date.now();
    await client.call({ type: 'task.done', taskId: id, summary: 'done elsewhere' });
    ack.push(Date.now() - sent);
    dom.push((await seen) - sent);
    await sleep(20); // the next change does not land in the same batch
  }
  return { dom, ack };
}

async function pushLatencies(page: Page, baseline: Baseline, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = `push-${i}`;
    const seen = watchFor(page, `.push[data-id="${id}"]`);
    await nextFrame(page);
    const sent = Date.now();
    baseline.push(id);
    out.push((await seen) - sent);
    await sleep(20);
  }
  return out;
}

// ---- one board size

async function benchSize(browser: Browser, assets: string, n: number): Promise<void> {
  const started = Date.now();
  const board = await startBoard(n);
  const { client, tasks } = board;
  console.log(`\nN = ${n.toLocaleString('en')} tasks (board seeded through the hub in ${((Date.now() - started) / 1000).toFixed(1)} s; load ${load()})`);
  const baseline = await startBaseline(client);
  try {
    // State size, and what one (re)load costs the host: a fresh host reads the board, a warm one does not.
    const host = new DashboardHost({ open: async () => client, boardDir: '/bench/.dreamos' });
    const stateOf = async () => {
      const t0 = performance.now();
      const m = await new Promise<HostToClient>((resolve) => {
        const c = host.attach((msg) => (c.detach(), resolve(msg)));
        void c.receive({ type: 'ready' });
      });
      return { bytes: Buffer.byteLength(JSON.stringify(m)), ms: performance.now() - t0 };
    };
    const coldState = await stateOf();
    const warmState = await stateOf();
    host.dispose();
    const legacyBytes = Buffer.byteLength(JSON.stringify((await client.call<Task[]>({ type: 'task.list' })).map(legacyCard)));

    // First render, cold: the browser navigates as the server starts (the board is read meanwhile).
    const cold: Load[] = [];
    for (let i = 0; i < COLD; i++) {
      const page = await browser.newPage({ viewport: VIEWPORT });
      const server = await startDashboardServer({ connection: client, assetsDir: assets, boardDir: '/bench/.dreamos' });
      try {
        cold.push(await measureLoad(page, server.url, ['dreamos:first-render', 'dreamos:first-paint', 'dreamos:state-received'], '.card'));
      } finally {
        await page.close();
        await server.close();
      }
    }

    // First render, warm, interleaved with the baseline so both see the same machine.
    const server: DashboardServer = await startDashboardServer({ connection: client, assetsDir: assets, boardDir: '/bench/.dreamos' });
    const warm: Load[] = [];
    const plain: Load[] = [];
    try {
      await sleep(500);
      for (let i = 0; i < RUNS; i++) {
        warm.push(await dashboardLoad(browser, () => server.loginUrl()));
        const page = await browser.newPage({ viewport: VIEWPORT });
        try {
          plain.push(await measureLoad(page, baseline.url, ['baseline:dom', 'baseline:paint', 'baseline:state'], '.c'));
        } finally {
          await page.close();
        }
      }

      // Live updates: ready tasks marked done by "another agent", one at a time.
      const page = await browser.newPage({ viewport: VIEWPORT });
      await page.goto(server.loginUrl());
      await page.waitForSelector('.card');
      const ready = tasks.slice(Math.floor(n / 2), Math.floor(n / 2) + CHANGES).map((t) => t.id);
      const events = await eventLatencies(page, client, ready);
      const inDom = await page.evaluate('document.querySelectorAll(".card").length');
      await page.close();
      const bare = await browser.newPage({ viewport: VIEWPORT });
      await bare.goto(baseline.url);
      await bare.waitForFunction('performance.getEntriesByName("baseline:paint").length > 0', undefined, { timeout: 60_000 });
      const pushes = await pushLatencies(bare, baseline, CHANGES);
      await bare.close();

      const w = { dom: median(warm.map((l) => l.dom)), paint: median(warm.map((l) => l.paint)), state: median(warm.map((l) => l.state)) };
      const c = { dom: median(cold.map((l) => l.dom)), paint: median(cold.map((l) => l.paint)), state: median(cold.map((l) => l.state)) };
      const b = { dom: median(plain.map((l) => l.dom)), paint: median(plain.map((l) => l.paint)), state: median(plain.map((l) => l.state)) };
      const row = (label: string, x: { state: number; dom: number; paint: number }, extra = '') =>
        console.log(`  ${label.padEnd(44)} ${ms(x.state).padStart(8)} ${ms(x.dom).padStart(8)} ${ms(x.paint).padStart(8)}${extra}`);
      console.log(`  first render (median; ms after navigation start)  ${'state'.padStart(8)} ${'in DOM'.padStart(8)} ${'painted'.padStart(8)}`);
      row(`dashboard, server warm (${warm.length} loads)`, w, `   all painted: ${warm.map((l) => l.paint.toFixed(0)).join(', ')}; ${warm[0]?.cards} cards in the DOM`);
      row(`dashboard, server cold (${cold.length} loads)`, c, `   all painted: ${cold.map((l) => l.paint.toFixed(0)).join(', ')}`);
      row(`baseline: previous payload, plain list (${plain.length})`, b, `   ${plain[0]?.cards} cards in the DOM`);
      console.log(`  ratios (painted): warm/baseline ${ratio(w.paint, b.paint)}, cold/baseline ${ratio(c.paint, b.paint)}`);
      console.log(
        `  state message: ${(coldState.bytes / 1e3).toFixed(0)} kB; previous protocol's cards alone: ${(legacyBytes / 1e3).toFixed(0)} kB; ratio ${ratio(coldState.bytes, legacyBytes)}` +
          `   (host: ready → state ${ms(coldState.ms)} reading the board, ${warmState.ms.toFixed(1)} ms from its cache)`,
      );
      const ep50 = pct(events.dom, 50);
      const ep95 = pct(events.dom, 95);
      const bp50 = pct(pushes, 50);
      const bp95 = pct(pushes, 95);
      console.log(
        `  event → DOM over ${events.dom.length} changes: p50 ${ms(ep50)}, p95 ${ms(ep95)}, max ${ms(Math.max(...events.dom))}` +
          `  (hub ack p50 ${ms(pct(events.ack, 50))}; a lone change goes out at once, bursts are batched per 25 ms; ${inDom} cards in the DOM)`,
      );
      console.log(`  baseline: bare WebSocket push → DOM: p50 ${ms(bp50)}, p95 ${ms(bp95)}; ratios p50 ${ratio(ep50, bp50)}, p95 ${ratio(ep95, bp95)}`);
      console.log(`  load average now: ${load()}`);

      const tag = `${n / 1000}k`;
      const main = n === 10_000;
      figure({ bench: 'dashboard', name: `first render ${tag}, server warm (painted, median)`, value: w.paint, unit: 'ms', ...(main ? { target: 300 } : {}), note: `baseline ${ratio(w.paint, b.paint)}` });
      figure({ bench: 'dashboard', name: `first render ${tag}, server cold (painted, median)`, value: c.paint, unit: 'ms', ...(main ? { target: 300 } : {}), note: `baseline ${ratio(c.paint, b.paint)}` });
      figure({ bench: 'dashboard', name: `event → DOM p95, ${tag}`, value: ep95, unit: 'ms', target: 100, note: `p50 ${ep50.toFixed(0)} ms; bare push ${ratio(ep95, bp95)}` });
      figure({ bench: 'dashboard', name: `state message, ${tag}`, value: coldState.bytes / 1e3, unit: 'kB', note: `previous ${ratio(coldState.bytes, legacyBytes)}` });
    } finally {
      await server.close();
    }
  } finally {
    await baseline.close();
    await stopBoard(board);
  }
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`dashboard bench skipped: no ${CHROMIUM}`);
    return;
  }
  console.log(`Dream.OS dashboard bench: real hub process, real server, production UI bundle, Chromium ${VIEWPORT.width}×${VIEWPORT.height}; ${os.cpus().length} cores, node ${process.version}, load ${load()}`);
  const assets = await buildAssets();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    for (const n of SIZES) await benchSize(browser, assets, n);
  } finally {
    await browser.close();
    rmSync(assets, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
