/**
 * The host side of the dashboard protocol, independent of the transport: the VS Code panel and the
 * browser dashboard server both plug their clients into one `DashboardHost`. It reads the board
 * through a BoardMirror (src/core/mirror): the editor's session's own, or one of its own for the
 * browser dashboard. Each change of the mirror becomes one `delta` for every visible client (the
 * events plus the cards of the tasks they touched, and the agents when an agent changed); it
 * answers requests through a handler table and re-sends the full state whenever a client (re)loads.
 *
 * The full state comes from the mirror, not from the board: a (re)load costs no board reads. The
 * mirror reads the whole board only on a resync, an import or a gap (and `warm()` starts the first
 * read before the first client asks); a change too big for a delta (an import) is a full state.
 */
import { actionLabel, actionsFor, commandForAction } from '../../core/board/actions';
import type { Task } from '../../core/board/boardModel';
import { BoardMirror, type MirrorChange, type MirrorSnapshot } from '../../core/mirror/boardMirror';
import type { BoardPort } from '../../core/port';
import { DreamError } from '../../core/errors';
import type { BoardEvent } from '../../core/events/eventLog';
import { controlAgent } from '../../core/loop/swarm';
import { describeEvent, type RunRecord } from '../../core/runs/runModel';
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
  type RunDigest,
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
  /** The board mirror to read, loaded (the editor's session has one); without it the host keeps its own over `open()`'s link. */
  mirror?: () => Promise<BoardMirror>;
  boardDir: string;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** At most one delta per this many ms (default 25); a change after a quiet spell is sent at once. For the host's own mirror. */
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

/** The `state` as last built, for the mirror snapshot and role it was built from. */
interface Built {
  snapshot: MirrorSnapshot;
  role: HubRole;
  events: readonly BoardEvent[];
  message: StateMessage;
}

type Handler<A extends DashboardRequest['action']> = (link: BoardLink, r: Extract<ParsedRequest, { action: A }>) => Promise<DashboardResults[A]>;
type ParsedRequest = Extract<ParsedClientMessage, { type: 'request' }>['request'];

const card = async (p: Promise<unknown>) => toTaskCard((await p) as Task);

/** One small handler per request; each is one board command. */
const HANDLERS: { [A in DashboardRequest['action']]: Handler<A> } = {
  'task.show': async (l, r) => {
    const [d, runs] = await Promise.all([l.call({ type: 'task.show', taskId: r.taskId }), taskRuns(l, r.taskId)]);
    // The fencing token stays with the agent that owns the lease.
    const actions = actionsFor(d.task.status).map((action) => ({ action, label: actionLabel(action, d.task.status) }));
    return { ...d, task: { ...d.task, lease: d.task.lease ? { expiresAt: d.task.lease.expiresAt } : null }, actions, runs };
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

/** How many of a task's runs the details list, and how many transcript lines the newest shows. */
const RUNS_SHOWN = 5;
const TRANSCRIPT_LINES = 300;

/** The task's newest runs, the newest with its transcript as lines a person reads. */
async function taskRuns(l: BoardLink, taskId: string): Promise<RunDigest[]> {
  const list = await l.call({ type: 'run.list', taskId, limit: RUNS_SHOWN });
  const digest = (r: RunRecord): RunDigest => {
    const { events, taskId: _t, protocol: _p, sessionId: _s, resumed: _r, ...rest } = r;
    if (!events) return rest;
    const lines = events.map(describeEvent).filter(Boolean);
    return { ...rest, transcript: lines.slice(-TRANSCRIPT_LINES), dropped: r.dropped + Math.max(0, lines.length - TRANSCRIPT_LINES) };
  };
  if (!list[0]) return [];
  const newest = await l.call({ type: 'run.show', runId: list[0].id });
  return [digest(newest), ...list.slice(1).map(digest)];
}

/** Past this many touched tasks in one change (an import, a mass retry) a full state is cheaper for the client. */
const FULL_STATE_AFTER = 300;
const RECENT_EVENTS = 200;

export class DashboardHost {
  private readonly peers = new Set<Peer>();
  private link: BoardLink | undefined;
  private opening: Promise<BoardLink> | undefined;
  private mirror: BoardMirror | undefined;
  private ownMirror = false;
  private listening: { dispose(): void } | undefined;
  private roleWatch: { dispose(): void } | undefined;
  /** The cards as the `state` sends them, for one version of the mirror's task list. */
  private table: { tasks: readonly Task[]; table: CardTable } | undefined;
  private readonly cards = new WeakMap<Task, TaskCard>();
  private built: Built | undefined;
  private lastState: { message: StateMessage; json: string } | undefined;
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
        await this.ensureMirror();
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

  /** The mirror, loaded and followed: the session's, or the host's own. */
  private async ensureMirror(): Promise<BoardMirror> {
    if (this.mirror?.isLoaded && this.listening) return this.mirror;
    const link = await this.open();
    if (!this.mirror) {
      if (this.opts.mirror) this.mirror = await this.opts.mirror();
      else {
        this.ownMirror = true;
        this.mirror = new BoardMirror(link, (afterSeq, onEvent) => link.subscribe(afterSeq, onEvent), {
          batchMs: this.opts.batchMs ?? 25,
          recentEvents: RECENT_EVENTS,
          // The dashboard shows tasks, agents and events; the person's inbox and proposals are the editor's.
          inbox: false,
          proposals: false,
          ...(this.opts.log ? { log: this.opts.log } : {}),
        });
      }
    }
    const mirror = this.mirror;
    await mirror.start();
    // Listening only once loaded: the first read is this call's own, not a change to re-send.
    if (!this.listening && !this.disposed) {
      this.listening = mirror.onDidChange((c) => void this.serially(() => this.changed(c)));
      // After a takeover this window may have become the hub: the board is read again, every client re-synced.
      this.roleWatch = link.onDidChangeRole?.(() => void this.serially(() => mirror.reload()));
    }
    return mirror;
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
   * A client that has the board through `seq` gets what it missed as one delta, from the mirror
   * (its recent events and the current cards of the tasks they touched), or the full state when
   * those events are no longer all there.
   */
  private resume(peer: Peer, seq: number): Promise<void> {
    return this.serially(async () => {
      let mirror: BoardMirror;
      try {
        mirror = await this.ensureMirror();
      } catch {
        return this.stateTo(peer); // which reports the failure
      }
      const events = mirror.recentEvents;
      const latest = mirror.snapshot.latestSeq;
      const first = events[0]?.seq;
      const covered = seq === latest || (seq < latest && first !== undefined && first <= seq + 1);
      if (!covered) return this.stateTo(peer);
      const missed = events.filter((e) => e.seq > seq);
      // An import names no tasks in its event: only a full state shows them.
      if (missed.some((e) => e.type === 'board.imported')) return this.stateTo(peer);
      const touched = new Set(missed.filter((e) => e.type.startsWith('task.') && e.subject).map((e) => e.subject));
      const tasks = [...touched].flatMap((id) => {
        const t = mirror.task(id);
        return t ? [this.card(t)] : [];
      });
      peer.seq = latest;
      peer.ready = true;
      peer.send({ type: 'delta', events: missed, tasks, agents: mirror.snapshot.agents, latestSeq: latest, role: this.role() });
    });
  }

  private card(t: Task): TaskCard {
    let c = this.cards.get(t);
    if (!c) this.cards.set(t, (c = toTaskCard(t)));
    return c;
  }

  private async snapshot(): Promise<StateMessage> {
    const mirror = await this.ensureMirror();
    const snap = mirror.snapshot;
    const role = this.role();
    const b = this.built;
    if (b && b.snapshot === snap && b.role === role && b.events === mirror.recentEvents) return b.message;
    if (this.table?.tasks !== snap.tasks) this.table = { tasks: snap.tasks, table: encodeCards(snap.tasks.map((t) => this.card(t)).sort(claimOrder)) };
    const state: DashboardState = { boardDir: this.opts.boardDir, role, cards: this.table.table, agents: snap.agents, latestSeq: snap.latestSeq, recentEvents: [...mirror.recentEvents] };
    const message: StateMessage = { type: 'state', state };
    this.built = { snapshot: snap, role, events: mirror.recentEvents, message };
    return message;
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

  private role(): HubRole {
    const r = this.link?.role;
    return r === 'hub' || r === 'client' ? r : 'closed';
  }

  /** One change of the mirror: a delta for every visible client, or the full state when a delta would not do. */
  private async changed(c: MirrorChange): Promise<void> {
    const ready = [...this.peers].filter((p) => p.ready);
    if (!ready.length || this.disposed) return;
    const gone = [...c.tasks.values()].some((v) => !v.after);
    if (c.full || gone || c.tasks.size > FULL_STATE_AFTER) return this.resyncAll();
    if (!c.events.length) return;
    const tasks = [...c.tasks.values()].flatMap((v) => (v.after ? [this.card(v.after)] : []));
    const agents = c.agents.size ? c.snapshot.agents : undefined;
    const latestSeq = c.events[c.events.length - 1]!.seq;
    for (const p of ready) {
      const fresh = c.events.filter((e) => e.seq > p.seq);
      p.seq = Math.max(p.seq, latestSeq);
      p.send({ type: 'delta', events: fresh, tasks, ...(agents ? { agents } : {}), latestSeq: p.seq, role: this.role() });
    }
  }

  /** Sends every visible client the full state (after an import, a resync, a change of hub). */
  private async resyncAll(): Promise<void> {
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
    this.listening?.dispose();
    this.listening = undefined;
    this.roleWatch?.dispose();
    if (this.ownMirror) this.mirror?.dispose();
    this.mirror = undefined;
    this.peers.clear();
    this.built = undefined;
    this.table = undefined;
    this.lastState = undefined;
  }
}
