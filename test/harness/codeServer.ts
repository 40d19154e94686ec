// Runs the extension inside a real editor on machines that cannot download desktop VS Code:
// code-server (from the npm registry) serves the same workbench and Node extension host, and
// Chromium (Debian's, driven by playwright-core) plays the window. See
// shared/recipes/real-editor-tests.md for why each step is the way it is.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { codeServerNode, ensureCodeServer } from './installCodeServer';
import { stopGroup, trackGroup } from './processes';

export { CODE_SERVER_CURRENT, CODE_SERVER_VERSION, cacheRoot, codeServerNode, ensureCodeServer } from './installCodeServer';
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const TEST_OUTPUT = path.join(REPO_ROOT, 'test-output');
const CHROMIUM = process.env.DREAMOS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', // CI runs as root, where Chromium's sandbox refuses to start.
  '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
];

// The workbench asks the extension gallery about the extension under development; offline that fails, harmlessly.
const OFFLINE_NOISE = /open-vsx\.org/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Starting and stopping code-server.

export interface CodeServerOptions {
  workspace: string;
  userDataDir?: string;
  extensionsDir?: string;
  settings?: Record<string, unknown>;
  /** `true` for a random password, a string for that password; default: no authentication. */
  password?: boolean | string;
  host?: string;
  port?: number;
  /** Echo code-server's own output (it always goes to <userDataDir>/code-server.log). */
  verbose?: boolean;
  /** Which code-server (default CODE_SERVER_VERSION, the oldest supported editor). */
  version?: string;
}

export interface CodeServer {
  url: string;
  port: number;
  password?: string;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  stop(): Promise<void>;
}

const BASE_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'workbench.startupEditor': 'none', // no Welcome tab stealing focus from the journey
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
};

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const entry = await ensureCodeServer(opts.version);
  const node = await codeServerNode(opts.version);
  const made: string[] = []; // temp folders this call created, removed again by stop()
  const temp = (prefix: string) => { const d = mkdtempSync(path.join(os.tmpdir(), prefix)); made.push(d); return d; };
  const userDataDir = opts.userDataDir ?? temp('dreamos-ud-');
  const extensionsDir = opts.extensionsDir ?? temp('dreamos-ext-');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...BASE_SETTINGS, ...opts.settings }, null, 2));
  const host = opts.host ?? '127.0.0.1';
  const password = opts.password === true ? randomBytes(12).toString('base64url') : opts.password || undefined;
  const logFile = path.join(userDataDir, 'code-server.log');
  const env: NodeJS.ProcessEnv = { ...process.env, ...(password ? { PASSWORD: password } : {}) };
  delete env.VSCODE_IPC_HOOK_CLI; // started from a VS Code terminal, code-server would talk to that editor instead
  // A built workbench (VS Code 1.10x+) reads the extension-development payload only with the smoke-test
  // driver on; code-server 4.139 passes VS Code options through VSCODE_OPTIONS (4.96 reads the payload anyway).
  env.VSCODE_OPTIONS = [env.VSCODE_OPTIONS, 'enable-smoke-test-driver'].filter(Boolean).join(' ');
  // A free port can be taken between probing and binding: try again with another one.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? await freePort(host);
    const args = [
      entry, '--bind-addr', `${host}:${port}`, '--auth', password ? 'password' : 'none',
      // Its own config file: otherwise code-server writes ~/.config/code-server/config.yaml.
      '--config', path.join(userDataDir, 'config.yaml'),
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--ignore-last-opened',
      '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, opts.workspace,
    ];
    // detached: its own process group, so stop() also takes the extension host, pty host and watchers.
    const child = spawn(node, args, { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
    trackGroup(child);
    const log = createWriteStream(logFile);
    let tail = '';
    const onOut = (c: Buffer) => { log.write(c); tail = (tail + c.toString()).slice(-4000); if (opts.verbose) process.stdout.write(c); };
    child.stdout!.on('data', onOut);
    child.stderr!.on('data', onOut);
    const url = `http://${host}:${port}`;
    const stop = async () => {
      await stopGroup(child);
      for (const d of made) rmSync(d, { recursive: true, force: true });
    };
    try {
      await waitForHttp(`${url}/healthz`, child, 60_000);
      return { url, port, password, userDataDir, extensionsDir, logFile, stop };
    } catch (err) {
      await stopGroup(child);
      if (/EADDRINUSE/.test(tail) && opts.port === undefined && attempt < 3) continue;
      await stop();
      throw new Error(`code-server did not start: ${(err as Error).message}\nIts output:\n${tail}`);
    }
  }
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status < 500) return;
    } catch { /* not listening yet */ }
    await sleep(250);
  }
  throw new Error(`no answer from ${url} within ${timeoutMs} ms`);
}

/** Installs a packaged .vsix the way a user does, offline. */
export async function installVsix(vsixPath: string, extensionsDir: string, userDataDir: string, version?: string): Promise<void> {
  const entry = await ensureCodeServer(version);
  const node = await codeServerNode(version);
  mkdirSync(extensionsDir, { recursive: true });
  const res = spawnSync(node, [entry, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
    '--config', path.join(userDataDir, 'config.yaml'), '--install-extension', path.resolve(vsixPath), '--force'],
  { encoding: 'utf8', timeout: 120_000 });
  const out = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (res.status !== 0 || !/successfully installed/i.test(out)) {
    throw new Error(`code-server --install-extension ${vsixPath} failed (exit ${res.status}):\n${out}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Driving the workbench in Chromium.

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found. Run: node scripts/ensure-system-deps.mjs`);
  // Headed under Xvfb on request (DREAMOS_HEADED=1), headless otherwise.
  return chromium.launch({ executablePath: CHROMIUM, headless: !process.env.DREAMOS_HEADED, args: CHROMIUM_ARGS });
}

function workbenchUrl(server: CodeServer, workspace: string, payload?: [string, string][], noFolder = false): string {
  // ew: code-server's empty window (no folder, and no redirect to the one it was started with).
  const params = new URLSearchParams(noFolder ? { ew: 'true' } : { folder: path.resolve(workspace) });
  if (payload) params.set('payload', JSON.stringify(payload));
  return `${server.url}/?${params.toString()}`;
}

export interface ExtensionTestOptions {
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  workspace: string;
  timeoutMs?: number;
  settings?: Record<string, unknown>;
  /** Which code-server (default: the oldest supported). */
  version?: string;
  /**
   * Packaged extensions (.vsix) installed beside the one under test, e.g. a scripted model
   * provider: the remote extension host loads one extension in development mode only.
   */
  install?: string[];
  /**
   * Where a suite's screenshots go: a test logs `[screenshot] <name>` and the harness saves the
   * window as <dir>/<name>.png while the test waits (what a person would see at that moment).
   */
  screenshotDir?: string;
  /** Open the window with no folder (what a person sees before opening one). */
  noFolder?: boolean;
}

/**
 * Runs an @vscode/test-electron style suite (a module exporting `run()`) in code-server's Node
 * extension host, the extension loaded in development mode. Returns the suite's exit code.
 */
export async function runExtensionTests(opts: ExtensionTestOptions): Promise<number> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  let dirs: { userDataDir: string; extensionsDir: string } | undefined;
  if (opts.install?.length) {
    dirs = { userDataDir: mkdtempSync(path.join(os.tmpdir(), 'dreamos-ud-')), extensionsDir: mkdtempSync(path.join(os.tmpdir(), 'dreamos-ext-')) };
    for (const vsix of opts.install) await installVsix(vsix, dirs.extensionsDir, dirs.userDataDir, opts.version);
  }
  const server = await startCodeServer({ workspace: opts.workspace, settings: opts.settings, ...(opts.version ? { version: opts.version } : {}), ...dirs });
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${path.resolve(p)}`;
    const payload: [string, string][] = [
      ['extensionDevelopmentPath', remote(opts.extensionDevelopmentPath)],
      ['extensionTestsPath', remote(opts.extensionTestsPath)],
    ];
    let exit!: (code: number) => void;
    const exited = new Promise<number>((r) => { exit = r; });
    // The workbench calls these when it runs extension tests: both must exist before it loads.
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const line = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      if (OFFLINE_NOISE.test(line)) return;
      const shot = /^\[screenshot\] ([\w-]{1,80})$/.exec(line.trim());
      if (shot && opts.screenshotDir) {
        mkdirSync(opts.screenshotDir, { recursive: true });
        void page.screenshot({ path: path.join(opts.screenshotDir, `${shot[1]}.png`) }).catch(() => undefined);
      }
      (type === 'error' ? process.stderr : process.stdout).write(`[editor:${type}] ${line}\n`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => exit(Number(code)));
    page.on('pageerror', (err) => process.stderr.write(`[workbench] ${err.message}\n`));
    await page.goto(workbenchUrl(server, opts.workspace, payload, opts.noFolder));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
    const result = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      mkdirSync(TEST_OUTPUT, { recursive: true });
      const shot = path.join(TEST_OUTPUT, 'extension-tests-timeout.png');
      await page.screenshot({ path: shot }).catch(() => undefined);
      const log = path.join(TEST_OUTPUT, 'extension-tests-timeout.code-server.log'); // its folder goes with stop()
      copyFileSync(server.logFile, log);
      throw new Error(`extension tests did not finish within ${timeoutMs} ms (screenshot: ${shot}, code-server log: ${log})`);
    }
    return result;
  } finally {
    await browser?.close().catch(() => undefined);
    await server.stop();
    if (dirs) for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
  }
}

export interface Workbench {
  page: Page;
  browser: Browser;
  server: CodeServer;
  close(): Promise<void>;
}

/** Opens the workbench on a workspace folder, for UI journeys; resolves once it has rendered. */
export async function openWorkbench(opts: CodeServerOptions & { viewport?: { width: number; height: number } }): Promise<Workbench> {
  const server = await startCodeServer(opts);
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
    page.on('pageerror', (err) => process.stderr.write(`[workbench] ${err.message}\n`));
    if (server.password) {
      await page.goto(`${server.url}/login`);
      await page.fill('input[type=password]', server.password);
      // Wait for the redirect: it is what sets the session cookie the workbench needs.
      await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/login')), page.press('input[type=password]', 'Enter')]);
    }
    await page.goto(workbenchUrl(server, opts.workspace));
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    // The activity bar appears once the workbench's parts are laid out: a sturdier "ready" sign.
    await page.locator('.part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
    const b = browser;
    return { page, browser: b, server, close: async () => { await b.close().catch(() => undefined); await server.stop(); } };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await server.stop();
    throw err;
  }
}
