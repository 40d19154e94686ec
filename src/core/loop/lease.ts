/**
 * Keeping a claim alive while a driver works (heartbeats renew the lease), and waiting without
 * busy-polling (a sleep that board events or a stop cut short).
 */
import type { BoardPort } from '../port';

/** The loop reaches the board through the one typed port. */
export type LoopBoard = BoardPort;

export const codeOf = (err: unknown): string | undefined => (err as { code?: string } | undefined)?.code;

/**
 * Renews one lease every third of its length. A refused renewal (stale token) means the lease is
 * gone: `onStale` decides whether that is a loss or the agent's own report.
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  stale = false;
  lastRenewAt: number;

  constructor(
    private readonly board: LoopBoard,
    private readonly actor: string,
    readonly taskId: string,
    readonly token: number,
    private readonly leaseMs: number,
    private readonly onStale: () => void,
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.lastRenewAt = now();
  }

  start(): this {
    const every = Math.max(200, Math.floor(this.leaseMs / 3));
    this.timer = setInterval(() => void this.renew(), every);
    this.timer.unref?.();
    return this;
  }

  async renew(): Promise<void> {
    if (this.busy || this.stale) return;
    this.busy = true;
    try {
      await this.board.call({ type: 'task.renew', taskId: this.taskId, token: this.token, leaseMs: this.leaseMs }, { actor: this.actor });
      this.lastRenewAt = this.now();
    } catch (err) {
      if (codeOf(err) === 'stale_token' || codeOf(err) === 'not_found') {
        this.stale = true;
        this.stop();
        this.onStale();
      } else {
        // The hub may be changing hands; the next beat tries again, the lease has slack for it.
        this.log(`heartbeat for ${this.taskId} failed, will retry: ${(err as Error).message}`);
      }
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A sleep that `wake()` (a board event) or an abort ends early. */
export class Waker {
  private waiters = new Set<() => void>();

  wake(): void {
    for (const w of [...this.waiters]) w();
  }

  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** A sleep only an abort ends early (back-off must not be cut short by events). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
