import * as vscode from 'vscode';
import type { Agent, Message, Task } from '../../core/board/boardModel';
import { taskContextValue } from '../../core/board/actions';
import type { MirrorChange } from '../../core/mirror/boardMirror';
import type { ProposalSummary } from '../../core/proposals/proposalModel';
import type { BoardSession } from '../boardSession';
import { Disposable } from '../lifecycle';
import { escapeMd } from './tasksView';

/**
 * Everything that waits for the person, newest first within each kind. A message about a task
 * carries that task (its actions are offered with the reply), stands in for the task's own entry
 * (one entry per task, not two), and leaves once the task is done or cancelled.
 */
export type InboxNode = { kind: 'message'; message: Message; task?: Task } | { kind: 'proposal'; proposal: ProposalSummary } | { kind: 'task'; task: Task } | { kind: 'agent'; agent: Agent };

const SETTLED = new Set<string>(['done', 'cancelled']);

export function needsYou(s: { tasks: Task[]; agents: Agent[]; humanInbox: Message[]; proposals: ProposalSummary[] }): InboxNode[] {
  const byId = new Map(s.tasks.map((t) => [t.id, t]));
  const messages: InboxNode[] = [];
  const spoken = new Set<string>();
  for (const message of s.humanInbox) {
    const task = message.taskId ? byId.get(message.taskId) : undefined;
    if (task && SETTLED.has(task.status)) continue;
    if (task) spoken.add(task.id);
    messages.push(task ? { kind: 'message', message, task } : { kind: 'message', message });
  }
  const tasks = (keep: (t: Task) => boolean) => s.tasks.filter((t) => keep(t) && !spoken.has(t.id)).map((task) => ({ kind: 'task', task }) as const);
  return [
    ...messages,
    ...s.proposals.filter((p) => p.status === 'pending' || p.status === 'conflicted').map((proposal) => ({ kind: 'proposal', proposal }) as const),
    ...tasks((t) => t.status === 'review'),
    ...tasks((t) => t.status === 'failed' || t.status === 'blocked'),
    ...s.agents.filter((a) => a.status === 'stalled' || a.status === 'error').map((agent) => ({ kind: 'agent', agent }) as const),
  ];
}

const TASK_NEEDS_YOU = new Set<string>(['review', 'failed', 'blocked']);
const AGENT_NEEDS_YOU = new Set<string>(['stalled', 'error']);

/** Whether a change of the board can change what needs the person (so Needs You is redrawn only then). */
export function touchesNeedsYou(c: MirrorChange): boolean {
  if (c.full || c.inbox || c.proposals.size) return true;
  for (const { before, after } of c.tasks.values()) {
    if (TASK_NEEDS_YOU.has(before?.status ?? '') || TASK_NEEDS_YOU.has(after?.status ?? '')) return true;
    // A message about a task leaves once the task is settled, whatever it was before.
    if (after && before?.status !== after.status && SETTLED.has(after.status)) return true;
  }
  for (const { before, after } of c.agents.values()) if (AGENT_NEEDS_YOU.has(before?.status ?? '') || AGENT_NEEDS_YOU.has(after?.status ?? '') || (before && after && before.name !== after.name)) return true;
  return false;
}

export class InboxTreeProvider extends Disposable implements vscode.TreeDataProvider<InboxNode> {
  private readonly changed = this._register(new vscode.EventEmitter<InboxNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly session: BoardSession) {
    super();
    this._register(session.onDidChangeBoard((c) => touchesNeedsYou(c) && this.changed.fire(undefined)));
  }

  getChildren(node?: InboxNode): InboxNode[] {
    return node ? [] : needsYou(this.session.current);
  }

  getTreeItem(node: InboxNode): vscode.TreeItem {
    switch (node.kind) {
      case 'message': {
        const m = node.message;
        const agent = this.session.current.agents.find((a) => a.id === m.from);
        const item = new vscode.TreeItem(m.subject);
        item.id = `msg:${m.id}`;
        const about = node.task ? ` · ${node.task.status}: ${node.task.title}` : '';
        item.description = `from ${agent?.name ?? m.from}${m.requiresAck ? ' · needs an answer' : ''}${about}`;
        item.iconPath = new vscode.ThemeIcon(m.priority === 'urgent' || m.priority === 'high' ? 'mail-read' : 'mail', m.priority === 'urgent' ? new vscode.ThemeColor('errorForeground') : undefined);
        item.tooltip = new vscode.MarkdownString(`**${escapeMd(m.subject)}**\n\n${escapeMd(m.body.slice(0, 1_000))}`);
        // A message about a task offers the task's actions too (menus match ';retry;' etc.).
        item.contextValue = node.task ? taskContextValue('inbox:message', node.task.status) : 'inbox:message';
        item.command = { command: 'dreamos.inbox.open', title: 'Open', arguments: [node] };
        return item;
      }
      case 'proposal': {
        const p = node.proposal;
        const item = new vscode.TreeItem(p.title);
        item.id = `prp:${p.id}`;
        // Why it waits, when something went wrong: a conflict, checks that failed or could not run, an apply that failed.
        const why = p.statusReason ? ` · ${p.statusReason.length > 80 ? `${p.statusReason.slice(0, 79)}…` : p.statusReason}` : '';
        item.description = `${p.status === 'conflicted' ? 'conflicted — check again or reject' : 'proposal to review'}${why} · ${p.files.length} file${p.files.length === 1 ? '' : 's'}`;
        item.iconPath = p.status === 'conflicted' ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.orange')) : new vscode.ThemeIcon('git-pull-request', new vscode.ThemeColor('charts.blue'));
        item.tooltip = new vscode.MarkdownString(`**${escapeMd(p.title)}**${p.statusReason ? `\n\n${escapeMd(p.statusReason.slice(0, 1_000))}` : ''}\n\n\`${p.id}\``);
        item.contextValue = `inbox:proposal:${p.status}`;
        item.command = { command: 'dreamos.proposal.review', title: 'Review', arguments: [p.id] };
        return item;
      }
      case 'task': {
        const t = node.task;
        const item = new vscode.TreeItem(t.title);
        item.id = `task:${t.id}`;
        const why = t.status === 'review' ? 'waiting for your review' : t.status === 'failed' ? `failed${t.resultSummary ? `: ${t.resultSummary}` : ''}` : 'blocked';
        item.description = why;
        item.iconPath = new vscode.ThemeIcon(t.status === 'review' ? 'eye' : t.status === 'failed' ? 'error' : 'debug-pause', new vscode.ThemeColor(t.status === 'failed' ? 'errorForeground' : 'charts.orange'));
        item.contextValue = taskContextValue('inbox:task', t.status);
        item.command = { command: 'dreamos.task.show', title: 'Show Task Details', arguments: [t.id] };
        return item;
      }
      case 'agent': {
        const a = node.agent;
        const item = new vscode.TreeItem(a.name);
        item.id = `agent:${a.id}`;
        item.description = `${a.status}${a.statusReason ? `: ${a.statusReason}` : ''}`;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.orange'));
        item.contextValue = `inbox:agent:${a.status}`;
        return item;
      }
    }
  }
}
