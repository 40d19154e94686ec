import { z } from 'zod';
import { readBoardConfig } from '../board/boardConfig';
import type { BoardContext } from '../board/tasks';
import { NewAgent, type Agent, type AgentStatus } from '../board/boardModel';
import { DreamError } from '../errors';
import { emitEvent, type EventType } from '../events/eventLog';
import { newId } from '../ids';
import type { Tx } from '../store/sqlite';

interface AgentRow {
  id: string;
  name: string;
  capabilities: string;
  driver: Agent['driver'];
  config: string;
  status: AgentStatus;
  current_task: string | null;
  last_heartbeat: number | null;
  status_reason: string;
  created_at: number;
  updated_at: number;
}

function toAgent(r: AgentRow): Agent {
  return {
    id: r.id,
    name: r.name,
    capabilities: JSON.parse(r.capabilities) as string[],
    driver: r.driver,
    config: JSON.parse(r.config) as Record<string, unknown>,
    status: r.status,
    currentTask: r.current_task,
    lastHeartbeat: r.last_heartbeat,
    statusReason: r.status_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Finds an agent by id or by name (people type names; agents carry ids). */
export function getAgent(tx: Tx, idOrName: string): Agent {
  const r = tx.get<AgentRow>('SELECT * FROM agents WHERE id = ? OR name = ?', [idOrName, idOrName]);
  if (!r) throw new DreamError('not_found', `No agent "${idOrName}". See registered agents with \`dreamos agent list\`.`, { agent: idOrName });
  return toAgent(r);
}

export function listAgents(tx: Tx, includeRetired = false): Agent[] {
  return tx.all<AgentRow>(`SELECT * FROM agents ${includeRetired ? '' : "WHERE status <> 'retired'"} ORDER BY name`).map(toAgent);
}

export function registerAgent(ctx: BoardContext, input: z.input<typeof NewAgent>): Agent {
  const a = NewAgent.parse(input);
  const existing = ctx.tx.get<{ id: string; status: string }>('SELECT id, status FROM agents WHERE name = ?', [a.name]);
  if (existing) throw new DreamError('conflict', `An agent named "${a.name}" already exists (${existing.id}). Pick another name.`, { agentId: existing.id });
  const id = newId('agt');
  ctx.tx.run(
    `INSERT INTO agents (id, name, capabilities, driver, config, status, current_task, last_heartbeat, status_reason, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'offline', NULL, NULL, '', ?, ?)`,
    [id, a.name, JSON.stringify([...new Set(a.capabilities)]), a.driver, JSON.stringify(a.config), ctx.now, ctx.now],
  );
  emitEvent(ctx.tx, { type: 'agent.registered', at: ctx.now, actor: ctx.actor, subject: id, payload: { name: a.name, driver: a.driver } });
  return getAgent(ctx.tx, id);
}

const LIFECYCLE: Record<string, { status: AgentStatus; event: EventType }> = {
  start: { status: 'idle', event: 'agent.started' },
  stop: { status: 'offline', event: 'agent.stopped' },
  stall: { status: 'stalled', event: 'agent.stalled' },
  error: { status: 'error', event: 'agent.error' },
  retire: { status: 'retired', event: 'agent.retired' },
};
export const AgentLifecycle = z.enum(['start', 'stop', 'stall', 'error', 'retire']);

export function setAgentLifecycle(ctx: BoardContext, idOrName: string, what: z.infer<typeof AgentLifecycle>, reason = ''): Agent {
  const agent = getAgent(ctx.tx, idOrName);
  if (agent.status === 'retired' && what !== 'retire') throw new DreamError('conflict', `Agent ${agent.name} is retired.`, { agentId: agent.id });
  const { status, event } = LIFECYCLE[what]!;
  // A started agent that still holds a task is busy, not idle.
  const next: AgentStatus = status === 'idle' && agent.currentTask ? 'busy' : status;
  ctx.tx.run('UPDATE agents SET status = ?, status_reason = ?, last_heartbeat = COALESCE(?, last_heartbeat), updated_at = ? WHERE id = ?', [
    next,
    reason,
    what === 'start' ? ctx.now : null,
    ctx.now,
    agent.id,
  ]);
  emitEvent(ctx.tx, { type: event, at: ctx.now, actor: ctx.actor, subject: agent.id, payload: { status: next, reason } });
  return getAgent(ctx.tx, agent.id);
}

/**
 * A heartbeat says "alive": it renews the agent and the leases of the tasks it holds. It makes an
 * 'agent.heartbeat' event when the agent's status changes, and otherwise at most one per agent per
 * heartbeatEventSeconds window of the board's config: the agents table has every heartbeat, and an
 * event per heartbeat would be most of the board's events (and wake every subscriber).
 */
export function heartbeat(ctx: BoardContext, idOrName: string, leaseMs: number): Agent {
  const agent = getAgent(ctx.tx, idOrName);
  if (agent.status === 'retired') throw new DreamError('conflict', `Agent ${agent.name} is retired.`, { agentId: agent.id });
  const status: AgentStatus = agent.currentTask ? 'busy' : agent.status === 'busy' || agent.status === 'offline' || agent.status === 'stalled' ? 'idle' : agent.status;
  ctx.tx.run('UPDATE agents SET last_heartbeat = ?, status = ?, updated_at = ? WHERE id = ?', [ctx.now, status, ctx.now, agent.id]);
  ctx.tx.run(`UPDATE tasks SET lease_expires_at = ? WHERE assignee = ? AND lease_token IS NOT NULL AND status IN ('claimed','running')`, [
    ctx.now + leaseMs,
    agent.id,
  ]);
  const windowMs = readBoardConfig(ctx.tx).heartbeatEventSeconds * 1000;
  const prev = agent.lastHeartbeat;
  if (status !== agent.status || windowMs === 0 || prev === null || Math.floor(prev / windowMs) !== Math.floor(ctx.now / windowMs)) {
    emitEvent(ctx.tx, { type: 'agent.heartbeat', at: ctx.now, actor: ctx.actor, subject: agent.id, payload: { status } });
  }
  return getAgent(ctx.tx, agent.id);
}

export const AgentPatch = z
  .object({
    capabilities: z.array(z.string().trim().min(1).max(64)).max(64).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    driver: NewAgent.shape.driver.unwrap().optional(),
  })
  .strict();

export function updateAgent(ctx: BoardContext, idOrName: string, patch: z.infer<typeof AgentPatch>): Agent {
  const agent = getAgent(ctx.tx, idOrName);
  ctx.tx.run('UPDATE agents SET capabilities = ?, config = ?, driver = ?, updated_at = ? WHERE id = ?', [
    JSON.stringify(patch.capabilities ?? agent.capabilities),
    JSON.stringify(patch.config ?? agent.config),
    patch.driver ?? agent.driver,
    ctx.now,
    agent.id,
  ]);
  emitEvent(ctx.tx, { type: 'agent.updated', at: ctx.now, actor: ctx.actor, subject: agent.id, payload: { fields: Object.keys(patch) } });
  return getAgent(ctx.tx, agent.id);
}

/** Upkeep: agents that hold work or say they are idle but stopped sending heartbeats are stalled. */
export function markStalledAgents(ctx: BoardContext, stallMs: number): string[] {
  const stale = ctx.tx.all<{ id: string }>(`SELECT id FROM agents WHERE status IN ('idle','busy') AND last_heartbeat IS NOT NULL AND last_heartbeat < ?`, [
    ctx.now - stallMs,
  ]);
  for (const { id } of stale) setAgentLifecycle(ctx, id, 'stall', `no heartbeat for ${Math.round(stallMs / 1000)} s`);
  return stale.map((s) => s.id);
}
