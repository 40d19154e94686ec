/**
 * Task commands on a multi-selection of the Tasks tree. VS Code calls a tree's context-menu
 * command with (the clicked item, every selected item); every task command looks here first and,
 * when several tasks are selected, acts on all of them: one question for all (what was done, what
 * blocks them, which agent), a modal confirmation before anything destructive, each task by the
 * action the action table gives its status (src/core/board/actions), and one summary message —
 * "Cancelled 3 tasks" or "2 cancelled, 1 could not be: …".
 */
import * as vscode from 'vscode';
import { canDo, commandForAction, type TaskActionName } from '../../core/board/actions';
import type { Task } from '../../core/board/boardModel';
import { DreamError } from '../../core/errors';
import { plural } from '../../protocol/names';
import type { BoardSession } from '../boardSession';
import { quote, summary, WORDS, type BulkResult } from './taskBulkText';

export { selectedTasks } from './taskBulkText';

/** The modal question before a destructive action; true to go ahead. */
export async function confirmDestructive(action: TaskActionName, tasks: readonly Task[]): Promise<boolean> {
  const w = WORDS[action];
  if (!w.destructive) return true;
  const what = tasks.length === 1 ? quote(tasks[0]!) : plural(tasks.length, 'task');
  const list = tasks.slice(0, 5).map((t) => `• ${t.title}`);
  if (tasks.length > 5) list.push(`…and ${tasks.length - 5} more`);
  const button = `${w.verb} ${tasks.length === 1 ? 'Task' : `${tasks.length} Tasks`}`;
  const pick = await vscode.window.showWarningMessage(`${w.verb} ${what}?`, { modal: true, detail: `${list.join('\n')}\n\n${w.destructive}` }, button);
  return pick === button;
}

/** Carries out `action` on each task, one after another, collecting what could not be done and why. */
export async function applyToTasks(session: BoardSession, action: TaskActionName, tasks: readonly Task[], words: string, agentId: string | null = null): Promise<BulkResult> {
  const result: BulkResult = { done: [], failed: [] };
  for (const task of tasks) {
    if (!canDo(action, task.status)) {
      result.failed.push({ task, why: `it is ${task.status}` });
      continue;
    }
    try {
      const t = action === 'assign' ? await session.call({ type: 'task.assign', taskId: task.id, agentId }) : await session.call(commandForAction(action, task, words));
      result.done.push(t as Task);
    } catch (err) {
      result.failed.push({ task, why: DreamError.from(err).message });
    }
  }
  return result;
}

/**
 * A task command on several selected tasks: asks once, confirms what is destructive, applies, says
 * what happened. Returns the tasks it changed (undefined when the person backed out).
 */
export async function bulkTaskCommand(session: BoardSession, action: TaskActionName, tasks: readonly Task[]): Promise<Task[] | undefined> {
  const n = plural(tasks.length, 'task');
  let words = `${WORDS[action].past} in the editor`;
  let agentId: string | null = null;
  if (action === 'done') {
    const v = await vscode.window.showInputBox({ title: `Mark ${n} done`, prompt: 'What was done? (kept as the result summary of each)', value: 'Done by hand', validateInput: (s) => (s.trim() ? undefined : 'Say in a few words what was done.') });
    if (!v) return undefined;
    words = v;
  } else if (action === 'block') {
    const v = await vscode.window.showInputBox({ title: `Block ${n}`, prompt: 'What blocks them?', validateInput: (s) => (s.trim() ? undefined : 'Say what blocks the tasks.') });
    if (!v) return undefined;
    words = v;
  } else if (action === 'assign') {
    const agents = session.current.agents.filter((a) => a.status !== 'retired');
    const pick = await vscode.window.showQuickPick([{ label: '$(circle-slash) Anyone', id: null as string | null }, ...agents.map((a) => ({ label: a.name, description: a.status, id: a.id as string | null }))], { title: `Reassign ${n}`, placeHolder: 'Which agent should take them?' });
    if (!pick) return undefined;
    agentId = pick.id;
  }
  if (!(await confirmDestructive(action, tasks))) return undefined;
  const r = await applyToTasks(session, action, tasks, words, agentId);
  const text = `Dream.OS: ${summary(action, r)}`;
  if (r.failed.length) void vscode.window.showWarningMessage(text);
  else void vscode.window.showInformationMessage(text);
  return r.done;
}
