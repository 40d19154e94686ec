/**
 * Board events → Discord. The notification rules pick which events go to which channel (task
 * failed, proposal waiting, agent stalled, swarm idle, ...); tasks and agents get a thread in the
 * work channel when work starts, told about every step and archived when the work is over.
 * Events are handled one at a time, in order; what goes out is coalesced by the Outbox.
 */
import type { BoardEvent } from '../../core/events/eventLog';
import type { ChannelDirectory } from './channels';
import { buttonsFor } from './components';
import { canDo } from '../../core/board/actions';
import type { DiscordConfig, NotificationKind } from './discordConfig';
import type { DiscordLog } from './dispatcher';
import type { DiscordBoard } from './handlers';
import type { Notice, Outbox } from './outbox';
import { inline } from './payloads';

export interface NotifierOptions {
  board: DiscordBoard;
  directory: ChannelDirectory;
  outbox: Outbox;
  config: Pick<DiscordConfig, 'notifications' | 'workChannel'>;
  log?: DiscordLog;
  /** A Discord call failed (the control plane turns it into status). */
  onProblem?: (err: unknown, doing: string) => void;
}

const FINISHED = new Set(['done', 'cancelled', 'failed']);
const STARTED = new Set(['claimed', 'running']);
const BUSY = new Set(['ready', 'claimed', 'running']);
const TASK_SIGNALS: Record<string, NotificationKind> = { failed: 'task.failed', blocked: 'task.blocked', review: 'task.review', done: 'task.done' };
/** A channel that failed is left alone this long, so a missing permission costs one call, not one per event. */
const CHANNEL_RETRY_MS = 60_000;

export class Notifier {
  private sub: { dispose(): void } | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly titles = new Map<string, string>();
  private readonly agentNames = new Map<string, string>();
  private readonly brokenChannels = new Map<string, number>();
  /** Bumped whenever work on a task or agent (re)starts: an archive queued before that is skipped. */
  private readonly generation = new Map<string, number>();
  private idleTimer: NodeJS.Timeout | undefined;
  private wasIdle: boolean | undefined;
  private disposed = false;
  lastSeq = 0;

  constructor(private readonly o: NotifierOptions) {}

  /** Listens from `afterSeq` on (the board's latest seq: history is not replayed into Discord). */
  async start(afterSeq?: number): Promise<void> {
    const info = await this.o.board.call({ type: 'board.info' });
    this.wasIdle = isIdle(info.byStatus);
    this.lastSeq = afterSeq ?? info.latestSeq;
    this.sub = this.o.board.subscribe(this.lastSeq, (e) => {
      this.chain = this.chain.then(() => this.handle(e)).catch((err: unknown) => this.o.log?.('error', `Discord notification for event #${e.seq} failed: ${(err as Error).message}`));
    });
  }

  /** Resolves when every event received so far is handled (its notices queued in the Outbox). */
  async idle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.chain;
      await seen;
    } while (seen !== this.chain);
  }

  dispose(): void {
    this.disposed = true;
    this.sub?.dispose();
    if (this.idleTimer) clearTimeout(this.idleTimer);
  }

  private rules(kind: NotificationKind) {
    return this.o.config.notifications.rules.filter((r) => r.on === kind);
  }

  private async notify(kind: NotificationKind, notice: Notice): Promise<void> {
    for (const rule of this.rules(kind)) {
      const channel = await this.channel(rule.channel);
      if (channel) this.o.outbox.push(channel, rule.mentionRoles.length ? { ...notice, mentionRoles: rule.mentionRoles } : notice);
    }
  }

  private async channel(name: string): Promise<string | undefined> {
    const brokenUntil = this.brokenChannels.get(name);
    if (brokenUntil && brokenUntil > Date.now()) return undefined;
    try {
      const id = await this.o.directory.channel(name);
      this.brokenChannels.delete(name);
      return id;
    } catch (err) {
      this.brokenChannels.set(name, Date.now() + CHANNEL_RETRY_MS);
      this.o.onProblem?.(err, `opening the #${name} channel`);
      return undefined;
    }
  }

  private async handle(e: BoardEvent): Promise<void> {
    if (this.disposed) return;
    this.lastSeq = e.seq;
    const p = e.payload;
    switch (e.type) {
      case 'task.created':
        if (typeof p.title === 'string') this.remember(this.titles, e.subject, p.title);
        if (p.status === 'ready') this.wasIdle = false; // new work: the swarm is no longer idle
        return;
      case 'task.transitioned':
        return this.onTaskTransition(e.subject, String(p.from), String(p.to), typeof p.reason === 'string' ? p.reason : '');
      case 'proposal.submitted': {
        const files = typeof p.files === 'number' ? p.files : 0;
        const line = `📝 Proposal \`${e.subject}\` **${inline(String(p.title ?? ''))}** waits for review (${files} file${files === 1 ? '' : 's'})`;
        return this.notify('proposal.waiting', { line, text: `${line}${p.taskId ? ` for task \`${String(p.taskId)}\`` : ''}. Review it in the editor, or decide here:`, buttons: buttonsFor({ kind: 'proposal', id: e.subject }), ref: e.subject });
      }
      case 'board.imported':
        this.scheduleIdleCheck();
        return;
      case 'agent.registered':
        if (typeof p.name === 'string') this.remember(this.agentNames, e.subject, p.name);
        return;
      case 'agent.started':
        return this.onAgent(e.subject, 'started', typeof p.reason === 'string' ? p.reason : '');
      case 'agent.stalled':
      case 'agent.error':
      case 'agent.stopped':
      case 'agent.retired':
        return this.onAgent(e.subject, e.type.slice('agent.'.length), typeof p.reason === 'string' ? p.reason : '');
      case 'mail.sent': {
        const to = p.to as { kind?: string } | undefined;
        if (to?.kind !== 'human') return;
        return this.notify('mail.human', { line: `✉️ **${inline(String(p.from ?? 'an agent'), 60)}** asks: ${inline(String(p.subject ?? ''))} (\`${e.subject}\`; answer in the editor's Needs You view)` });
      }
      default:
        return;
    }
  }

  private async onTaskTransition(taskId: string, from: string, to: string, reason: string): Promise<void> {
    const title = await this.title(taskId);
    const kind = TASK_SIGNALS[to];
    if (kind && this.rules(kind).length) {
      const icon = { failed: '❌', blocked: '⛔', review: '👀', done: '✅' }[to] ?? '•';
      const line = `${icon} Task \`${taskId}\` **${inline(title)}** ${to === 'review' ? 'is ready for review' : to}${reason && to !== 'review' ? `: ${inline(reason, 300)}` : ''}`;
      // A Retry button where the action table offers it (core/board/actions).
      await this.notify(kind, to === 'failed' && canDo('retry', to) ? { line, buttons: buttonsFor({ kind: 'task', id: taskId }), ref: taskId } : { line });
    }
    if (this.o.config.notifications.taskThreads) await this.taskThread(taskId, title, from, to, reason);
    // Work appearing is known from the event itself; work running out needs a look at the whole board.
    if (BUSY.has(to)) this.wasIdle = false;
    else this.scheduleIdleCheck();
  }

  private async taskThread(taskId: string, title: string, from: string, to: string, reason: string): Promise<void> {
    if (STARTED.has(to)) this.bump(taskId);
    let thread = this.o.directory.threadOf(taskId);
    if (!thread && STARTED.has(to)) {
      try {
        thread = await this.o.directory.thread(taskId, this.o.config.workChannel, inline(title, 80));
      } catch (err) {
        this.o.onProblem?.(err, `opening a thread for task ${taskId}`);
        return;
      }
    }
    if (!thread) return;
    this.o.outbox.push(thread, { line: `${from} → **${to}**${reason ? `: ${inline(reason, 500)}` : ''}` });
    if (FINISHED.has(to)) this.archiveAfter(thread, taskId);
  }

  private async onAgent(agentId: string, what: string, reason: string): Promise<void> {
    const name = await this.agentName(agentId);
    if (what === 'stalled' || what === 'error') {
      await this.notify(what === 'stalled' ? 'agent.stalled' : 'agent.error', { line: `${what === 'stalled' ? '⚠️' : '💥'} Agent **${inline(name, 60)}** ${what === 'stalled' ? 'stalled' : 'hit an error'}${reason ? `: ${inline(reason, 300)}` : ''}` });
    }
    if (!this.o.config.notifications.agentThreads) return;
    if (what === 'started') this.bump(agentId);
    let thread = this.o.directory.threadOf(agentId);
    if (!thread && what === 'started') {
      try {
        thread = await this.o.directory.thread(agentId, this.o.config.workChannel, `agent ${inline(name, 60)}`);
      } catch (err) {
        this.o.onProblem?.(err, `opening a thread for agent ${name}`);
        return;
      }
    }
    if (!thread) return;
    this.o.outbox.push(thread, { line: `agent ${what}${reason ? `: ${inline(reason, 300)}` : ''}` });
    if (what === 'stopped' || what === 'retired') this.archiveAfter(thread, agentId);
  }

  private bump(id: string): void {
    this.remember(this.generation, id, (this.generation.get(id) ?? 0) + 1);
  }

  private archiveAfter(thread: string, id: string): void {
    const gen = this.generation.get(id) ?? 0;
    this.o.outbox.after(thread, async () => {
      // Work that restarted meanwhile (a retry) keeps its thread open.
      if ((this.generation.get(id) ?? 0) === gen) await this.o.directory.archive(id);
    });
  }

  private scheduleIdleCheck(): void {
    if (this.idleTimer || !this.rules('swarm.idle').length) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.chain = this.chain.then(() => this.checkIdle()).catch((err: unknown) => this.o.log?.('warn', `Could not check whether the swarm is idle: ${(err as Error).message}`));
    }, Math.max(250, this.o.config.notifications.coalesceMs));
  }

  private async checkIdle(): Promise<void> {
    if (this.disposed) return;
    const info = await this.o.board.call({ type: 'board.info' });
    const idle = isIdle(info.byStatus);
    if (idle && this.wasIdle === false) {
      const b = info.byStatus;
      const parts = ['done', 'failed', 'blocked', 'waiting'].filter((s) => b[s]).map((s) => `${b[s]} ${s}`);
      await this.notify('swarm.idle', { line: `💤 The swarm is idle: nothing is ready or in progress${parts.length ? ` (${parts.join(', ')})` : ''}.` });
    }
    this.wasIdle = idle;
  }

  private async title(taskId: string): Promise<string> {
    const known = this.titles.get(taskId);
    if (known !== undefined) return known;
    try {
      const d = await this.o.board.call({ type: 'task.show', taskId });
      this.remember(this.titles, taskId, d.task.title);
      return d.task.title;
    } catch {
      return taskId;
    }
  }

  private async agentName(agentId: string): Promise<string> {
    const known = this.agentNames.get(agentId);
    if (known !== undefined) return known;
    try {
      const a = await this.o.board.call({ type: 'agent.show', agent: agentId });
      this.remember(this.agentNames, agentId, a.name);
      return a.name;
    } catch {
      return agentId;
    }
  }

  private remember<V>(map: Map<string, V>, k: string, v: V): void {
    map.set(k, v);
    if (map.size > 5_000) map.delete(map.keys().next().value!);
  }
}

/** Nothing for an agent to pick up and nothing in hand. */
function isIdle(byStatus: Record<string, number>): boolean {
  return !byStatus.ready && !byStatus.claimed && !byStatus.running;
}
