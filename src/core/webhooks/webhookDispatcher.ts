/**
 * The webhook dispatcher runs inside the hub (HubRuntime starts it when the host gives it a
 * sender): the hub is the one process that sees every event the moment it is durable, and
 * whichever process is the hub — an editor window, `dreamos hub`, a client that took over — runs
 * it, so webhooks keep going across restarts and takeovers without a second service.
 *
 * On every burst of events (and once a second, for retries and tests) it queues what is news
 * (`webhook.fanout`), then sends the head of each URL's queue (`webhook.due`), one at a time per
 * URL, several URLs at once, and records each attempt (`webhook.attempt`). Everything it knows is
 * on the board: a new hub resumes exactly where the old one stopped. A request the old hub had in
 * flight when it stopped is sent again (at least once; receivers de-duplicate by
 * X-DreamOS-Delivery); one recorded as delivered is never sent again.
 */
import type { CommandInput, CommandResult } from '../commands';
import type { BoardEvent } from '../events/eventLog';
import type { RetryPolicy } from './rules';

/** The port to the outside: one HTTP POST. Throws when no answer came (refused, timed out, aborted). */
export interface WebhookSender {
  send(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<{ status: number; retryAfterMs?: number | undefined; error?: string | undefined }>;
}

/** What the dispatcher needs of the hub (HubEngine has both). */
export interface DispatcherBoard {
  call(command: unknown, opts: { actor: string }): Promise<unknown>;
  subscribe(afterSeq: number, onEvent: (e: BoardEvent) => void): { dispose(): void };
}

export interface DispatcherOptions {
  retry?: RetryPolicy;
  /** How often it looks for due retries and queued tests without an event (default 1 s). */
  pollMs?: number;
  log?: (msg: string) => void;
}

export class WebhookDispatcher {
  private readonly inFlight = new Map<string, AbortController>();
  private sub: { dispose(): void } | undefined;
  private readonly poll: NodeJS.Timeout;
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Until it first looked, it does not know: say so, so a hub does not go idle before its first look. */
  private waiting = true;
  /** The board had no webhooks when it last looked: the poll has nothing to do. */
  private idle = false;
  private readonly log: (msg: string) => void;

  constructor(
    private readonly board: DispatcherBoard,
    private readonly sender: WebhookSender,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.log = opts.log ?? (() => undefined);
    this.poll = setInterval(() => !this.idle && this.kick(), opts.pollMs ?? 1_000);
    this.poll.unref();
    // Events from now on only wake it: fanout reads the board's events itself, after the webhooks' own cursors.
    void this.call({ type: 'board.info' }).then(
      (info) => {
        if (!this.stopped) this.sub = board.subscribe(info.latestSeq, () => this.kick());
      },
      () => undefined,
    );
    this.kick();
  }

  private call<K extends CommandInput['type']>(command: Extract<CommandInput, { type: K }>): Promise<CommandResult<K>> {
    return this.board.call(command, { actor: 'hub' }) as Promise<CommandResult<K>>;
  }

  /** Runs a pump now, or once more after the running one. */
  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch((err: unknown) => {
        if (!this.stopped) this.log(`webhooks: ${(err as Error).message} (trying again shortly)`);
      })
      .finally(() => {
        this.pumping = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pump(): Promise<void> {
    let webhooks = 0;
    for (let more = true; more && !this.stopped; ) ({ more, webhooks } = await this.call({ type: 'webhook.fanout' }));
    this.idle = webhooks === 0;
    // No webhooks, so nothing can be queued: the next one added (board.configured) wakes it.
    if (this.stopped || this.idle) return void (this.waiting = false);
    const heads = await this.call({ type: 'webhook.due' });
    this.waiting = heads.length > 0;
    for (const d of heads) {
      if (!d.send || this.inFlight.has(d.url) || this.stopped) continue;
      const abort = new AbortController();
      this.inFlight.set(d.url, abort);
      void this.deliver(d.deliveryId, d.url, d.send, abort.signal).finally(() => {
        this.inFlight.delete(d.url);
        this.kick();
      });
    }
  }

  private async deliver(deliveryId: string, url: string, req: { headers: Record<string, string>; body: string }, signal: AbortSignal): Promise<void> {
    const t0 = Date.now();
    let result: { status: number; retryAfterMs?: number | undefined; error?: string | undefined } | { status: null; error: string };
    try {
      result = await this.sender.send(url, req.headers, req.body, signal);
    } catch (err) {
      result = { status: null, error: String((err as Error)?.message ?? err).slice(0, 1_000) };
    }
    // Stopped mid-request: nothing is recorded, the next hub sends it again.
    if (this.stopped || signal.aborted) return;
    const r = await this.call({ type: 'webhook.attempt', deliveryId, result, durationMs: Date.now() - t0, ...(this.opts.retry ? { policy: this.opts.retry } : {}) }).catch((err: unknown) => {
      this.log(`webhooks: could not record an attempt of ${deliveryId} (${(err as Error).message}); it will be sent again`);
      return undefined;
    });
    if (r && r.status === 'failed') this.log(`webhooks: gave up on ${deliveryId} to ${url}: ${r.why ?? ''}`);
  }

  /** Deliveries were waiting (to be sent, or for a retry) when it last looked. */
  get pending(): boolean {
    return this.waiting || this.inFlight.size > 0;
  }

  /** Stops sending: requests in flight are abandoned unrecorded (the next hub sends them again). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.poll);
    this.sub?.dispose();
    for (const a of this.inFlight.values()) a.abort(new Error('the hub is stopping'));
    await this.pumping;
  }
}
