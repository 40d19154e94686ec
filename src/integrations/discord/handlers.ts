/**
 * One small handler per Discord action. Each turns validated arguments into board commands (the
 * same ones the CLI and the editor send) and the answer into a short Discord message. Handlers do
 * not know which transport (gateway or HTTP endpoint) carried the interaction.
 */
import { canDo, commandForAction } from '../../core/board/actions';
import { priorityName, type Task } from '../../core/board/model';
import type { CommandInput } from '../../core/commands';
import type { BoardPort } from '../../core/port';
import type { BoardEvent } from '../../core/events/events';
import type { SwarmState } from '../../core/loop/boardCommands';
import { rejectModal, type ButtonAction } from './components';
import { inline, type ActionRow, type InteractionResponse, type Invoker } from './payloads';
import { approveAndApply, type ProposalWorkspace } from './proposals';
import type { Invocation, SlashName } from './slashCommands';

/** The board as Discord needs it: the hub client, the extension's connection and the test board all fit. */
export interface DiscordBoard extends BoardPort {
  subscribe(afterSeq: number, onEvent: (e: BoardEvent) => void): { dispose(): void };
}

export type Reply =
  | { kind: 'message'; content: string; components?: ActionRow[]; ephemeral?: boolean }
  /** Replaces the message a button was on (the notification shows what was decided). */
  | { kind: 'update'; content: string; components: ActionRow[] }
  | { kind: 'modal'; response: InteractionResponse };

export interface HandlerContext {
  board: DiscordBoard;
  who: Invoker;
  workspace?: ProposalWorkspace | undefined;
  /** The notification's text, for button handlers that append the outcome to it. */
  sourceContent?: string;
}

/** Board writes carry the person: `human:discord:<name>` in the task history and audit trail. */
export function actorOf(who: Invoker): string {
  const name = who.name.replace(/[^\w.-]+/g, '_').slice(0, 40) || who.id;
  return `human:discord:${name}`;
}

const call = <C extends CommandInput>(ctx: HandlerContext, command: C) => ctx.board.call(command, { actor: actorOf(ctx.who) });
const say = (content: string, ephemeral = false): Reply => ({ kind: 'message', content, ephemeral });

const OPEN: Task['status'][] = ['waiting', 'ready', 'claimed', 'running', 'review', 'blocked', 'failed'];
const STATUS_ORDER: Task['status'][] = ['ready', 'claimed', 'running', 'review', 'waiting', 'blocked', 'failed', 'done', 'cancelled'];

function taskLine(t: Task, names: Map<string, string>): string {
  const owner = t.assignee ? ` — ${names.get(t.assignee) ?? t.assignee}` : '';
  return `\`${t.id}\` **${t.status}** · ${priorityName(t.priority)} · ${inline(t.title, 120)}${owner}`;
}

async function agentNames(ctx: HandlerContext): Promise<Map<string, string>> {
  const agents = await call(ctx, { type: 'agent.list' });
  return new Map(agents.map((a) => [a.id, a.name]));
}

function lines(header: string, items: string[], max = 20): string {
  const shown = items.slice(0, max);
  const more = items.length > max ? `\n…and ${items.length - max} more` : '';
  return `${header}\n${shown.join('\n')}${more}`;
}

const time = (at: number) => new Date(at).toISOString().slice(11, 19);

export const SLASH_HANDLERS: { [K in SlashName]: (ctx: HandlerContext, args: Extract<Invocation, { name: K }>['args']) => Promise<Reply> } = {
  async status(ctx) {
    const [info, agents, swarm, waiting] = await Promise.all([
      call(ctx, { type: 'board.info' }),
      call(ctx, { type: 'agent.list' }),
      call(ctx, { type: 'swarm.state' }),
      call(ctx, { type: 'proposal.list', status: ['pending', 'conflicted'] }),
    ]);
    const counts = STATUS_ORDER.filter((s) => info.byStatus[s]).map((s) => `${info.byStatus[s]} ${s}`);
    const where = swarm.live && swarm.host ? ` on ${inline(swarm.host.hostname, 80)} (pid ${swarm.host.pid})` : swarm.desired === 'running' ? ' (no swarm host is running: `dreamos swarm start` or Start Swarm in the editor)' : '';
    const swarmLine = `${swarm.desired === 'running' ? 'running' : `paused${swarm.reason ? ` (${inline(swarm.reason, 100)})` : ''}`}${where}`;
    const agentLine = agents.length ? agents.map((a) => `${a.name} ${a.status}${a.currentTask ? ` on \`${a.currentTask}\`` : ''}`).join(', ') : 'none registered';
    return say(
      [
        `**Dream.OS** — swarm ${swarmLine}`,
        `Tasks: ${counts.length ? counts.join(' · ') : 'none'} (${info.tasks} in all)`,
        `Agents: ${agentLine}`,
        `Proposals waiting for review: ${waiting.length ? waiting.slice(0, 10).map((p) => `\`${p.id}\``).join(', ') : 'none'}`,
      ].join('\n'),
      true,
    );
  },

  async tasks(ctx, args) {
    const [tasks, names] = await Promise.all([call(ctx, { type: 'task.list', status: args.status ? [args.status] : OPEN, limit: 500 }), agentNames(ctx)]);
    const what = args.status ? `${args.status} tasks` : 'open tasks';
    if (!tasks.length) return say(`No ${what}.`, true);
    return say(lines(`**${tasks.length} ${what}**`, tasks.map((t) => taskLine(t, names))), true);
  },

  async 'task add'(ctx, args) {
    const task = await call(ctx, {
      type: 'task.add',
      title: args.title,
      ...(args.description ? { description: args.description } : {}),
      ...(args.priority ? { priority: args.priority } : {}),
      ...(args.kind ? { kind: args.kind } : {}),
    });
    return say(`Task created by ${inline(ctx.who.name, 60)}: \`${task.id}\` **${inline(task.title)}** (${task.status}, ${priorityName(task.priority)})`);
  },

  async 'task show'(ctx, args) {
    const [d, names] = await Promise.all([call(ctx, { type: 'task.show', taskId: args.id }), agentNames(ctx)]);
    const t = d.task;
    const out = [
      `**${inline(t.title)}** \`${t.id}\``,
      `${t.status} · ${t.kind} · ${priorityName(t.priority)} · attempt ${t.attempts} of ${t.maxAttempts}${t.assignee ? ` · owner ${names.get(t.assignee) ?? t.assignee}` : ''}`,
    ];
    if (t.description) out.push(`> ${inline(t.description, 600)}`);
    if (t.resultSummary) out.push(`Result: ${inline(t.resultSummary, 400)}`);
    const recent = d.history.slice(-6).map((h) => `\`${time(h.at)}\` ${h.from ?? '—'} → ${h.to} by ${inline(h.actor, 60)}${h.reason ? `: ${inline(h.reason, 120)}` : ''}`);
    if (recent.length) out.push('History:', ...recent);
    return say(out.join('\n'), true);
  },

  async claim(ctx, args) {
    if (args.task) {
      const r = await call(ctx, { type: 'task.claim', taskId: args.task, agentId: args.agent });
      return say(`\`${r.task.id}\` **${inline(r.task.title)}** is now ${args.agent}'s (claimed by ${inline(ctx.who.name, 60)}).`);
    }
    const r = await call(ctx, { type: 'task.claimNext', agentId: args.agent });
    if (!r) return say(`No ready task fits ${args.agent} (none ready, or it lacks the capabilities they require).`, true);
    return say(`${args.agent} took \`${r.task.id}\` **${inline(r.task.title)}** (claimed by ${inline(ctx.who.name, 60)}).`);
  },

  async approve(ctx, args) {
    return say(await approveText(ctx, args.proposal, args.override === true));
  },

  async reject(ctx, args) {
    const p = await call(ctx, { type: 'proposal.reject', proposalId: args.proposal, reason: args.reason });
    return say(`Proposal \`${p.id}\` **${inline(p.title)}** rejected by ${inline(ctx.who.name, 60)}: ${inline(args.reason, 300)}`);
  },

  async message(ctx, args) {
    const agent = await call(ctx, { type: 'agent.show', agent: args.agent });
    const subject = inline(args.text.split('\n')[0] ?? args.text, 120) || 'Message from Discord';
    await call(ctx, { type: 'mail.send', from: actorOf(ctx.who), to: { kind: 'agent', id: agent.id }, subject, body: args.text, priority: 'high' });
    return say(`Message sent to ${agent.name}. Agents read their mail between steps.`, true);
  },

  async pause(ctx, args) {
    const reason = args.reason || `paused from Discord by ${ctx.who.name}`;
    await call(ctx, { type: 'swarm.set', desired: 'stopped', reason });
    return say(`Swarm paused by ${inline(ctx.who.name, 60)}: agents take no new tasks and the tasks in hand are released. /resume starts it again.`);
  },

  async resume(ctx, args) {
    const reason = args.reason || `resumed from Discord by ${ctx.who.name}`;
    // Only the swarm's live holder is told to run again (checked with the write, on the board): /resume never starts a second one.
    let s: SwarmState;
    try {
      s = await call(ctx, { type: 'swarm.set', desired: 'running', reason, onlyIfHeld: true });
    } catch (err) {
      if ((err as { code?: string }).code !== 'conflict') throw err;
      return say(`Nothing resumed: ${inline((err as Error).message, 600)}`);
    }
    const h = s.host!;
    return say(`Swarm set to run again by ${inline(ctx.who.name, 60)}: the swarm ${h.loopId} on ${inline(h.hostname, 80)} (pid ${h.pid}) takes tasks again.`);
  },

  async devlog(ctx, args) {
    const count = args.count ?? 15;
    const info = await call(ctx, { type: 'board.info' });
    // Heartbeats drown everything else out: skip them, reading a bit further back to fill the page.
    const events = await call(ctx, { type: 'events.since', afterSeq: Math.max(0, info.latestSeq - count * 20), limit: count * 20 });
    const shown = events.filter((e) => e.type !== 'agent.heartbeat').slice(-count);
    if (!shown.length) return say('Nothing has happened on the board yet.', true);
    return say(lines(`**Latest ${shown.length} board events**`, shown.map(describeEvent), count), true);
  },
};

async function approveText(ctx: HandlerContext, proposalId: string, override: boolean): Promise<string> {
  if (!ctx.workspace) {
    return `Approving applies files, and this Discord connection runs without the workspace. Approve \`${proposalId}\` in the editor or with \`dreamos proposal approve ${proposalId}\`.`;
  }
  const r = await approveAndApply({ call: (c) => call(ctx, c) }, ctx.workspace, proposalId, { override, via: `from Discord by ${ctx.who.name}` });
  const p = r.proposal;
  return r.result === 'applied'
    ? `Proposal \`${p.id}\` **${inline(p.title)}** approved by ${inline(ctx.who.name, 60)} and applied (${p.files.length} file${p.files.length === 1 ? '' : 's'}). Roll back with \`dreamos proposal rollback ${p.id}\`.`
    : `Proposal \`${p.id}\` **${inline(p.title)}** was applied, but the post-apply checks failed (${r.failed.join(', ')}), so it was rolled back.`;
}

export function describeEvent(e: BoardEvent): string {
  const p = e.payload;
  const detail =
    e.type === 'task.transitioned'
      ? `${String(p.from)} → ${String(p.to)}${p.reason ? `: ${inline(String(p.reason), 120)}` : ''}`
      : e.type === 'task.created' || e.type === 'proposal.submitted'
        ? inline(String(p.title ?? ''), 120)
        : e.type === 'mail.sent'
          ? inline(String(p.subject ?? ''), 120)
          : '';
  return `\`#${e.seq} ${time(e.at)}\` ${e.type} ${e.subject ? `\`${e.subject}\`` : ''} ${detail} — ${inline(e.actor, 60)}`.replace(/\s+/g, ' ').trim();
}

const appended = (ctx: HandlerContext, line: string) => (ctx.sourceContent ? `${ctx.sourceContent}\n${line}` : line);

/** Buttons on notifications. Rejecting opens a dialog first; its submission arrives as `reject` with a reason. */
export async function handleButton(ctx: HandlerContext, action: ButtonAction, id: string, reason?: string): Promise<Reply> {
  switch (action) {
    case 'approve':
      return { kind: 'update', content: appended(ctx, `✅ ${await approveText(ctx, id, false)}`), components: [] };
    case 'reject': {
      if (reason === undefined) return { kind: 'modal', response: rejectModal(id) };
      await call(ctx, { type: 'proposal.reject', proposalId: id, reason });
      return { kind: 'update', content: appended(ctx, `❌ Rejected by ${inline(ctx.who.name, 60)}: ${inline(reason, 300)}`), components: [] };
    }
    case 'retry': {
      // The button may be old: the task may have moved on since the notification.
      const now = (await call(ctx, { type: 'task.show', taskId: id })).task;
      if (!canDo('retry', now.status)) return { kind: 'update', content: appended(ctx, `Task \`${id}\` is ${now.status} now; there is nothing to retry.`), components: [] };
      const t = await call(ctx, commandForAction('retry', now, `retry from Discord by ${ctx.who.name}`));
      return { kind: 'update', content: appended(ctx, `🔁 Sent back to ${t.status} by ${inline(ctx.who.name, 60)} (attempt ${t.attempts} of ${t.maxAttempts} so far).`), components: [] };
    }
  }
}
