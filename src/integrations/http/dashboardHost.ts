/**
 * The host side of the dashboard protocol, independent of the transport: the VS Code panel and the
 * browser dashboard server both plug their clients into one `DashboardHost`. It owns one event
 * subscription per board, turns bursts of events into one `delta` (the events plus the tasks and
 * agents they touched, fetched once for all clients), answers requests through a handler table and
 * re-sends the full state whenever a client (re)loads.
 */
import type { Agent, Task } from '../../core/board/model';
import type { CommandInput } from '../../core/commands';
import { DreamError } from '../../core/errors';
import type { BoardEvent } from '../../core/events/events';
import {
  decodeClientMessage,
  toTaskCard,
  type DashboardRequest,
  type DashboardResults,
  type DashboardState,
  type HostToClient,
  type HubRole,
  type ParsedClientMessage,
  type TaskCard,
  type TaskDetails,
} from '../../protocol/dashboard';

/** What the dashboard needs from a board connection (the hub client and BoardConnection satisfy it). */
export interface BoardLink {
  call(command: CommandInput): Promise<unknown>;
  subscribe(afterSeq: number, onEvent: (e: BoardEvent) => void): { dispose(): void };
  readonly role: string;
  /** The hub client has it: after a takeover this window may have become the hub. */
  readonly onDidChangeRole?: (listener: (role: string) => void) => { dispose(): void };
}

export interface DashboardHostOptions {
  /** Opens (or returns) the board connection; called on the first `ready`. */
  open: () => Promise<BoardLink>;
  boardDir: string;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** How long events are gathered into one delta. */
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

type Handler<A extends DashboardRequest['action']> = (link: BoardLink, r: Extract<ParsedRequest, { action: A }>) => Promise<DashboardResults[A]>;
type ParsedRequest = Extract<ParsedClientMessage, { type: 'request' }>['request'];

const card = async (p: Promise<unknown>) => toTaskCard((await p) as Task);

/** One small handler per request; each is one board command. */
const HANDLERS: { [A in DashboardRequest['action']]: Handler<A> } = {
  'task.show': async (l, r) => {
    const d = (await l.call({ type: 'task.show', taskId: r.taskId })) as { task: Task } & Omit<TaskDetails, 'task'>;
    // The fencing token stays with the agent that owns the lease.
    return { ...d, task: { ...d.task, lease: d.task.lease ? { expiresAt: d.task.lease.expiresAt } : null } };
  },
  'task.create': (l, r) => card(l.call({ type: 'task.add', title: r.title, priority: r.priority, ...(r.kind ? { kind: r.kind } : {}), ...(r.description ? { description: r.description } : {}) })),
  'task.done': (l, r) => card(l.call({ type: 'task.done', taskId: r.taskId, summary: r.summary })),
  'task.cancel': (l, r) => card(l.call({ type: 'task.cancel', taskId: r.taskId, reason: r.reason || 'cancelled from the dashboard' })),
  'task.retry': (l, r) => card(l.call({ type: 'task.retry', taskId: r.taskId, reason: 'retried from the dashboard' })),
  'task.assign': (l, r) => card(l.call({ type: 'task.assign', taskId: r.taskId, agentId: r.agentId })),
  'agent.lifecycle': async (l, r) => (await l.call({ type: 'agent.lifecycle', agent: r.agentId, action: r.lifecycle, reason: 'from the dashboard' })) as Agent,
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
  private flushTimer: NodeJS.Timeout | undefined;
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

  private async receive(peer: Peer, raw: unknown): Promise<void> {
    const decoded = decodeClientMessage(raw);
    if (!decoded.ok) {
      this.opts.log?.('warn', decoded.error.message);
      peer.send(decoded.requestId !== undefined ? { type: 'response', requestId: decoded.requestId, ok: false, error: decoded.error } : { type: 'error', error: decoded.error });
      return;
    }
    const m = decoded.message;
    if (m.type === 'ready') return this.sendState(peer);
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

  private sendState(peer: Peer): Promise<void> {
    return this.serially(async () => {
      try {
        const state = await this.snapshot();
        peer.seq = state.latestSeq;
        peer.ready = true;
        peer.send({ type: 'state', state });
        this.ensureSubscribed(state.latestSeq);
      } catch (err) {
        const e = DreamError.from(err);
        this.opts.log?.('error', `The dashboard could not read the board: ${e.message}`);
        peer.send({ type: 'error', error: { code: e.code, message: `The dashboard could not read the board: ${e.message}` } });
      }
    });
  }

  private async snapshot(): Promise<DashboardState> {
    const link = await this.open();
    // latestSeq first: whatever changes while the lists are read arrives again as a delta.
    const info = (await link.call({ type: 'board.info' })) as { latestSeq: number };
    const [tasks, agents, recentEvents] = await Promise.all([
      link.call({ type: 'task.list' }) as Promise<Task[]>,
      link.call({ type: 'agent.list' }) as Promise<Agent[]>,
      link.call({ type: 'events.since', afterSeq: Math.max(0, info.latestSeq - RECENT_EVENTS), limit: RECENT_EVENTS }) as Promise<BoardEvent[]>,
    ]);
    return { boardDir: this.opts.boardDir, role: this.role(), tasks: tasks.map(toTaskCard), agents, latestSeq: info.latestSeq, recentEvents };
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
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = undefined;
        void this.serially(() => this.flush());
      }, this.opts.batchMs ?? 25);
    });
  }

  private async flush(): Promise<void> {
    const events = this.pending.splice(0);
    const ready = [...this.peers].filter((p) => p.ready);
    if (!events.length || !ready.length || !this.link) return;
    const link = this.link;
    const taskIds = new Set(events.filter((e) => e.type.startsWith('task.') && e.subject).map((e) => e.subject));
    if (taskIds.size > FULL_STATE_AFTER || events.some((e) => e.type === 'board.imported')) return this.resyncAll();
    const [tasks, agents] = await Promise.all([
      Promise.all([...taskIds].map((taskId) => (link.call({ type: 'task.show', taskId }) as Promise<{ task: Task }>).then((d) => toTaskCard(d.task), () => undefined))),
      events.some((e) => AGENT_EVENTS.test(e.type)) ? (link.call({ type: 'agent.list' }) as Promise<Agent[]>) : Promise.resolve(undefined),
    ]);
    const cards = tasks.filter((t): t is TaskCard => t !== undefined);
    const latestSeq = events[events.length - 1]!.seq;
    for (const p of ready) {
      const fresh = events.filter((e) => e.seq > p.seq);
      p.seq = Math.max(p.seq, latestSeq);
      p.send({ type: 'delta', events: fresh, tasks: cards, ...(agents ? { agents } : {}), latestSeq: p.seq, role: this.role() });
    }
  }

  /** Sends every visible client the full state (after an import, or a change of hub). */
  private async resyncAll(): Promise<void> {
    const ready = [...this.peers].filter((p) => p.ready);
    if (!ready.length) return;
    const state = await this.snapshot();
    for (const p of ready) {
      p.seq = state.latestSeq;
      p.send({ type: 'state', state });
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
  }
}
