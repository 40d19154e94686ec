/**
 * A running hub: lock + engine + socket server + descriptor, started and stopped in the order
 * that keeps clients safe. Used both in-process (an editor window that became the hub) and by
 * `runHub` (the detached `dreamos hub` process).
 */
import { unlink } from 'node:fs/promises';
import { descriptorPath, newToken, removeDescriptor, socketPathFor, writeDescriptor } from './descriptor';
import { HubEngine, type EngineOptions } from './engine';
import type { HubLock } from './lock';
import { HubServer } from './hubServer';
import type { WebhookDispatcher } from '../webhooks/webhookDispatcher';
import { PROTOCOL_VERSION } from './wire';

export type HubRuntimeOptions = EngineOptions & {
  onConnections?: (n: number) => void;
  standalone?: boolean;
  /** How often the hub checks that its lock is still there and refreshes its heartbeat (default 1 s). */
  lockWatchMs?: number;
};

export class HubRuntime {
  private readonly watch: NodeJS.Timeout;
  private readonly stoppedListeners = new Set<(reason: unknown) => void>();
  private stopped = false;
  private webhooks: WebhookDispatcher | undefined;

  private constructor(
    readonly dir: string,
    readonly engine: HubEngine,
    readonly server: HubServer,
    private readonly lock: HubLock,
    private readonly token: string,
    private readonly log: (msg: string) => void,
    lockWatchMs = 1_000,
  ) {
    // The lock file can vanish under us (folder deleted, a person "fixing" things): then another
    // hub may start, and two writers would corrupt the board. Stop writing at once. (Between two
    // checks the engine itself refuses to acknowledge anything once the lock is gone.) The same
    // timer keeps the lock's heartbeat fresh for other machines (lock.ts).
    this.watch = setInterval(() => {
      if (!this.lock.beat()) this.lost(new Error('the hub lock was taken away'));
    }, lockWatchMs);
    this.watch.unref();
    engine.onFatal((err) => this.lost(err));
  }

  /** Starts a hub for `dir`; the caller already holds `lock` (it is released if starting fails). */
  static async start(dir: string, lock: HubLock, opts: HubRuntimeOptions = {}): Promise<HubRuntime> {
    const log = opts.log ?? (() => undefined);
    let engine: HubEngine | undefined;
    try {
      // A dead hub's descriptor would send clients to a socket nobody serves.
      await unlink(descriptorPath(dir)).catch(() => undefined);
      engine = await HubEngine.open(dir, { ...opts, lock });
      const token = newToken();
      const socketPath = socketPathFor(dir);
      const startedAt = Date.now();
      const server = await HubServer.listen(engine, { socketPath, token, startedAt, log, ...(opts.onConnections ? { onConnections: opts.onConnections } : {}) });
      await writeDescriptor(dir, { pid: process.pid, socketPath, token, protocolVersion: PROTOCOL_VERSION, startedAt, ...(opts.standalone ? { standalone: true } : {}) });
      log(`hub for ${dir} listening on ${socketPath} (pid ${process.pid})`);
      const rt = new HubRuntime(dir, engine, server, lock, token, log, opts.lockWatchMs);
      // The hub sees every event once it is durable, and whoever is the hub runs this: webhooks follow takeovers.
      if (opts.webhooks) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only by a hub that delivers webhooks
        const { WebhookDispatcher } = require('../webhooks/webhookDispatcher') as typeof import('../webhooks/webhookDispatcher');
        rt.webhooks = new WebhookDispatcher(engine, opts.webhooks.sender, { log, ...opts.webhooks });
      }
      return rt;
    } catch (err) {
      engine?.abort('start failed');
      lock.release();
      throw err;
    }
  }

  /** Told when the hub stops on its own (storage failure, lock lost); not on close(). */
  onStopped(listener: (reason: unknown) => void): void {
    this.stoppedListeners.add(listener);
  }

  get isRunning(): boolean {
    return !this.stopped;
  }

  /** Webhook deliveries wait to be sent or retried (a standalone hub does not go idle then). */
  get webhooksPending(): boolean {
    return this.webhooks?.pending ?? false;
  }

  /**
   * Graceful: stop accepting, let every committed command become durable and be answered, fold
   * the journal into the image, then drop the clients (they reconnect to whoever takes over).
   */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.watch);
    this.server.stopListening();
    try {
      await this.webhooks?.stop();
      await this.engine.close();
    } finally {
      await removeDescriptor(this.dir, this.token);
      this.lock.release();
      this.server.dropAll();
    }
  }

  private lost(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.watch);
    this.log(`hub stopped: ${(reason as Error)?.message ?? String(reason)}`);
    void this.webhooks?.stop();
    this.engine.abort(String((reason as Error)?.message ?? reason));
    this.server.stopListening();
    this.server.dropAll();
    void removeDescriptor(this.dir, this.token);
    this.lock.release();
    for (const l of this.stoppedListeners) l(reason);
  }
}
