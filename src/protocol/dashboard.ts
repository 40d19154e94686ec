/**
 * The dashboard's protocol, shared by the extension host, the HTTP/WebSocket dashboard server and
 * the dashboard UI (in a VS Code webview or a browser tab). Every message is a named type. What a
 * client sends has a zod schema that the host checks before acting (`decodeClientMessage`); what the
 * host sends has one too, checked by the contract tests — the UI imports types only, so zod never
 * ships in the webview bundle.
 *
 * The conversation: the client says `ready` (on every load and reconnect) → the host answers with
 * the full `state` → from then on `delta`s carry the new events plus the tasks and agents they
 * touched. Requests carry a `requestId` and get exactly one `response` with the same id.
 */
import { z } from 'zod';
import type { Agent, Task, TaskHistoryEntry, TaskStatus, TaskType } from '../core/board/model';
import type { BoardEvent } from '../core/events/events';

export const PROTOCOL_VERSION = 1;
/** Client messages are small; anything larger is refused before it is parsed. */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

const TaskId = z.string().regex(/^tsk_[0-9a-f]{12}$/, 'expected a task id such as tsk_0123456789ab');
const AgentId = z.string().regex(/^agt_[0-9a-f]{12}$/, 'expected an agent id such as agt_0123456789ab');
const PriorityName = z.enum(['low', 'normal', 'high', 'critical']);
const Kind = z.enum(['feature', 'bug', 'chore', 'research', 'review', 'docs', 'test']);

/** What a dashboard may ask for. Each maps to one board command in the host's handler table. */
export const DashboardRequest = z.discriminatedUnion('action', [
  z.object({ action: z.literal('task.show'), taskId: TaskId }).strict(),
  z
    .object({
      action: z.literal('task.create'),
      title: z.string().trim().min(1, 'a task needs a title').max(200),
      priority: PriorityName.default('normal'),
      kind: Kind.optional(),
      description: z.string().max(20_000).optional(),
    })
    .strict(),
  z.object({ action: z.literal('task.done'), taskId: TaskId, summary: z.string().trim().min(1, 'say what was done').max(2_000) }).strict(),
  z.object({ action: z.literal('task.cancel'), taskId: TaskId, reason: z.string().trim().max(2_000).optional() }).strict(),
  z.object({ action: z.literal('task.retry'), taskId: TaskId }).strict(),
  z.object({ action: z.literal('task.assign'), taskId: TaskId, agentId: AgentId.nullable() }).strict(),
  z.object({ action: z.literal('agent.lifecycle'), agentId: AgentId, lifecycle: z.enum(['start', 'stop']) }).strict(),
]);
export type DashboardRequest = z.input<typeof DashboardRequest>;
export type DashboardAction = DashboardRequest['action'];

const RequestId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const ClientToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), protocol: z.literal(PROTOCOL_VERSION).optional() }).strict(),
  z.object({ type: z.literal('request'), requestId: RequestId, request: DashboardRequest }).strict(),
]);
export type ClientToHost = z.input<typeof ClientToHost>;
export type ParsedClientMessage = z.output<typeof ClientToHost>;

/** A task as the board columns need it: no description, evidence or lease token (details fetch those). */
export interface TaskCard {
  id: string;
  title: string;
  status: TaskStatus;
  priority: number;
  kind: TaskType;
  assignee: string | null;
  attempts: number;
  maxAttempts: number;
  tags: string[];
  dependsOn: string[];
  leaseExpiresAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export function toTaskCard(t: Task): TaskCard {
  return {
    id: t.id,
    title: t.title,
    status: t.status,
    priority: t.priority,
    kind: t.kind,
    assignee: t.assignee,
    attempts: t.attempts,
    maxAttempts: t.maxAttempts,
    tags: t.tags,
    dependsOn: t.dependsOn,
    leaseExpiresAt: t.lease?.expiresAt ?? null,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/** Everything `task.show` knows. The lease token is never sent to a dashboard. */
export interface TaskDetails {
  task: Omit<Task, 'lease'> & { lease: { expiresAt: number } | null };
  history: TaskHistoryEntry[];
  dependents: string[];
  subtasks: string[];
}

export interface DashboardResults {
  'task.show': TaskDetails;
  'task.create': TaskCard;
  'task.done': TaskCard;
  'task.cancel': TaskCard;
  'task.retry': TaskCard;
  'task.assign': TaskCard;
  'agent.lifecycle': Agent;
}

export type HubRole = 'hub' | 'client' | 'closed';

export interface DashboardState {
  boardDir: string;
  role: HubRole;
  tasks: TaskCard[];
  agents: Agent[];
  latestSeq: number;
  /** The newest events (up to 200), so a reloaded dashboard can refill its timeline. */
  recentEvents: BoardEvent[];
}

export interface DashboardError {
  code: string;
  message: string;
}

export interface StateMessage {
  type: 'state';
  state: DashboardState;
}
export interface DeltaMessage {
  type: 'delta';
  events: BoardEvent[];
  /** Tasks the events touched, as they are now (upsert by id). */
  tasks: TaskCard[];
  /** The full agent list, present when an event may have changed an agent. */
  agents?: Agent[];
  latestSeq: number;
  role: HubRole;
}
export type ResponseMessage =
  | { type: 'response'; requestId: number; ok: true; result: unknown }
  | { type: 'response'; requestId: number; ok: false; error: DashboardError };
/** A message that could not be answered as a response (no usable requestId). */
export interface ErrorMessage {
  type: 'error';
  error: DashboardError;
}
export type HostToClient = StateMessage | DeltaMessage | ResponseMessage | ErrorMessage;

// ---- Schemas of what the host sends. Not used at runtime by the UI; the contract tests parse every
// message a real host sends with them, so the types above cannot drift from what goes on the wire.
const TaskStatusSchema = z.enum(['waiting', 'ready', 'claimed', 'running', 'review', 'done', 'blocked', 'failed', 'cancelled']);
export const TaskCardSchema = z
  .object({
    id: TaskId,
    title: z.string(),
    status: TaskStatusSchema,
    priority: z.number().int().min(0).max(3),
    kind: Kind,
    assignee: z.string().nullable(),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    tags: z.array(z.string()),
    dependsOn: z.array(TaskId),
    leaseExpiresAt: z.number().nullable(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .strict();
const AgentSchema = z.looseObject({ id: AgentId, name: z.string(), status: z.string(), driver: z.string(), currentTask: z.string().nullable() });
const EventSchema = z.object({ seq: z.number().int().positive(), type: z.string(), at: z.number(), actor: z.string(), subject: z.string(), payload: z.record(z.string(), z.unknown()) }).strict();
const Role = z.enum(['hub', 'client', 'closed']);
const ErrorSchema = z.object({ code: z.string(), message: z.string().min(1) }).strict();
export const HostToClientSchema = z.union([
  z.object({ type: z.literal('state'), state: z.object({ boardDir: z.string(), role: Role, tasks: z.array(TaskCardSchema), agents: z.array(AgentSchema), latestSeq: z.number().int().min(0), recentEvents: z.array(EventSchema).max(200) }).strict() }).strict(),
  z.object({ type: z.literal('delta'), events: z.array(EventSchema), tasks: z.array(TaskCardSchema), agents: z.array(AgentSchema).optional(), latestSeq: z.number().int().min(0), role: Role }).strict(),
  z.object({ type: z.literal('response'), requestId: RequestId, ok: z.literal(true), result: z.unknown() }).strict(),
  z.object({ type: z.literal('response'), requestId: RequestId, ok: z.literal(false), error: ErrorSchema }).strict(),
  z.object({ type: z.literal('error'), error: ErrorSchema }).strict(),
]);

export type DecodeResult = { ok: true; message: ParsedClientMessage } | { ok: false; requestId?: number; error: DashboardError };

/**
 * Checks one raw client message — an already-parsed value (webview postMessage) or text (WebSocket).
 * Never throws: garbage gives a clear error, and the requestId when one can be salvaged, so the
 * sender's pending request is answered instead of hanging.
 */
export function decodeClientMessage(raw: unknown): DecodeResult {
  let value = raw;
  if (typeof raw === 'string') {
    if (raw.length > MAX_CLIENT_MESSAGE_BYTES) return invalid(`the message is ${raw.length} characters; the limit is ${MAX_CLIENT_MESSAGE_BYTES}.`);
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      return invalid('the message is not JSON.');
    }
  }
  const parsed = ClientToHost.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const id = value !== null && typeof value === 'object' ? (value as { requestId?: unknown }).requestId : undefined;
  const requestId = RequestId.safeParse(id).success ? (id as number) : undefined;
  const detail = z.prettifyError(parsed.error);
  return { ...invalid(detail.length > 600 ? `${detail.slice(0, 600)}…` : detail), ...(requestId !== undefined ? { requestId } : {}) };
}

function invalid(why: string): { ok: false; error: DashboardError } {
  return { ok: false, error: { code: 'invalid_input', message: `Invalid dashboard message: ${why}` } };
}
