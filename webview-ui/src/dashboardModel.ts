/**
 * The dashboard's copy of the board: tasks by id, each column's ids kept sorted, agents, and the
 * health figures read from the event stream. A full `state` rebuilds it; a `delta` moves only the
 * tasks it names (binary insertion), so a single change on a 10k board costs microseconds.
 */
import type { Agent, TaskStatus } from '../../src/core/board/boardModel';
import type { BoardEvent } from '../../src/core/events/eventLog';
import type { DashboardState, DeltaMessage, HubRole, TaskCard } from '../../src/protocol/dashboard';
import { decodeCards } from './cards';
import { actorName, nameLookup, namesIn } from '../../src/protocol/names';
import { COLUMNS, type ColumnDef } from '../../src/protocol/boardColumns';

export { COLUMNS, type ColumnDef } from '../../src/protocol/boardColumns';

const COLUMN_OF = new Map<TaskStatus, number>(COLUMNS.flatMap((c, i) => c.statuses.map((s) => [s, i] as const)));
const columnOf = (s: TaskStatus) => COLUMN_OF.get(s) ?? -1;

function compare(order: ColumnDef['order'], a: TaskCard, b: TaskCard): number {
  if (order === 'recent') return b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface Health {
  leaseExpiries: number;
  failures: number;
  stalls: number;
  lastProblem: string;
  /** Events up to this seq are counted, so a re-sync never counts one twice. */
  countedThrough: number;
}

export const emptyHealth = (): Health => ({ leaseExpiries: 0, failures: 0, stalls: 0, lastProblem: '', countedThrough: 0 });

export class BoardModel {
  tasks = new Map<string, TaskCard>();
  columns: string[][] = COLUMNS.map(() => []);
  agents: Agent[] = [];
  role: HubRole = 'closed';
  boardDir = '';
  latestSeq = 0;
  timeline: BoardEvent[] = [];
  health: Health = emptyHealth();
  /** Arrival times of recent events, for events/s. */
  private arrivals: { at: number; n: number }[] = [];

  constructor(saved?: { timeline?: BoardEvent[]; health?: Health }) {
    if (saved?.timeline) this.timeline = saved.timeline.slice(-200);
    if (saved?.health) this.health = saved.health;
  }

  applyState(s: DashboardState): void {
    const cards = decodeCards(s.cards);
    const tasks = new Map<string, TaskCard>();
    const byColumn: TaskCard[][] = COLUMNS.map(() => []);
    for (const t of cards) {
      tasks.set(t.id, t);
      byColumn[columnOf(t.status)]?.push(t);
    }
    this.tasks = tasks;
    // The host sends cards in claim order, so the urgency columns are sorted already (a linear pass).
    this.columns = byColumn.map((list, i) => list.sort((a, b) => compare(COLUMNS[i]!.order, a, b)).map((t) => t.id));
    this.agents = s.agents;
    this.role = s.role;
    this.boardDir = s.boardDir;
    // Another (or a reset) board: what was remembered is about something else.
    if (s.latestSeq < this.health.countedThrough) {
      this.health = emptyHealth();
      this.timeline = [];
    }
    this.latestSeq = s.latestSeq;
    this.addEvents(s.recentEvents, false);
  }

  /** Returns the columns whose order or membership changed. */
  applyDelta(d: DeltaMessage): Set<number> {
    const dirty = new Set<number>();
    for (const t of d.tasks) {
      const old = this.tasks.get(t.id);
      if (old && old.updatedAt > t.updatedAt) continue; // an older read of the task, already superseded
      const from = old ? columnOf(old.status) : -1;
      const to = columnOf(t.status);
      if (from >= 0) {
        const list = this.columns[from]!;
        const i = list.indexOf(t.id);
        if (i >= 0) list.splice(i, 1);
        dirty.add(from);
      }
      this.tasks.set(t.id, t);
      if (to >= 0) {
        this.insertSorted(to, t);
        dirty.add(to);
      }
    }
    if (d.agents) this.agents = d.agents;
    this.role = d.role;
    this.latestSeq = Math.max(this.latestSeq, d.latestSeq);
    this.addEvents(d.events, true);
    return dirty;
  }

  private insertSorted(col: number, t: TaskCard): void {
    const list = this.columns[col]!;
    const order = COLUMNS[col]!.order;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(order, this.tasks.get(list[mid]!)!, t) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, t.id);
  }

  private addEvents(events: BoardEvent[], live: boolean): void {
    const known = this.timeline.length ? this.timeline[this.timeline.length - 1]!.seq : 0;
    const fresh = events.filter((e) => e.seq > known);
    if (fresh.length) this.timeline = [...this.timeline, ...fresh].slice(-200);
    if (live && events.length) this.arrivals.push({ at: Date.now(), n: events.length });
    for (const e of events) {
      if (e.seq <= this.health.countedThrough) continue;
      this.health.countedThrough = e.seq;
      const reason = typeof e.payload.reason === 'string' ? e.payload.reason : '';
      if (e.type === 'task.transitioned' && /lease .*expired/.test(reason)) this.health.leaseExpiries++;
      if ((e.type === 'task.transitioned' && e.payload.to === 'failed') || e.type === 'agent.error') {
        this.health.failures++;
        this.health.lastProblem = `${e.type === 'agent.error' ? 'Agent error' : 'Task failed'}: ${reason || e.subject}`;
      }
      if (e.type === 'agent.stalled') {
        this.health.stalls++;
        this.health.lastProblem = `Agent stalled: ${reason || e.subject}`;
      }
    }
  }

  /** Events per second over the last 10 s. */
  eventRate(now = Date.now()): number {
    this.arrivals = this.arrivals.filter((a) => now - a.at < 10_000);
    return this.arrivals.reduce((n, a) => n + a.n, 0) / 10;
  }

  columnOf(taskId: string): number {
    const t = this.tasks.get(taskId);
    return t ? columnOf(t.status) : -1;
  }

  /** An agent's name, or undefined when the agent is not known (for the search's owner:). */
  ownerName = (id: string): string | undefined => this.lookup()(id);

  agentName(id: string | null): string {
    if (!id) return '';
    return this.lookup()(id) ?? id;
  }

  /** Who did something, for a person (src/protocol/names): an agent's name, "you", "the swarm on vm". */
  who(actor: string | null | undefined): string {
    return actorName(actor, this.lookup());
  }

  /** A sentence with agent and swarm ids replaced by names. */
  named(text: string): string {
    return namesIn(text, this.lookup());
  }

  private names: { agents: Agent[]; lookup: (id: string) => string | undefined } | undefined;
  private lookup(): (id: string) => string | undefined {
    if (this.names?.agents !== this.agents) this.names = { agents: this.agents, lookup: nameLookup(this.agents) };
    return this.names.lookup;
  }
}
