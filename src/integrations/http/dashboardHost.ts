/**
 * The host side of the dashboard protocol, independent of the transport: the VS Code panel and the
 * browser dashboard server both plug their clients into one `DashboardHost`. It owns one event
 * subscription per board, turns bursts of events into one `delta` (the events plus the tasks and
 * agents they touched, fetched once for all clients), answers requests through a handler table and
 * re-sends the full state whenever a client (re)loads.
 *
 * The full state comes from a cache, not from the board: the cards, agents and recent events are read
 * once (`warm()` starts that before the first client asks), then kept current by the same events
 * that make the deltas. A (re)load costs no board reads; a burst too big for a delta (an import) or
 * a change of hub drops the cache, and the next state reads the board again.
 */
import { actionLabel, actionsFor, commandForAction } from '../../core/board/actions';
import type { Agent, Task } from '../../core/board/model';
import type { BoardPort } from '../../core/port';
import { DreamError } from '../../core/errors';
import type { BoardEvent } from '../../core/events/events';
import { controlAgent } from '../../core/loop/swarm';
import {
  claimOrder,
  decodeClientMessage,
  encodeCards,
  toTaskCard,
  type CardTable,
  type DashboardRequest,
  type DashboardResults,
  type DashboardState,
  type HostToClient,
  type HubRole,
  type ParsedClientMessage,
  type StateMessage,
  type TaskCard,
} from '../../protocol/dashboard';

/** What the dashboard needs from a board connection (the hub client and BoardConnection satisfy it). */
export interface BoardLink extends BoardPort {
  subscribe(afterSeq: number, onEvent: (e: BoardEvent) => void): { dispose(): void };
  readonly role: string;
  /** The hub client has it: after a takeover this window may have become the hub. */
  readonly onDidChangeRole?: (listener: (role: string) => void) => { dispose(): void };
}

export interface DashboardHostOptions {
  /** Opens (or returns) the board connection; called by `warm()` or on the first `ready`. */
  open: () => Promise<BoardLink>;
  boardDir: string;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** At most one delta per this many ms (default 25); a change after a quiet spell is sent at once. */
  batchMs?: number;
}

/** One connected dashboard: the transport gives `send`, and feeds what arrives into `receive`. */
export interface DashboardClient {
  receive(raw: unknown): Promise<void>;
  /** A hidden VS Code webview is gone; it says `ready` again when shown. */
  setHidden(): void;
  detach(): void;
}

interface Peer {
  send: (m: HostToClient) => void;
  ready: boolean;
  /** The newest event this client has: older ones in a delta are skipped. */
  seq: number;
}

/** What the host knows about the board, kept current by its events. Shared arrays are replaced, never mutated. */
interface Cache {
  cards: Map<string, TaskCard>;
  agents: Agent[];
  /** The newest events, oldest first. */
  events: BoardEvent[];
  /** The cache reflects the board at least through this event. */
  seq: number;
  /** Tasks changed while no client was listening: re-read before the next state. */
  dirty: Set<string>;
  agentsDirty: boolean;
  /** The cards as the `state` sends them, until a card changes. */
  table: CardTable | undefined;
  /** The whole `state` message, until anything changes (one object, so `serialize` can reuse its text). */
  message: StateMessage | undefined;
}

type Handler<A extends DashboardRequest['action']> = (link: BoardLink, r: Extract<ParsedRequest, { action: A }>) => Promise<DashboardResults[A]>;
type ParsedRequest = Extract<ParsedClientMessage, { type: 'request' }>['request'];

const card = async (p: Promise<unknown>) => toTaskCard((await p) as Task);

/** One small handler per request; each is one board command. */
const HANDLERS: { [A in DashboardRequest['action']]: Handler<A> } = {
  'task.show': async (l, r) => {
    const d = await l.call({ type: 'task.show', taskId: r.taskId });
    // The fencing token stays with the agent that owns the lease.
    const actions = actionsFor(d.task.status).map((action) => ({ action, label: actionLabel(action, d.task.status) }));
    return { ...d, task: { ...d.task, lease: d.task.lease ? { expiresAt: d.task.lease.expiresAt } : null }, actions };
  },
  'task.create': (l, r) => card(l.call({ type: 'task.add', title: r.title, priority: r.priority, ...(r.kind ? { kind: r.kind } : {}), ...(r.description ? { description: r.description } : {}) })),
  'task.done': (l, r) => card(l.call({ type: 'task.done', taskId: r.taskId, summary: r.summary })),
  'task.cancel': (l, r) => card(l.call({ type: 'task.cancel', taskId: r.taskId, reason: r.reason || 'cancelled from the dashboard' })),
  'task.retry': async (l, r) => {
    // Unblock, retry or reopen, as the task's status asks (core/board/actions).
    const { task } = await l.call({ type: 'task.show', taskId: r.taskId });
    return card(l.call(commandForAction('retry', task, 'retried from the dashboard')));
  },
  'task.assign': (l, r) => card(l.call({ type: 'task.assign', taskId: r.taskId, agentId: r.agentId })),
  // Start/Stop starts or stops the agent's loop where the board's swarm runs it; with no swarm, Start is refused with what to do.
  'agent.lifecycle': async (l, r) => {
    await controlAgent(l, r.agentId, r.lifecycle === 'start' ? 'running' : 'stopped', { reason: 'from the dashboard' });
    return await l.call({ type: 'agent.show', agent: r.agentId });
  },
};

/** Past this many touched tasks in one burst (an import, a mass retry) a full state is cheaper. */
const FULL_STATE_AFTER = 300;
const RECENT_EVENTS = 200;
/** Events that may change an agent's status or current task. */
const AGENT_EVENTS = /^(agent\.|task\.(claimed|transitioned|updated))/;

export class DashboardHost {
  private readonly peers = new Set<Peer>();
  private link: BoardLink | undefined;
  private opening: Promise<BoardLink> | undefined;
  private subscription: { dispose(): void } | undefined;
  private roleWatch: { dispose(): void } | undefined;
  private pending: BoardEvent[] = [];
  private cache: Cache | undefined;
  private lastState: { message: StateMessage; json: string } | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlush = 0;
  /** Snapshots and deltas run one after another, so every client sees them in board order. */
  private chain: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(private readonly opts: DashboardHostOptions) {}

  attach(send: (m: HostToClient) => void): DashboardClient {
    const peer: Peer = { send, ready: false, seq: 0 };
    this.peers.add(peer);
    return {
      receive: (raw) => this.receive(peer, raw),
      setHidden: () => (peer.ready = false),
      detach: () => this.peers.delete(peer),
    };
  }

  get clientCount(): number {
    return this.peers.size;
  }

  /**
   * Opens the board and reads what the first state needs, without waiting for a client: the UI
   * loads in the meantime. A failure is only logged; the client's `ready` tries again.
   */
  warm(): void {
    void this.serially(async () => {
      try {
        await this.ensureCache();
      } catch (err) {
        this.opts.log?.('warn', `The dashboard could not read the board yet: ${DreamError.from(err).message}`);
      }
    });
  }

  private async receive(peer: Peer, raw: unknown): Promise<void> {
    const decoded = decodeClientMessage(raw);
    if (!decoded.ok) {
      this.opts.log?.('warn', decoded.error.message);
      peer.send(decoded.requestId !== undefined ? { type: 'response', requestId: decoded.requestId, ok: false, error: decoded.error } : { type: 'error', error: decoded.error });
      return;
    }
    const m = decoded.message;
    if (m.type === 'ready') return m.seq === undefined ? this.sendState(peer) : this.resume(peer, m.seq);
    try {
      const link = await this.open();
      const handler = HANDLERS[m.request.action] as Handler<DashboardRequest['action']>;
      const result = await handler(link, m.request as never);
      peer.send({ type: 'response', requestId: m.requestId, ok: true, result });
    } catch (err) {
      const e = DreamError.from(err);
      peer.send({ type: 'response', requestId: m.requestId, ok: false, error: { code: e.code, message: e.message } });
    }
  }

  private open(): Promise<BoardLink> {
    if (this.link) return Promise.resolve(this.link);
    this.opening ??= this.opts.open().then(
      (link) => (this.link = link),
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }

  /** The `state` a client gets on `ready`: the browser tab fetches it over HTTP while its UI loads. */
  state(): Promise<StateMessage> {
    return new Promise((resolve, reject) => {
      void this.serially(async () => {
        try {
          resolve(await this.snapshot());
        } catch (err) {
          reject(DreamError.from(err));
        }
      });
    });
  }

  private sendState(peer: Peer): Promise<void> {
    return this.serially(() => this.stateTo(peer));
  }

  /** Runs inside `serially`. */
  private async stateTo(peer: Peer): Promise<void> {
    try {
      const m = await this.snapshot();
      peer.seq = m.state.latestSeq;
      peer.ready = true;
      peer.send(m);
    } catch (err) {
      const e = DreamError.from(err);
      this.opts.log?.('error', `The dashboard could not read the board: ${e.message}`);
      peer.send({ type: 'error', error: { code: e.code, message: `The dashboard could not read the board: ${e.message}` } });
    }
  }

  /**
   * A client that has the board through `seq` gets what it missed as one delta, from the cache
   * (the recent events and the current cards of the tasks they touched), or the full state when
   * those events are no longer all in the cache.
   */
  private resume(peer: Peer, seq: number): Promise<void> {
    return this.serially(async () => {
      let cache: Cache;
      try {
        cache = await this.ensureCache();
      } catch {
        return this.stateTo(peer); // which reports the failure
      }
      const first = cache.events[0]?.seq;
      const covered = seq === cache.seq || (seq < cache.seq && first !== undefined && first <= seq + 1);
      if (!covered) return this.stateTo(peer);
      const missed = cache.events.filter((e) => e.seq > seq);
      // An import names no tasks in its event: only a full state shows them.
      if (missed.some((e) => e.type === 'board.imported')) return this.stateTo(peer);
      const touched = new Set(missed.filter((e) => e.type.startsWith('task.') && e.subject).map((e) => e.subject));
      const tasks = [...touched].flatMap((id) => cache.cards.get(id) ?? []);
      peer.seq = cache.seq;
      peer.ready = true;
      peer.send({ type: 'delta', events: missed, tasks, agents: cache.agents, latestSeq: cache.seq, role: this.role() });
    });
  }

  private async snapshot(): Promise<StateMessage> {
    const cache = await this.ensureCache();
    cache.table ??= encodeCards([...cache.cards.values()].sort(claimOrder));
    const state: DashboardState = { boardDir: this.opts.boardDir, role: this.role(), cards: cache.table, agents: cache.agents, latestSeq: cache.seq, recentEvents: cache.events };
    cache.message ??= { type: 'state', state };
    return cache.message;
  }

  /**
   * A message as JSON text. A state is a large message that many clients get unchanged (every
   * load, every reconnect): its text is made once per version of the board.
   */
  serialize(m: HostToClient): string {
    if (m.type !== 'state') return JSON.stringify(m);
    if (this.lastState?.message !== m) this.lastState = { message: m, json: JSON.stringify(m) };
    return this.lastState.json;
  }

  /** Reads the board into the cache if there is none, or re-reads what changed while nobody listened. */
  private async ensureCache(): Promise<Cache> {
    const link = await this.open();
    let cache = this.cache;
    if (!cache) {
      // latestSeq first: whatever changes while the lists are read arrives again as an event.
      const info = await link.call({ type: 'board.info' });
      const [tasks, agents, events] = await Promise.all([
        link.call({ type: 'task.list' }),
        link.call({ type: 'agent.list' }),
        link.call({ type: 'events.since', afterSeq: Math.max(0, info.latestSeq - RECENT_EVENTS), limit: RECENT_EVENTS }),
      ]);
      const cards = new Map<string, TaskCard>();
      for (const t of tasks) cards.set(t.id, toTaskCard(t));
      cache = { cards, agents, events, seq: info.latestSeq, dirty: new Set(), agentsDirty: false, table: undefined, message: undefined };
      this.cache = cache;
      this.ensureSubscribed(info.latestSeq);
      return cache;
    }
    if (cache.dirty.size || cache.agentsDirty) {
      const ids = [...cache.dirty];
      cache.dirty = new Set();
      const [cards, agents] = await Promise.all([this.readCards(link, ids), cache.agentsDirty ? (link.call({ type: 'agent.list' })) : undefined]);
      cache.agentsDirty = false;
      this.upsert(cache, cards, agents);
    }
    return cache;
  }

  private readCards(link: BoardLink, ids: Iterable<string>): Promise<TaskCard[]> {
    return Promise.all([...ids].map((taskId) => (link.call({ type: 'task.show', taskId })).then((d) => toTaskCard(d.task), () => undefined))).then((cards) => cards.filter((c): c is TaskCard => c !== undefined));
  }

  private upsert(cache: Cache, cards: TaskCard[], agents: Agent[] | undefined): void {
    for (const c of cards) cache.cards.set(c.id, c);
    if (cards.length) cache.table = undefined;
    if (agents) cache.agents = agents;
    if (cards.length || agents) cache.message = undefined;
  }

  private role(): HubRole {
    const r = this.link?.role;
    return r === 'hub' || r === 'client' ? r : 'closed';
  }

  private ensureSubscribed(afterSeq: number): void {
    if (this.subscription || !this.link || this.disposed) return;
    this.roleWatch = this.link.onDidChangeRole?.(() => void this.serially(() => this.resyncAll()));
    this.subscription = this.link.subscribe(afterSeq, (e) => {
      this.pending.push(e);
      // The first change after a quiet spell goes out at once (with whatever arrives in the same
      // turn); after that, at most one delta per batchMs, however fast the board changes.
      this.flushTimer ??= setTimeout(
        () => {
          this.flushTimer = undefined;
          this.lastFlush = Date.now();
          void this.serially(() => this.flush());
        },
        Math.max(0, this.lastFlush + (this.opts.batchMs ?? 25) - Date.now()),
      );
    });
  }

  private async flush(): Promise<void> {
    const events = this.pending.splice(0);
    const cache = this.cache;
    if (!events.length || !this.link) return;
    // No cache (reading the board failed last time): whoever is watching gets a fresh full state.
    if (!cache) return this.resyncAll();
    const link = this.link;
    const known = cache.seq;
    const newer = events.filter((e) => e.seq > known);
    if (newer.length) {
      cache.events = [...cache.events, ...newer].slice(-RECENT_EVENTS);
      cache.seq = newer[newer.length - 1]!.seq;
      cache.message = undefined;
    }
    const ready = [...this.peers].filter((p) => p.ready);
    const taskIds = new Set(events.filter((e) => e.type.startsWith('task.') && e.subject).map((e) => e.subject));
    const agentsChanged = events.some((e) => AGENT_EVENTS.test(e.type));
    if (taskIds.size > FULL_STATE_AFTER || events.some((e) => e.type === 'board.imported' || e.type === 'board.resync')) {
      this.cache = undefined;
      return this.resyncAll();
    }
    if (!ready.length) {
      // Nobody to tell: remember what to re-read, and read it when someone asks.
      for (const id of taskIds) cache.dirty.add(id);
      cache.agentsDirty ||= agentsChanged;
      if (cache.dirty.size > FULL_STATE_AFTER) this.cache = undefined;
      return;
    }
    const [cards, agents] = await Promise.all([this.readCards(link, taskIds), agentsChanged ? (link.call({ type: 'agent.list' })) : undefined]);
    if (this.cache === cache) this.upsert(cache, cards, agents);
    const latestSeq = events[events.length - 1]!.seq;
    for (const p of ready) {
      const fresh = events.filter((e) => e.seq > p.seq);
      p.seq = Math.max(p.seq, latestSeq);
      p.send({ type: 'delta', events: fresh, tasks: cards, ...(agents ? { agents } : {}), latestSeq: p.seq, role: this.role() });
    }
  }

  /** Sends every visible client the full state, read afresh (after an import, or a change of hub). */
  private async resyncAll(): Promise<void> {
    this.cache = undefined;
    const ready = [...this.peers].filter((p) => p.ready);
    if (!ready.length) return;
    const m = await this.snapshot();
    for (const p of ready) {
      p.seq = m.state.latestSeq;
      p.send(m);
    }
  }

  private serially(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step).catch((err: unknown) => this.opts.log?.('error', `Dashboard update failed: ${DreamError.from(err).message}`));
    this.chain = next;
    return next;
  }

  dispose(): void {
    this.disposed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.subscription?.dispose();
    this.subscription = undefined;
    this.roleWatch?.dispose();
    this.peers.clear();
    this.cache = undefined;
    this.lastState = undefined;
  }
}
