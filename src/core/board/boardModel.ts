import { z } from 'zod';
import { AGENT_STATUSES, DRIVER_KINDS, PRIORITIES, TASK_STATUSES, TASK_TYPES } from './vocabulary';

export { AGENT_STATUSES, DRIVER_KINDS, PRIORITIES, priorityName, TASK_STATUSES, TASK_TYPES } from './vocabulary';
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const TaskType = z.enum(TASK_TYPES);
export type TaskType = z.infer<typeof TaskType>;

export type PriorityName = keyof typeof PRIORITIES;
export const PriorityName = z.enum(['low', 'normal', 'high', 'critical']);
export const Priority = z.union([PriorityName, z.number().int().min(0).max(3)]).transform((p) => (typeof p === 'number' ? p : PRIORITIES[p]));

export const Id = z.string().regex(/^[a-z]{3}_[0-9a-f]{12}$/, 'expected an id such as tsk_0123456789ab');
const Tag = z.string().trim().min(1).max(64).regex(/^[\w.:/-]+$/, 'tags are letters, digits and . : / - _');
const Text = (max: number) => z.string().max(max, `at most ${max} characters`);

export const Evidence = z
  .object({
    kind: z.enum(['exit_code', 'test', 'diff', 'file', 'log', 'check', 'note', 'url']),
    summary: Text(2_000).min(1),
    data: z.unknown().optional(),
  })
  .strict();
export type Evidence = z.infer<typeof Evidence>;

/** Fields a person or agent may set when creating a task. Ids, timestamps and status are the board's. */
export const NewTask = z
  .object({
    title: Text(200).trim().min(1, 'a task needs a title'),
    description: Text(20_000).default(''),
    kind: TaskType.default('feature'),
    priority: Priority.default(1),
    tags: z.array(Tag).max(32).default([]),
    requires: z.array(Tag).max(32).default([]).describe('capabilities an agent needs to take this task'),
    dependsOn: z.array(Id).max(100).default([]),
    parentId: Id.optional(),
    estimateMinutes: z.number().int().positive().max(100_000).optional(),
    deadline: z.number().int().positive().optional(),
    maxAttempts: z.number().int().min(1).max(20).default(3),
    assignee: Id.optional(),
  })
  .strict();
export type NewTask = z.input<typeof NewTask>;

export const TaskPatch = NewTask.pick({
  title: true,
  description: true,
  kind: true,
  priority: true,
  tags: true,
  requires: true,
  estimateMinutes: true,
  deadline: true,
  maxAttempts: true,
})
  .partial()
  .extend({ description: Text(20_000).optional() })
  .strict();

export interface Lease {
  token: number;
  expiresAt: number;
}

export interface Task {
  id: string;
  title: string;
  description: string;
  kind: TaskType;
  priority: number;
  status: TaskStatus;
  tags: string[];
  requires: string[];
  dependsOn: string[];
  parentId: string | null;
  assignee: string | null;
  lease: Lease | null;
  attempts: number;
  maxAttempts: number;
  estimateMinutes: number | null;
  deadline: number | null;
  resultSummary: string | null;
  evidence: Evidence[];
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface TaskHistoryEntry {
  from: TaskStatus | null;
  to: TaskStatus;
  at: number;
  actor: string;
  reason: string;
}

export const AgentStatus = z.enum(AGENT_STATUSES);
export type AgentStatus = z.infer<typeof AgentStatus>;
export const DriverKind = z.enum(DRIVER_KINDS);

export const NewAgent = z
  .object({
    name: z.string().trim().min(1).max(64).regex(/^[\w.-]+$/, 'agent names are letters, digits, . - _'),
    capabilities: z.array(Tag).max(64).default([]),
    driver: DriverKind.default('manual'),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export interface Agent {
  id: string;
  name: string;
  capabilities: string[];
  driver: z.infer<typeof DriverKind>;
  config: Record<string, unknown>;
  status: AgentStatus;
  currentTask: string | null;
  lastHeartbeat: number | null;
  statusReason: string;
  createdAt: number;
  updatedAt: number;
}

export const Recipient = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('agent'), id: Id }).strict(),
  z.object({ kind: z.literal('broadcast') }).strict(),
  z.object({ kind: z.literal('human') }).strict(),
]);
export type Recipient = z.infer<typeof Recipient>;

export const NewMessage = z
  .object({
    from: z.string().min(1).max(80),
    to: Recipient,
    subject: Text(200).trim().min(1, 'a message needs a subject'),
    body: Text(100_000).default(''),
    bodyType: z.enum(['text', 'markdown', 'json']).default('text'),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).default('normal'),
    replyTo: Id.optional(),
    requiresAck: z.boolean().default(false),
    /** The task the message is about (a question, a block, a budget stop): Needs You offers its actions. */
    taskId: Id.optional(),
  })
  .strict();

export interface Message {
  id: string;
  from: string;
  to: Recipient;
  subject: string;
  body: string;
  bodyType: 'text' | 'markdown' | 'json';
  priority: 'low' | 'normal' | 'high' | 'urgent';
  threadId: string;
  replyTo: string | null;
  requiresAck: boolean;
  ackedAt: number | null;
  /** The task the message is about, if any. */
  taskId: string | null;
  createdAt: number;
}
