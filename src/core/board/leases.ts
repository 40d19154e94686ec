import { DreamError } from '../errors';
import { actsForPerson } from '../auth/principal';
import { assertWorkEvidence } from './evidence';
import { emitEvent } from '../events/eventLog';
import type { Tx } from '../store/sqlite';
import type { Evidence, Task, TaskStatus } from './boardModel';
import { DEFAULT_LEASE_MS, getTask, transition, type BoardContext } from './tasks';
import { ACTIVE_STATUSES } from './transitions';

/**
 * Claims are leases. A claim hands out a fencing token (a board-wide counter, so a newer lease
 * always has a larger token); every later update by the owner must carry it. An expired lease
 * sends the task back to ready, or to failed once its attempts are used up.
 */

function nextFence(tx: Tx): number {
  tx.run(`INSERT INTO meta (key, value) VALUES ('fence', '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`);
  return Number(tx.get<{ value: string }>(`SELECT value FROM meta WHERE key = 'fence'`)!.value);
}

interface AgentRow {
  id: string;
  capabilities: string;
  status: string;
  current_task: string | null;
}

function activeAgent(tx: Tx, agentId: string): AgentRow {
  const a = tx.get<AgentRow>('SELECT id, capabilities, status, current_task FROM agents WHERE id = ?', [agentId]);
  if (!a) throw new DreamError('not_found', `No agent ${agentId}. Register it first with \`dreamos agent register <name>\`.`, { agentId });
  if (a.status === 'retired') throw new DreamError('conflict', `Agent ${agentId} is retired and cannot take tasks.`, { agentId });
  return a;
}

/** Checks the caller may act on a leased task: the current token, or a person overriding. */
export function assertOwner(ctx: BoardContext, task: Task, token: number | undefined): void {
  if (!task.lease) {
    // A token for a task with no live lease is from an owner who lost it (expired or reassigned).
    if (token !== undefined) {
      throw new DreamError('stale_token', `Your lease on task ${task.id} is no longer valid: the task is ${task.status} now. Stop working on it and claim a new task.`, {
        taskId: task.id,
        token,
      });
    }
    return;
  }
  // An agent reports only on a lease its own agent holds, even if it learned another's token (task.show shows leases).
  if (ctx.principal?.kind === 'agent' && task.assignee !== ctx.principal.agentId) {
    throw new DreamError('unauthorized', `Task ${task.id} is held by another agent (${task.assignee ?? 'none'}); this credential acts for ${ctx.principal.agentId} only.`, { taskId: task.id });
  }
  if (token === undefined) {
    if (actsForPerson(ctx.actor, ctx.principal)) return;
    throw new DreamError('stale_token', `Task ${task.id} is leased; pass the lease token you got when you claimed it.`, { taskId: task.id });
  }
  if (token !== task.lease.token) {
    throw new DreamError(
      'stale_token',
      `Your lease on task ${task.id} is no longer valid (token ${token}; current ${task.lease.token}). Another owner has it now: stop working on it and claim a new task.`,
      { taskId: task.id, token, current: task.lease.token },
    );
  }
}

function takeLease(ctx: BoardContext, task: Task, agentId: string, leaseMs: number): { task: Task; lease: { token: number; expiresAt: number } } {
  const lease = { token: nextFence(ctx.tx), expiresAt: ctx.now + leaseMs };
  const claimed = transition(ctx, task, 'claimed', `claimed by ${agentId}`, { assignee: agentId, lease, attempts: task.attempts + 1 });
  ctx.tx.run(`UPDATE agents SET status = 'busy', current_task = ?, last_heartbeat = ?, updated_at = ? WHERE id = ?`, [task.id, ctx.now, ctx.now, agentId]);
  emitEvent(ctx.tx, { type: 'task.claimed', at: ctx.now, actor: ctx.actor, subject: task.id, payload: { agentId, token: lease.token, expiresAt: lease.expiresAt } });
  return { task: claimed, lease };
}

/** The best ready task this agent can do: readiness, then priority, then age; capabilities must cover `requires`. */
export function claimNext(ctx: BoardContext, agentId: string, leaseMs = DEFAULT_LEASE_MS) {
  const agent = activeAgent(ctx.tx, agentId);
  const caps = new Set(JSON.parse(agent.capabilities) as string[]);
  // Page through the ready queue in index order: the first page almost always has a match, so a
  // claim reads a handful of rows, not the whole queue (this is the hot path of every agent).
  const PAGE = 16;
  for (let offset = 0; offset < 100_000; offset += PAGE) {
    const page = ctx.tx.all<{ id: string; requires: string }>(
      `SELECT id, requires FROM tasks WHERE status = 'ready' AND (assignee IS NULL OR assignee = ?)
       ORDER BY priority DESC, created_at, id LIMIT ? OFFSET ?`,
      [agentId, PAGE, offset],
    );
    const pick = page.find((c) => c.requires === '[]' || (JSON.parse(c.requires) as string[]).every((r) => caps.has(r)));
    if (pick) return takeLease(ctx, getTask(ctx.tx, pick.id), agentId, leaseMs);
    if (page.length < PAGE) return null;
  }
  return null;
}

export function claimTask(ctx: BoardContext, taskId: string, agentId: string, leaseMs = DEFAULT_LEASE_MS) {
  const agent = activeAgent(ctx.tx, agentId);
  const task = getTask(ctx.tx, taskId);
  if (task.status !== 'ready') {
    throw new DreamError('conflict', `Task ${taskId} is ${task.status}${task.assignee ? ` (owner ${task.assignee})` : ''}; only ready tasks can be claimed.`, {
      taskId,
      status: task.status,
    });
  }
  if (task.assignee && task.assignee !== agentId) throw new DreamError('conflict', `Task ${taskId} is reserved for agent ${task.assignee}.`, { taskId });
  const caps = new Set(JSON.parse(agent.capabilities) as string[]);
  const missing = task.requires.filter((r) => !caps.has(r));
  if (missing.length) throw new DreamError('conflict', `Agent ${agentId} lacks capabilities ${missing.join(', ')} that task ${taskId} requires.`, { missing });
  return takeLease(ctx, task, agentId, leaseMs);
}

export function renewLease(ctx: BoardContext, taskId: string, token: number, leaseMs = DEFAULT_LEASE_MS) {
  const task = getTask(ctx.tx, taskId);
  if (!task.lease || !ACTIVE_STATUSES.includes(task.status)) {
    throw new DreamError('stale_token', `Task ${taskId} has no live lease (it is ${task.status}); claim a new task.`, { taskId });
  }
  assertOwner({ ...ctx, actor: 'agent' }, task, token);
  const expiresAt = ctx.now + leaseMs;
  ctx.tx.run('UPDATE tasks SET lease_expires_at = ?, updated_at = ? WHERE id = ?', [expiresAt, ctx.now, taskId]);
  if (task.assignee) ctx.tx.run('UPDATE agents SET last_heartbeat = ? WHERE id = ?', [ctx.now, task.assignee]);
  return { token, expiresAt };
}

/** Owner-driven moves that need the lease token (or a person). */
export function ownerTransition(
  ctx: BoardContext,
  taskId: string,
  token: number | undefined,
  to: TaskStatus,
  reason: string,
  extra: { summary?: string; evidence?: Evidence[] } = {},
): Task {
  const task = getTask(ctx.tx, taskId);
  assertOwner(ctx, task, token);
  if (to === 'done' && !actsForPerson(ctx.actor, ctx.principal)) assertWorkEvidence(taskId, [...task.evidence, ...(extra.evidence ?? [])]);
  return transition(ctx, task, to, reason, {
    ...(extra.summary !== undefined ? { resultSummary: extra.summary } : {}),
    ...(extra.evidence?.length ? { evidence: extra.evidence } : {}),
  });
}

/** Upkeep run by the hub every second: expired leases go back to ready (or fail past the limit). */
export function expireDueLeases(ctx: BoardContext): { expired: string[]; failed: string[] } {
  const due = ctx.tx.all<{ id: string }>(
    `SELECT id FROM tasks WHERE lease_expires_at IS NOT NULL AND lease_expires_at <= ? AND status IN ('claimed','running')`,
    [ctx.now],
  );
  const expired: string[] = [];
  const failed: string[] = [];
  for (const { id } of due) {
    const task = getTask(ctx.tx, id);
    const owner = task.assignee ?? 'unknown agent';
    if (task.attempts >= task.maxAttempts) {
      transition(ctx, task, 'failed', `lease of ${owner} expired on attempt ${task.attempts} of ${task.maxAttempts}: giving up`);
      failed.push(id);
    } else {
      transition(ctx, task, 'ready', `lease of ${owner} expired (attempt ${task.attempts} of ${task.maxAttempts})`);
      expired.push(id);
    }
  }
  return { expired, failed };
}

/**
 * Reassigns a task: reserves it for an agent (only that agent may claim it) or clears the
 * reservation. A task someone is working on is released first, which bumps the fencing token:
 * the previous owner's token is refused from then on.
 */
export function assignTask(ctx: BoardContext, taskId: string, agentId: string | null): Task {
  let task = getTask(ctx.tx, taskId);
  if (agentId) activeAgent(ctx.tx, agentId);
  if (ACTIVE_STATUSES.includes(task.status)) task = transition(ctx, task, 'ready', `reassigned${agentId ? ` to ${agentId}` : ''} by ${ctx.actor}`);
  if (['done', 'cancelled'].includes(task.status)) {
    throw new DreamError('invalid_transition', `Task ${taskId} is ${task.status}; reopen it before assigning it.`, { taskId });
  }
  ctx.tx.run('UPDATE tasks SET assignee = ?, updated_at = ? WHERE id = ?', [agentId, ctx.now, taskId]);
  emitEvent(ctx.tx, { type: 'task.updated', at: ctx.now, actor: ctx.actor, subject: taskId, payload: { fields: ['assignee'], assignee: agentId } });
  return getTask(ctx.tx, taskId);
}
