/**
 * The hub's engine: the one in-memory sql.js database of a board, the command pipeline around it,
 * and the persistence that makes an acknowledged write survive kill -9 (and, with durability
 * 'full', a power cut).
 *
 * Each command runs synchronously in one SQL transaction; its recorded writes become one journal
 * record. Durability is asynchronous and grouped: while one batch is being written and fsynced,
 * newly committed transactions queue for the next batch, and each command's promise resolves only
 * once its batch is durable. Other commands may already see a not-yet-durable commit (they run
 * after it in memory); so that nobody is told something that a crash could take back, read-only
 * answers and pushed events also wait until what they could have seen is durable. That wait is
 * never an fsync of its own, only the tail of one already running.
 */
import type { Database } from 'sql.js';
import type { Principal } from '../auth/principal';
import { readBoardConfigOrDefault } from '../board/boardConfig';
import { executeCommand, type CommandContext } from '../commands';
import { DreamError } from '../errors';
import { latestSeq, readEventsSince, type BoardEvent } from '../events/eventLog';
import type { Tx } from '../store/sqlite';
import type { DispatcherOptions, WebhookSender } from '../webhooks/webhookDispatcher';
import { atomicWriteFile } from './fsutil';
import type { HubTx } from './hubtx';
import { deleteSegments, encodeRecord, JournalSegment, segmentFile, type Durability, type Segment, type Write } from './journal';
import { exportImage, imagePath, recoverBoard } from './recovery';

export { imagePath } from './recovery';

export type Executor = (ctx: CommandContext, raw: unknown) => unknown;

export interface EventSource {
  readSince(tx: Tx, afterSeq: number, limit: number): BoardEvent[];
  latest(tx: Tx): number;
}

export interface EngineOptions {
  /** 'full' (default): fsync before ack, survives power loss. 'process': survives kill -9 (page cache), not power loss. */
  durability?: Durability;
  /** 'journal' (default): append + fsync per batch, image now and then. 'image': the whole image per batch. */
  persistence?: 'journal' | 'image';
  executor?: Executor;
  migrate?: (tx: Tx) => void;
  events?: EventSource;
  hooks?: CommandContext['hooks'];
  /** Checkpoint when the journal passes this size (default 32 MiB) ... */
  checkpointBytes?: number;
  /** ... or when it is non-empty and this old (default 60 s). */
  checkpointIntervalMs?: number;
  /**
   * Upkeep commands run as actor 'hub' every tick (default DEFAULT_UPKEEP: lease.expireDue with the
   * board's stallSeconds, and board.retain, which acts every few minutes); [] for none.
   */
  upkeepCommands?: readonly unknown[];
  tickMs?: number;
  /**
   * How long a request id is remembered for retries (default 5 min). A client retries only while
   * its call is pending, and gives up after its connect timeout (20 s by default); every write
   * keeps its result this long, so a longer window costs memory at high write rates.
   */
  requestRetentionMs?: number;
  log?: (msg: string) => void;
  /**
   * The board's hub lock as this hub took it (HubRuntime passes it). Before a batch is
   * acknowledged, and before the image is replaced, the engine checks that the lock file is still
   * this one's (a read of a small file, no fsync): a hub whose lock was removed by hand or taken
   * over stops instead of acknowledging writes into a journal its successor may delete.
   */
  lock?: { isHeld(): boolean };
  /**
   * Webhooks (src/core/webhooks): when the host gives an HTTP sender, the hub this engine runs in
   * delivers the board's webhooks (HubRuntime starts the dispatcher). Core has no HTTP of its own.
   */
  webhooks?: DispatcherOptions & { sender: WebhookSender };
}

export interface CallOptions {
  actor: string;
  /** Established by the hub from the caller's credential; absent: the person (in-process calls). */
  principal?: Principal;
  /** Makes the call idempotent: a retry with the same id returns the first result. */
  requestId?: string;
}

export interface Disposable {
  dispose(): void;
}

export interface EngineStats {
  committed: number;
  durable: number;
  batches: number;
  checkpoints: number;
  /** The longest the hub stood still exporting an image for a checkpoint. */
  maxStallMs: number;
  journalBytes: number;
}

const defaultEvents: EventSource = { readSince: readEventsSince, latest: latestSeq };

/** What the hub runs every tick unless told otherwise (both read the board's config when they run). */
export const DEFAULT_UPKEEP: readonly unknown[] = [{ type: 'lease.expireDue' }, { type: 'board.retain' }];

interface Waiter {
  lsn: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface Sub {
  cursor: number;
  live: boolean;
  closed: boolean;
  onEvent: (e: BoardEvent) => void;
}

interface Batch {
  bufs: Buffer[];
  lsn: number;
  eventSeq: number;
}

const PAGE = 1000;

function retryable(message: string): DreamError {
  return new DreamError('unavailable', message, { retryable: true });
}

export class HubEngine {
  private committedLsn: number;
  private durableLsn: number;
  private durableEventSeq: number;
  private broadcastSeq: number;
  private pending: Batch;
  private waiters: Waiter[] = [];
  private flushing = false;
  private flushScheduled = false;
  private checkpointing: Promise<void> | undefined;
  private lastCheckpointAt = Date.now();
  private sealed: Segment[] = [];
  private readonly subs = new Set<Sub>();
  private readonly fatalListeners = new Set<(err: unknown) => void>();
  private readonly tick: NodeJS.Timeout;
  private ticks = 0;
  private upkeepBusy = false;
  private upkeep: readonly unknown[];
  private dead: unknown;
  private closing: Promise<void> | undefined;
  private readonly st = { batches: 0, checkpoints: 0, maxStallMs: 0 };
  private imageBytes = 0;
  private readonly executor: Executor;
  private readonly events: EventSource | undefined;
  private readonly durability: Durability;
  private readonly log: (msg: string) => void;

  private constructor(
    readonly dir: string,
    private readonly db: Database,
    private readonly tx: HubTx,
    private segment: JournalSegment | undefined,
    lsn: number,
    eventsOn: boolean,
    private readonly opts: EngineOptions,
  ) {
    this.executor = opts.executor ?? executeCommand;
    this.events = eventsOn ? (opts.events ?? defaultEvents) : undefined;
    this.durability = opts.durability ?? 'full';
    this.log = opts.log ?? (() => undefined);
    this.upkeep = opts.upkeepCommands ?? DEFAULT_UPKEEP;
    this.committedLsn = this.durableLsn = lsn;
    this.durableEventSeq = this.broadcastSeq = this.events ? this.events.latest(tx) : 0;
    this.pending = { bufs: [], lsn, eventSeq: 0 };
    this.tick = setInterval(() => this.onTick(), opts.tickMs ?? 1000);
    this.tick.unref();
  }

  /** Opens (and recovers) the board in `dir`. The caller must hold the board's hub lock. */
  static async open(dir: string, opts: EngineOptions = {}): Promise<HubEngine> {
    const r = await recoverBoard(dir, opts);
    // Durability not given by the host: the board's own config (board.config durability).
    if (!opts.durability) opts = { ...opts, durability: readBoardConfigOrDefault(r.tx).durability };
    const segment = (opts.persistence ?? 'journal') === 'journal' ? new JournalSegment(dir, r.nextSegment, opts.durability ?? 'full') : undefined;
    const engine = new HubEngine(dir, r.db, r.tx, segment, r.lsn, r.eventsOn, opts);
    engine.imageBytes = r.imageBytes;
    await engine.deliverNotices();
    return engine;
  }

  call(command: unknown, opts: CallOptions): Promise<unknown> {
    return this.execute((ctx) => this.executor(opts.principal ? { ...ctx, principal: opts.principal } : ctx, command), opts.actor, opts.requestId);
  }

  /** Read-only access for diagnostics and tests (integrity checks, counts). Must not write. */
  inspect<T>(fn: (tx: Tx) => T): T {
    this.assertUsable();
    return fn(this.tx);
  }

  subscribe(afterSeq: number, onEvent: (e: BoardEvent) => void): Disposable {
    this.assertUsable();
    const sub: Sub = { cursor: afterSeq, live: false, closed: false, onEvent };
    this.subs.add(sub);
    setImmediate(() => this.catchUp(sub));
    return {
      dispose: () => {
        sub.closed = true;
        this.subs.delete(sub);
      },
    };
  }

  /** Called when the engine stops on its own (storage failure). */
  onFatal(listener: (err: unknown) => void): Disposable {
    this.fatalListeners.add(listener);
    return { dispose: () => this.fatalListeners.delete(listener) };
  }

  get isOpen(): boolean {
    return this.dead === undefined && this.closing === undefined;
  }

  stats(): EngineStats {
    return { committed: this.committedLsn, durable: this.durableLsn, ...this.st, journalBytes: this.segment?.bytes ?? 0 };
  }

  private assertUsable(): void {
    if (this.dead !== undefined) throw retryable('The hub stopped; reconnect to the new hub.');
    if (this.closing) throw retryable('The hub is shutting down; reconnect to the new hub.');
  }

  private async execute(fn: (ctx: CommandContext) => unknown, actor: string, requestId?: string): Promise<unknown> {
    this.assertUsable();
    const tx = this.tx;
    if (requestId !== undefined) {
      const prior = tx.get<{ result: string }>('SELECT result FROM hub_requests WHERE id = ?', [requestId]);
      if (prior) {
        await this.waitDurable(this.committedLsn);
        return JSON.parse(prior.result) as unknown;
      }
    }
    const now = Date.now();
    const writes: Write[] = [];
    let result: unknown;
    let eventSeq = 0;
    tx.run('BEGIN');
    try {
      tx.onWrite = (sql, params) => writes.push([sql, params]);
      result = fn(this.opts.hooks ? { tx, now, actor, hooks: this.opts.hooks } : { tx, now, actor }) ?? null;
      if (result !== null && typeof (result as { then?: unknown }).then === 'function') throw new DreamError('internal', 'A board command must not be async.');
      if (writes.length > 0) {
        if (requestId !== undefined) tx.run('INSERT INTO hub_requests (id, result, at) VALUES (?, ?, ?)', [requestId, JSON.stringify(result), now]);
        if (this.events) eventSeq = this.events.latest(tx);
      }
      tx.onWrite = undefined;
      tx.run(writes.length > 0 ? 'COMMIT' : 'ROLLBACK');
    } catch (err) {
      tx.onWrite = undefined;
      try {
        tx.run('ROLLBACK');
      } catch {
        /* the transaction already ended */
      }
      throw DreamError.from(err);
    }
    if (writes.length === 0) {
      if (this.durableLsn < this.committedLsn) await this.waitDurable(this.committedLsn);
      return result;
    }
    const lsn = ++this.committedLsn;
    if (this.segment) this.pending.bufs.push(encodeRecord(lsn, writes));
    this.pending.lsn = lsn;
    if (eventSeq > this.pending.eventSeq) this.pending.eventSeq = eventSeq;
    this.scheduleFlush();
    await this.waitDurable(lsn);
    return result;
  }

  private waitDurable(lsn: number): Promise<void> {
    if (this.durableLsn >= lsn) return Promise.resolve();
    if (this.dead !== undefined) return Promise.reject(retryable('The hub stopped before this was saved; retry.'));
    return new Promise((resolve, reject) => this.waiters.push({ lsn, resolve, reject }));
  }

  private scheduleFlush(): void {
    if (this.flushing || this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not now: commands arriving in the same event-loop turn join this batch.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.lsn > this.durableLsn && this.dead === undefined) {
        const batch = this.pending;
        this.pending = { bufs: [], lsn: batch.lsn, eventSeq: 0 };
        if (this.segment) {
          await this.segment.append(batch.bufs);
        } else {
          const image = exportImage(this.db, this.tx, batch.lsn);
          if (this.lockLost()) return;
          await atomicWriteFile(imagePath(this.dir), image, { durable: this.durability === 'full', mode: 0o600 });
        }
        // Durable, but perhaps where nobody will read it: acknowledge only while the lock is ours.
        if (this.lockLost()) return;
        this.st.batches++;
        this.advance(batch.lsn, batch.eventSeq);
        this.maybeCheckpoint();
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.flushing = false;
    }
  }

  private advance(lsn: number, eventSeq: number): void {
    this.durableLsn = lsn;
    let n = 0;
    while (n < this.waiters.length && this.waiters[n]!.lsn <= lsn) this.waiters[n++]!.resolve();
    if (n > 0) this.waiters.splice(0, n);
    if (eventSeq > this.durableEventSeq) {
      this.durableEventSeq = eventSeq;
      this.broadcast();
    }
  }

  private broadcast(): void {
    const events = this.events;
    if (!events) return;
    const live = [...this.subs].filter((s) => s.live);
    let from = this.broadcastSeq;
    this.broadcastSeq = this.durableEventSeq;
    if (live.length === 0) return;
    for (;;) {
      const page = events.readSince(this.tx, from, PAGE);
      for (const e of page) {
        if (e.seq > this.durableEventSeq) return;
        for (const s of live) this.deliver(s, e);
        from = e.seq;
      }
      if (page.length < PAGE) return;
    }
  }

  private deliver(sub: Sub, e: BoardEvent): void {
    if (sub.closed || e.seq <= sub.cursor) return;
    sub.cursor = e.seq;
    try {
      sub.onEvent(e);
    } catch (err) {
      this.log(`an event subscriber threw: ${(err as Error).message}`);
    }
  }

  /** Pages a new subscriber up to the durable head, one page per turn, then makes it live. */
  private catchUp(sub: Sub): void {
    if (sub.closed || this.dead !== undefined || !this.events) {
      sub.live = true;
      return;
    }
    const page = this.events.readSince(this.tx, sub.cursor, PAGE);
    let reachedHead = page.length < PAGE;
    for (const e of page) {
      if (e.seq > this.durableEventSeq) {
        reachedHead = true;
        break;
      }
      this.deliver(sub, e);
    }
    if (reachedHead) sub.live = true;
    else setImmediate(() => this.catchUp(sub));
  }

  private maybeCheckpoint(): void {
    const seg = this.segment;
    if (!seg || this.checkpointing || this.dead !== undefined) return;
    // The export blocks the hub for a time that grows with the board, so on a big board the
    // journal may grow as large as the image before it is folded in: the stall stays amortised.
    const limit = Math.max(this.opts.checkpointBytes ?? 32 * 1024 * 1024, this.imageBytes);
    const due = seg.bytes >= limit || (seg.bytes > 0 && Date.now() - this.lastCheckpointAt >= (this.opts.checkpointIntervalMs ?? 60_000));
    if (!due) return;
    // Synchronous part: the image is taken at a batch boundary, and the records after it go to a
    // new segment. Records in the new segment that the image already holds are skipped on replay.
    const t0 = performance.now();
    const image = exportImage(this.db, this.tx, this.committedLsn);
    this.imageBytes = image.length;
    this.st.maxStallMs = Math.max(this.st.maxStallMs, Math.round(performance.now() - t0));
    const old = [...this.sealed, { index: seg.index, file: segmentFile(this.dir, seg.index) }];
    this.sealed = old;
    seg.close();
    this.segment = new JournalSegment(this.dir, seg.index + 1, this.durability);
    this.lastCheckpointAt = Date.now();
    this.checkpointing = (async () => {
      if (this.lockLost()) return;
      await atomicWriteFile(imagePath(this.dir), image, { durable: this.durability === 'full', mode: 0o600 });
      if (this.lockLost()) return;
      await deleteSegments(old);
      this.sealed = this.sealed.filter((s) => !old.includes(s));
      this.st.checkpoints++;
    })()
      .catch((err: unknown) => this.log(`checkpoint failed (the journal keeps everything; will retry): ${(err as Error).message}`))
      .finally(() => (this.checkpointing = undefined));
  }

  private onTick(): void {
    if (!this.isOpen) return;
    this.ticks++;
    if (!this.flushing && !this.flushScheduled) this.maybeCheckpoint();
    if (this.upkeepBusy) return;
    const jobs: Promise<unknown>[] = this.upkeep.map((cmd) =>
      this.call(cmd, { actor: 'hub' }).catch((err: unknown) => {
        const e = DreamError.from(err);
        if (e.code === 'invalid_input') {
          this.upkeep = this.upkeep.filter((c) => c !== cmd);
          this.log(`upkeep command ${JSON.stringify(cmd)} is not known to this board; disabled`);
        } else if (this.isOpen) this.log(`upkeep failed: ${e.message}`);
      }),
    );
    if (this.ticks % 10 === 0) jobs.push(this.pruneRequests().catch(() => undefined));
    this.upkeepBusy = true;
    void Promise.all(jobs).finally(() => (this.upkeepBusy = false));
  }

  private async pruneRequests(): Promise<void> {
    const before = Date.now() - (this.opts.requestRetentionMs ?? 300_000);
    if (!this.tx.get('SELECT 1 AS x FROM hub_requests WHERE at < ? LIMIT 1', [before])) return;
    await this.execute((ctx) => ctx.tx.run('DELETE FROM hub_requests WHERE at < ?', [before]), 'hub');
  }

  /**
   * True (and the engine stops, failing what waits as retryable) when the hub lock is no longer
   * this hub's: another hub may own the board's files now.
   */
  private lockLost(): boolean {
    if (this.dead !== undefined) return true;
    if (!this.opts.lock || this.opts.lock.isHeld()) return false;
    this.fail(
      new Error(
        `the hub lock of ${this.dir} is no longer this hub's (removed by hand, or taken over by another hub): stopping without acknowledging ${this.committedLsn - this.durableLsn} pending write(s); their callers retry them on the hub that holds the lock now`,
      ),
    );
    return true;
  }

  /**
   * Tells the person what recovery found wrong with the board's storage (hub_notices), as urgent
   * mail to 'human' on the board, once: the mail and the notice's sent mark are one transaction.
   * A board without mail (a test executor) keeps the notice and logs it.
   */
  private async deliverNotices(): Promise<void> {
    let notices: { id: number; subject: string; body: string }[];
    try {
      notices = this.tx.all<{ id: number; subject: string; body: string }>('SELECT id, subject, body FROM hub_notices WHERE sent_at IS NULL ORDER BY id');
    } catch {
      return;
    }
    for (const n of notices) {
      this.log(`${n.subject}. ${n.body.replace(/\n+/g, ' ')}`);
      const mail = { type: 'mail.send', from: 'hub', to: { kind: 'human' }, subject: n.subject, body: n.body, priority: 'urgent', requiresAck: true };
      await this.execute((ctx) => {
        ctx.tx.run('UPDATE hub_notices SET sent_at = ? WHERE id = ?', [ctx.now, n.id]);
        return this.executor(ctx, mail);
      }, 'hub').catch((err: unknown) => this.log(`could not mail the person about it (${DreamError.from(err).message}); the notice stays in hub_notices`));
    }
  }

  /** Storage failed: nothing more may be acknowledged (a retried fsync proves nothing). */
  private fail(err: unknown): void {
    if (this.dead !== undefined) return;
    this.log(`storage failure, the hub stops: ${(err as Error)?.message ?? String(err)}`);
    this.stop(err);
    for (const l of this.fatalListeners) l(err);
  }

  private stop(reason: unknown): void {
    this.dead = reason ?? new Error('stopped');
    clearInterval(this.tick);
    const e = retryable('The hub stopped before this was saved; retry.');
    for (const w of this.waiters.splice(0)) w.reject(e);
    for (const s of this.subs) s.closed = true;
    this.subs.clear();
    this.segment?.close();
  }

  /**
   * Stops at once without writing anything more: the lock was lost, another hub may own the
   * files now. Whatever was not yet durable was never acknowledged.
   */
  abort(reason = 'aborted'): void {
    if (this.dead !== undefined) return;
    this.stop(new Error(reason));
    try {
      this.db.close();
    } catch {
      /* closing a database mid-statement */
    }
  }

  /** Finishes the pending batches, folds the journal into the image and closes. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.tick);
      await this.waitDurable(this.committedLsn).catch(() => undefined);
      await this.checkpointing;
      if (this.dead !== undefined || this.lockLost()) return;
      if (this.segment) {
        const image = exportImage(this.db, this.tx, this.committedLsn);
        await atomicWriteFile(imagePath(this.dir), image, { durable: this.durability === 'full', mode: 0o600 });
        this.segment.close();
        await deleteSegments([...this.sealed, { index: this.segment.index, file: segmentFile(this.dir, this.segment.index) }]);
      }
      this.stop(new Error('closed'));
      this.tx.clearCache();
      this.db.close();
    })();
    return this.closing;
  }
}
