/**
 * The loop's records on the board, as board commands (registered in ../commands.ts):
 * - recovery points: the step each agent's loop is on, fenced by the lease token, so a restarted
 *   loop host resumes there and never redoes a finished step;
 * - telemetry: one row per cycle, retry, recovery and stall/drift incident, summarised per agent
 *   and per loop host;
 * - the swarm's desired state, so `dreamos swarm stop` stops a swarm running in another process;
 * - the swarm's holder: one host per board, claimed atomically (`swarm.claim`), kept alive by a
 *   heartbeat the board can see (`swarm.heartbeat`), given back on stop (`swarm.release`);
 * - each agent's desired state (`swarm.agent`), which the holder honours wherever it runs.
 */
import { z } from 'zod';
import { commandSchema } from '../commandSchema';
import { getAgent } from '../agents/registry';
import { Id } from '../board/boardModel';
import { getTask, type BoardContext } from '../board/tasks';
import { DreamError } from '../errors';

export const CHECKPOINT_STEPS = ['claimed', 'executing', 'executed', 'checked'] as const;
export type CheckpointStep = (typeof CHECKPOINT_STEPS)[number];
export const TELEMETRY_KINDS = ['cycle', 'retry', 'recovery', 'incident'] as const;
export type TelemetryKind = (typeof TELEMETRY_KINDS)[number];

const AgentRef = z.string().trim().min(1).max(80);
const LoopId = z.string().trim().min(1).max(80);
const Reason = z.string().trim().max(500).default('');
const HostAgent = z.object({ name: AgentRef, state: z.string().max(40), reason: z.string().max(500).optional() }).strict();
/** How long a swarm host that stopped renewing its heartbeat still holds the board (default). */
export const SWARM_TTL_MS = 20_000;
const Data = z.record(z.string(), z.unknown()).refine((d) => JSON.stringify(d).length <= 256_000, 'checkpoint data is limited to 256 KB');
const cmd = commandSchema;

export const LOOP_COMMANDS = [
  cmd('loop.checkpoint.save', { agentId: AgentRef, taskId: Id, token: z.number().int().positive(), step: z.enum(CHECKPOINT_STEPS), data: Data.default({}) }),
  cmd('loop.checkpoint.get', { agentId: AgentRef }),
  cmd('loop.checkpoint.clear', { agentId: AgentRef, taskId: Id.optional() }),
  cmd('loop.telemetry.record', {
    loopId: z.string().trim().min(1).max(80),
    agentId: AgentRef,
    taskId: Id.optional(),
    kind: z.enum(TELEMETRY_KINDS),
    outcome: z.string().trim().min(1).max(40),
    durationMs: z.number().int().min(0).optional(),
    detail: z.record(z.string(), z.unknown()).default({}),
  }),
  cmd('loop.telemetry.list', { agentId: AgentRef.optional(), taskId: Id.optional(), kind: z.enum(TELEMETRY_KINDS).optional(), limit: z.number().int().min(1).max(10_000).default(500) }),
  cmd('loop.telemetry.summary', { sinceMs: z.number().int().min(0).optional() }),
  cmd('swarm.state', {}),
  /** The desired state only: it never names a host (only `swarm.claim` does), so it cannot start a second one. */
  cmd('swarm.set', {
    desired: z.enum(['running', 'stopped']),
    reason: Reason,
    /** Resume only a swarm whose host is alive (refused, 'conflict', when none is): setting "running" starts no host. */
    onlyIfHeld: z.boolean().default(false),
  }),
  cmd('swarm.claim', {
    /** The process that runs the swarm. */
    host: z.object({ loopId: LoopId, pid: z.number().int().positive(), hostname: z.string().max(255) }).strict(),
    /** The holder counts as gone when it renewed no heartbeat for this long. */
    ttlMs: z.number().int().min(1_000).max(600_000).default(SWARM_TTL_MS),
    reason: Reason,
    /** The claimer saw that this holder's process is gone (same machine, no such pid): take over from it, and only from it. */
    takeOver: LoopId.optional(),
    /** Agents the person named at start: their "stopped" (Stop Agent) is lifted. */
    start: z.array(AgentRef).max(1_000).default([]),
  }),
  cmd('swarm.heartbeat', { loopId: LoopId, agents: z.array(HostAgent).max(1_000).optional() }),
  cmd('swarm.release', { loopId: LoopId, desired: z.enum(['running', 'stopped']).optional(), reason: Reason }),
  /** Start Agent / Stop Agent: the agent's desired state, honoured by the swarm's holder wherever it runs. */
  cmd('swarm.agent', { agent: AgentRef, desired: z.enum(['running', 'stopped']), reason: Reason }),
] as const;

export const LOOP_READ_ONLY = ['loop.checkpoint.get', 'loop.telemetry.list', 'loop.telemetry.summary', 'swarm.state'] as const;

type LoopCommand = z.infer<(typeof LOOP_COMMANDS)[number]>;
type Of<K extends LoopCommand['type']> = Extract<LoopCommand, { type: K }>;

export interface Checkpoint {
  agentId: string;
  taskId: string;
  token: number;
  step: CheckpointStep;
  data: Record<string, unknown>;
  updatedAt: number;
}

export interface TelemetryRow {
  id: number;
  loopId: string;
  agentId: string;
  taskId: string | null;
  kind: TelemetryKind;
  outcome: string;
  durationMs: number | null;
  detail: Record<string, unknown>;
  at: number;
}

export interface TelemetryStats {
  cycles: number;
  done: number;
  failed: number;
  /** done / cycles, 0 when there were none. */
  successRate: number;
  avgCycleMs: number;
  retries: number;
  recoveries: number;
  incidents: number;
}

/** The process that holds the board's swarm. */
export interface SwarmHost {
  loopId: string;
  pid: number;
  hostname: string;
  /** When it claimed the swarm. */
  since: number;
  /** Its last heartbeat (board time). */
  beatAt: number;
  ttlMs: number;
  /** What it runs, as of its last heartbeat. */
  agents: { name: string; state: string; reason?: string }[];
}

export interface AgentDesire {
  desired: 'running' | 'stopped';
  reason: string;
  by: string;
  at: number;
}

export interface SwarmState {
  desired: 'running' | 'stopped';
  reason: string;
  by: string;
  at: number;
  /** The holder (possibly gone: see `live`). */
  host?: SwarmHost;
  /** Computed when read: the holder renewed its heartbeat within its ttl. */
  live?: boolean;
  /** Start Agent / Stop Agent, by agent name. */
  agents?: Record<string, AgentDesire>;
}

function saveCheckpoint(ctx: BoardContext, c: Of<'loop.checkpoint.save'>): Checkpoint {
  const agentId = getAgent(ctx.tx, c.agentId).id;
  const task = getTask(ctx.tx, c.taskId);
  // Fencing: only the current lease holder may move its recovery point on.
  if (!task.lease || task.lease.token !== c.token || task.assignee !== agentId) {
    throw new DreamError('stale_token', `The lease on task ${c.taskId} (token ${c.token}) is no longer ${agentId}'s; its recovery point was not saved.`, { taskId: c.taskId, token: c.token });
  }
  ctx.tx.run(
    `INSERT INTO loop_checkpoints (agent_id, task_id, token, step, data, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(agent_id) DO UPDATE SET task_id = excluded.task_id, token = excluded.token, step = excluded.step, data = excluded.data, updated_at = excluded.updated_at`,
    [agentId, c.taskId, c.token, c.step, JSON.stringify(c.data), ctx.now],
  );
  return { agentId, taskId: c.taskId, token: c.token, step: c.step, data: c.data, updatedAt: ctx.now };
}

function getCheckpoint(ctx: BoardContext, ref: string): Checkpoint | null {
  const agentId = getAgent(ctx.tx, ref).id;
  const r = ctx.tx.get<{ task_id: string; token: number; step: CheckpointStep; data: string; updated_at: number }>('SELECT * FROM loop_checkpoints WHERE agent_id = ?', [agentId]);
  return r ? { agentId, taskId: r.task_id, token: r.token, step: r.step, data: JSON.parse(r.data) as Record<string, unknown>, updatedAt: r.updated_at } : null;
}

function clearCheckpoint(ctx: BoardContext, c: Of<'loop.checkpoint.clear'>): { cleared: boolean } {
  const agentId = getAgent(ctx.tx, c.agentId).id;
  if (c.taskId) ctx.tx.run('DELETE FROM loop_checkpoints WHERE agent_id = ? AND task_id = ?', [agentId, c.taskId]);
  else ctx.tx.run('DELETE FROM loop_checkpoints WHERE agent_id = ?', [agentId]);
  return { cleared: ctx.tx.changes() > 0 };
}

/** Telemetry is kept bounded: the newest rows win. */
const TELEMETRY_KEEP = 50_000;

function recordTelemetry(ctx: BoardContext, c: Of<'loop.telemetry.record'>): { id: number } {
  const agentId = getAgent(ctx.tx, c.agentId).id;
  ctx.tx.run('INSERT INTO loop_telemetry (loop_id, agent_id, task_id, kind, outcome, duration_ms, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    c.loopId,
    agentId,
    c.taskId ?? null,
    c.kind,
    c.outcome,
    c.durationMs ?? null,
    JSON.stringify(c.detail),
    ctx.now,
  ]);
  const id = ctx.tx.get<{ id: number }>('SELECT max(id) AS id FROM loop_telemetry')!.id;
  if (id % 1000 === 0) ctx.tx.run('DELETE FROM loop_telemetry WHERE id <= ?', [id - TELEMETRY_KEEP]);
  return { id };
}

interface TelemetryDbRow {
  id: number;
  loop_id: string;
  agent_id: string;
  task_id: string | null;
  kind: TelemetryKind;
  outcome: string;
  duration_ms: number | null;
  detail: string;
  at: number;
}

function listTelemetry(ctx: BoardContext, c: Of<'loop.telemetry.list'>): TelemetryRow[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (c.agentId) {
    where.push('agent_id = ?');
    params.push(getAgent(ctx.tx, c.agentId).id);
  }
  if (c.taskId) {
    where.push('task_id = ?');
    params.push(c.taskId);
  }
  if (c.kind) {
    where.push('kind = ?');
    params.push(c.kind);
  }
  return ctx.tx
    .all<TelemetryDbRow>(`SELECT * FROM loop_telemetry ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`, [...params, c.limit])
    .map((r) => ({ id: r.id, loopId: r.loop_id, agentId: r.agent_id, taskId: r.task_id, kind: r.kind, outcome: r.outcome, durationMs: r.duration_ms, detail: JSON.parse(r.detail) as Record<string, unknown>, at: r.at }));
}

interface AggRow {
  key: string;
  cycles: number;
  done: number;
  failed: number;
  cycle_ms: number | null;
  retries: number;
  recoveries: number;
  incidents: number;
}

const AGG = `count(CASE WHEN kind = 'cycle' THEN 1 END) AS cycles,
  count(CASE WHEN kind = 'cycle' AND outcome = 'done' THEN 1 END) AS done,
  count(CASE WHEN kind = 'cycle' AND outcome = 'failed' THEN 1 END) AS failed,
  avg(CASE WHEN kind = 'cycle' THEN duration_ms END) AS cycle_ms,
  count(CASE WHEN kind = 'retry' THEN 1 END) AS retries,
  count(CASE WHEN kind = 'recovery' THEN 1 END) AS recoveries,
  count(CASE WHEN kind = 'incident' THEN 1 END) AS incidents`;

function stats(r: AggRow | undefined): TelemetryStats {
  const cycles = r?.cycles ?? 0;
  return {
    cycles,
    done: r?.done ?? 0,
    failed: r?.failed ?? 0,
    successRate: cycles ? (r!.done ?? 0) / cycles : 0,
    avgCycleMs: Math.round(r?.cycle_ms ?? 0),
    retries: r?.retries ?? 0,
    recoveries: r?.recoveries ?? 0,
    incidents: r?.incidents ?? 0,
  };
}

function summarise(ctx: BoardContext, c: Of<'loop.telemetry.summary'>) {
  const since = c.sinceMs ?? 0;
  const names = new Map(ctx.tx.all<{ id: string; name: string }>('SELECT id, name FROM agents').map((a) => [a.id, a.name]));
  const agents = ctx.tx
    .all<AggRow>(`SELECT agent_id AS key, ${AGG} FROM loop_telemetry WHERE at >= ? GROUP BY agent_id ORDER BY agent_id`, [since])
    .map((r) => ({ agentId: r.key, name: names.get(r.key) ?? r.key, ...stats(r) }));
  const loops = ctx.tx.all<AggRow & { first: number; last: number }>(
    `SELECT loop_id AS key, min(at) AS first, max(at) AS last, ${AGG} FROM loop_telemetry WHERE at >= ? GROUP BY loop_id ORDER BY first`,
    [since],
  ).map((r) => ({ loopId: r.key, firstAt: r.first, lastAt: r.last, ...stats(r) }));
  const total = stats(ctx.tx.get<AggRow>(`SELECT '' AS key, ${AGG} FROM loop_telemetry WHERE at >= ?`, [since]));
  return { agents, loops, total };
}

function readSwarm(ctx: BoardContext): SwarmState {
  const r = ctx.tx.get<{ value: string }>(`SELECT value FROM meta WHERE key = 'swarm.desired'`);
  const s = r ? (JSON.parse(r.value) as SwarmState) : { desired: 'stopped' as const, reason: 'never started', by: '', at: 0 };
  delete s.live;
  return s;
}

/** A holder is alive while its heartbeat, in board time, is younger than its ttl (older records have none: gone). */
export function hostLive(h: SwarmHost | undefined, now: number): boolean {
  return !!h && typeof h.beatAt === 'number' && typeof h.ttlMs === 'number' && now - h.beatAt <= h.ttlMs;
}

function writeSwarm(ctx: BoardContext, s: SwarmState): SwarmState {
  const { live: _live, ...stored } = s;
  ctx.tx.run(`INSERT INTO meta (key, value) VALUES ('swarm.desired', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, [JSON.stringify(stored)]);
  return withLive(stored, ctx.now);
}

const withLive = (s: SwarmState, now: number): SwarmState => (s.host ? { ...s, live: hostLive(s.host, now) } : s);

function swarmState(ctx: BoardContext): SwarmState {
  return withLive(readSwarm(ctx), ctx.now);
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** Who holds the swarm, in words a person can act on. */
export function describeHost(h: SwarmHost, now: number): string {
  return `on ${h.hostname} since ${iso(h.since)}, last heartbeat ${Math.max(0, Math.round((now - h.beatAt) / 1000))} s ago`;
}

function setSwarm(ctx: BoardContext, c: Of<'swarm.set'>): SwarmState {
  const s = readSwarm(ctx);
  if (c.onlyIfHeld && !hostLive(s.host, ctx.now)) {
    const last = s.host ? ` (the last one, ${s.host.loopId} pid ${s.host.pid}, ${describeHost(s.host, ctx.now)}, is gone)` : '';
    throw new DreamError('conflict', `No swarm runs on this board${last}, so nothing was resumed and nothing started. Start one where the agents should run: \`dreamos swarm start\` in a terminal, or Dream.OS: Start Swarm in the editor.`);
  }
  return writeSwarm(ctx, { ...s, desired: c.desired, reason: c.reason, by: ctx.actor, at: ctx.now });
}

/**
 * One swarm per board: checks and writes the holder in one transaction, so two hosts can never both
 * believe they run the board's agents. A live holder (heartbeat within its ttl) is never replaced;
 * a gone one (expired heartbeat, or a process its own machine saw exit) is.
 */
function claimSwarm(ctx: BoardContext, c: Of<'swarm.claim'>): SwarmState {
  const s = readSwarm(ctx);
  const h = s.host;
  const mine = h?.loopId === c.host.loopId;
  if (h && !mine && hostLive(h, ctx.now) && c.takeOver !== h.loopId) {
    const stopping = s.desired === 'stopped' ? ' It was asked to stop and is releasing its tasks: start again in a few seconds.' : '';
    throw new DreamError(
      'conflict',
      `another swarm (${h.loopId}, pid ${h.pid}) already runs on this board: ${describeHost(h, ctx.now)}.${stopping} Two swarms would run the same agents; stop it first (\`dreamos swarm stop\`, Dream.OS: Stop Swarm, or Discord /pause), then start again. If that machine is gone, its claim lapses ${Math.round(h.ttlMs / 1000)} s after its last heartbeat.`,
      { host: h },
    );
  }
  const agents = { ...s.agents };
  for (const name of c.start) agents[name] = { desired: 'running', reason: c.reason || 'named when the swarm was started', by: ctx.actor, at: ctx.now };
  return writeSwarm(ctx, {
    desired: 'running',
    reason: c.reason,
    by: ctx.actor,
    at: ctx.now,
    host: { ...c.host, since: mine ? h.since : ctx.now, beatAt: ctx.now, ttlMs: c.ttlMs, agents: mine ? h.agents : [] },
    agents,
  });
}

function lostClaim(s: SwarmState, loopId: string, now: number): DreamError {
  const h = s.host;
  const who = h ? `${h.loopId} (pid ${h.pid}) ${describeHost(h, now)}` : 'no host';
  return new DreamError('conflict', `This swarm (${loopId}) no longer holds the board: it is held by ${who}. Its agents stop; start it again once the other one is stopped.`, { host: h });
}

function beatSwarm(ctx: BoardContext, c: Of<'swarm.heartbeat'>): SwarmState {
  const s = readSwarm(ctx);
  if (s.host?.loopId !== c.loopId) throw lostClaim(s, c.loopId, ctx.now);
  return writeSwarm(ctx, { ...s, host: { ...s.host, beatAt: ctx.now, ...(c.agents ? { agents: c.agents } : {}) } });
}

function releaseSwarm(ctx: BoardContext, c: Of<'swarm.release'>): { released: boolean; state: SwarmState } {
  const s = readSwarm(ctx);
  if (s.host?.loopId !== c.loopId) return { released: false, state: withLive(s, ctx.now) };
  const { host: _gone, ...rest } = s;
  const next: SwarmState = c.desired ? { ...rest, desired: c.desired, reason: c.reason, by: ctx.actor, at: ctx.now } : rest;
  return { released: true, state: writeSwarm(ctx, next) };
}

export interface AgentControlResult {
  /** The board agent's name (the key of its desired state). */
  agent: string;
  desired: 'running' | 'stopped';
  /** The live holder of the board's swarm, if any. */
  holder: SwarmHost | null;
  /** The holder's last heartbeat listed the agent as running (a loop, not refused or stopped). */
  runsThere: boolean;
  /** The holder's last word on the agent (its loop state, or why it was not started). */
  there?: { state: string; reason?: string };
}

function controlAgent(ctx: BoardContext, c: Of<'swarm.agent'>): AgentControlResult {
  const agent = getAgent(ctx.tx, c.agent);
  if (agent.status === 'retired' && c.desired === 'running') throw new DreamError('conflict', `Agent ${agent.name} is retired; register a new agent or rename it in agents.json.`, { agentId: agent.id });
  const s = readSwarm(ctx);
  writeSwarm(ctx, { ...s, agents: { ...s.agents, [agent.name]: { desired: c.desired, reason: c.reason, by: ctx.actor, at: ctx.now } } });
  const holder = s.host && hostLive(s.host, ctx.now) ? s.host : null;
  const there = holder?.agents.find((a) => a.name === agent.name);
  return { agent: agent.name, desired: c.desired, holder, runsThere: !!there && there.state !== 'refused' && there.state !== 'stopped', ...(there ? { there: { state: there.state, ...(there.reason ? { reason: there.reason } : {}) } } : {}) };
}

export const LOOP_HANDLERS = {
  'loop.checkpoint.save': (ctx: BoardContext, c: Of<'loop.checkpoint.save'>) => saveCheckpoint(ctx, c),
  'loop.checkpoint.get': (ctx: BoardContext, c: Of<'loop.checkpoint.get'>) => getCheckpoint(ctx, c.agentId),
  'loop.checkpoint.clear': (ctx: BoardContext, c: Of<'loop.checkpoint.clear'>) => clearCheckpoint(ctx, c),
  'loop.telemetry.record': (ctx: BoardContext, c: Of<'loop.telemetry.record'>) => recordTelemetry(ctx, c),
  'loop.telemetry.list': (ctx: BoardContext, c: Of<'loop.telemetry.list'>) => listTelemetry(ctx, c),
  'loop.telemetry.summary': (ctx: BoardContext, c: Of<'loop.telemetry.summary'>) => summarise(ctx, c),
  'swarm.state': (ctx: BoardContext) => swarmState(ctx),
  'swarm.set': (ctx: BoardContext, c: Of<'swarm.set'>) => setSwarm(ctx, c),
  'swarm.claim': (ctx: BoardContext, c: Of<'swarm.claim'>) => claimSwarm(ctx, c),
  'swarm.heartbeat': (ctx: BoardContext, c: Of<'swarm.heartbeat'>) => beatSwarm(ctx, c),
  'swarm.release': (ctx: BoardContext, c: Of<'swarm.release'>) => releaseSwarm(ctx, c),
  'swarm.agent': (ctx: BoardContext, c: Of<'swarm.agent'>) => controlAgent(ctx, c),
};
