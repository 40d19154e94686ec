/**
 * A private X display for desktop-automation tests: Xvfb on a display number it picks itself
 * (`-displayfd`, so parallel test files never collide) plus openbox (without a window manager
 * nut-js getActiveWindow dies with BadWindow and focus requests go nowhere). A missing package
 * fails the test with the apt-get line; nothing is skipped silently.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface XDisplay {
  /** ":93" */
  readonly display: string;
  readonly width: number;
  readonly height: number;
  /** Environment for child processes that must use this display (and no other). */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const NEEDED = { Xvfb: 'xvfb', openbox: 'openbox', xprop: 'x11-utils' } as const;

/** Throws with the exact install command when a program is missing. */
export function requireX11Tools(extra: Record<string, string> = {}): void {
  const all: Record<string, string> = { ...NEEDED, ...extra };
  const missing = Object.entries(all).filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status !== 0);
  if (missing.length) {
    const pkgs = [...new Set(missing.map(([, p]) => p))].join(' ');
    throw new Error(`Desktop tests need ${missing.map(([c]) => c).join(', ')}. Install them: sudo apt-get install -y ${pkgs} (or run: node scripts/ensure-system-deps.mjs)`);
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export interface XDisplayOptions {
  width?: number;
  height?: number;
  /**
   * This process loads nut-js (libnut keeps an Xlib connection and closes it at exit; if the
   * server is gone by then, Xlib's I/O error handler turns the exit code into 1). Then stop()
   * leaves the server to the watchdog, which ends it right after this process exits.
   */
  nutInProcess?: boolean;
}

/** Starts Xvfb + openbox; resolves once the window manager has announced itself on the root window. */
export async function startXDisplay(opts: XDisplayOptions = {}): Promise<XDisplay> {
  requireX11Tools();
  const width = opts.width ?? 1280;
  const height = opts.height ?? 800;
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '-noreset'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  xvfb.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const number = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`Xvfb did not report a display within 10 s:\n${stderr}`)), 10_000);
    (xvfb.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(t);
        resolve(out.trim());
      }
    });
    xvfb.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`Xvfb exited (${code}) before it was ready:\n${stderr}`));
    });
  });
  const display = `:${number}`;
  // Only this display: no session bus, no Wayland, a fresh openbox config home.
  const home = mkdtempSync(path.join(os.tmpdir(), 'dreamos-x-'));
  const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: display, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache') };
  delete env.WAYLAND_DISPLAY;
  delete env.DBUS_SESSION_BUS_ADDRESS;
  const wm = spawn('openbox', ['--sm-disable'], { env, stdio: 'ignore' });
  // A watchdog ends the server and the window manager when this process exits, however it exits
  // (a crashed or killed test leaves no Xvfb behind).
  const watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.2; done; kill ${wm.pid} ${xvfb.pid} 2>/dev/null; rm -rf '${home}'`], { detached: true, stdio: 'ignore' });
  watchdog.unref();
  const until = Date.now() + 10_000;
  for (;;) {
    const r = spawnSync('xprop', ['-root', '_NET_SUPPORTING_WM_CHECK'], { env, encoding: 'utf8' });
    if (r.status === 0 && /window id #/.test(r.stdout)) break;
    if (wm.exitCode !== null) throw new Error(`openbox exited (${wm.exitCode}) on ${display}`);
    if (Date.now() > until) throw new Error(`openbox did not take over ${display} within 10 s`);
    await new Promise((r2) => setTimeout(r2, 50));
  }
  let stopped = false;
  return {
    display,
    width,
    height,
    env,
    async stop() {
      if (stopped) return;
      stopped = true;
      wm.kill('SIGTERM');
      await waitExit(wm, 3_000);
      if (opts.nutInProcess) {
        // Keep the server for libnut's close at exit; the watchdog ends it then.
        xvfb.unref();
        (xvfb.stdio[2] as NodeJS.ReadableStream & { unref?(): void })?.unref?.();
        (xvfb.stdio[3] as NodeJS.ReadableStream & { unref?(): void })?.unref?.();
        return;
      }
      xvfb.kill('SIGTERM');
      await waitExit(xvfb, 3_000);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
