/**
 * One injection at a time per display, across every process of the user (several editor windows,
 * the CLI, agents): the keyboard, the pointer and the clipboard are shared, so two injections that
 * interleave garble both texts.
 *
 * Linux: a listening socket in the abstract namespace ("\0dreamos-input-<uid>-<display>"). Binding
 * is exclusive, and the kernel frees the name the instant the holder exits, however it exits, so
 * there is no stale lock to detect and no takeover race. Windows: a named pipe, which has the same
 * two properties. Elsewhere (macOS): a lock file in os.tmpdir() holding pid + a nonce, taken over
 * when the pid is dead or the lock is older than any injection can take; the takeover renames the
 * file aside and checks the nonce, so a live lock taken by someone else in between is put back.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type LockKind = 'socket' | 'file';

export interface InputLock {
  readonly kind: LockKind;
  /** How long acquiring waited, in ms. */
  readonly waitedMs: number;
  /** False if the lock was lost (only possible for the file lock, when taken over as stale). */
  stillHeld(): Promise<boolean>;
  release(): Promise<void>;
}

export interface LockOptions {
  /** What the lock guards; by default this user's display ($DISPLAY, or "desktop"). */
  scope?: string;
  kind?: LockKind;
  /** Give up after this long (then BusyError). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The file lock's folder (os.tmpdir() by default). */
  dir?: string;
  /** A file lock older than this is stale even if its pid lives (pid reuse). */
  staleMs?: number;
}

export class LockBusyError extends Error {
  constructor(
    message: string,
    readonly holder?: string,
  ) {
    super(message);
    this.name = 'LockBusyError';
  }
}

export function defaultLockKind(platform: NodeJS.Platform = process.platform): LockKind {
  return platform === 'linux' || platform === 'win32' ? 'socket' : 'file';
}

function scopeName(scope: string | undefined): string {
  const who = typeof process.getuid === 'function' ? String(process.getuid()) : os.userInfo().username;
  const where = scope ?? process.env.DISPLAY ?? 'desktop';
  return `dreamos-input-${who}-${where}`.replace(/[^\w.-]/g, '_');
}

export function socketAddress(name: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? `\\\\.\\pipe\\${name}` : `\0${name}`;
}

// In-process queue first (per scope): callers in one process wait their turn without polling.
const tails = new Map<string, Promise<void>>();

export async function acquireInputLock(opts: LockOptions = {}): Promise<InputLock> {
  const started = Date.now();
  let releaseLocal!: () => void;
  const mine = new Promise<void>((r) => (releaseLocal = r));
  const name = scopeName(opts.scope);
  const before = tails.get(name) ?? Promise.resolve();
  const tail = before.then(() => mine);
  tails.set(name, tail);
  void tail.then(() => tails.get(name) === tail && tails.delete(name));
  try {
    await raceAbort(before, opts.signal, opts.timeoutMs ?? 60_000, 'another injection in this process');
    const kind = opts.kind ?? defaultLockKind();
    const remaining = Math.max(0, (opts.timeoutMs ?? 60_000) - (Date.now() - started));
    const lock = kind === 'socket' ? await socketLock(name, remaining, opts.signal) : await fileLock(name, remaining, opts);
    let released = false;
    return {
      kind,
      waitedMs: Date.now() - started,
      stillHeld: () => (released ? Promise.resolve(false) : lock.stillHeld()),
      release: async () => {
        if (released) return;
        released = true;
        try {
          await lock.release();
        } finally {
          releaseLocal();
        }
      },
    };
  } catch (err) {
    releaseLocal();
    throw err;
  }
}

async function raceAbort(p: Promise<void>, signal: AbortSignal | undefined, timeoutMs: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LockBusyError(`Waited ${timeoutMs} ms for ${what} to finish typing.`)), timeoutMs);
        onAbort = () => reject(signal!.reason ?? new Error('aborted'));
        if (signal?.aborted) onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function retryUntil<T>(timeoutMs: number, signal: AbortSignal | undefined, attempt: () => Promise<T | null>, busy: () => Promise<string>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 1.5, 100)) {
    signal?.throwIfAborted();
    const got = await attempt();
    if (got) return got;
    if (Date.now() >= until) {
      const holder = await busy();
      throw new LockBusyError(`Another Dream.OS process is typing into a window on this display${holder ? ` (${holder})` : ''} and did not finish within ${timeoutMs} ms.`, holder);
    }
    await sleep(delay);
  }
}

interface Held {
  stillHeld(): Promise<boolean>;
  release(): Promise<void>;
}

function socketLock(name: string, timeoutMs: number, signal?: AbortSignal): Promise<Held> {
  const address = socketAddress(name);
  const tryBind = () =>
    new Promise<Held | null>((resolve, reject) => {
      const server = net.createServer((c) => c.end(`${process.pid}\n`));
      server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(null) : reject(err)));
      server.listen(address, () => {
        server.unref(); // holding the lock must not keep the process alive
        resolve({ stillHeld: async () => server.listening, release: () => new Promise<void>((r) => server.close(() => r())) });
      });
    });
  // The holder answers a connection with its pid: named in the "busy" message.
  const holder = () =>
    new Promise<string>((resolve) => {
      const c = net.connect(address);
      let out = '';
      c.on('data', (d) => (out += d.toString()));
      c.on('end', () => resolve(out.trim() ? `pid ${out.trim()}` : ''));
      c.on('error', () => resolve(''));
      setTimeout(() => (c.destroy(), resolve('')), 500).unref();
    });
  return retryUntil(timeoutMs, signal, tryBind, holder);
}

interface LockRecord {
  pid: number;
  host: string;
  nonce: string;
  at: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readRecord(file: string): Promise<LockRecord | null> {
  try {
    const r = JSON.parse(await fs.readFile(file, 'utf8')) as LockRecord;
    return typeof r.pid === 'number' && typeof r.nonce === 'string' ? r : null;
  } catch {
    return null;
  }
}

function fileLock(name: string, timeoutMs: number, opts: LockOptions): Promise<Held> {
  const file = path.join(opts.dir ?? os.tmpdir(), `${name}.lock`);
  const staleMs = opts.staleMs ?? 120_000;
  const me: LockRecord = { pid: process.pid, host: os.hostname(), nonce: randomUUID(), at: Date.now() };
  const held: Held = {
    stillHeld: async () => (await readRecord(file))?.nonce === me.nonce,
    release: async () => {
      if ((await readRecord(file))?.nonce === me.nonce) await fs.rm(file, { force: true });
    },
  };
  const attempt = async (): Promise<Held | null> => {
    me.at = Date.now();
    try {
      await fs.writeFile(file, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
      return held;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readRecord(file);
    if (owner) {
      const stale = (owner.host === me.host && !alive(owner.pid)) || Date.now() - owner.at > staleMs;
      if (!stale) return null;
    } else {
      // Unreadable: a holder between create and write, or one that died there. Stale once old.
      const st = await fs.stat(file).catch(() => null);
      if (!st || Date.now() - st.mtimeMs < 2_000) return null;
    }
    const aside = `${file}.${me.nonce}.stale`;
    try {
      await fs.rename(file, aside);
    } catch {
      return null; // someone else took it over first
    }
    const moved = await readRecord(aside);
    if (moved && owner && moved.nonce !== owner.nonce) {
      // Between reading and renaming, another process took the lock over: give it back.
      await fs.link(aside, file).catch(() => undefined);
    }
    await fs.rm(aside, { force: true });
    return null; // try to create it again on the next round
  };
  const busy = async () => {
    const r = await readRecord(file);
    return r ? `pid ${r.pid} on ${r.host}` : '';
  };
  return retryUntil(timeoutMs, opts.signal, attempt, busy);
}
