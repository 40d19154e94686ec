import { DreamError } from '../errors';
import type { TaskStatus } from './boardModel';

/**
 * The one transition table. Every status change on the board goes through `assertTransition`;
 * nothing else writes tasks.status.
 */
export const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  waiting: ['ready', 'blocked', 'cancelled'],
  ready: ['claimed', 'waiting', 'blocked', 'cancelled', 'done'], // done: a person did it by hand
  // waiting: a dependency was reopened while this task was being worked on.
  claimed: ['running', 'review', 'ready', 'waiting', 'blocked', 'failed', 'cancelled', 'done'],
  running: ['review', 'done', 'ready', 'waiting', 'blocked', 'failed', 'cancelled'],
  review: ['done', 'running', 'ready', 'waiting', 'failed', 'cancelled'],
  blocked: ['ready', 'waiting', 'cancelled'],
  failed: ['ready', 'waiting', 'cancelled'],
  done: ['ready', 'waiting'], // reopen
  cancelled: ['ready', 'waiting'], // restore
};

/** Statuses in which a task has a live lease. */
export const ACTIVE_STATUSES: readonly TaskStatus[] = ['claimed', 'running'];
export const FINISHED_STATUSES: readonly TaskStatus[] = ['done', 'cancelled'];

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(taskId: string, from: TaskStatus, to: TaskStatus): void {
  if (!canTransition(from, to)) {
    const allowed = TRANSITIONS[from].join(', ') || 'nothing';
    throw new DreamError(
      'invalid_transition',
      `Task ${taskId} is ${from}; it cannot move to ${to}. From ${from} it can move to: ${allowed}.`,
      { taskId, from, to, allowed: TRANSITIONS[from] },
    );
  }
}

export interface TransitionContext {
  taskId: string;
  from: TaskStatus;
  to: TaskStatus;
  actor: string;
  reason: string;
}

/**
 * Hooks run around every transition on the hub. `before` may veto with a reason (the command then
 * fails with code 'vetoed' and nothing changes); `after` runs inside the same transaction.
 */
export interface TransitionHook {
  name: string;
  before?(t: TransitionContext): { veto: string } | void;
  after?(t: TransitionContext): void;
}
