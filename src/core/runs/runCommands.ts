/**
 * Runs on the board: one row per run of an agent on a task, with its session id, its tokens and
 * cost (summed per task and per agent), and its transcript of typed events, bounded in size. The
 * loop host writes them (run.start → run.append … → run.end); people and tools read them.
 */
import { z } from 'zod';
import { getAgent } from '../agents/registry';
import { ownerTransition } from '../board/leases';
import { Id, type Task } from '../board/boardModel';
import { emitEvent } from '../events/eventLog';
import type { Spent } from '../loop/budget';
import { getTask, type BoardContext } from '../board/tasks';
import { commandSchema } from '../commandSchema';
import { DreamError } from '../errors';
import { RunEvent, RunStatus, TRANSCRIPT_HEAD, TRANSCRIPT_MAX_BYTES, type RunRecord, type RunUsage } from './runModel';

const cmd = commandSchema;
const RunId = z.number().int().positive();
const AgentRef = z.string().trim().min(1).max(80);

export const RUN_COMMANDS = [
  cmd('run.start', {
    taskId: Id,
    agentId: AgentRef,
    run: z.number().int().min(1).max(1_000_000),
    protocol: z.string().trim().min(1).max(40),
    resumed: z.string().max(200).optional(),
  }),
  cmd('run.append', { runId: RunId, events: z.array(RunEvent).max(500) }),
  cmd('run.end', { runId: RunId, status: RunStatus.exclude(['running']), error: z.string().max(2_000).optional() }),
  cmd('run.show', { runId: RunId }),
  cmd('run.list', { taskId: Id.optional(), agentId: AgentRef.optional(), limit: z.number().int().min(1).max(1_000).default(50) }),
  /** Tokens and cost summed: the whole board, per agent, and per task (of one task when taskId is given). */
  cmd('run.usage', { taskId: Id.optional() }),
  /** Spent in each scope (a task; an agent; since a time): what budgets are checked against, running runs included. */
  cmd('run.spent', { scopes: z.array(z.object({ taskId: Id.optional(), agentId: AgentRef.optional(), since: z.number().int().min(0).optional() }).strict()).min(1).max(10) }),
  /** A run crossed its budget: the task goes to the person (blocked, "over budget: …") and a budget.exceeded event says so, in one transaction. */
  cmd('run.overBudget', {
    taskId: Id,
    token: z.number().int().positive().optional(),
    agentId: AgentRef,
    runId: RunId.optional(),
    scope: z.enum(['task', 'agentDay', 'swarmDay']),
    unit: z.enum(['usd', 'tokens']),
    limit: z.number().min(0).max(1e12),
    spent: z.object({ usd: z.number().min(0).max(1e12), tokens: z.number().int().min(0).max(1e15), estimated: z.boolean() }).strict(),
    message: z.string().trim().min(1).max(1_900),
  }),
] as const;

export const RUN_READ_ONLY = ['run.show', 'run.list', 'run.usage', 'run.spent'] as const;

type Cmd = z.infer<(typeof RUN_COMMANDS)[number]>;
type Of<K extends Cmd['type']> = Extract<Cmd, { type: K }>;

interface Row {
  id: number;
  task_id: string;
  agent_id: string;
  run_no: number;
  protocol: string;
  session_id: string | null;
  resumed: string | null;
  status: RunRecord['status'];
  error: string | null;
  started_at: number;
  ended_at: number | null;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost_usd: number;
  cost_estimated: number;
  tokens_final: number;
  cost_final: number;
  events: string;
  dropped: number;
}

function toRecord(r: Row, withEvents: boolean): RunRecord {
  return {
    id: r.id,
    taskId: r.task_id,
    agentId: r.agent_id,
    run: r.run_no,
    protocol: r.protocol,
    sessionId: r.session_id,
    resumed: r.resumed,
    status: r.status,
    error: r.error,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    runs: 1,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    cachedTokens: r.cached_tokens,
    costUsd: r.cost_usd,
    costEstimated: !!r.cost_estimated,
    dropped: r.dropped,
    ...(withEvents ? { events: JSON.parse(r.events) as RunEvent[] } : {}),
  };
}

function row(ctx: BoardContext, runId: number): Row {
  const r = ctx.tx.get<Row>('SELECT * FROM runs WHERE id = ?', [runId]);
  if (!r) throw new DreamError('not_found', `Run ${runId} does not exist. List the runs of a task with \`dreamos task show <id>\`.`, { runId });
  return r;
}

function startRun(ctx: BoardContext, c: Of<'run.start'>): RunRecord {
  const agentId = getAgent(ctx.tx, c.agentId).id;
  getTask(ctx.tx, c.taskId);
  ctx.tx.run('INSERT INTO runs (task_id, agent_id, run_no, protocol, resumed, status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [c.taskId, agentId, c.run, c.protocol, c.resumed ?? null, 'running', ctx.now]);
  const id = ctx.tx.get<{ id: number }>('SELECT last_insert_rowid() AS id')!.id;
  return toRecord(row(ctx, id), false);
}

/** Keeps the transcript within its bound: the first events (how it began) and the newest stay. */
export function boundTranscript(events: RunEvent[], maxBytes = TRANSCRIPT_MAX_BYTES, head = TRANSCRIPT_HEAD): { events: RunEvent[]; dropped: number } {
  let size = JSON.stringify(events).length;
  let dropped = 0;
  const out = [...events];
  while (size > maxBytes && out.length > head + 1) {
    const [gone] = out.splice(head, 1);
    size -= JSON.stringify(gone).length + 1;
    dropped++;
  }
  return { events: out, dropped };
}

function priorInSession(ctx: BoardContext, runId: number, session: string | null): { input: number; output: number; cached: number; cost: number } {
  if (!session) return { input: 0, output: 0, cached: 0, cost: 0 };
  const r = ctx.tx.get<{ input: number; output: number; cached: number; cost: number }>(
    'SELECT COALESCE(sum(input_tokens), 0) AS input, COALESCE(sum(output_tokens), 0) AS output, COALESCE(sum(cached_tokens), 0) AS cached, COALESCE(sum(cost_usd), 0) AS cost FROM runs WHERE session_id = ? AND id < ?',
    [session, runId],
  );
  return r ?? { input: 0, output: 0, cached: 0, cost: 0 };
}

function appendRun(ctx: BoardContext, c: Of<'run.append'>): { runId: number; events: number; dropped: number; usage: RunUsage } {
  const r = row(ctx, c.runId);
  if (r.status !== 'running') throw new DreamError('invalid_transition', `Run ${c.runId} has ended (${r.status}); its transcript is closed.`, { runId: c.runId });
  let { input_tokens: input, output_tokens: output, cached_tokens: cached, cost_usd: cost, cost_estimated: estimated, tokens_final: tokensFinal, cost_final: costFinal } = r;
  let session = r.session_id;
  let error = r.error;
  for (const e of c.events) {
    if (e.t === 'session') session = e.id;
    else if (e.t === 'error') error ??= e.message;
    else if (e.t === 'usage' && e.cumulative && !tokensFinal) {
      // The session's total so far: this run's share is what the earlier runs in the session did not count.
      const prior = priorInSession(ctx, c.runId, session ?? r.resumed);
      input = Math.max(0, e.tokens.input - prior.input);
      output = Math.max(0, e.tokens.output - prior.output);
      cached = Math.max(0, e.tokens.cached - prior.cached);
      if (e.costUsd !== undefined && !costFinal) {
        cost = Math.max(0, Math.round((e.costUsd - prior.cost) * 1e9) / 1e9);
        if (e.estimated) estimated = 1;
      }
    } else if (e.t === 'usage' && !tokensFinal) {
      input += e.tokens.input;
      output += e.tokens.output;
      cached += e.tokens.cached;
      if (e.costUsd !== undefined && !costFinal) {
        cost += e.costUsd;
        if (e.estimated) estimated = 1;
      }
    } else if (e.t === 'result') {
      // The CLI's own totals for the run replace what the turns added up to.
      if (e.tokens) {
        ({ input, output, cached } = e.tokens);
        tokensFinal = 1;
      }
      if (e.costUsd !== undefined) {
        cost = e.costUsd;
        estimated = e.estimated ? 1 : 0;
        costFinal = 1;
      }
    }
  }
  const bounded = boundTranscript([...(JSON.parse(r.events) as RunEvent[]), ...c.events]);
  ctx.tx.run(
    `UPDATE runs SET session_id = ?, error = ?, input_tokens = ?, output_tokens = ?, cached_tokens = ?, cost_usd = ?, cost_estimated = ?, tokens_final = ?, cost_final = ?, events = ?, dropped = dropped + ? WHERE id = ?`,
    [session, error, input, output, cached, cost, estimated, tokensFinal, costFinal, JSON.stringify(bounded.events), bounded.dropped, c.runId],
  );
  return { runId: c.runId, events: bounded.events.length, dropped: r.dropped + bounded.dropped, usage: { runs: 1, inputTokens: input, outputTokens: output, cachedTokens: cached, costUsd: cost, costEstimated: !!estimated } };
}

function spent(ctx: BoardContext, c: Of<'run.spent'>): Spent[] {
  return c.scopes.map((s) => {
    const filters: [string, string | number][] = [];
    if (s.taskId) filters.push(['task_id = ?', s.taskId]);
    if (s.agentId) filters.push(['agent_id = ?', getAgent(ctx.tx, s.agentId).id]);
    if (s.since !== undefined) filters.push(['started_at >= ?', s.since]);
    const where = filters.map((f) => f[0]);
    const args = filters.map((f) => f[1]);
    const r = ctx.tx.get<{ usd: number; tokens: number; est: number }>(
      `SELECT COALESCE(sum(cost_usd), 0) AS usd, COALESCE(sum(input_tokens + output_tokens), 0) AS tokens, COALESCE(max(cost_estimated), 0) AS est FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
      args,
    );
    return { usd: Math.round((r?.usd ?? 0) * 1e9) / 1e9, tokens: r?.tokens ?? 0, estimated: !!r?.est };
  });
}

function overBudget(ctx: BoardContext, c: Of<'run.overBudget'>): Task {
  const agentId = getAgent(ctx.tx, c.agentId).id;
  const task = ownerTransition(ctx, c.taskId, c.token, 'blocked', `over budget: ${c.message}`);
  emitEvent(ctx.tx, { type: 'budget.exceeded', at: ctx.now, actor: ctx.actor, subject: c.taskId, payload: { taskId: c.taskId, agentId, ...(c.runId ? { runId: c.runId } : {}), scope: c.scope, unit: c.unit, limit: c.limit, spent: c.spent, message: c.message } });
  return task;
}

function endRun(ctx: BoardContext, c: Of<'run.end'>): RunRecord {
  const r = row(ctx, c.runId);
  if (r.status === 'running') ctx.tx.run('UPDATE runs SET status = ?, ended_at = ?, error = COALESCE(error, ?) WHERE id = ?', [c.status, ctx.now, c.error ?? null, c.runId]);
  return toRecord(row(ctx, c.runId), false);
}

function listRuns(ctx: BoardContext, c: Of<'run.list'>): RunRecord[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (c.taskId) {
    where.push('task_id = ?');
    args.push(c.taskId);
  }
  if (c.agentId) {
    where.push('agent_id = ?');
    args.push(getAgent(ctx.tx, c.agentId).id);
  }
  const rows = ctx.tx.all<Row>(`SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`, [...args, c.limit]);
  return rows.map((r) => toRecord(r, false));
}

const SUMS = `count(*) AS runs, COALESCE(sum(input_tokens), 0) AS input, COALESCE(sum(output_tokens), 0) AS output, COALESCE(sum(cached_tokens), 0) AS cached, COALESCE(sum(cost_usd), 0) AS cost, COALESCE(max(cost_estimated), 0) AS est`;
type SumRow = { runs: number; input: number; output: number; cached: number; cost: number; est: number };
const usageOf = (s: SumRow | undefined): RunUsage => ({ runs: s?.runs ?? 0, inputTokens: s?.input ?? 0, outputTokens: s?.output ?? 0, cachedTokens: s?.cached ?? 0, costUsd: Math.round((s?.cost ?? 0) * 1e9) / 1e9, costEstimated: !!s?.est });

export function usageSummary(ctx: Pick<BoardContext, 'tx'>, taskId?: string): { total: RunUsage; agents: (RunUsage & { agentId: string })[]; tasks: (RunUsage & { taskId: string })[] } {
  const filter = taskId ? 'WHERE task_id = ?' : '';
  const args = taskId ? [taskId] : [];
  return {
    total: usageOf(ctx.tx.get<SumRow>(`SELECT ${SUMS} FROM runs ${filter}`, args)),
    agents: ctx.tx.all<SumRow & { agent_id: string }>(`SELECT agent_id, ${SUMS} FROM runs ${filter} GROUP BY agent_id ORDER BY agent_id`, args).map((s) => ({ agentId: s.agent_id, ...usageOf(s) })),
    tasks: ctx.tx.all<SumRow & { task_id: string }>(`SELECT task_id, ${SUMS} FROM runs ${filter} GROUP BY task_id ORDER BY max(id) DESC LIMIT 200`, args).map((s) => ({ taskId: s.task_id, ...usageOf(s) })),
  };
}

/** `satisfies` keeps each handler's own result type for the typed board port. */
export const RUN_HANDLERS = {
  'run.start': startRun,
  'run.append': appendRun,
  'run.end': endRun,
  'run.show': (ctx: BoardContext, c: Of<'run.show'>) => toRecord(row(ctx, c.runId), true),
  'run.list': listRuns,
  'run.usage': (ctx: BoardContext, c: Of<'run.usage'>) => usageSummary(ctx, c.taskId),
  'run.spent': spent,
  'run.overBudget': overBudget,
} satisfies { [K in Cmd['type']]: (ctx: BoardContext, c: Of<K>) => unknown };
