/**
 * Opening a Needs You message: a question about a task is answered by a reply or by acting on the
 * task (Retry, Reassign, Cancel, …, whatever its status allows: core/board/actions), so a click
 * offers both; a message about nothing in particular opens the reply box, as before.
 */
import * as vscode from 'vscode';
import { actionsFor, type TaskActionName } from '../../core/board/actions';
import type { Message, Task } from '../../core/board/boardModel';

/** The editor command and the label for each task action a message can offer. */
const ACTION_COMMANDS: Partial<Record<TaskActionName, { command: string; label: string }>> = {
  retry: { command: 'dreamos.task.retry', label: '$(refresh) Retry the task' },
  assign: { command: 'dreamos.task.assign', label: '$(person) Reassign the task…' },
  cancel: { command: 'dreamos.task.cancel', label: '$(close) Cancel the task…' },
  done: { command: 'dreamos.task.done', label: '$(check) Mark the task done' },
};

export async function openNeedsYouMessage(arg: unknown): Promise<unknown> {
  const node = arg as { kind?: string; message?: Message; task?: Task } | undefined;
  const m = node?.message;
  if (!m) return undefined;
  if (!node.task) return vscode.commands.executeCommand('dreamos.inbox.reply', node);
  const task = node.task;
  type Pick = vscode.QuickPickItem & { run: () => Thenable<unknown> };
  const items: Pick[] = [
    { label: '$(reply) Reply…', description: 'answer the agent', run: () => vscode.commands.executeCommand('dreamos.inbox.reply', node) },
    ...actionsFor(task.status).flatMap((a) => {
      const c = ACTION_COMMANDS[a];
      return c ? [{ label: c.label, run: () => vscode.commands.executeCommand(c.command, task.id) }] : [];
    }),
    { label: '$(info) Show task details', run: () => vscode.commands.executeCommand('dreamos.task.show', task.id) },
    { label: '$(check-all) Acknowledge', description: 'remove it from Needs You', run: () => vscode.commands.executeCommand('dreamos.inbox.ack', node) },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: m.subject, placeHolder: `${task.title} is ${task.status}: reply, or act on the task`, ignoreFocusOut: true });
  return pick?.run();
}
