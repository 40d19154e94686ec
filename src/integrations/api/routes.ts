/**
 * The REST API as one table: method, path, summary, the least scope that can use it, and the zod
 * schemas of its path, query, body and answer. The router (app.ts) and the OpenAPI document
 * (openapi.ts) are both made from it, so the docs cannot describe a route that does not exist.
 * Every route runs as the caller's own token: the hub decides what the token may do.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { TokenScope, WhoAmI } from '../../core/auth/tokens';
import { canDo, commandForAction, actionsFor, TASK_ACTION_NAMES } from '../../core/board/actions';
import { Evidence, Id, NewMessage, NewTask, TASK_STATUSES } from '../../core/board/boardModel';
import { Command } from '../../core/commands';
import { DreamError } from '../../core/errors';
import type { BoardClient } from '../../core/hub/connect';
import { PROPOSAL_STATUSES } from '../../core/proposals/proposalModel';
import { MAX_FILTER_LENGTH, taskMatcher } from '../../protocol/taskFilter';
import type { BoardLink } from '../http/dashboardHost';
import { proposalDiff } from './diff';
import { AgentOut, CommandResultOut, EventOut, HealthOut, MessageOut, ProposalDetailsOut, ProposalOut, ProposalSummaryOut, SessionOut, TaskDetailsOut, TaskOut } from './apiSchemas';

export type RouteScope = 'none' | TokenScope;

export interface RouteArgs<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
  /** The request body as sent (parsed JSON, before the schema's defaults). */
  raw: unknown;
  /** The caller's own board connection (absent for scope 'none'). */
  board: BoardClient;
  whoami: WhoAmI;
  c: Context;
  services: RouteServices;
}

/** What the gateway gives routes besides the caller's connection. */
export interface RouteServices {
  /** The server's own board link (the person's), for health only. */
  self: BoardLink;
  /** The workspace the board belongs to, to diff a proposal against its base files. */
  workspace: string | undefined;
  version: string;
  /** POST/DELETE /session: binds a cookie to a token (the gateway owns the sessions). */
  openSession(c: Context, token: string): Promise<WhoAmI>;
  closeSession(c: Context): void;
  /** GET /events as Server-Sent Events. */
  streamEvents(c: Context, board: BoardClient, after: number): Response | Promise<Response>;
}

export interface ApiRoute {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI style: /api/v1/tasks/{id} */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  scope: RouteScope;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  response: z.ZodType;
  status?: 200 | 201;
  /** false: the body schema is documentation only; the hub validates the raw body itself (POST /commands). */
  validateBody?: false;
  /** Also answers text/event-stream (GET /events). */
  sse?: true;
  run(a: RouteArgs): Promise<unknown>;
}

/** A route whose handler sees its own parsed params, query and body. */
function route<P extends z.ZodObject | undefined = undefined, Q extends z.ZodObject | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  r: Omit<ApiRoute, 'params' | 'query' | 'body' | 'run'> & {
    params?: P;
    query?: Q;
    body?: B;
    run(a: RouteArgs<P extends z.ZodObject ? z.output<P> : undefined, Q extends z.ZodObject ? z.output<Q> : undefined, B extends z.ZodType ? z.output<B> : undefined>): Promise<unknown>;
  },
): ApiRoute {
  return r as unknown as ApiRoute;
}

const TaskId = z.object({ id: Id });
const PrpId = z.object({ id: z.string().regex(/^prp_[0-9a-f]{12}$/, 'expected a proposal id such as prp_0123456789ab') });
const MsgId = z.object({ id: Id });
/** A query flag: "true"/"1" or "false"/"0". */
const Flag = z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1');
const Limit = z.string().regex(/^\d{1,6}$/, 'a whole number').optional().transform((v) => (v === undefined ? undefined : Math.max(1, Number(v))));
const commaList = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .max(500)
    .optional()
    .describe(`a comma list of ${values.join(', ')}`)
    .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined))
    .pipe(z.array(z.enum(values)).optional());

/** unblock and reopen are what `retry` is called for a blocked or finished task (actions.ts labels them so). */
const ACTION_ALIASES = { unblock: 'retry', reopen: 'retry' } as const;
const ActionName = z.enum([...TASK_ACTION_NAMES, ...(Object.keys(ACTION_ALIASES) as (keyof typeof ACTION_ALIASES)[])]);
const ActionBody = z
  .object({
    reason: z.string().max(20_000).optional().describe('why (block, release, retry, cancel), or what was done (done)'),
    summary: z.string().max(20_000).optional().describe('what was done (done); same as reason'),
    agentId: z.string().min(1).max(80).nullable().optional().describe('assign: the agent to reserve the task for; null to clear'),
    token: z.number().int().positive().optional().describe("the lease token (an agent acting on its own claimed task)"),
    evidence: z.array(Evidence).max(100).optional().describe('done: what shows the work (a passing test or check, a diff, a file); an agent\'s own note never finishes a task'),
  })
  .strict();

/** The mailbox a caller reads and writes as: an agent token its agent's, every other token the person's. */
const mailboxOf = (w: WhoAmI) => w.agentId ?? 'human';

export const ROUTES: readonly ApiRoute[] = [
  route({
    method: 'get',
    path: '/api/v1/health',
    operationId: 'health',
    tag: 'board',
    summary: 'Is the board reachable: its latest event number and whether this server is the hub',
    scope: 'none',
    response: HealthOut,
    run: async ({ services }) => {
      const info = await services.self.call({ type: 'board.info' });
      return { ok: true, seq: info.latestSeq, role: services.self.role === 'hub' ? 'hub' : 'client', version: services.version };
    },
  }),
  route({
    method: 'get',
    path: '/api/v1/whoami',
    operationId: 'whoami',
    tag: 'auth',
    summary: 'Who the presented token is: its kind, scope, name, agent and the actor its writes are recorded under',
    scope: 'read',
    response: z.object({ kind: z.enum(['person', 'agent', 'token']), scope: z.enum(['read', 'agent', 'operator', 'admin']), name: z.string().nullable(), agentId: z.string().nullable(), taskId: z.string().nullable(), actor: z.string() }),
    run: async ({ whoami }) => whoami,
  }),
  route({
    method: 'post',
    path: '/api/v1/session',
    operationId: 'openSession',
    tag: 'auth',
    summary: 'Exchanges a token for an HttpOnly, SameSite=Strict session cookie (for a page on this server; same-origin requests only)',
    scope: 'none',
    body: z.object({ token: z.string().min(1).max(200) }).strict(),
    response: SessionOut,
    run: async ({ c, body, services }) => {
      const w = await services.openSession(c, body.token);
      return { ok: true, actor: w.actor, scope: w.scope };
    },
  }),
  route({
    method: 'delete',
    path: '/api/v1/session',
    operationId: 'closeSession',
    tag: 'auth',
    summary: 'Ends the session cookie',
    scope: 'none',
    response: z.object({ ok: z.literal(true) }),
    run: async ({ c, services }) => {
      services.closeSession(c);
      return { ok: true };
    },
  }),
  route({
    method: 'get',
    path: '/api/v1/tasks',
    operationId: 'listTasks',
    tag: 'tasks',
    summary: 'Tasks, filtered by status (comma list), tag, owner (agent) and the search the Tasks tree and the dashboard use (q)',
    scope: 'read',
    query: z.object({ status: commaList(TASK_STATUSES), tag: z.string().max(64).optional(), owner: z.string().max(80).optional(), q: z.string().max(MAX_FILTER_LENGTH).optional().describe('the Tasks tree\'s search: words (title, id, tag, owner, status), tag:x, owner:name (owner:none), status:s, "quoted words"'), limit: Limit }).strict(),
    response: z.array(TaskOut),
    run: async ({ board, query }) => {
      const tasks = await board.call({ type: 'task.list', ...(query.status ? { status: query.status } : {}), ...(query.tag ? { tag: query.tag } : {}), ...(query.owner ? { assignee: query.owner } : {}), ...(query.q ? {} : query.limit ? { limit: query.limit } : {}) });
      if (!query.q) return tasks;
      // The same search as the Tasks tree and the dashboard: words, tag:x, owner:name, status:s, "quoted words".
      const names = new Map((await board.call({ type: 'agent.list', includeRetired: true })).map((a) => [a.id, a.name]));
      const match = taskMatcher(query.q, (id) => names.get(id));
      const hits = match ? tasks.filter(match) : tasks;
      return query.limit ? hits.slice(0, query.limit) : hits;
    },
  }),
  route({
    method: 'post',
    path: '/api/v1/tasks',
    operationId: 'addTask',
    tag: 'tasks',
    summary: 'Adds a task (the fields of `task.add`)',
    scope: 'agent',
    body: NewTask,
    response: TaskOut,
    status: 201,
    run: async ({ board, body }) => board.call({ type: 'task.add', ...body }),
  }),
  route({
    method: 'get',
    path: '/api/v1/tasks/{id}',
    operationId: 'showTask',
    tag: 'tasks',
    summary: 'A task with its history (who moved it, when, why), dependents, subtasks and usage',
    scope: 'read',
    params: TaskId,
    response: TaskDetailsOut,
    run: async ({ board, params }) => board.call({ type: 'task.show', taskId: params.id }),
  }),
  route({
    method: 'post',
    path: '/api/v1/tasks/{id}/actions/{action}',
    operationId: 'taskAction',
    tag: 'tasks',
    summary: 'Does what the editor\'s task menu does: done, block, release, retry (unblock, reopen), cancel, assign',
    description: 'The actions offered for each status come from the board\'s one action table (src/core/board/actions.ts); an action not offered answers 409 with the ones that are. Retrying, unblocking, reassigning and cancelling need an operator token; an agent may act on its own claimed task with its lease token.',
    scope: 'operator',
    params: TaskId.extend({ action: ActionName }),
    body: ActionBody.optional(),
    response: TaskOut,
    run: async ({ board, params, body }) => {
      const action = params.action in ACTION_ALIASES ? ACTION_ALIASES[params.action as keyof typeof ACTION_ALIASES] : (params.action as (typeof TASK_ACTION_NAMES)[number]);
      const { task } = await board.call({ type: 'task.show', taskId: params.id });
      if (!canDo(action, task.status)) {
        throw new DreamError('invalid_transition', `"${params.action}" is not offered for a ${task.status} task; offered: ${actionsFor(task.status).join(', ') || 'none'}.`, { field: 'action', status: task.status, offered: actionsFor(task.status) });
      }
      if (action === 'assign') {
        if (body?.agentId === undefined) throw new DreamError('invalid_input', 'assign needs "agentId": the agent to reserve the task for, or null to clear it.', { field: 'agentId' });
        return board.call({ type: 'task.assign', taskId: task.id, agentId: body.agentId });
      }
      const cmd = commandForAction(action, task, body?.reason ?? body?.summary ?? '');
      const owned = cmd.type === 'task.done' || cmd.type === 'task.block' || cmd.type === 'task.release' || cmd.type === 'task.cancel';
      if (body?.evidence && cmd.type !== 'task.done') throw new DreamError('invalid_input', `"evidence" goes with done, not ${params.action}.`, { field: 'evidence' });
      return board.call({ ...cmd, ...(owned && body?.token !== undefined ? { token: body.token } : {}), ...(cmd.type === 'task.done' && body?.evidence ? { evidence: body.evidence } : {}) });
    },
  }),
  route({
    method: 'get',
    path: '/api/v1/agents',
    operationId: 'listAgents',
    tag: 'agents',
    summary: 'The registered agents and what each is doing',
    scope: 'read',
    query: z.object({ all: Flag.describe('include retired agents') }).strict(),
    response: z.array(AgentOut),
    run: async ({ board, query }) => board.call({ type: 'agent.list', includeRetired: query.all }),
  }),
  route({
    method: 'get',
    path: '/api/v1/mail',
    operationId: 'inbox',
    tag: 'mail',
    summary: "The caller's inbox: the person's (Needs You) for read / operator / admin tokens, its agent's for an agent token",
    scope: 'read',
    query: z.object({ unacked: Flag.describe('only what is not acknowledged yet (Needs You)'), limit: Limit }).strict(),
    response: z.array(MessageOut),
    run: async ({ board, whoami, query }) => board.call({ type: 'mail.inbox', recipient: mailboxOf(whoami), unackedOnly: query.unacked, ...(query.limit ? { limit: Math.min(query.limit, 100_000) } : {}) }),
  }),
  route({
    method: 'post',
    path: '/api/v1/mail',
    operationId: 'sendMail',
    tag: 'mail',
    summary: 'Sends or replies (replyTo) to mail; `from` defaults to the caller (its agent, or the person)',
    scope: 'agent',
    body: NewMessage.partial({ from: true }),
    response: MessageOut,
    status: 201,
    run: async ({ board, whoami, body }) => board.call({ type: 'mail.send', ...body, from: body.from ?? mailboxOf(whoami) }),
  }),
  route({
    method: 'post',
    path: '/api/v1/mail/{id}/ack',
    operationId: 'ackMail',
    tag: 'mail',
    summary: "Acknowledges a message in the caller's inbox (takes it off Needs You)",
    scope: 'agent',
    params: MsgId,
    response: MessageOut,
    run: async ({ board, whoami, params }) => board.call({ type: 'mail.ack', messageId: params.id, recipient: mailboxOf(whoami) }),
  }),
  route({
    method: 'get',
    path: '/api/v1/proposals',
    operationId: 'listProposals',
    tag: 'proposals',
    summary: 'Proposed changes, filtered by status (comma list)',
    scope: 'read',
    query: z.object({ status: commaList(PROPOSAL_STATUSES) }).strict(),
    response: z.array(ProposalSummaryOut),
    run: async ({ board, query }) => board.call({ type: 'proposal.list', ...(query.status ? { status: query.status } : {}) }),
  }),
  route({
    method: 'get',
    path: '/api/v1/proposals/{id}',
    operationId: 'showProposal',
    tag: 'proposals',
    summary: 'A proposal with its files, checks, audit trail and a unified diff',
    scope: 'read',
    params: PrpId,
    response: ProposalDetailsOut,
    run: async ({ board, params, services }) => {
      const proposal = await board.call({ type: 'proposal.show', proposalId: params.id });
      return { proposal, diff: await proposalDiff(proposal, services.workspace) };
    },
  }),
  route({
    method: 'post',
    path: '/api/v1/proposals/{id}/approve',
    operationId: 'approveProposal',
    tag: 'proposals',
    summary: 'Approves a proposal (it is then validated and applied, or queued for merge)',
    scope: 'operator',
    params: PrpId,
    body: z.object({ override: z.boolean().default(false).describe('approve although its checks failed') }).strict().optional(),
    response: ProposalOut,
    run: async ({ board, params, body }) => board.call({ type: 'proposal.approve', proposalId: params.id, override: body?.override ?? false }),
  }),
  route({
    method: 'post',
    path: '/api/v1/proposals/{id}/reject',
    operationId: 'rejectProposal',
    tag: 'proposals',
    summary: 'Rejects a proposal with a reason the agent gets back',
    scope: 'operator',
    params: PrpId,
    body: z.object({ reason: z.string().trim().min(1, 'say why, so the agent can do better').max(5_000) }).strict(),
    response: ProposalOut,
    run: async ({ board, params, body }) => board.call({ type: 'proposal.reject', proposalId: params.id, reason: body.reason }),
  }),
  route({
    method: 'get',
    path: '/api/v1/events',
    operationId: 'events',
    tag: 'events',
    summary: 'Board events after a sequence number: JSON, or a live Server-Sent Events stream (Accept: text/event-stream) that resumes from Last-Event-ID',
    description: 'Each SSE message has `id` = the event\'s seq, `event` = its type and `data` = the event as JSON. Reconnecting with `Last-Event-ID` (browsers do it by themselves) resumes after that event, so nothing is missed.',
    scope: 'read',
    query: z.object({ after: z.string().regex(/^\d{1,15}$/, 'a sequence number').optional().transform((v) => (v === undefined ? 0 : Number(v))), limit: Limit }).strict(),
    response: z.array(EventOut),
    sse: true,
    run: async ({ board, query, c, services }) => {
      if ((c.req.header('accept') ?? '').includes('text/event-stream')) {
        const last = c.req.header('last-event-id');
        const after = last !== undefined && /^\d{1,15}$/.test(last.trim()) ? Number(last.trim()) : query.after;
        return services.streamEvents(c, board, after);
      }
      return board.call({ type: 'events.since', afterSeq: query.after, limit: Math.min(query.limit ?? 1_000, 10_000) });
    },
  }),
  route({
    method: 'post',
    path: '/api/v1/commands',
    operationId: 'command',
    tag: 'board',
    summary: 'Runs any board command `{ type, ... }` (what the editor and `dreamos` do), validated and authorised by the hub',
    description: 'The body is one of the board\'s commands (src/core/commands.ts); the answer is that command\'s result. Which commands a token may run is the hub\'s policy (src/core/auth/policy.ts): a read token only those that never write.',
    scope: 'read',
    body: Command,
    validateBody: false,
    response: CommandResultOut,
    run: async ({ board, raw }) => board.call(raw),
  }),
];
