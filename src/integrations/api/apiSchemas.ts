/**
 * What the API answers, as zod schemas: the OpenAPI document's response schemas are generated from
 * these, and each is tied to the core's own type (`z.ZodType<Task>` …) so the compiler says when
 * the board's shapes and the documented ones drift apart. Request bodies reuse the board
 * commands' schemas (src/core/commands.ts) directly.
 */
import { z } from 'zod';
import type { CredentialInfo } from '../../core/auth/credentials';
import { TOKEN_SCOPES } from '../../core/auth/tokens';
import { AGENT_STATUSES, DRIVER_KINDS, Evidence, Recipient, TASK_STATUSES, TASK_TYPES, type Agent, type Task } from '../../core/board/boardModel';
import { EVENT_TYPES, type BoardEvent } from '../../core/events/eventLog';
import { CheckResult, PROPOSAL_STATUSES, ProposalFile, type Proposal, type ProposalSummary } from '../../core/proposals/proposalModel';

const Millis = z.number().int().describe('milliseconds since the epoch');

export const TaskOut: z.ZodType<Task> = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    kind: z.enum(TASK_TYPES),
    priority: z.number().int().describe('0 low, 1 normal, 2 high, 3 critical'),
    status: z.enum(TASK_STATUSES),
    tags: z.array(z.string()),
    requires: z.array(z.string()),
    dependsOn: z.array(z.string()),
    parentId: z.string().nullable(),
    assignee: z.string().nullable(),
    lease: z.object({ token: z.number().int(), expiresAt: Millis }).nullable(),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    estimateMinutes: z.number().nullable(),
    deadline: z.number().nullable(),
    resultSummary: z.string().nullable(),
    evidence: z.array(Evidence),
    createdBy: z.string(),
    createdAt: Millis,
    updatedAt: Millis,
  })
  .meta({ id: 'Task' });

const Usage = z.object({ runs: z.number(), inputTokens: z.number(), outputTokens: z.number(), cachedTokens: z.number(), costUsd: z.number(), costEstimated: z.boolean() });

export const TaskDetailsOut = z
  .object({
    task: TaskOut,
    history: z.array(z.object({ from: z.enum(TASK_STATUSES).nullable(), to: z.enum(TASK_STATUSES), at: Millis, actor: z.string().describe('who made the move: an agent id, human…, token:<name>'), reason: z.string() })),
    dependents: z.array(z.string()),
    subtasks: z.array(z.string()),
    usage: Usage.extend({ agents: z.array(Usage.extend({ agentId: z.string() })) }),
  })
  .meta({ id: 'TaskDetails' });

export const AgentOut: z.ZodType<Agent> = z
  .object({
    id: z.string(),
    name: z.string(),
    capabilities: z.array(z.string()),
    driver: z.enum(DRIVER_KINDS),
    config: z.record(z.string(), z.unknown()),
    status: z.enum(AGENT_STATUSES),
    currentTask: z.string().nullable(),
    lastHeartbeat: z.number().nullable(),
    statusReason: z.string(),
    createdAt: Millis,
    updatedAt: Millis,
  })
  .meta({ id: 'Agent' });

/** Not tied to Message by type: mail is growing fields (taskId) while this is written; extra fields are allowed. */
export const MessageOut = z
  .looseObject({
    id: z.string(),
    from: z.string(),
    to: Recipient,
    subject: z.string(),
    body: z.string(),
    bodyType: z.enum(['text', 'markdown', 'json']),
    priority: z.enum(['low', 'normal', 'high', 'urgent']),
    threadId: z.string(),
    replyTo: z.string().nullable(),
    requiresAck: z.boolean(),
    ackedAt: z.number().nullable(),
    taskId: z.string().nullable().optional().describe('the task the message is about, if any'),
    createdAt: Millis,
  })
  .meta({ id: 'Message' });

const proposalFields = {
  id: z.string(),
  taskId: z.string().nullable(),
  agentId: z.string().nullable(),
  title: z.string(),
  rationale: z.string(),
  status: z.enum(PROPOSAL_STATUSES),
  statusReason: z.string(),
  files: z.array(ProposalFile).describe('each changed file with its full new content (null when deleted) and the hash of the base it was made against'),
  validation: z.object({ state: z.enum(['none', 'running', 'passed', 'failed']), results: z.array(CheckResult), at: z.number().nullable() }),
  createdBy: z.string(),
  createdAt: Millis,
  updatedAt: Millis,
  git: z.object({ branch: z.string(), targetBranch: z.string(), baseCommit: z.string(), headCommit: z.string(), revision: z.number().int() }).nullable(),
};
export const ProposalSummaryOut: z.ZodType<ProposalSummary> = z.object(proposalFields).meta({ id: 'ProposalSummary' });
export const ProposalOut: z.ZodType<Proposal> = z
  .object({ ...proposalFields, audit: z.array(z.object({ at: Millis, actor: z.string(), action: z.string(), detail: z.string() })) })
  .meta({ id: 'Proposal' });

/** GET /proposals/{id}: the proposal and a unified diff of each file against the workspace base it was made on (where the server can read it). */
export const ProposalDetailsOut = z
  .object({ proposal: ProposalOut, diff: z.string().describe('a unified diff of the proposed files (content-based; for a branch proposal, git diff base..head)') })
  .meta({ id: 'ProposalDetails' });

export const EventOut: z.ZodType<BoardEvent> = z
  .object({ seq: z.number().int(), type: z.enum(EVENT_TYPES), at: Millis, actor: z.string(), subject: z.string(), payload: z.record(z.string(), z.unknown()) })
  .meta({ id: 'Event' });

export const HealthOut = z
  .object({ ok: z.boolean(), seq: z.number().int().describe('the latest event sequence number'), role: z.enum(['hub', 'client']).describe('whether this server process is the board hub'), version: z.string() })
  .meta({ id: 'Health' });

export const TokenOut: z.ZodType<CredentialInfo> = z
  .object({
    id: z.string(),
    scope: z.enum(TOKEN_SCOPES),
    name: z.string().nullable(),
    agentId: z.string().nullable(),
    taskId: z.string().nullable(),
    label: z.string(),
    createdBy: z.string(),
    createdAt: Millis,
    expiresAt: z.number().nullable(),
    revokedAt: z.number().nullable(),
  })
  .meta({ id: 'Token' });

export const SessionOut = z.object({ ok: z.literal(true), actor: z.string(), scope: z.enum(TOKEN_SCOPES) }).meta({ id: 'Session' });

/** Anything a board command answers (POST /commands): its shape follows from the command's type. */
export const CommandResultOut = z.unknown().describe('the command\'s result, as `dreamos <command> --json` prints it');
