import { z } from 'zod';
import { listAgents } from '../agents/registry';
import { DreamError, formatIssues } from '../errors';
import { emitEvent } from '../events/eventLog';
import { newId } from '../ids';
import { SCHEMA_VERSION } from '../store/migrations';
import { Id, NewTask, type Task } from './boardModel';
import { addTask, listTasks, taskHistory, type BoardContext } from './tasks';

/**
 * A task file: `{ "tasks": [...] }` or a bare array. Items may carry a `key` so others in the same
 * file can depend on them before they have ids. The whole file is validated before anything is
 * written, and the import runs in one transaction: nothing is ever half-imported.
 */
const Key = z.string().trim().min(1).max(64);
const ImportItem = NewTask.extend({
  key: Key.optional(),
  dependsOn: z.array(z.union([Id, Key])).max(100).default([]),
  parent: z.union([Id, Key]).optional(),
}).omit({ parentId: true });
export const TaskFile = z.object({ version: z.literal(1).optional(), tasks: z.array(ImportItem).max(10_000) }).strip();

export function importTasks(ctx: BoardContext, raw: unknown): { created: Task[] } {
  // A bare array is accepted as the task list; normalising first keeps error paths precise.
  const parsed = TaskFile.safeParse(Array.isArray(raw) ? { tasks: raw } : raw);
  if (!parsed.success) {
    const lines = formatIssues(parsed.error.issues);
    throw new DreamError('invalid_input', `The task file is not valid; nothing was imported.\n${lines.slice(0, 20).join('\n')}`, { errors: lines });
  }
  const items = parsed.data.tasks;
  const errors: string[] = [];
  const keys = new Map<string, number>();
  items.forEach((it, i) => {
    if (it.key === undefined) return;
    if (keys.has(it.key)) errors.push(`tasks[${i}].key: "${it.key}" is used twice (also tasks[${keys.get(it.key)}])`);
    keys.set(it.key, i);
  });
  const exists = (id: string) => ctx.tx.get('SELECT 1 AS x FROM tasks WHERE id = ?', [id]) !== undefined;
  items.forEach((it, i) => {
    it.dependsOn.forEach((d, j) => {
      if (!keys.has(d) && !exists(d)) errors.push(`tasks[${i}].dependsOn[${j}]: "${d}" is neither a key in this file nor a task on the board`);
    });
    if (it.parent !== undefined && !keys.has(it.parent) && !exists(it.parent)) errors.push(`tasks[${i}].parent: "${it.parent}" is neither a key in this file nor a task on the board`);
  });
  // Order items so dependencies and parents come first; what cannot be ordered is a cycle.
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (i: number, trail: number[]): void => {
    if (state.get(i) === 'done') return;
    if (state.get(i) === 'visiting') {
      errors.push(`tasks[${i}]: dependency cycle ${[...trail, i].map((n) => items[n]!.key ?? `#${n}`).join(' -> ')}`);
      return;
    }
    state.set(i, 'visiting');
    const it = items[i]!;
    for (const ref of [...it.dependsOn, ...(it.parent ? [it.parent] : [])]) {
      const k = keys.get(ref);
      if (k !== undefined) visit(k, [...trail, i]);
    }
    state.set(i, 'done');
    order.push(i);
  };
  items.forEach((_, i) => visit(i, []));
  if (errors.length) {
    throw new DreamError('invalid_input', `The task file is not valid; nothing was imported.\n${errors.slice(0, 20).join('\n')}`, { errors });
  }
  const ids = new Map<number, string>(items.map((_, i) => [i, newId('tsk')]));
  const resolve = (ref: string) => (keys.has(ref) ? ids.get(keys.get(ref)!)! : ref);
  const created: Task[] = [];
  for (const i of order) {
    const { key: _key, parent, dependsOn, ...rest } = items[i]!;
    created.push(addTask(ctx, { ...rest, dependsOn: dependsOn.map(resolve), ...(parent ? { parentId: resolve(parent) } : {}) }, ids.get(i)!));
  }
  emitEvent(ctx.tx, { type: 'board.imported', at: ctx.now, actor: ctx.actor, subject: '', payload: { count: created.length } });
  return { created };
}

export function exportBoard(ctx: Pick<BoardContext, 'tx' | 'now'>) {
  const tasks = listTasks(ctx.tx);
  return {
    format: 'dreamos-board',
    schemaVersion: SCHEMA_VERSION,
    exportedAt: ctx.now,
    tasks: tasks.map((t) => ({ ...t, history: taskHistory(ctx.tx, t.id) })),
    agents: listAgents(ctx.tx, true),
    messages: ctx.tx.all('SELECT * FROM messages ORDER BY created_at'),
    messageAcks: ctx.tx.all('SELECT * FROM message_acks'),
  };
}
