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
