/** Shared plumbing for the hub's integration tests: temp boards, tsx child processes, waiting. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSqlJs } from '../../../src/core/store/sqlite';

export const HELPERS = __dirname;
export const WORKER = path.join(HELPERS, 'worker.ts');
export const HUB = path.join(HELPERS, 'hubProcess.ts');

export function tempBoard(prefix = 'dreamos-hub-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 20): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Runs a TypeScript helper in its own Node process, with an IPC channel. */
export function forkTs(script: string, arg: unknown, opts: { silent?: boolean } = {}): ChildProcess {
  return fork(script, [JSON.stringify(arg)], { execArgv: ['--import', 'tsx'], stdio: opts.silent === false ? 'inherit' : ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** The command line that starts a hub process for `dir` (what 'spawn' mode runs). */
export function hubCommand(dir: string, opts: Record<string, unknown> = {}): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', 'tsx', HUB, JSON.stringify({ dir, ...opts })] };
}

export function spawnHub(dir: string, opts: Record<string, unknown> = {}): ChildProcess {
  const c = hubCommand(dir, opts);
  return spawn(c.command, c.args, { stdio: ['ignore', 'inherit', 'inherit'] });
}

export function nextMessage<T>(child: ChildProcess, pred: (m: T) => boolean = () => true, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error('timed out waiting for a message from a child'));
    }, timeoutMs);
    const onMsg = (m: T) => {
      if (!pred(m)) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code: number | null, sig: string | null) => {
      cleanup();
      reject(new Error(`child exited (${code ?? sig}) before sending the message`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMsg);
      child.off('exit', onExit);
    };
    child.on('message', onMsg);
    child.on('exit', onExit);
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** PRAGMA integrity_check of an image file as it is on disk. */
export async function imageIntegrity(file: string): Promise<string> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(readFileSync(file));
  try {
    return String(db.exec('PRAGMA integrity_check')[0]?.values[0]?.[0]);
  } finally {
    db.close();
  }
}
