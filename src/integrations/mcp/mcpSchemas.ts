/**
 * The MCP tools' input schemas, taken from the board's own command schemas (src/core/commands.ts)
 * so that there is one source of truth: a field's type, limits and messages are the command's. What
 * an MCP tool changes is only which fields it may leave out — the agent, the task and its lease
 * token default to the run's identity (DREAMOS_AGENT_ID, DREAMOS_TASK_ID, DREAMOS_LEASE_TOKEN).
 */
import { z } from 'zod';
import { Command, type CommandType } from '../../core/commands';
import { Submission } from '../../core/proposals/prepare';

type Options = (typeof Command)['options'][number];
type ObjectOf<K extends CommandType> = Extract<Options, { shape: { type: z.ZodLiteral<K> } }>;

/** The zod object of one board command (its `type` literal included). */
export function commandObject<K extends CommandType>(type: K): ObjectOf<K> {
  const found = Command.options.find((o) => o.shape.type.value === type);
  if (!found) throw new Error(`no board command ${type}`);
  return found as ObjectOf<K>;
}

const shapeOf = <K extends CommandType>(type: K) => commandObject(type).shape as ObjectOf<K>['shape'];

const done = shapeOf('task.done');
const fail = shapeOf('task.fail');
const block = shapeOf('task.block');
const claimNext = shapeOf('task.claimNext');
const list = shapeOf('task.list');
const send = shapeOf('mail.send');
const inbox = shapeOf('mail.inbox');
const ack = shapeOf('mail.ack');
const submit = shapeOf('proposal.submit');
const approve = shapeOf('proposal.approve');

const taskRef = done.taskId.optional().describe("the task's id; default: this run's task (DREAMOS_TASK_ID) or the one you claimed");
const tokenRef = done.token.describe("the lease token from the claim; default: this run's (DREAMOS_LEASE_TOKEN) or the one you claimed");
const evidence = done.evidence.describe(
  'evidence of work: at least one passing check or test ({"kind":"test","summary":"12 passed"}), or the change ({"kind":"diff","summary":"src/a.ts: retry added"}, {"kind":"file",...}). A note alone never finishes a task.',
);

export const INPUT = {
  task_claim_next: z.object({ agentId: claimNext.agentId.optional().describe('the agent claiming; default: this run\'s agent'), leaseMs: claimNext.leaseMs }).strict(),
  task_show: z.object({ taskId: taskRef }).strict(),
  task_list: z.object(list).omit({ type: true }).strict(),
  task_done: z.object({ taskId: taskRef, token: tokenRef, summary: done.summary.describe('what was done'), evidence }).strict(),
  task_failed: z.object({ taskId: taskRef, token: tokenRef, reason: fail.reason.describe('why it failed'), evidence: fail.evidence }).strict(),
  task_blocked: z.object({ taskId: taskRef, token: tokenRef, reason: block.reason.describe('what blocks it, and what would unblock it') }).strict(),
  mail_send: z
    .object({
      from: send.from.optional().describe("who sends it; default: this run's agent"),
      to: send.to.describe('{"kind":"human"} (the person), {"kind":"broadcast"}, or {"kind":"agent","id":"agt_…"} (ids from task_list / the board resource)'),
      subject: send.subject,
      body: send.body,
      priority: send.priority,
      replyTo: send.replyTo,
      requiresAck: send.requiresAck,
      taskId: send.taskId.describe("the task it is about (Needs You offers that task's actions); default for mail to the person: this run's task"),
    })
    .strict(),
  mail_inbox: z.object({ recipient: inbox.recipient.optional().describe("whose inbox; default: this run's agent"), unackedOnly: inbox.unackedOnly, limit: inbox.limit }).strict(),
  mail_ack: z.object({ messageId: ack.messageId, recipient: ack.recipient.optional().describe("whose message; default: this run's agent") }).strict(),
  ask_person: z
    .object({
      question: send.body.unwrap().min(1, 'ask a question').describe('the question, with what you need to know and why'),
      taskId: taskRef,
      token: tokenRef,
      block: z.boolean().default(true).describe('block the task on the answer (default); false: just ask and carry on'),
    })
    .strict(),
  propose_change: z
    .object({
      title: submit.title,
      rationale: submit.rationale,
      taskId: submit.taskId.describe("the task it is for; default: this run's task"),
      files: Submission.shape.files.describe('whole new contents ({"path":"src/a.ts","content":"…"}) or deletions ({"path":"old.ts","delete":true}), paths relative to the workspace'),
      diff: Submission.shape.diff.describe('or a unified diff against the workspace'),
    })
    .strict(),
  proposal_approve: z.object({ proposalId: approve.proposalId, override: approve.override }).strict(),
} as const;

export type ToolName = keyof typeof INPUT;
export type ToolInput<N extends ToolName> = z.output<(typeof INPUT)[N]>;

/** What each tool does, as the MCP client (and the model) is told; the reference docs can render these with INPUT. */
export const DESCRIPTION: Record<ToolName, string> = {
  task_claim_next: 'Claim the best ready task you can do. Returns the task and its lease (later reports on it use that lease by default), or no task.',
  task_show: "A task with its history, dependents, subtasks and usage (default: this run's task).",
  task_list: 'List tasks, filtered by status, assignee, tag or parent.',
  task_done: 'Report the task done, with evidence of work (a passing test or check, the diff or files changed). Without such evidence the board refuses.',
  task_failed: 'Report that the task failed: why, and any evidence (test output, logs).',
  task_blocked: 'Report that the task is blocked: what blocks it. The person sees it in Needs You.',
  mail_send: 'Send a message to the person, another agent or everyone.',
  mail_inbox: "Read your inbox (newest first); messages that need an answer say so.",
  mail_ack: 'Acknowledge a message you have read and acted on.',
  ask_person: "Ask the person a question: it waits for them in Needs You. By default the task is blocked on the answer; end your turn after asking.",
  propose_change: "Propose a change to the person's workspace (whole files or a unified diff) for them to review and approve. Nothing is written until they do.",
  proposal_approve: "Approve a proposal and apply it to the workspace (checks run first; post-apply checks roll it back). Only the person's credential may.",
};

/** The resources: the board summary and one task (a URI template). */
export const RESOURCES = {
  board: { uri: 'dreamos://board', title: 'The board', description: 'Task counts by status, the agents, and the tasks that are open now.' },
  task: { uri: 'dreamos://task/{id}', title: 'A task', description: 'One task with its history, dependents, subtasks and usage.' },
} as const;
