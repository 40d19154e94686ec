/**
 * What the person is told about, outside the views: a task failed or blocked, an agent asked a
 * question, a change waits for review, a run went over budget, an agent stalled — and, if they
 * want, a task done. Board events become notices here (the person's own actions never do), and a
 * burst of them is coalesced so that ten failures are one message, not ten.
 *
 * Pure: the editor shows what `NoticeBatcher` hands it (src/extension/notifications.ts); the same
 * rules would serve any other host.
 */
import { isPersonActor } from '../auth/principal';
import type { BoardEvent } from '../events/eventLog';

export const NOTICE_KINDS = ['question', 'failed', 'blocked', 'proposal', 'budget', 'stalled', 'done'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
/** What a new user is told about unless they choose otherwise ('done' is quiet by default). */
export const DEFAULT_NOTICE_KINDS: readonly NoticeKind[] = ['question', 'failed', 'blocked', 'proposal', 'budget', 'stalled'];

export interface Notice {
  kind: NoticeKind;
  severity: 'info' | 'warning' | 'error';
  /** One line a person reads: names, never ids alone. */
  text: string;
  taskId?: string;
  messageId?: string;
  proposalId?: string;
  agentId?: string;
}

export interface NoticeNames {
  task(id: string): string | undefined;
  agent(id: string): string | undefined;
}


const quote = (s: string, max = 80) => `"${s.length > max ? `${s.slice(0, max - 1)}…` : s}"`;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export function noticeFor(e: BoardEvent, names: NoticeNames): Notice | undefined {
  if (isPersonActor(e.actor)) return undefined; // the person's own actions never notify them
  const p = e.payload;
  const taskName = (id: string) => quote(names.task(id) ?? id);
  switch (e.type) {
    case 'task.transitioned': {
      const to = str(p.to);
      const reason = str(p.reason);
      const why = reason ? `: ${reason.length > 120 ? `${reason.slice(0, 119)}…` : reason}` : '';
      if (to === 'failed') return { kind: 'failed', severity: 'error', text: `Task ${taskName(e.subject)} failed${why}`, taskId: e.subject };
      if (to === 'blocked') return { kind: 'blocked', severity: 'warning', text: `Task ${taskName(e.subject)} is blocked${why}`, taskId: e.subject };
      if (to === 'done') return { kind: 'done', severity: 'info', text: `Task ${taskName(e.subject)} is done`, taskId: e.subject };
      return undefined;
    }
    case 'mail.sent': {
      const to = p.to as { kind?: string } | undefined;
      if (to?.kind !== 'human' || p.requiresAck !== true) return undefined;
      const from = str(p.from) ?? e.actor;
      const who = names.agent(from) ?? (from === 'hub' || from === 'merge-queue' || from === 'swarm' ? `Dream.OS (${from})` : from);
      const taskId = str(p.taskId);
      return { kind: 'question', severity: 'warning', text: `${who}: ${str(p.subject) ?? 'a message needs you'}`, messageId: e.subject, ...(taskId ? { taskId } : {}) };
    }
    case 'proposal.submitted': {
      const taskId = str(p.taskId);
      const title = str(p.title);
      return { kind: 'proposal', severity: 'info', text: `A change is ready for review${title ? `: ${quote(title)}` : taskId ? ` for ${taskName(taskId)}` : ''}`, proposalId: e.subject, ...(taskId ? { taskId } : {}) };
    }
    case 'budget.exceeded': {
      const taskId = str(p.taskId);
      const msg = str(p.message);
      return { kind: 'budget', severity: 'warning', text: `${taskId ? `Task ${taskName(taskId)}` : 'A run'} went over budget${msg ? `: ${msg}` : ''}`, ...(taskId ? { taskId } : {}) };
    }
    case 'agent.stalled': {
      return { kind: 'stalled', severity: 'warning', text: `Agent ${quote(names.agent(e.subject) ?? e.subject)} has stalled`, agentId: e.subject };
    }
    default:
      return undefined;
  }
}

/** Of several notices about one task in a burst, the one worth showing: a question beats a budget stop beats a failure… */
const RANK: Record<NoticeKind, number> = { question: 0, budget: 1, failed: 2, blocked: 3, proposal: 4, stalled: 5, done: 6 };

export interface Batch {
  /** Shown one by one, with their own actions. */
  single: Notice[];
  /** Past `maxSingles`: one summary line for the rest ("3 tasks failed, 2 questions"). */
  summary?: { text: string; severity: Notice['severity']; count: number };
}

const PLURAL: Record<NoticeKind, [string, string]> = {
  question: ['question from an agent', 'questions from agents'],
  failed: ['task failed', 'tasks failed'],
  blocked: ['task blocked', 'tasks blocked'],
  proposal: ['change to review', 'changes to review'],
  budget: ['run over budget', 'runs over budget'],
  stalled: ['agent stalled', 'agents stalled'],
  done: ['task done', 'tasks done'],
};
const WORST = (a: Notice['severity'], b: Notice['severity']) => (a === 'error' || b === 'error' ? 'error' : a === 'warning' || b === 'warning' ? 'warning' : 'info');

/** Merges a burst: one notice per task (the most important), then at most `maxSingles` shown and a summary of the rest. */
export function coalesce(notices: readonly Notice[], maxSingles = 2): Batch {
  const byTask = new Map<string, Notice>();
  const rest: Notice[] = [];
  for (const n of notices) {
    if (!n.taskId) {
      rest.push(n);
      continue;
    }
    const had = byTask.get(n.taskId);
    if (!had || RANK[n.kind] < RANK[had.kind] || (RANK[n.kind] === RANK[had.kind] && n.kind === 'question')) byTask.set(n.taskId, had && !n.messageId && had.messageId ? { ...n, messageId: had.messageId } : n);
  }
  const all = [...byTask.values(), ...rest].sort((a, b) => RANK[a.kind] - RANK[b.kind]);
  if (all.length <= maxSingles + 1) return { single: all };
  const single = all.slice(0, maxSingles);
  const others = all.slice(maxSingles);
  const counts = new Map<NoticeKind, number>();
  for (const n of others) counts.set(n.kind, (counts.get(n.kind) ?? 0) + 1);
  const parts = [...counts].map(([k, c]) => `${c} ${PLURAL[k][c === 1 ? 0 : 1]}`);
  return { single, summary: { text: `And ${parts.join(', ')}.`, severity: others.reduce<Notice['severity']>((s, n) => WORST(s, n.severity), 'info'), count: others.length } };
}

export interface BatcherOptions {
  /** Notices arriving within this many ms of the first are shown together (default 1500). */
  windowMs?: number;
  maxSingles?: number;
  show: (batch: Batch) => void;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

/** Collects notices for a short window, then hands over one coalesced batch. */
export class NoticeBatcher {
  private pending: Notice[] = [];
  private timer: { cancel(): void } | undefined;
  private readonly setTimer: NonNullable<BatcherOptions['setTimer']>;

  constructor(private readonly o: BatcherOptions) {
    this.setTimer =
      o.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      });
  }

  add(n: Notice): void {
    this.pending.push(n);
    this.timer ??= this.setTimer(() => this.flush(), this.o.windowMs ?? 1_500);
  }

  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) this.o.show(coalesce(batch, this.o.maxSingles));
  }

  dispose(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.pending = [];
  }
}
