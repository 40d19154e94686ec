/**
 * The standalone hub (`dreamos hub`, and the detached hub the CLI spawns): a process that owns the
 * board until it has been idle for a while or is signalled, and the way to stop it from elsewhere.
 */
import { DreamError } from '../errors';
import { ensureBoardFolder } from './boardFolder';
import { engineOptions, loadRuntime, sleep } from './connect';
import { readDescriptor } from './descriptor';
import type { EngineOptions } from './engine';
import { heldElsewhereMessage, inspectLock, isForeign, tryAcquireLock } from './lock';
import type { HubRuntime } from './runtime';

export interface RunHubOptions extends EngineOptions {
  /** Exit after this long with no client connected (default 10 min; 0 = never). */
  idleMs?: number;
  stallMs?: number;
  /** Stop gracefully on SIGTERM / SIGINT / SIGHUP (default true). */
  handleSignals?: boolean;
  /** Called once the hub serves. */
  onReady?: (hub: HubRuntime) => void;
  /** See HubRuntimeOptions.lockWatchMs. */
  lockWatchMs?: number;
}

/**
 * Runs a hub for `dir` in this process until it is idle, signalled, or fails (the `dreamos hub`
 * command). Throws 'conflict' if a live hub already serves the board.
 */
export async function runHub(dir: string, opts: RunHubOptions = {}): Promise<void> {
  ensureBoardFolder(dir);
  const lock = tryAcquireLock(dir);
  if (!lock) {
    const cur = inspectLock(dir);
    if (cur.state === 'alive' && isForeign(cur.info)) throw new DreamError('conflict', heldElsewhereMessage(dir, cur.info));
    throw new DreamError('conflict', `A hub already serves ${dir}${cur.state === 'alive' ? ` (pid ${cur.info.pid})` : ''}.`);
  }
  const { idleMs = 600_000, stallMs, handleSignals = true, onReady, ...engine } = opts;
  let idle: NodeJS.Timeout | undefined;
  let finish!: (err?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => (finish = (err) => (err ? reject(err) : resolve())));
  // Runs at the earliest idleMs after start, when `rt` is set.
  const stop = () => void rt.close().then(() => finish(), finish);
  const armIdle = (n: number) => {
    clearTimeout(idle);
    // Idle, but webhook deliveries wait for a retry: stay until they are done (they give up after bounded attempts).
    if (n === 0 && idleMs > 0) idle = setTimeout(() => (rt.webhooksPending ? armIdle(0) : stop()), idleMs);
  };
  const rt = await loadRuntime().start(dir, lock, { ...engineOptions({ stallMs, engine }), onConnections: armIdle, standalone: true });
  rt.onStopped((reason) => finish(new DreamError('internal', `The hub stopped: ${(reason as Error)?.message ?? String(reason)}`)));
  armIdle(0);
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  if (handleSignals) for (const s of signals) process.on(s, stop);
  onReady?.(rt);
  try {
    await done;
  } finally {
    clearTimeout(idle);
    if (handleSignals) for (const s of signals) process.off(s, stop);
  }
}

/**
 * Asks the board's standalone hub (`dreamos hub`) to shut down gracefully; resolves true once it
 * has, false if none ran. A hub hosted by an editor window is left alone: close the window.
 */
export async function stopHub(dir: string, timeoutMs = 15_000): Promise<boolean> {
  const cur = inspectLock(dir);
  if (cur.state !== 'alive') return false;
  // Its pid is another machine's: signalling it here would hit an unrelated process.
  if (isForeign(cur.info)) throw new DreamError('conflict', heldElsewhereMessage(dir, cur.info));
  const desc = readDescriptor(dir);
  if (!desc?.standalone || desc.pid !== cur.info.pid) {
    throw new DreamError('conflict', `The hub of ${dir} runs inside another program (pid ${cur.info.pid}); close that window to stop it.`);
  }
  process.kill(cur.info.pid, 'SIGTERM');
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (inspectLock(dir).state !== 'alive') return true;
    await sleep(50);
  }
  throw new DreamError('unavailable', `The hub (pid ${cur.info.pid}) did not stop within ${timeoutMs / 1000} s.`);
}
