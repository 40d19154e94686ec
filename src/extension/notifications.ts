/**
 * Notifications: what the board says the person should know (src/core/notify/notices.ts), shown
 * as the editor's notifications with the actions that fit — Reply to a question, Retry or Open a
 * failed task, Review a change — coalesced so that a burst is one or two toasts and a summary.
 * `dreamos.notifications.show` says which kinds; an empty list turns them off.
 */
import * as vscode from 'vscode';
import { DEFAULT_NOTICE_KINDS, NOTICE_KINDS, NoticeBatcher, noticeFor, type Batch, type Notice, type NoticeKind } from '../core/notify/notices';
import type { BoardSession } from './boardSession';
import { Disposable } from './lifecycle';

/** What was shown, for the person's log and for tests: the text and the action buttons offered. */
export interface ShownNotice {
  text: string;
  severity: Notice['severity'];
  actions: string[];
  notice?: Notice;
}

const SHOW_NEEDS_YOU = 'Show Needs You';

export class Notifications extends Disposable {
  /** Newest last, at most 50. */
  readonly shown: ShownNotice[] = [];
  private readonly batcher: NoticeBatcher;

  constructor(private readonly session: BoardSession) {
    super();
    this.batcher = new NoticeBatcher({ show: (b) => this.show(b) });
    this._register({ dispose: () => this.batcher.dispose() });
    this._register(
      session.onDidChangeBoard((c) => {
        if (c.full || !c.events.length) return; // a reload replays nothing: only what happens from now on is news
        const kinds = this.kinds();
        if (!kinds.size) return;
        const names = {
          task: (id: string) => c.snapshot.tasks.find((t) => t.id === id)?.title ?? c.previous.tasks.find((t) => t.id === id)?.title,
          agent: (id: string) => c.snapshot.agents.find((a) => a.id === id)?.name,
        };
        for (const e of c.events) {
          const n = noticeFor(e, names);
          if (n && kinds.has(n.kind)) this.batcher.add(n);
        }
      }),
    );
  }

  private kinds(): Set<NoticeKind> {
    const v = vscode.workspace.getConfiguration('dreamos').get<unknown>('notifications.show', DEFAULT_NOTICE_KINDS);
    const list = Array.isArray(v) ? v : DEFAULT_NOTICE_KINDS;
    return new Set(list.filter((k): k is NoticeKind => (NOTICE_KINDS as readonly string[]).includes(k as string)));
  }

  private show(b: Batch): void {
    for (const n of b.single) void this.present(n);
    if (b.summary) {
      const text = `Dream.OS: ${b.summary.text}`;
      this.record({ text, severity: b.summary.severity, actions: [SHOW_NEEDS_YOU, 'Settings'] });
      void showBy(b.summary.severity)(text, SHOW_NEEDS_YOU, 'Settings').then((pick) => {
        if (pick === SHOW_NEEDS_YOU) void vscode.commands.executeCommand('dreamos.inbox.focus');
        if (pick === 'Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'dreamos.notifications');
      });
    }
  }

  private async present(n: Notice): Promise<void> {
    const actions = actionsFor(n, this.session);
    const text = `Dream.OS: ${n.text}`;
    this.record({ text, severity: n.severity, actions: actions.map((a) => a.title), notice: n });
    const pick = await showBy(n.severity)(text, ...actions.map((a) => a.title));
    const chosen = actions.find((a) => a.title === pick);
    if (chosen) await vscode.commands.executeCommand(chosen.command, ...chosen.args);
  }

  private record(s: ShownNotice): void {
    this.shown.push(s);
    if (this.shown.length > 50) this.shown.shift();
  }
}

const showBy = (s: Notice['severity']) => (s === 'error' ? vscode.window.showErrorMessage : s === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage);

interface Action {
  title: string;
  command: string;
  args: unknown[];
}

function actionsFor(n: Notice, session: BoardSession): Action[] {
  const open: Action[] = n.taskId ? [{ title: 'Open', command: 'dreamos.task.show', args: [n.taskId] }] : [];
  switch (n.kind) {
    case 'question': {
      const message = session.current.humanInbox.find((m) => m.id === n.messageId);
      return [...(message ? [{ title: 'Reply…', command: 'dreamos.inbox.reply', args: [{ kind: 'message', message }] }] : []), ...open, { title: SHOW_NEEDS_YOU, command: 'dreamos.inbox.focus', args: [] }];
    }
    case 'failed':
    case 'blocked':
    case 'budget':
      return [{ title: 'Retry', command: 'dreamos.task.retry', args: [n.taskId] }, ...open];
    case 'proposal':
      return [{ title: 'Review', command: 'dreamos.proposal.review', args: [n.proposalId] }, ...open];
    case 'stalled':
      return [{ title: 'Show Agents', command: 'dreamos.agents.focus', args: [] }];
    case 'done':
      return open;
  }
}
