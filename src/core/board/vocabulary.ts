/**
 * The board's fixed vocabularies as plain values (model.ts builds its schemas from them): what the
 * editor's views and commands need on activation, without zod.
 */
export const TASK_STATUSES = [
  'waiting', // depends on tasks that are not done yet
  'ready',
  'claimed',
  'running',
  'review',
  'done',
  'blocked',
  'failed',
  'cancelled',
] as const;

export const TASK_TYPES = ['feature', 'bug', 'chore', 'research', 'review', 'docs', 'test'] as const;

/** Higher is more urgent. Names are what people type; numbers are what the board sorts by. */
export const PRIORITIES = { low: 0, normal: 1, high: 2, critical: 3 } as const;

export function priorityName(p: number): keyof typeof PRIORITIES {
  return (Object.keys(PRIORITIES) as (keyof typeof PRIORITIES)[]).find((k) => PRIORITIES[k] === p) ?? 'normal';
}

export const AGENT_STATUSES = ['offline', 'idle', 'busy', 'stalled', 'error', 'retired'] as const;
export const DRIVER_KINDS = ['command', 'language-model', 'chat-window', 'manual'] as const;
