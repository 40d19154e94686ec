/**
 * What a person can do to a task, derived from the one transition table: the editor's commands
 * and menus, the tree's drag and drop, the dashboard's details pane and Discord's buttons all ask
 * here, so a change to the transitions reaches every surface at once.
 */
import type { Task, TaskStatus } from './boardModel';
import { ACTIVE_STATUSES, canTransition, FINISHED_STATUSES } from './transitions';

export const TASK_ACTION_NAMES = ['done', 'block', 'release', 'retry', 'cancel', 'assign'] as const;
export type TaskActionName = (typeof TASK_ACTION_NAMES)[number];

interface TaskActionSpec {
  /** The status the action moves the task to (null: it changes who may take it, not its status). */
  to: TaskStatus | null;
  /** Further narrows where the action is offered, on top of the transition table. */
  from?: (s: TaskStatus) => boolean;
  label: (s: TaskStatus) => string;
}

const finished = (s: TaskStatus) => FINISHED_STATUSES.includes(s);

const SPECS: Readonly<Record<TaskActionName, TaskActionSpec>> = {
  done: { to: 'done', label: () => 'Mark Done' },
  block: { to: 'blocked', label: () => 'Block' },
  // Back to ready: "release" while someone holds it; "retry" (unblock, reopen) once it stopped.
  release: { to: 'ready', from: (s) => ACTIVE_STATUSES.includes(s), label: () => 'Release' },
  retry: { to: 'ready', from: (s) => s === 'failed' || s === 'blocked' || finished(s), label: (s) => (finished(s) ? 'Reopen' : s === 'blocked' ? 'Unblock' : 'Retry') },
  cancel: { to: 'cancelled', label: () => 'Cancel' },
  // Reserving for an agent makes sense while the task can still be (re)started by one.
  assign: { to: null, from: (s) => !finished(s) && s !== 'review', label: () => 'Reassign' },
};

export function canDo(action: TaskActionName, status: TaskStatus): boolean {
  const spec = SPECS[action];
  return (spec.from?.(status) ?? true) && (spec.to === null || canTransition(status, spec.to));
}

/** The actions offered for a task in this status, in menu order. */
export function actionsFor(status: TaskStatus): TaskActionName[] {
  return TASK_ACTION_NAMES.filter((a) => canDo(a, status));
}

export function actionLabel(action: TaskActionName, status: TaskStatus): string {
  return SPECS[action].label(status);
}

/** The board command that carries out `action` on `task` as the person (assign is asked separately). */
export function commandForAction(action: Exclude<TaskActionName, 'assign'>, task: Pick<Task, 'id' | 'status'>, words: string) {
  const taskId = task.id;
  switch (action) {
    case 'done':
      return { type: 'task.done', taskId, summary: words } as const;
    case 'block':
      return { type: 'task.block', taskId, reason: words } as const;
    case 'release':
      return { type: 'task.release', taskId, reason: words } as const;
    case 'cancel':
      return { type: 'task.cancel', taskId, reason: words } as const;
    case 'retry':
      if (task.status === 'blocked') return { type: 'task.unblock', taskId, reason: words } as const;
      if (finished(task.status)) return { type: 'task.reopen', taskId, reason: words } as const;
      return { type: 'task.retry', taskId, reason: words } as const;
  }
}

/** The action that moves a task of this status to `to` (what a drop onto that status means), if any. */
export function actionTo(from: TaskStatus, to: TaskStatus): Exclude<TaskActionName, 'assign'> | undefined {
  return TASK_ACTION_NAMES.find((a): a is Exclude<TaskActionName, 'assign'> => a !== 'assign' && SPECS[a].to === to && canDo(a, from));
}

/**
 * A tree item's context value: the status and the actions it offers, e.g. `task:failed:;retry;cancel;assign;`.
 * Menus match actions (`viewItem =~ /;retry;/`), never statuses, so they follow the table.
 */
export function taskContextValue(prefix: string, status: TaskStatus): string {
  return `${prefix}:${status}:;${actionsFor(status).join(';')};`;
}
