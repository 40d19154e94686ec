/**
 * The words and the selection rule of the Tasks tree's bulk actions (views/taskBulk.ts), apart
 * from vscode so that plain unit tests can check them.
 */
import type { TaskActionName } from '../../core/board/actions';
import type { Task } from '../../core/board/boardModel';
import { plural } from '../../protocol/names';

export interface Words {
  /** "Cancel" in "Cancel 3 tasks?" */
  verb: string;
  /** "cancelled" in "2 cancelled, 1 could not be". */
  past: string;
  /** Asks for a modal confirmation first. */
  destructive?: string;
}

export const WORDS: Record<TaskActionName, Words> = {
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
export function selectedTasks(board: { current: { tasks: readonly Task[] } }, arg: unknown, selected: unknown): Task[] | undefined {
  if (!Array.isArray(selected) || selected.length < 2) return undefined;
  const nodes = (selected as Node[]).filter((n): n is { kind: 'task'; task: Task } => n?.kind === 'task' && n.task !== undefined);
  const clicked = (arg as Node | undefined)?.task?.id;
  if (nodes.length < 2 || (clicked && !nodes.some((n) => n.task.id === clicked))) return undefined;
  const byId = new Map(board.current.tasks.map((t) => [t.id, t]));
  return nodes.map((n) => byId.get(n.task.id) ?? n.task);
}

export const quote = (t: Pick<Task, 'title'>) => `“${t.title.length > 60 ? `${t.title.slice(0, 59)}…` : t.title}”`;

export interface BulkResult {
  done: Task[];
  failed: { task: Task; why: string }[];
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

