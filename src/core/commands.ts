/**
 * The board's command set. Every change and query any host makes (extension, CLI, local API,
 * Discord, an agent) is one of these commands; `executeCommand` validates the raw input with the
 * command's zod schema and runs its handler. The hub runs each command inside one SQL transaction,
 * so the events a command emits commit (or roll back) with it.
 */
import { z } from 'zod';
import { AUTH_COMMANDS, AUTH_HANDLERS, AUTH_READ_ONLY } from './auth/credentials';
import { authorize } from './auth/policy';
import { actsForPerson, PERSON, type Principal } from './auth/principal';
import { tokenActor, TOKEN_COMMANDS, TOKEN_HANDLERS, TOKEN_READ_ONLY } from './auth/tokens';
import { commandSchema } from './commandSchema';
import { AgentLifecycle, AgentPatch, getAgent, heartbeat, listAgents, markStalledAgents, registerAgent, setAgentLifecycle, updateAgent } from './agents/registry';
import { exportBoard, importTasks } from './board/importExport';
import { assignTask, claimNext, claimTask, expireDueLeases, ownerTransition, renewLease } from './board/leases';
import { Evidence, Id, NewAgent, NewMessage, NewTask, TaskPatch, TaskStatus } from './board/boardModel';
import { BOARD_CONFIG_COMMANDS, BOARD_CONFIG_HANDLERS, BOARD_CONFIG_READ_ONLY, defaultLeaseMs, readBoardConfig } from './board/boardConfig';
import { RETENTION_COMMANDS, RETENTION_HANDLERS } from './board/retention';
import { addDependency, addTask, findTask, listTasks, removeDependency, showTask, updateTask, type BoardContext } from './board/tasks';
import type { TransitionHook } from './board/transitions';
import { invalidInput } from './errors';
import { latestSeq, pruneEvents, readEventsSince } from './events/eventLog';
import { LOOP_COMMANDS, LOOP_HANDLERS, LOOP_READ_ONLY } from './loop/loopCommands';
import { ackMessage, inbox, pruneMessages, searchMessages, sendMessage, thread } from './mail/mailbox';
import { PROPOSAL_COMMANDS, PROPOSAL_HANDLERS, PROPOSAL_READ_ONLY } from './proposals/proposalCommands';
import { RUN_COMMANDS, RUN_HANDLERS, RUN_READ_ONLY, usageSummary } from './runs/runCommands';
import { WEBHOOK_COMMANDS, WEBHOOK_HANDLERS, WEBHOOK_READ_ONLY } from './webhooks/webhookCommands';
import { WORKTREE_COMMANDS, WORKTREE_HANDLERS, WORKTREE_READ_ONLY } from './worktrees/worktreeCommands';
import { holdsWork } from './worktrees/worktreeStore';
import type { Tx } from './store/sqlite';

export interface CommandContext {
  readonly tx: Tx;
  /** Milliseconds since the epoch, taken once per command by the hub. */
  readonly now: number;
  /** Who is asking: an agent id, 'human' / 'human:<name>', 'cli', 'hub'. */
  readonly actor: string;
  readonly hooks?: readonly TransitionHook[];
  /** Who presented which credential (the hub sets it); absent: the person, in-process. */
  readonly principal?: Principal;
}

const Token = z.number().int().positive();
/** Not given: the board's leaseSeconds (board.config). */
const LeaseMs = z.number().int().min(1_000).max(24 * 3_600_000).optional();
const AgentRef = z.string().trim().min(1).max(80);
const Reason = z.string().trim().max(2_000).default('');
const Limit = z.number().int().min(1).max(100_000).optional();

const cmd = commandSchema;

export const Command = z.discriminatedUnion('type', [
  cmd('board.info', {}),
  cmd('board.export', {}),
  cmd('board.import', { file: z.unknown() }),
  cmd('task.add', { ...NewTask.shape }),
  cmd('task.update', { taskId: Id, patch: TaskPatch }),
  cmd('task.list', { status: z.array(TaskStatus).optional(), assignee: AgentRef.optional(), tag: z.string().optional(), parentId: Id.optional(), limit: Limit }),
  cmd('task.show', { taskId: Id }),
  /** Several tasks at once, as task.list has them: what a client's board mirror re-reads after events. */
  cmd('task.get', { taskIds: z.array(Id).min(1).max(1_000) }),
  cmd('task.depend', { taskId: Id, dependsOn: Id }),
  cmd('task.undepend', { taskId: Id, dependsOn: Id }),
  cmd('task.claimNext', { agentId: AgentRef, leaseMs: LeaseMs }),
  cmd('task.claim', { taskId: Id, agentId: AgentRef, leaseMs: LeaseMs }),
  cmd('task.renew', { taskId: Id, token: Token, leaseMs: LeaseMs }),
  cmd('task.start', { taskId: Id, token: Token.optional() }),
  cmd('task.review', { taskId: Id, token: Token.optional(), summary: z.string().trim().min(1).max(20_000), evidence: z.array(Evidence).max(100).default([]) }),
  cmd('task.done', { taskId: Id, token: Token.optional(), summary: z.string().trim().min(1, 'say what was done').max(20_000), evidence: z.array(Evidence).max(100).default([]) }),
  cmd('task.fail', { taskId: Id, token: Token.optional(), reason: z.string().trim().min(1, 'say why it failed').max(2_000), evidence: z.array(Evidence).max(100).default([]) }),
  cmd('task.block', { taskId: Id, token: Token.optional(), reason: z.string().trim().min(1, 'say what blocks it').max(2_000) }),
  cmd('task.unblock', { taskId: Id, reason: Reason }),
  cmd('task.release', { taskId: Id, token: Token.optional(), reason: Reason }),
  cmd('task.cancel', { taskId: Id, token: Token.optional(), reason: Reason }),
  cmd('task.retry', { taskId: Id, reason: Reason }),
  cmd('task.reopen', { taskId: Id, reason: Reason }),
  cmd('task.assign', { taskId: Id, agentId: AgentRef.nullable() }),
  cmd('agent.register', { ...NewAgent.shape }),
  cmd('agent.list', { includeRetired: z.boolean().default(false) }),
  cmd('agent.show', { agent: AgentRef }),
  cmd('agent.update', { agent: AgentRef, patch: AgentPatch }),
  cmd('agent.heartbeat', { agent: AgentRef, leaseMs: LeaseMs }),
  cmd('agent.lifecycle', { agent: AgentRef, action: AgentLifecycle, reason: Reason }),
  cmd('mail.send', { ...NewMessage.shape }),
  cmd('mail.inbox', { recipient: AgentRef, unackedOnly: z.boolean().default(false), limit: Limit }),
  cmd('mail.ack', { messageId: Id, recipient: AgentRef }),
  cmd('mail.search', { query: z.string().min(1).max(200), limit: Limit }),
  cmd('mail.thread', { threadId: Id }),
  cmd('events.since', { afterSeq: z.number().int().min(0), limit: z.number().int().min(1).max(10_000).default(1_000) }),
  /** stallMs not given: the board's stallSeconds (board.config), read at each run. */
  cmd('lease.expireDue', { stallMs: z.number().int().min(1_000).optional() }),
  cmd('board.prune', { olderThanMs: z.number().int().min(60_000) }),
  ...BOARD_CONFIG_COMMANDS,
  ...RETENTION_COMMANDS,
  ...AUTH_COMMANDS,
  ...TOKEN_COMMANDS,
  ...LOOP_COMMANDS,
  ...PROPOSAL_COMMANDS,
  ...RUN_COMMANDS,
  ...WORKTREE_COMMANDS,
  ...WEBHOOK_COMMANDS,
]);
export type Command = z.infer<typeof Command>;
export type CommandInput = z.input<typeof Command>;
export type CommandType = Command['type'];

/** Commands that never write: a host may answer them without waiting for durability. */
export const READ_ONLY: ReadonlySet<CommandType> = new Set<CommandType>([
  'board.info',
  'board.export',
  'task.list',
  'task.show',
  'task.get',
  'agent.list',
  'agent.show',
  'mail.inbox',
  'mail.search',
  'mail.thread',
  'events.since',
  ...BOARD_CONFIG_READ_ONLY,
  ...AUTH_READ_ONLY,
  ...TOKEN_READ_ONLY,
  ...LOOP_READ_ONLY,
  ...PROPOSAL_READ_ONLY,
  ...RUN_READ_ONLY,
  ...WORKTREE_READ_ONLY,
  ...WEBHOOK_READ_ONLY,
]);

export function parseCommand(raw: unknown): Command {
  const parsed = Command.safeParse(raw);
  if (!parsed.success) {
    throw invalidInput('Invalid request', parsed.error.issues);
  }
  return parsed.data;
}

type Handler<C extends Command> = (ctx: BoardContext, c: C) => unknown;
type Handlers = { [K in CommandType]: Handler<Extract<Command, { type: K }>> };

const agentId = (ctx: BoardContext, ref: string) => getAgent(ctx.tx, ref).id;

/** One small handler per command; `satisfies` keeps each handler's own result type (CommandResult). */
const HANDLERS = {
  'board.info': (ctx) => {
    const counts = Object.fromEntries(ctx.tx.all<{ status: string; n: number }>('SELECT status, count(*) AS n FROM tasks GROUP BY status').map((r) => [r.status, r.n]));
    const tasks = Object.values(counts).reduce((a, b) => a + (b as number), 0);
    const agents = ctx.tx.get<{ n: number }>("SELECT count(*) AS n FROM agents WHERE status <> 'retired'")?.n ?? 0;
    return { tasks, byStatus: counts, agents, latestSeq: latestSeq(ctx.tx) };
  },
  'board.export': (ctx) => exportBoard(ctx),
  'board.import': (ctx, c) => importTasks(ctx, c.file),
  'task.add': (ctx, { type: _t, ...input }) => addTask(ctx, input),
  'task.update': (ctx, c) => updateTask(ctx, c.taskId, c.patch),
  'task.list': (ctx, c) => listTasks(ctx.tx, { status: c.status, assignee: c.assignee ? agentId(ctx, c.assignee) : undefined, tag: c.tag, parentId: c.parentId, limit: c.limit }),
  // With the tokens and cost of the task's runs (src/core/runs), summed and per agent.
  'task.show': (ctx, c) => {
    const shown = showTask(ctx.tx, c.taskId);
    const u = usageSummary(ctx, c.taskId);
    return { ...shown, usage: { ...u.total, agents: u.agents } };
  },
  // Ids not on the board come back in `missing` (a mirror drops them), never as an error.
  'task.get': (ctx, c) => {
    const ids = [...new Set(c.taskIds)];
    const tasks = ids.flatMap((id) => findTask(ctx.tx, id) ?? []);
    const found = new Set(tasks.map((t) => t.id));
    return { tasks, missing: ids.filter((id) => !found.has(id)) };
  },
  'task.depend': (ctx, c) => addDependency(ctx, c.taskId, c.dependsOn),
  'task.undepend': (ctx, c) => removeDependency(ctx, c.taskId, c.dependsOn),
  'task.claimNext': (ctx, c) => claimNext(ctx, agentId(ctx, c.agentId), c.leaseMs ?? defaultLeaseMs(ctx.tx)),
  'task.claim': (ctx, c) => claimTask(ctx, c.taskId, agentId(ctx, c.agentId), c.leaseMs ?? defaultLeaseMs(ctx.tx)),
  'task.renew': (ctx, c) => renewLease(ctx, c.taskId, c.token, c.leaseMs ?? defaultLeaseMs(ctx.tx)),
  'task.start': (ctx, c) => ownerTransition(ctx, c.taskId, c.token, 'running', 'started'),
  'task.review': (ctx, c) => ownerTransition(ctx, c.taskId, c.token, 'review', 'ready for review', { summary: c.summary, evidence: c.evidence }),
  // An agent's done on a task with a worktree is a change to review: its work has not landed yet (src/core/worktrees).
  'task.done': (ctx, c) =>
    !actsForPerson(ctx.actor, ctx.principal) && holdsWork(ctx.tx, c.taskId)
      ? ownerTransition(ctx, c.taskId, c.token, 'review', `${c.summary} (its change waits for review in the task's worktree)`, { summary: c.summary, evidence: c.evidence })
      : ownerTransition(ctx, c.taskId, c.token, 'done', c.summary, { summary: c.summary, evidence: c.evidence }),
  'task.fail': (ctx, c) => ownerTransition(ctx, c.taskId, c.token, 'failed', c.reason, { summary: c.reason, evidence: c.evidence }),
  'task.block': (ctx, c) => ownerTransition(ctx, c.taskId, c.token, 'blocked', c.reason),
  'task.unblock': (ctx, c) => ownerTransition(ctx, c.taskId, undefined, 'ready', c.reason || 'unblocked'),
  'task.release': (ctx, c) => ownerTransition(ctx, c.taskId, c.token, 'ready', c.reason || 'released'),
  'task.cancel': (ctx, c) => ownerTransition(ctx, c.taskId, c.token, 'cancelled', c.reason || 'cancelled'),
  'task.retry': (ctx, c) => ownerTransition(ctx, c.taskId, undefined, 'ready', c.reason || 'retry'),
  'task.reopen': (ctx, c) => ownerTransition(ctx, c.taskId, undefined, 'ready', c.reason || 'reopened'),
  'task.assign': (ctx, c) => assignTask(ctx, c.taskId, c.agentId === null ? null : agentId(ctx, c.agentId)),
  'agent.register': (ctx, { type: _t, ...input }) => registerAgent(ctx, input),
  'agent.list': (ctx, c) => listAgents(ctx.tx, c.includeRetired),
  'agent.show': (ctx, c) => getAgent(ctx.tx, c.agent),
  'agent.update': (ctx, c) => updateAgent(ctx, c.agent, c.patch),
  'agent.heartbeat': (ctx, c) => heartbeat(ctx, c.agent, c.leaseMs ?? defaultLeaseMs(ctx.tx)),
  'agent.lifecycle': (ctx, c) => setAgentLifecycle(ctx, c.agent, c.action, c.reason),
  'mail.send': (ctx, { type: _t, ...input }) => sendMessage(ctx, input),
  'mail.inbox': (ctx, c) => inbox(ctx.tx, c.recipient, { unackedOnly: c.unackedOnly, limit: c.limit }),
  'mail.ack': (ctx, c) => ackMessage(ctx, c.messageId, c.recipient),
  'mail.search': (ctx, c) => searchMessages(ctx.tx, c.query, c.limit),
  'mail.thread': (ctx, c) => thread(ctx.tx, c.threadId),
  'events.since': (ctx, c) => readEventsSince(ctx.tx, c.afterSeq, c.limit),
  'lease.expireDue': (ctx, c) => ({ ...expireDueLeases(ctx), stalled: markStalledAgents(ctx, c.stallMs ?? readBoardConfig(ctx.tx).stallSeconds * 1000) }),
  'board.prune': (ctx, c) => ({ events: pruneEvents(ctx.tx, ctx.now - c.olderThanMs), messages: pruneMessages(ctx, ctx.now - c.olderThanMs) }),
  ...BOARD_CONFIG_HANDLERS,
  ...RETENTION_HANDLERS,
  ...AUTH_HANDLERS,
  ...TOKEN_HANDLERS,
  ...LOOP_HANDLERS,
  ...PROPOSAL_HANDLERS,
  ...RUN_HANDLERS,
  ...WORKTREE_HANDLERS,
  ...WEBHOOK_HANDLERS,
} satisfies Handlers;

/** What a command answers, as it arrives over the wire (a handler's undefined becomes null). */
export type CommandResult<K extends CommandType> = ReturnType<(typeof HANDLERS)[K]> extends infer R ? (R extends undefined | void ? null : R) : never;

export function executeCommand(ctx: CommandContext, raw: unknown): unknown {
  const c = parseCommand(raw);
  const principal = ctx.principal ?? PERSON;
  authorize(ctx.tx, principal, c, ctx.now, READ_ONLY.has(c.type));
  // An agent's credential decides who it is: it cannot name itself someone else (or "human").
  if (principal.kind === 'agent') ctx = { ...ctx, actor: principal.agentId };
  // A named token's writes are recorded under its name, whatever actor the caller gave.
  if (principal.kind === 'token') ctx = { ...ctx, actor: tokenActor(principal.name) };
  const handler = HANDLERS[c.type] as Handler<Command>;
  try {
    return handler(ctx, c) ?? null;
  } catch (err) {
    // Schemas parsed deeper inside a handler (e.g. import items) also become clear input errors.
    if (err instanceof z.ZodError) throw invalidInput('Invalid request', err.issues);
    throw err;
  }
}
