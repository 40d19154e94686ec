/**
 * The report-back channel inside the editor: language-model tools the extension contributes, so
 * an agent in a chat window (Copilot agent mode, or any chat that uses tools) reports progress,
 * results and questions through the board instead of being screen-scraped. Each tool is one
 * board command, validated with zod; the agent's lease token fences it like the CLI's --token.
 *
 * The tools must also be declared in package.json (contributes.languageModelTools); see
 * REPORT_TOOL_MANIFEST for the entries. reportToolRegistry.ts registers them without loading this module.
 */
import { z } from 'zod';
import { Evidence, Id } from '../../core/board/boardModel';
import type { CommandInput } from '../../core/commands';
import type { BoardPort } from '../../core/port';
import { DreamError } from '../../core/errors';

export type ReportBoard = BoardPort;

// The agent's id from its prompt; a model cannot name itself the person.
const Agent = z.string().trim().min(1).max(80).refine((a) => !/^human(:|$)/.test(a), 'agentId is your agent id from the prompt, not "human"');
const Token = z.number().int().positive();

export const REPORT_TOOLS = {
  dreamos_task_done: {
    description: 'Report that a Dream.OS task is done, with the evidence that shows it (tests run, files changed). Use the task id, lease token and agent id from your prompt.',
    input: z.object({ taskId: Id, token: Token, agentId: Agent, summary: z.string().trim().min(1).max(20_000), evidence: z.array(Evidence).min(1, 'give at least one piece of evidence').max(50) }).strict(),
    command: (i: { taskId: string; token: number; summary: string; evidence: Evidence[] }): CommandInput => ({ type: 'task.done', taskId: i.taskId, token: i.token, summary: i.summary, evidence: i.evidence }),
  },
  dreamos_task_fail: {
    description: 'Report that a Dream.OS task cannot be done, and why.',
    input: z.object({ taskId: Id, token: Token, agentId: Agent, reason: z.string().trim().min(1).max(2_000) }).strict(),
    command: (i: { taskId: string; token: number; reason: string }): CommandInput => ({ type: 'task.fail', taskId: i.taskId, token: i.token, reason: i.reason }),
  },
  dreamos_ask_human: {
    description: 'Ask the person a question about your Dream.OS task; the answer arrives in your mailbox.',
    input: z.object({ agentId: Agent, subject: z.string().trim().min(1).max(200), body: z.string().max(20_000).default('') }).strict(),
    command: (i: { agentId: string; subject: string; body: string }): CommandInput => ({ type: 'mail.send', from: i.agentId, to: { kind: 'human' }, subject: i.subject, body: i.body, priority: 'high', requiresAck: true }),
  },
} as const;

type ToolName = keyof typeof REPORT_TOOLS;

/** Runs one tool call: validates, sends the command as the agent, answers in words the model can act on. */
export async function invokeReportTool(board: ReportBoard, name: ToolName, input: unknown): Promise<string> {
  const tool = REPORT_TOOLS[name];
  const parsed = tool.input.safeParse(input);
  if (!parsed.success) return `Not sent: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}. Fix the input and call ${name} again.`;
  const data = parsed.data as { agentId: string } & Record<string, unknown>;
  try {
    await board.call((tool.command as (i: unknown) => CommandInput)(data), { actor: data.agentId });
    return name === 'dreamos_ask_human' ? 'Sent to the person. Their answer will arrive in your mailbox.' : 'Recorded on the board.';
  } catch (err) {
    return `Refused by the board: ${DreamError.from(err).message}`;
  }
}

/** The package.json entries (contributes.languageModelTools) that declare the tools above. */
export const REPORT_TOOL_MANIFEST = (Object.keys(REPORT_TOOLS) as ToolName[]).map((name) => ({
  name,
  displayName: name.replace(/^dreamos_/, 'Dream.OS: ').replace(/_/g, ' '),
  modelDescription: REPORT_TOOLS[name].description,
  canBeReferencedInPrompt: true,
  toolReferenceName: name,
  inputSchema: z.toJSONSchema(REPORT_TOOLS[name].input, { io: 'input' }),
}));
