import { DreamError } from '../errors';
import { emitEvent } from '../events/eventLog';
import { newId } from '../ids';
import type { Tx } from '../store/sqlite';
import type { Principal } from '../auth/principal';
import { Evidence, NewTask, TaskPatch, type Task, type TaskHistoryEntry, type TaskStatus } from './boardModel';
import { ACTIVE_STATUSES, assertTransition, type TransitionHook } from './transitions';
import type { z } from 'zod';

export interface BoardContext {
  readonly tx: Tx;
  readonly now: number;
  readonly actor: string;
  readonly hooks?: readonly TransitionHook[];
  /** Who presented which credential (the hub sets it); absent: the person, in-process. */
  readonly principal?: Principal;
}

export const DEFAULT_LEASE_MS = 5 * 60_000;

interface TaskRow {
  id: string;
  title: string;
  description: string;
  type: Task['kind'];
  priority: number;
  status: TaskStatus;
  tags: string;
  requires: string;
  parent_id: string | null;
  assignee: string | null;
  lease_token: number | null;
  lease_expires_at: number | null;
  attempts: number;
  max_attempts: number;
  estimate_minutes: number | null;
  deadline: number | null;
  result_summary: string | null;
  evidence: string;
  created_by: string;
  created_at: number;
  updated_at: number;
}

function toTask(r: TaskRow, dependsOn: string[]): Task {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    kind: r.type,
    priority: r.priority,
    status: r.status,
    tags: JSON.parse(r.tags) as string[],
    requires: JSON.parse(r.requires) as string[],
    dependsOn,
    parentId: r.parent_id,
    assignee: r.assignee,
    lease: r.lease_token !== null && r.lease_expires_at !== null ? { token: r.lease_token, expiresAt: r.lease_expires_at } : null,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    estimateMinutes: r.estimate_minutes,
    deadline: r.deadline,
    resultSummary: r.result_summary,
    evidence: JSON.parse(r.evidence) as Evidence[],
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function depsOf(tx: Tx, id: string): string[] {
  return tx.all<{ depends_on: string }>('SELECT depends_on FROM task_deps WHERE task_id = ? ORDER BY depends_on', [id]).map((r) => r.depends_on);
}

export function findTask(tx: Tx, id: string): Task | undefined {
  const r = tx.get<TaskRow>('SELECT * FROM tasks WHERE id = ?', [id]);
  return r ? toTask(r, depsOf(tx, id)) : undefined;
}

export function getTask(tx: Tx, id: string): Task {
  const t = findTask(tx, id);
  if (!t) throw new DreamError('not_found', `No task ${id} on this board. List tasks with \`dreamos task list\`.`, { taskId: id });
  return t;
}

export interface TaskFilter {
  status?: TaskStatus[] | undefined;
  assignee?: string | undefined;
  tag?: string | undefined;
  parentId?: string | undefined;
  limit?: number | undefined;
}

export function listTasks(tx: Tx, f: TaskFilter = {}): Task[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (f.status?.length) {
    where.push(`status IN (${f.status.map(() => '?').join(',')})`);
    params.push(...f.status);
  }
  if (f.assignee) {
    where.push('assignee = ?');
    params.push(f.assignee);
  }
  if (f.parentId) {
    where.push('parent_id = ?');
    params.push(f.parentId);
  }
  if (f.tag) {
    where.push('EXISTS (SELECT 1 FROM json_each(tasks.tags) WHERE value = ?)');
    params.push(f.tag);
  }
  const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY priority DESC, created_at, id LIMIT ?`;
  const rows = tx.all<TaskRow>(sql, [...params, f.limit ?? 100_000]);
  const deps = new Map<string, string[]>();
  for (const d of tx.all<{ task_id: string; depends_on: string }>('SELECT task_id, depends_on FROM task_deps ORDER BY depends_on')) {
    const list = deps.get(d.task_id) ?? [];
    list.push(d.depends_on);
    deps.set(d.task_id, list);
  }
  return rows.map((r) => toTask(r, deps.get(r.id) ?? []));
}

export function taskHistory(tx: Tx, id: string): TaskHistoryEntry[] {
  return tx
    .all<{ from_status: TaskStatus | null; to_status: TaskStatus; at: number; actor: string; reason: string }>(
      'SELECT from_status, to_status, at, actor, reason FROM task_history WHERE task_id = ? ORDER BY id',
      [id],
    )
    .map((h) => ({ from: h.from_status, to: h.to_status, at: h.at, actor: h.actor, reason: h.reason }));
}

export function showTask(tx: Tx, id: string) {
  const task = getTask(tx, id);
  const dependents = tx.all<{ task_id: string }>('SELECT task_id FROM task_deps WHERE depends_on = ?', [id]).map((r) => r.task_id);
  const subtasks = tx.all<{ id: string }>('SELECT id FROM tasks WHERE parent_id = ? ORDER BY created_at', [id]).map((r) => r.id);
  return { task, history: taskHistory(tx, id), dependents, subtasks };
}

/** Refuses a dependency edge task → dep if dep already (transitively) depends on task. */
function assertNoCycle(tx: Tx, taskId: string, dep: string): void {
  if (taskId === dep) throw new DreamError('cycle', `Task ${taskId} cannot depend on itself.`, { taskId });
  const hit = tx.get<{ id: string }>(
    `WITH RECURSIVE reach(id) AS (SELECT ? UNION SELECT d.depends_on FROM task_deps d JOIN reach r ON d.task_id = r.id)
     SELECT id FROM reach WHERE id = ? LIMIT 1`,
    [dep, taskId],
  );
  if (hit) {
    throw new DreamError('cycle', `Task ${taskId} cannot depend on ${dep}: ${dep} already depends on ${taskId}, which would make a cycle.`, {
      taskId,
      dependsOn: dep,
    });
  }
}

export function recordHistory(ctx: BoardContext, id: string, from: TaskStatus | null, to: TaskStatus, reason: string): void {
  ctx.tx.run('INSERT INTO task_history (task_id, from_status, to_status, at, actor, reason) VALUES (?, ?, ?, ?, ?, ?)', [
    id,
    from,
    to,
    ctx.now,
    ctx.actor,
    reason,
  ]);
}

export function addTask(ctx: BoardContext, input: z.input<typeof NewTask>, id = newId('tsk')): Task {
  const t = NewTask.parse(input);
  for (const dep of t.dependsOn) getTask(ctx.tx, dep);
  if (t.parentId) getTask(ctx.tx, t.parentId);
  const status: TaskStatus = 'ready';
  ctx.tx.run(
    `INSERT INTO tasks (id, title, description, type, priority, status, tags, requires, parent_id, assignee, attempts, max_attempts,
       estimate_minutes, deadline, evidence, created_by, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, '[]', ?, ?, ?)`,
    [
      id,
      t.title,
      t.description,
      t.kind,
      t.priority,
      status,
      JSON.stringify([...new Set(t.tags)]),
      JSON.stringify([...new Set(t.requires)]),
      t.parentId ?? null,
      t.assignee ?? null,
      t.maxAttempts,
      t.estimateMinutes ?? null,
      t.deadline ?? null,
      ctx.actor,
      ctx.now,
      ctx.now,
    ],
  );
  for (const dep of new Set(t.dependsOn)) ctx.tx.run('INSERT INTO task_deps (task_id, depends_on) VALUES (?, ?)', [id, dep]);
  recordHistory(ctx, id, null, status, 'created');
  emitEvent(ctx.tx, { type: 'task.created', at: ctx.now, actor: ctx.actor, subject: id, payload: { title: t.title, status } });
  if (t.dependsOn.length && openDeps(ctx.tx, id).length > 0) transition(ctx, getTask(ctx.tx, id), 'waiting', 'waiting for dependencies');
  return getTask(ctx.tx, id);
}

export function updateTask(ctx: BoardContext, id: string, patch: z.input<typeof TaskPatch>): Task {
  const p = TaskPatch.parse(patch);
  getTask(ctx.tx, id);
  const cols: Record<string, string | number | null> = {};
  if (p.title !== undefined) cols.title = p.title;
  if (p.description !== undefined) cols.description = p.description;
  if (p.kind !== undefined) cols.type = p.kind;
  if (p.priority !== undefined) cols.priority = p.priority;
  if (p.tags !== undefined) cols.tags = JSON.stringify([...new Set(p.tags)]);
  if (p.requires !== undefined) cols.requires = JSON.stringify([...new Set(p.requires)]);
  if (p.estimateMinutes !== undefined) cols.estimate_minutes = p.estimateMinutes;
  if (p.deadline !== undefined) cols.deadline = p.deadline;
  if (p.maxAttempts !== undefined) cols.max_attempts = p.maxAttempts;
  const keys = Object.keys(cols);
  if (keys.length === 0) throw new DreamError('invalid_input', 'Nothing to update: give at least one field to change.');
  ctx.tx.run(`UPDATE tasks SET ${keys.map((k) => `${k} = ?`).join(', ')}, updated_at = ? WHERE id = ?`, [
    ...keys.map((k) => cols[k] ?? null),
    ctx.now,
    id,
  ]);
  emitEvent(ctx.tx, { type: 'task.updated', at: ctx.now, actor: ctx.actor, subject: id, payload: { fields: Object.keys(p) } });
  return getTask(ctx.tx, id);
}

export interface TransitionExtras {
  assignee?: string | null;
  lease?: { token: number; expiresAt: number } | null;
  attempts?: number;
  resultSummary?: string | null;
  evidence?: Evidence[];
}

/** The tasks `id` depends on that are not done yet. */
function openDeps(tx: Tx, id: string): string[] {
  return tx
    .all<{ id: string }>(`SELECT t.id FROM task_deps d JOIN tasks t ON t.id = d.depends_on WHERE d.task_id = ? AND t.status <> 'done' ORDER BY t.id`, [id])
    .map((r) => r.id);
}

/**
 * The single place where a task's status changes: dependency gate, table check, hooks, history,
 * event, side effects. Every way into ready (unblock, retry, reopen, release, lease expiry,
 * reassignment, a drag onto Ready) passes the gate: with a dependency not done, the task waits.
 */
export function transition(ctx: BoardContext, task: Task, to: TaskStatus, reason: string, extras: TransitionExtras = {}): Task {
  if (to === 'ready') {
    const open = openDeps(ctx.tx, task.id);
    if (open.length) {
      to = 'waiting';
      reason = `${reason}; waiting for ${open.length === 1 ? 'dependency' : 'dependencies'} ${open.join(', ')} to be done`;
    }
  }
  if (to === task.status && to === 'waiting') return task;
  assertTransition(task.id, task.status, to);
  const tc = { taskId: task.id, from: task.status, to, actor: ctx.actor, reason };
  for (const h of ctx.hooks ?? []) {
    const verdict = h.before?.(tc);
    if (verdict) throw new DreamError('vetoed', `Moving task ${task.id} to ${to} was refused by ${h.name}: ${verdict.veto}`, { hook: h.name, ...tc });
  }
  const leaving = ACTIVE_STATUSES.includes(to) ? {} : { assignee: to === 'done' || to === 'review' ? task.assignee : null, lease: null };
  const x = { ...leaving, ...extras };
  const sets: string[] = ['status = ?', 'updated_at = ?'];
  const params: (string | number | null)[] = [to, ctx.now];
  if ('assignee' in x) {
    sets.push('assignee = ?');
    params.push(x.assignee ?? null);
  }
  if ('lease' in x) {
    sets.push('lease_token = ?', 'lease_expires_at = ?');
    params.push(x.lease?.token ?? null, x.lease?.expiresAt ?? null);
  }
  if (x.attempts !== undefined) {
    sets.push('attempts = ?');
    params.push(x.attempts);
  }
  if (x.resultSummary !== undefined) {
    sets.push('result_summary = ?');
    params.push(x.resultSummary);
  }
  if (x.evidence !== undefined) {
    sets.push('evidence = ?');
    params.push(JSON.stringify([...task.evidence, ...x.evidence]));
  }
  ctx.tx.run(`UPDATE tasks SET ${sets.join(', ')} WHERE id = ?`, [...params, task.id]);
  recordHistory(ctx, task.id, task.status, to, reason);
  emitEvent(ctx.tx, { type: 'task.transitioned', at: ctx.now, actor: ctx.actor, subject: task.id, payload: { from: task.status, to, reason } });
  // The owner's agent record follows its task.
  if (task.assignee && !ACTIVE_STATUSES.includes(to)) {
    ctx.tx.run(`UPDATE agents SET current_task = NULL, status = CASE WHEN status = 'busy' THEN 'idle' ELSE status END, updated_at = ? WHERE id = ? AND current_task = ?`, [
      ctx.now,
      task.assignee,
      task.id,
    ]);
  }
  for (const h of ctx.hooks ?? []) h.after?.(tc);
  if (to === 'done') promoteDependents(ctx, task.id);
  if (to === 'cancelled') blockDependents(ctx, task.id);
  if (task.status === 'done') demoteDependents(ctx, task.id);
  return getTask(ctx.tx, task.id);
}

function promoteDependents(ctx: BoardContext, doneId: string): void {
  const waiting = ctx.tx.all<{ id: string }>(
    `SELECT t.id FROM task_deps d JOIN tasks t ON t.id = d.task_id WHERE d.depends_on = ? AND t.status = 'waiting'`,
    [doneId],
  );
  for (const { id } of waiting) {
    if (openDeps(ctx.tx, id).length === 0) transition(ctx, getTask(ctx.tx, id), 'ready', `dependency ${doneId} is done`);
  }
}

/** Tasks waiting for a cancelled one would wait forever: they are blocked, with the way out. */
function blockDependents(ctx: BoardContext, cancelledId: string): void {
  const waiting = ctx.tx.all<{ id: string }>(
    `SELECT t.id FROM task_deps d JOIN tasks t ON t.id = d.task_id WHERE d.depends_on = ? AND t.status = 'waiting'`,
    [cancelledId],
  );
  const why = `dependency ${cancelledId} was cancelled: restore it, or remove the dependency (\`dreamos task undepend <id> ${cancelledId}\`), then unblock this task`;
  for (const { id } of waiting) transition(ctx, getTask(ctx.tx, id), 'blocked', why);
}

/**
 * A reopened task sends back the dependents that no longer have what they were built on: ready
 * ones wait again, and claimed, running or in-review ones lose their lease (the owner's token is
 * refused from then on) and wait too.
 */
function demoteDependents(ctx: BoardContext, reopenedId: string): void {
  const started = ctx.tx.all<{ id: string }>(
    `SELECT t.id FROM task_deps d JOIN tasks t ON t.id = d.task_id WHERE d.depends_on = ? AND t.status IN ('ready','claimed','running','review')`,
    [reopenedId],
  );
  for (const { id } of started) transition(ctx, getTask(ctx.tx, id), 'waiting', `dependency ${reopenedId} was reopened`);
}

export function addDependency(ctx: BoardContext, taskId: string, dep: string): Task {
  const task = getTask(ctx.tx, taskId);
  getTask(ctx.tx, dep);
  assertNoCycle(ctx.tx, taskId, dep);
  ctx.tx.run('INSERT OR IGNORE INTO task_deps (task_id, depends_on) VALUES (?, ?)', [taskId, dep]);
  emitEvent(ctx.tx, { type: 'task.dependencies', at: ctx.now, actor: ctx.actor, subject: taskId, payload: { added: dep } });
  if (task.status === 'ready' && openDeps(ctx.tx, taskId).length > 0) return transition(ctx, task, 'waiting', `now depends on ${dep}`);
  return getTask(ctx.tx, taskId);
}

export function removeDependency(ctx: BoardContext, taskId: string, dep: string): Task {
  const task = getTask(ctx.tx, taskId);
  ctx.tx.run('DELETE FROM task_deps WHERE task_id = ? AND depends_on = ?', [taskId, dep]);
  emitEvent(ctx.tx, { type: 'task.dependencies', at: ctx.now, actor: ctx.actor, subject: taskId, payload: { removed: dep } });
  if (task.status === 'waiting' && openDeps(ctx.tx, taskId).length === 0) return transition(ctx, task, 'ready', `no longer depends on ${dep}`);
  return getTask(ctx.tx, taskId);
}

