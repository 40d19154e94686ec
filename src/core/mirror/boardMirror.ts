/**
 * The one client-side copy of the board, kept current by the board's events: the editor's session
 * (and through it the trees, Needs You and the status bar) and the dashboard host read it. It is
 * transport-neutral: it needs a BoardPort and a `subscribe(afterSeq, onEvent)`, which the hub's
 * in-process engine, its socket client and the tests' memory board all give.
 *
 * It reads the board once (`start`), then turns each burst of events into a delta: it re-reads only
 * what the events touched — the tasks (one `task.get` for all of them), the agents (`agent.show`),
 * the person's inbox (`mail.inbox`, only for mail to or acked by the person), the proposals
 * (`proposal.show`) — and says what changed, by id, so a view refreshes just those nodes. The whole
 * board is read again only on `board.resync` (retention deleted events this mirror had not seen),
 * on `board.imported` (an import names no tasks), on a gap in the event sequence, or when one burst
 * touches more than half as many things as the board has tasks (then one full read is cheaper:
 * fullReloadAfter, measured in bench/mirror.bench.ts).
 *
 * What no event reports is not followed: a lease renewal (`task.renew`) and the heartbeats inside
 * the board's heartbeat event window move a lease's expiry and an agent's last heartbeat quietly;
 * the next event about that task or agent brings them up to date.
 */
import type { Agent, Message, Task } from '../board/boardModel';
import type { BoardEvent } from '../events/eventLog';
import type { BoardPort } from '../port';
import type { ProposalSummary } from '../proposals/proposalModel';

export interface MirrorSnapshot {
  /** In the board's order (task.list's: priority, then age). */
  tasks: Task[];
  /** Not retired, by name (agent.list's). */
  agents: Agent[];
  /** Mail to the person that still waits for an answer or an ack. */
  humanInbox: Message[];
  /** Proposals recent enough to show: open ones first (as listed: without their audit trail). */
  proposals: ProposalSummary[];
  /** The snapshot reflects the board at least through this event. */
  latestSeq: number;
}

/** One thing's version before and after a change; `after` undefined: it left the snapshot. */
export interface Versions<T> {
  before: T | undefined;
  after: T | undefined;
}

export interface MirrorChange {
  /** The whole board was read again: anything may have changed (the maps below are empty). */
  readonly full: boolean;
  /** Why, when `full`: 'load', 'resync', 'import', 'gap', 'burst', 'reload', 'error'. */
  readonly reason?: string;
  readonly tasks: ReadonlyMap<string, Versions<Task>>;
  readonly agents: ReadonlyMap<string, Versions<Agent>>;
  readonly inbox: boolean;
  readonly proposals: ReadonlyMap<string, Versions<ProposalSummary>>;
  /** The events this change applies, oldest first (none for an explicit reload). */
  readonly events: readonly BoardEvent[];
  readonly snapshot: MirrorSnapshot;
  readonly previous: MirrorSnapshot;
}

export type SubscribeFn = (afterSeq: number, onEvent: (e: BoardEvent) => void) => { dispose(): void };

export interface BoardMirrorOptions {
  /** At most one delta per this many ms (default 25); the first change after a quiet spell is applied at once. */
  batchMs?: number;
  /** Past this many touched tasks, agents and proposals in one burst, the board is read in full instead (default: fullReloadAfter()). */
  fullReloadAfter?: number;
  /** Keep the newest N events (the dashboard's recent events); read with the board. Default 0. */
  recentEvents?: number;
  /** Follow the person's inbox (default true). */
  inbox?: boolean;
  /** Follow the proposals (default true). */
  proposals?: boolean;
  /** How many proposals the snapshot shows (default 200). */
  proposalsShown?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * When a burst is better read in full. Measured in bench/mirror.bench.ts (a hub over its socket):
 * task.get costs about 30 µs a task, a full read about 18 µs per task on the board (177 ms at 10k
 * tasks, 34 ms at 2k; task.get of 5,000 tasks is 0.88 of a full read at 10k), so a full read wins
 * once a burst touches more than about half the board's tasks.
 */
export function fullReloadAfter(boardTasks: number): number {
  return Math.max(100, Math.floor(boardTasks / 2));
}
const TASK_GET_CHUNK = 1_000;
const PROPOSALS_READ = 500;
const OPEN_PROPOSAL = new Set(['pending', 'validating', 'approved', 'conflicted']);
const ACTIVE = new Set(['claimed', 'running']);

/** task.list's order: priority (highest first), then oldest, then id. */
export function compareTasks(a: Task, b: Task): number {
  return b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const byName = (a: Agent, b: Agent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const newestFirst = (a: ProposalSummary, b: ProposalSummary) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

function summary(p: ProposalSummary & { audit?: unknown }): ProposalSummary {
  const { audit: _audit, ...rest } = p;
  return rest;
}

/** Where `t` is (or would go) in a list sorted by compareTasks. */
function lowerBound(tasks: readonly Task[], t: Task): number {
  let lo = 0;
  let hi = tasks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareTasks(tasks[mid]!, t) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const EMPTY: MirrorSnapshot = { tasks: [], agents: [], humanInbox: [], proposals: [], latestSeq: 0 };

export class BoardMirror {
  private snap: MirrorSnapshot = EMPTY;
  private readonly taskById = new Map<string, Task>();
  private readonly agentById = new Map<string, Agent>();
  /** Every proposal the snapshot may show (the newest PROPOSALS_READ). */
  private readonly proposalById = new Map<string, ProposalSummary>();
  private events: BoardEvent[] = [];
  private pending: BoardEvent[] = [];
  private subscription: { dispose(): void } | undefined;
  private starting: Promise<void> | undefined;
  private loaded = false;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = 0;
  /** Loads and deltas run one after another, in board order. */
  private chain: Promise<void> = Promise.resolve();
  private readonly changeListeners = new Set<(c: MirrorChange) => void>();
  private readonly eventListeners = new Set<(e: BoardEvent) => void>();
  private disposed = false;
  /** What the mirror has done, for tests and the bench. */
  readonly stats = { fullLoads: 0, deltas: 0, calls: 0 };

  constructor(
    private readonly port: BoardPort,
    private readonly subscribe: SubscribeFn,
    private readonly opts: BoardMirrorOptions = {},
  ) {}

  get snapshot(): MirrorSnapshot {
    return this.snap;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** The newest events (up to `recentEvents`), oldest first. */
  get recentEvents(): readonly BoardEvent[] {
    return this.events;
  }

  task(id: string): Task | undefined {
    return this.taskById.get(id);
  }

  agent(id: string): Agent | undefined {
    return this.agentById.get(id);
  }

  onDidChange(listener: (c: MirrorChange) => void): { dispose(): void } {
    this.changeListeners.add(listener);
    return { dispose: () => this.changeListeners.delete(listener) };
  }

  /** Every event as it arrives, before it is applied (the event log, watchers). */
  onEvent(listener: (e: BoardEvent) => void): { dispose(): void } {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  /** Reads the board and follows its events. Safe to call many times; a failed start may be retried. */
  start(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    this.starting ??= this.serially(async () => {
      if (this.loaded) return;
      await this.load('load', []);
      this.loaded = true;
      if (!this.disposed) this.subscription = this.subscribe(this.snap.latestSeq, (e) => this.receive(e));
    }).finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** Reads the whole board again (the Refresh command; a change of hub). */
  reload(): Promise<void> {
    return this.serially(() => this.load('reload', []));
  }

  /** Resolves once every event received so far is applied. */
  async settled(): Promise<void> {
    while (this.pending.length || this.flushTimer) {
      if (this.flushTimer) {
        clearTimeout(this.flushTimer);
        this.flushTimer = undefined;
        void this.serially(() => this.flush());
      }
      await this.chain;
    }
    await this.chain;
  }

  dispose(): void {
    this.disposed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.subscription?.dispose();
    this.subscription = undefined;
    this.changeListeners.clear();
    this.eventListeners.clear();
  }

  private receive(e: BoardEvent): void {
    if (this.disposed) return;
    for (const l of this.eventListeners) l(e);
    this.pending.push(e);
    this.flushTimer ??= setTimeout(
      () => {
        this.flushTimer = undefined;
        this.lastFlush = Date.now();
        void this.serially(() => this.flush());
      },
      Math.max(0, this.lastFlush + (this.opts.batchMs ?? 25) - Date.now()),
    );
  }

  private serially(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step);
    this.chain = next.catch((err: unknown) => this.opts.log?.('error', `Updating the board mirror failed: ${err instanceof Error ? err.message : String(err)}`));
    return next;
  }

  private call: BoardPort['call'] = (command, opts) => {
    this.stats.calls++;
    return this.port.call(command, opts);
  };

  private remember(events: readonly BoardEvent[]): void {
    const keep = this.opts.recentEvents ?? 0;
    if (!keep || !events.length) return;
    const last = this.events.at(-1)?.seq ?? -1;
    const newer = events.filter((e) => e.seq > last && e.type !== 'board.resync');
    if (newer.length) this.events = [...this.events, ...newer].slice(-keep);
  }

  /** Reads the whole board. */
  private async load(reason: string, events: readonly BoardEvent[]): Promise<void> {
    const previous = this.snap;
    // board.info first: whatever changes while the lists are read arrives again as an event.
    const infoP = this.call({ type: 'board.info' });
    const keep = this.opts.recentEvents ?? 0;
    const [info, tasks, agents, inbox, proposals, recent] = await Promise.all([
      infoP,
      this.call({ type: 'task.list' }),
      this.call({ type: 'agent.list' }),
      this.opts.inbox === false ? [] : this.call({ type: 'mail.inbox', recipient: 'human', unackedOnly: true }),
      this.opts.proposals === false ? [] : this.call({ type: 'proposal.list' }),
      keep ? infoP.then((i) => this.call({ type: 'events.since', afterSeq: Math.max(0, i.latestSeq - keep), limit: keep })) : undefined,
    ]);
    this.stats.fullLoads++;
    this.taskById.clear();
    for (const t of tasks) this.taskById.set(t.id, t);
    this.agentById.clear();
    for (const a of agents) this.agentById.set(a.id, a);
    this.proposalById.clear();
    for (const p of proposals) this.proposalById.set(p.id, summary(p));
    if (recent) this.events = recent.filter((e) => e.type !== 'board.resync').slice(-keep);
    this.remember(events);
    const latestSeq = Math.max(info.latestSeq, events.at(-1)?.seq ?? 0);
    this.snap = { tasks, agents, humanInbox: inbox, proposals: this.shownProposals(), latestSeq };
    this.emit({ full: true, reason, tasks: new Map(), agents: new Map(), inbox: true, proposals: new Map(), events, snapshot: this.snap, previous });
  }

  private shownProposals(): ProposalSummary[] {
    const all = [...this.proposalById.values()].sort(newestFirst);
    for (const p of all.slice(PROPOSALS_READ)) this.proposalById.delete(p.id);
    const open = (p: ProposalSummary) => (OPEN_PROPOSAL.has(p.status) ? 0 : 1);
    return all
      .slice(0, PROPOSALS_READ)
      .sort((a, b) => open(a) - open(b))
      .slice(0, this.opts.proposalsShown ?? 200);
  }

  private emit(c: MirrorChange): void {
    for (const l of this.changeListeners) {
      try {
        l(c);
      } catch (err) {
        this.opts.log?.('error', `A board mirror listener threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private async flush(): Promise<void> {
    const all = this.pending.splice(0);
    if (!all.length || this.disposed) return;
    const resync = all.some((e) => e.type === 'board.resync');
    const events = all.filter((e) => e.seq > this.snap.latestSeq);
    if (resync) return this.load('resync', events);
    if (!events.length) return;
    let expected = this.snap.latestSeq;
    let full: string | undefined;
    const taskIds = new Set<string>();
    const agentIds = new Set<string>();
    const proposalIds = new Set<string>();
    let inbox = false;
    for (const e of events) {
      if (e.seq !== expected + 1) full ??= 'gap';
      expected = e.seq;
      const t = e.type;
      if (t === 'board.imported') full ??= 'import';
      else if (t.startsWith('task.')) {
        if (!e.subject) continue;
        taskIds.add(e.subject);
        if (t === 'task.claimed' || t === 'task.transitioned') {
          // The owner's agent record follows its task (busy, idle, its current task).
          const agentId = e.payload['agentId'];
          if (typeof agentId === 'string') agentIds.add(agentId);
          const before = this.taskById.get(e.subject)?.assignee;
          if (before) agentIds.add(before);
          for (const a of this.agentById.values()) if (a.currentTask === e.subject) agentIds.add(a.id);
        }
      } else if (t.startsWith('agent.')) {
        if (!e.subject) continue;
        agentIds.add(e.subject);
        // A heartbeat extends the leases of the agent's tasks.
        if (t === 'agent.heartbeat') for (const task of this.taskById.values()) if (task.assignee === e.subject && ACTIVE.has(task.status)) taskIds.add(task.id);
      } else if (t === 'mail.sent') {
        const to = e.payload['to'] as { kind?: string } | undefined;
        if (to?.kind === 'human') inbox = true;
      } else if (t === 'mail.acked') {
        if (e.payload['by'] === 'human') inbox = true;
      } else if (t.startsWith('proposal.') && e.subject) proposalIds.add(e.subject);
    }
    if (this.opts.inbox === false) inbox = false;
    if (this.opts.proposals === false) proposalIds.clear();
    if (!full && taskIds.size + agentIds.size + proposalIds.size > (this.opts.fullReloadAfter ?? fullReloadAfter(this.taskById.size))) full = 'burst';
    if (full) return this.load(full, events);
    try {
      await this.applyDelta(events, taskIds, agentIds, inbox, proposalIds);
    } catch (err) {
      this.opts.log?.('warn', `Re-reading what ${events.length} event(s) touched failed (${err instanceof Error ? err.message : String(err)}); reading the whole board.`);
      await this.load('error', events);
    }
  }

  private async applyDelta(events: readonly BoardEvent[], taskIds: Set<string>, agentIds: Set<string>, inboxChanged: boolean, proposalIds: Set<string>): Promise<void> {
    const ids = [...taskIds];
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += TASK_GET_CHUNK) chunks.push(ids.slice(i, i + TASK_GET_CHUNK));
    const notFound = (err: unknown) => {
      if ((err as { code?: string } | null)?.code === 'not_found') return undefined;
      throw err;
    };
    const [taskReads, agentReads, inbox, proposalReads] = await Promise.all([
      Promise.all(chunks.map((taskIds) => this.call({ type: 'task.get', taskIds }))),
      Promise.all([...agentIds].map((agent) => this.call({ type: 'agent.show', agent }).then((a) => [agent, a] as const, (err: unknown) => [agent, notFound(err)] as const))),
      inboxChanged ? this.call({ type: 'mail.inbox', recipient: 'human', unackedOnly: true }) : undefined,
      Promise.all([...proposalIds].map((proposalId) => this.call({ type: 'proposal.show', proposalId }).then((p) => [proposalId, p] as const, (err: unknown) => [proposalId, notFound(err)] as const))),
    ]);
    if (this.disposed) return;
    const previous = this.snap;

    // Tasks: replace in place when the order key holds, else move; a copy, so old snapshots stay as they were.
    const taskChanges = new Map<string, Versions<Task>>();
    let tasks = previous.tasks;
    if (ids.length) {
      tasks = tasks.slice();
      const put = (before: Task | undefined, after: Task | undefined) => {
        if (before && after && compareTasks(before, after) === 0) {
          const i = lowerBound(tasks, before);
          if (tasks[i]?.id === before.id) {
            tasks[i] = after;
            return;
          }
        }
        if (before) {
          const i = lowerBound(tasks, before);
          if (tasks[i]?.id === before.id) tasks.splice(i, 1);
        }
        if (after) tasks.splice(lowerBound(tasks, after), 0, after);
      };
      for (const r of taskReads) {
        for (const t of r.tasks) {
          const before = this.taskById.get(t.id);
          this.taskById.set(t.id, t);
          put(before, t);
          taskChanges.set(t.id, { before, after: t });
        }
        for (const id of r.missing) {
          const before = this.taskById.get(id);
          if (!before) continue;
          this.taskById.delete(id);
          put(before, undefined);
          taskChanges.set(id, { before, after: undefined });
        }
      }
    }

    const agentChanges = new Map<string, Versions<Agent>>();
    for (const [ref, a] of agentReads) {
      const id = a?.id ?? ref;
      const before = this.agentById.get(id);
      const after = a && a.status !== 'retired' ? a : undefined;
      if (after) this.agentById.set(id, after);
      else this.agentById.delete(id);
      if (before || after) agentChanges.set(id, { before, after });
    }
    const agents = agentChanges.size ? [...this.agentById.values()].sort(byName) : previous.agents;

    const proposalChanges = new Map<string, Versions<ProposalSummary>>();
    for (const [id, p] of proposalReads) {
      const before = this.proposalById.get(id);
      const after = p ? summary(p) : undefined;
      if (after) this.proposalById.set(id, after);
      else this.proposalById.delete(id);
      if (before || after) proposalChanges.set(id, { before, after });
    }
    const proposals = proposalChanges.size ? this.shownProposals() : previous.proposals;

    this.remember(events);
    this.snap = { tasks, agents, humanInbox: inbox ?? previous.humanInbox, proposals, latestSeq: events.at(-1)!.seq };
    this.stats.deltas++;
    this.emit({ full: false, tasks: taskChanges, agents: agentChanges, inbox: inbox !== undefined, proposals: proposalChanges, events, snapshot: this.snap, previous });
  }
}
