/**
 * What Discord's handlers share, and the buttons' handler. A handler turns validated arguments into
 * board commands (the same ones the CLI and the editor send) and the answer into a short Discord
 * message; it does not know which transport (gateway or HTTP endpoint) carried the interaction.
 * The slash commands' handlers are in their entries in ./slashCommands.
 */
import { canDo, commandForAction } from '../../core/board/actions';
import { priorityName, type Task } from '../../core/board/boardModel';
import type { CommandInput } from '../../core/commands';
import type { BoardPort } from '../../core/port';
import type { BoardEvent } from '../../core/events/eventLog';
import { rejectModal, type ButtonAction } from './components';
import { inline, type ActionRow, type InteractionResponse, type Invoker } from './payloads';
import { approveAndApply, type ProposalWorkspace } from '../../core/proposals/approval';

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

/** A board command, sent as the person who ran the Discord command. */
export const call = <C extends CommandInput>(ctx: HandlerContext, command: C) => ctx.board.call(command, { actor: actorOf(ctx.who) });
export const say = (content: string, ephemeral = false): Reply => ({ kind: 'message', content, ephemeral });

export const OPEN: Task['status'][] = ['waiting', 'ready', 'claimed', 'running', 'review', 'blocked', 'failed'];
export const STATUS_ORDER: Task['status'][] = ['ready', 'claimed', 'running', 'review', 'waiting', 'blocked', 'failed', 'done', 'cancelled'];

export function taskLine(t: Task, names: Map<string, string>): string {
  const owner = t.assignee ? ` — ${names.get(t.assignee) ?? t.assignee}` : '';
  return `\`${t.id}\` **${t.status}** · ${priorityName(t.priority)} · ${inline(t.title, 120)}${owner}`;
}

export async function agentNames(ctx: HandlerContext): Promise<Map<string, string>> {
  const agents = await call(ctx, { type: 'agent.list' });
  return new Map(agents.map((a) => [a.id, a.name]));
}

export function lines(header: string, items: string[], max = 20): string {
  const shown = items.slice(0, max);
  const more = items.length > max ? `\n…and ${items.length - max} more` : '';
  return `${header}\n${shown.join('\n')}${more}`;
}

export const time = (at: number) => new Date(at).toISOString().slice(11, 19);

export async function approveText(ctx: HandlerContext, proposalId: string, override: boolean): Promise<string> {
  if (!ctx.workspace) {
    return `Approving applies files, and this Discord connection runs without the workspace. Approve \`${proposalId}\` in the editor or with \`dreamos proposal approve ${proposalId}\`.`;
  }
  const r = await approveAndApply({ call: (c) => call(ctx, c) }, ctx.workspace, proposalId, { override, via: `from Discord by ${ctx.who.name}` });
  const p = r.proposal;
  if (r.result === 'queued') return `Proposal \`${p.id}\` **${inline(p.title)}** approved by ${inline(ctx.who.name, 60)}; it lands through the merge queue onto ${inline(p.git?.targetBranch ?? 'its target', 60)}.`;
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
