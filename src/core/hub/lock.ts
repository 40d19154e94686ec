/**
 * The hub lock: `<dir>/hub.lock`, created atomically, naming its owner (pid, host, start time).
 *
 * Why not proper-lockfile: it decides staleness by mtime, so the owner must touch the lock on a
 * timer. A hub whose event loop stalls (a big export, a debugger, a suspended laptop) would be
 * declared dead while alive, and two hubs would write one board; and a crashed owner is only
 * detected after the stale period. Here liveness is the owner process itself (kill(pid, 0), plus
 * the /proc start time on Linux so a recycled pid does not keep a dead lock alive), which is exact
 * and immediate on one machine, the only place a board's socket can be reached anyway.
 *
 * Creation: the lock content is written to a private temp file and hard-linked to `hub.lock`;
 * link() fails if the name exists, so the lock appears complete or not at all.
 * Stealing a dead owner's lock goes through a second O_EXCL file (`hub.lock.steal`): under it the
 * stealer re-reads the lock, and only removes it if it is still the same dead owner's. Whoever then
 * links first wins; the others see a live owner.
 *
 * Another machine (a board on a shared folder): its pid means nothing here, so it is never checked
 * here. Instead the owner touches the lock's mtime every `heartbeatMs` (HubRuntime), and a lock
 * from another host whose heartbeat is older than `staleAfterMs` (12 beats, at least 2 minutes)
 * is dead: that host crashed or lost the folder. On the owner's own machine the pid stays the
 * judge and the heartbeat is ignored, so a stalled event loop there never loses its lock. A lock
 * without a heartbeat (an older Dream.OS) on another host counts as alive until a person runs
 * `dreamos hub unlock --force`. A hub that wakes up after its lock was taken stops before it
 * acknowledges anything (the engine checks the lock before every ack).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DreamError } from '../errors';

export interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: number;
  nonce: string;
  /** Linux: the process start time from /proc/<pid>/stat, to see through pid reuse. */
  procStart?: string;
  /** The owner touches the lock file's mtime this often (absent: an owner that never does). */
  heartbeatMs?: number;
}

/** How often a hub touches its lock. */
export const HEARTBEAT_MS = 10_000;

/** How long a heartbeat may be silent before another host's lock is judged dead. */
export function staleAfterMs(info: LockInfo): number {
  return Math.max(120_000, 12 * (info.heartbeatMs ?? HEARTBEAT_MS));
}

/** The lock was taken on another machine: its pid cannot be checked from here. */
export function isForeign(info: LockInfo): boolean {
  return info.hostname !== os.hostname();
}

export type LockState = { state: 'free' } | { state: 'dead'; info: LockInfo } | { state: 'alive'; info: LockInfo };

export function lockPath(dir: string): string {
  return path.join(dir, 'hub.lock');
}

function procStat(pid: number): { state: string; start: string } | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, start: f[19]! };
  } catch {
    return undefined;
  }
}

/** Whether the owning process runs. Another machine's cannot be checked: true (see inspectLock). */
export function isOwnerAlive(info: LockInfo): boolean {
  if (isForeign(info)) return true;
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const st = procStat(info.pid);
  if (st && (st.state === 'Z' || st.state === 'X')) return false; // killed, not yet reaped
  if (st && info.procStart !== undefined && st.start !== info.procStart) return false; // pid reused
  return true;
}

function readInfo(file: string): LockInfo | undefined | 'garbled' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as LockInfo;
    if (typeof v.pid === 'number' && typeof v.nonce === 'string' && typeof v.hostname === 'string') return v;
  } catch {
    /* fall through */
  }
  return 'garbled';
}

/** A lock nobody could have written completely (hand edits, disk trouble) is dead after a grace period. */
function garbledIsDead(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > 10_000;
  } catch {
    return true;
  }
}

export function inspectLock(dir: string): LockState {
  const info = readInfo(lockPath(dir));
  if (info === undefined) return { state: 'free' };
  if (info === 'garbled') {
    const dead: LockInfo = { pid: -1, hostname: os.hostname(), startedAt: 0, nonce: 'garbled' };
    return garbledIsDead(lockPath(dir)) ? { state: 'dead', info: dead } : { state: 'alive', info: dead };
  }
  if (isForeign(info)) return heartbeatAge(lockPath(dir), info) > staleAfterMs(info) ? { state: 'dead', info } : { state: 'alive', info };
  return isOwnerAlive(info) ? { state: 'alive', info } : { state: 'dead', info };
}

/** Ms since the owner last touched `file`; 0 for an owner that never beats (never stale). */
function heartbeatAge(file: string, info: LockInfo): number {
  if (info.heartbeatMs === undefined) return 0;
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * What a person is told when another machine's hub holds the board: who, since when, what to do.
 */
export function heldElsewhereMessage(dir: string, info: LockInfo): string {
  const beat = heartbeatAge(lockPath(dir), info);
  const host = `"${info.hostname}"`;
  return (
    `The board in ${dir} is held by a hub on another machine: host ${host}, pid ${info.pid}, since ${new Date(info.startedAt).toISOString()}` +
    (info.heartbeatMs !== undefined ? ` (last heartbeat ${Math.max(0, Math.round(beat / 1000))} s ago)` : '') +
    `. A board is served by one machine at a time, and its hub cannot be reached from this one. ` +
    `Stop that hub on ${host} (\`dreamos hub stop\` there, or close the editor window there), then try again. ` +
    `If ${host} is gone or its hub crashed, run \`dreamos hub unlock --force\` here` +
    (info.heartbeatMs !== undefined ? ` (or wait: a lock whose heartbeat is silent for ${Math.round(staleAfterMs(info) / 1000)} s is taken over by itself)` : '') +
    `; never while it still runs, or both would write the board.`
  );
}

export class HubLock {
  private released = false;
  constructor(
    readonly dir: string,
    readonly info: LockInfo,
  ) {}

  /** True while `hub.lock` is still this owner's (someone may have deleted the folder or stolen it). */
  isHeld(): boolean {
    if (this.released) return false;
    const cur = readInfo(lockPath(this.dir));
    return typeof cur === 'object' && cur.nonce === this.info.nonce;
  }

  private lastBeat = Date.now();

  /** Checks the lock is still held and, every heartbeatMs, touches it (see the header); false if lost. */
  beat(): boolean {
    if (!this.isHeld()) return false;
    const now = Date.now();
    if (now - this.lastBeat >= (this.info.heartbeatMs ?? HEARTBEAT_MS)) {
      this.lastBeat = now;
      try {
        utimesSync(lockPath(this.dir), now / 1000, now / 1000);
      } catch {
        /* vanished just now: the next check sees it */
      }
    }
    return true;
  }

  release(): void {
    if (this.isHeld()) tryUnlink(lockPath(this.dir));
    this.released = true;
  }
}

function tryUnlink(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

function isEexist(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'EEXIST';
}

/** Takes the lock if it is free or its owner is dead; undefined when a live owner holds it. */
export function tryAcquireLock(dir: string): HubLock | undefined {
  const file = lockPath(dir);
  const info: LockInfo = {
    pid: process.pid,
    hostname: os.hostname(),
    startedAt: Date.now(),
    nonce: randomBytes(16).toString('hex'),
    heartbeatMs: HEARTBEAT_MS,
  };
  const st = procStat(process.pid);
  if (st) info.procStart = st.start;
  const tmp = `${file}.${info.nonce}.tmp`;
  writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(tmp, file);
        return new HubLock(dir, info);
      } catch (err) {
        if (!isEexist(err)) throw err;
      }
      const cur = inspectLock(dir);
      if (cur.state === 'alive') return undefined;
      if (cur.state === 'dead' && !removeDeadLock(dir, cur.info)) return undefined;
    }
    return undefined;
  } finally {
    tryUnlink(tmp);
  }
}

/** Removes `hub.lock` iff it still holds `dead`; false if another stealer is busy. */
function removeDeadLock(dir: string, dead: LockInfo): boolean {
  const file = lockPath(dir);
  const mutex = `${file}.steal`;
  const me = { pid: process.pid, hostname: os.hostname(), nonce: randomBytes(8).toString('hex') };
  let fd: number;
  try {
    fd = openSync(mutex, 'wx', 0o600);
  } catch (err) {
    if (!isEexist(err)) throw err;
    clearDeadStealMutex(mutex);
    return false;
  }
  try {
    writeFileSync(fd, JSON.stringify(me));
    closeSync(fd);
    const cur = readInfo(file);
    if (cur === undefined) return true;
    const same = cur === 'garbled' ? dead.nonce === 'garbled' : cur.nonce === dead.nonce;
    if (same) tryUnlink(file);
    return same;
  } finally {
    tryUnlink(mutex);
  }
}

/**
 * A stealer that died inside its few-microsecond critical section leaves the steal mutex behind.
 * It is moved aside and checked: if what was moved is not the dead stealer's, it is put back.
 */
function clearDeadStealMutex(mutex: string): void {
  const info = readInfo(mutex);
  if (info === undefined) return;
  // Another host's stealer cannot be checked; its critical section is microseconds, so an old mutex is dead.
  const dead = info === 'garbled' || isForeign(info) ? garbledIsDead(mutex) : !isOwnerAlive({ ...info, startedAt: 0 });
  if (!dead) return;
  const aside = `${mutex}.${randomBytes(6).toString('hex')}.dead`;
  try {
    renameSync(mutex, aside);
  } catch {
    return;
  }
  const moved = readInfo(aside);
  const same = info === 'garbled' ? moved === 'garbled' : typeof moved === 'object' && moved.nonce === info.nonce;
  if (!same && !existsSync(mutex)) {
    try {
      linkSync(aside, mutex);
    } catch {
      /* a newer stealer already holds it */
    }
  }
  tryUnlink(aside);
}

/**
 * `dreamos hub unlock`: removes the lock of a hub that is gone. A dead owner's lock (on this
 * machine, or another machine's whose heartbeat went silent) goes without asking; another
 * machine's that may still run only with `force` (the person says that host is gone). A live
 * owner on this machine is never unlocked: stop it instead.
 */
export function unlockBoard(dir: string, opts: { force?: boolean } = {}): { removed: boolean; message: string } {
  const cur = inspectLock(dir);
  if (cur.state === 'free') return { removed: false, message: `No hub lock in ${dir}: nothing to unlock.` };
  const who = `pid ${cur.info.pid} on ${isForeign(cur.info) ? `host "${cur.info.hostname}"` : 'this machine'}`;
  if (cur.state === 'alive' && !isForeign(cur.info)) {
    throw new DreamError('conflict', `The hub of ${dir} (${who}) is running: stop it with \`dreamos hub stop\`, or close the editor window that hosts it. A running hub's lock is never removed.`);
  }
  if (cur.state === 'alive' && !opts.force) {
    throw new DreamError('conflict', `${heldElsewhereMessage(dir, cur.info)} Nothing was removed: add --force once you are sure.`);
  }
  if (!removeDeadLock(dir, cur.info)) throw new DreamError('unavailable', `Another process is taking over the lock of ${dir} right now; run \`dreamos hub status\` to see who holds it.`);
  return { removed: true, message: `Removed the hub lock of ${who} from ${dir}; the next client or \`dreamos hub\` starts a new hub.` };
}
