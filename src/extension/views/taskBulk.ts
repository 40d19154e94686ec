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
import type { Task } from '../../core/board/model';
import { DreamError } from '../../core/errors';
import { plural } from '../../protocol/names';
import type { BoardSession } from '../boardSession';

interface Words {
  /** "Cancel" in "Cancel 3 tasks?" */
  verb: string;
  /** "cancelled" in "2 cancelled, 1 could not be". */
  past: string;
  /** Asks for a modal confirmation first. */
  destructive?: string;
}

const WORDS: Record<TaskActionName, Words> = {
  done: { verb: 'Mark done', past: 'marked done' },
  block: { verb: 'Block', past: 'blocked' },
  release: { verb: 'Release', past: 'released' },
  retry: { verb: 'Retry', past: 'retried' },
  cancel: { verb: 'Cancel', past: 'cancelled', destructive: 'Agents working on them are stopped and their leases end. A cancelled task can be reopened later; nothing is deleted.' },
  assign: { verb: 'Reassign', past: 'reassigned' },
};

type Node = { kind?: string; task?: Task };

/**
 * The tasks a command acts on when it came from a multi-selection: the selection, if it holds the
 * clicked item and more than one task (fresh from the board). Otherwise undefined: one task, as before.
 */
export function selectedTasks(session: BoardSession, arg: unknown, selected: unknown): Task[] | undefined {
  if (!Array.isArray(selected) || selected.length < 2) return undefined;
  const nodes = (selected as Node[]).filter((n): n is { kind: 'task'; task: Task } => n?.kind === 'task' && n.task !== undefined);
  const clicked = (arg as Node | undefined)?.task?.id;
  if (nodes.length < 2 || (clicked && !nodes.some((n) => n.task.id === clicked))) return undefined;
  const byId = new Map(session.current.tasks.map((t) => [t.id, t]));
  return nodes.map((n) => byId.get(n.task.id) ?? n.task);
}

const quote = (t: Task) => `“${t.title.length > 60 ? `${t.title.slice(0, 59)}…` : t.title}”`;

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

export interface BulkResult {
  done: Task[];
  failed: { task: Task; why: string }[];
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

/** "Cancelled 3 tasks." / "2 cancelled, 1 could not be: “x”: it is done." */
export function summary(action: TaskActionName, r: BulkResult): string {
  const w = WORDS[action];
  const past = w.past;
  if (!r.failed.length) return `${past[0]!.toUpperCase()}${past.slice(1)} ${plural(r.done.length, 'task')}.`;
  const reasons = r.failed.slice(0, 3).map((f) => `${quote(f.task)}: ${f.why}`).join('; ');
  const more = r.failed.length > 3 ? ` (and ${r.failed.length - 3} more)` : '';
  if (!r.done.length) return `No task was ${past}: ${reasons}${more}.`;
  return `${r.done.length} ${past}, ${r.failed.length} could not be: ${reasons}${more}.`;
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
