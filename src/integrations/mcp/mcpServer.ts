/**
 * The board as an MCP server (the official SDK's McpServer): the tools an agent needs to do a task —
 * claim the next task, look at it, report done / failed / blocked with evidence, mail, ask the
 * person, propose a change — and the task and the board as resources. Every tool is one or two board
 * commands sent through the caller's BoardClient, so the hub's policy (src/core/auth/policy.ts)
 * decides what this caller may do, exactly as for the CLI; a refusal comes back as a tool error with
 * the board's own words. `dreamos mcp` serves it on stdio (src/cli/commands/mcp.ts), http.ts on the
 * streamable HTTP transport.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { Message, Task } from '../../core/board/boardModel';
import { DreamError } from '../../core/errors';
import type { BoardClient } from '../../core/hub/connect';
import { approveAndApply, boardWorkspace } from '../../core/proposals/approval';
import { prepareSubmission } from '../../core/proposals/prepare';
import { DESCRIPTION, INPUT, RESOURCES, type ToolInput, type ToolName } from './mcpSchemas';

/** Who this server acts as; the credential the board connection presents is what the hub believes. */
export interface McpIdentity {
  /** The agent's id (DREAMOS_AGENT_ID): the default claimer, sender and inbox. */
  agentId?: string | undefined;
  /** The run's task (DREAMOS_TASK_ID): the default task of show / done / failed / blocked / ask / propose. */
  taskId?: string | undefined;
  /** The run's lease token (DREAMOS_LEASE_TOKEN), sent with reports on its task. */
  leaseToken?: number | undefined;
  /** A display name for messages (DREAMOS_AGENT_NAME). */
  agentName?: string | undefined;
}

export interface McpServerOptions {
  board: Pick<BoardClient, 'call'>;
  identity: McpIdentity;
  /** The workspace and its board folder: what propose_change diffs against and proposal_approve applies to. */
  workspace?: { root: string; boardDir: string };
  version?: string;
}

const json = (v: unknown) => JSON.stringify(v, null, 2);
const MIME = 'application/json';

/** A tool's answer: a line for the model, the board's result as structuredContent (always an object). */
interface Answer {
  text: string;
  data: Record<string, unknown>;
}

function errorResult(err: unknown): CallToolResult {
  const e = DreamError.from(err);
  return { isError: true, content: [{ type: 'text', text: e.message }], structuredContent: { error: e.toJSON() } };
}

export function createMcpServer(opts: McpServerOptions): McpServer {
  const { board } = opts;
  // The run's identity, updated by a claim: later reports default to the task claimed and its token.
  const me: McpIdentity = { ...opts.identity };
  const server = new McpServer({ name: 'dreamos', version: opts.version ?? '0.1.0' }, { instructions: instructions(me) });

  const tool = <N extends ToolName>(name: N, annotations: ToolAnnotations, run: (a: ToolInput<N>) => Promise<Answer>) => {
    // The SDK validates the arguments with the same zod schema before the callback runs.
    const cb = async (args: ToolInput<N>): Promise<CallToolResult> => {
      try {
        const a = await run(args);
        return { content: [{ type: 'text', text: a.text }], structuredContent: a.data };
      } catch (err) {
        return errorResult(err);
      }
    };
    server.registerTool(name, { description: DESCRIPTION[name], inputSchema: INPUT[name], annotations }, cb as never);
  };

  /** The agent a call is for: the one given in `field`, else this run's. */
  const agent = (given: string | undefined, what: string, field: string): string => {
    const id = given ?? me.agentId;
    if (!id) throw new DreamError('invalid_input', `No agent to ${what}: pass "${field}" (this server runs without an agent identity: DREAMOS_AGENT_ID or an agent's token).`, { field });
    return id;
  };
  const task = (given: string | undefined): string => {
    const id = given ?? me.taskId;
    if (!id) throw new DreamError('invalid_input', 'No task given and none claimed: pass "taskId", or claim one with task_claim_next.');
    return id;
  };
  /** The lease token for a report: the one given, else this run's when it is about this run's task. */
  const token = (taskId: string, given: number | undefined) => given ?? (taskId === me.taskId ? me.leaseToken : undefined);
  const workspace = (what: string) => {
    if (!opts.workspace) throw new DreamError('unavailable', `This MCP server has no workspace folder, so it cannot ${what}; use \`dreamos\` in the workspace instead.`);
    return opts.workspace;
  };
  const moved = (verb: string) => (t: Task) => ({ text: `Task ${t.id} ${verb}: it is now ${t.status}.`, data: { task: t } });

  const W = { readOnlyHint: false, destructiveHint: false, openWorldHint: false } as const;
  const R = { readOnlyHint: true, openWorldHint: false } as const;

  tool('task_claim_next', { ...W, idempotentHint: false }, async (a) => {
    const r = await board.call({ type: 'task.claimNext', agentId: agent(a.agentId, 'claim for', 'agentId'), ...(a.leaseMs !== undefined ? { leaseMs: a.leaseMs } : {}) });
    if (!r) return { text: 'No ready task you can take right now.', data: { task: null, lease: null } };
    me.taskId = r.task.id;
    me.leaseToken = r.lease.token;
    return { text: `Claimed ${r.task.id} "${r.task.title}" (lease token ${r.lease.token}).\n\n${r.task.description}`.trimEnd(), data: r as unknown as Record<string, unknown> };
  });
  tool('task_show', R, async (a) => {
    const r = await board.call({ type: 'task.show', taskId: task(a.taskId) });
    return { text: json(r), data: r as unknown as Record<string, unknown> };
  });
  tool('task_list', R, async (a) => {
    const tasks = await board.call({ type: 'task.list', ...a });
    return { text: tasks.length ? tasks.map((t) => `${t.id}  ${t.status.padEnd(9)} ${t.title}${t.assignee ? `  (${t.assignee})` : ''}`).join('\n') : '(no tasks)', data: { tasks } };
  });
  tool('task_done', W, async (a) => {
    const id = task(a.taskId);
    return moved('reported done')(await board.call({ type: 'task.done', taskId: id, token: token(id, a.token), summary: a.summary, evidence: a.evidence }));
  });
  tool('task_failed', W, async (a) => {
    const id = task(a.taskId);
    return moved('reported failed')(await board.call({ type: 'task.fail', taskId: id, token: token(id, a.token), reason: a.reason, evidence: a.evidence }));
  });
  tool('task_blocked', W, async (a) => {
    const id = task(a.taskId);
    return moved('reported blocked')(await board.call({ type: 'task.block', taskId: id, token: token(id, a.token), reason: a.reason }));
  });
  tool('mail_send', W, async (a) => {
    // Mail to the person is about this run's task unless it says otherwise, as `dreamos mail send` has it.
    const taskId = a.taskId ?? (a.to.kind === 'human' ? me.taskId : undefined);
    const m = await board.call({ type: 'mail.send', ...a, from: agent(a.from, 'send as', 'from'), ...(taskId ? { taskId } : {}) });
    return { text: `Sent ${m.id} "${m.subject}".`, data: m as unknown as Record<string, unknown> };
  });
  tool('mail_inbox', R, async (a) => {
    const messages = await board.call({ type: 'mail.inbox', recipient: agent(a.recipient, 'read the inbox of', 'recipient'), unackedOnly: a.unackedOnly, ...(a.limit !== undefined ? { limit: a.limit } : {}) });
    return { text: messages.length ? messages.map(line).join('\n\n') : '(no messages)', data: { messages } };
  });
  tool('mail_ack', { ...W, idempotentHint: true }, async (a) => {
    const m = await board.call({ type: 'mail.ack', messageId: a.messageId, recipient: agent(a.recipient, 'acknowledge for', 'recipient') });
    return { text: `Acknowledged ${m.id}.`, data: m as unknown as Record<string, unknown> };
  });
  tool('ask_person', W, async (a) => {
    // Only an agent asks: the person's own server has no one to ask as.
    if (!me.agentId) throw new DreamError('invalid_input', 'ask_person is how an agent asks the person; this server runs without an agent identity (DREAMOS_AGENT_ID or an agent\'s token). Use mail_send instead.');
    const from = me.agentId;
    const taskId = a.taskId ?? me.taskId;
    const subject = `${me.agentName ?? from} asks${taskId ? ` about task ${taskId}` : ''}`;
    const message = await board.call({ type: 'mail.send', from, to: { kind: 'human' }, subject, body: a.question, priority: 'high', requiresAck: true, ...(taskId ? { taskId } : {}) });
    if (!taskId || !a.block) return { text: `Asked the person (${message.id}); their answer comes to your inbox.`, data: { message, task: null } };
    const r = await board.call({ type: 'task.block', taskId, token: token(taskId, a.token), reason: `waiting for the person's answer: ${a.question.slice(0, 1_500)}` });
    return { text: `Asked the person (${message.id}); task ${taskId} is blocked until they answer. End your turn now.`, data: { message, task: r } };
  });
  tool('propose_change', W, async (a) => {
    const ws = workspace('prepare a proposal');
    const files = await prepareSubmission(ws.root, { files: a.files, ...(a.diff !== undefined ? { diff: a.diff } : {}) });
    const taskId = a.taskId ?? me.taskId;
    const p = await board.call({ type: 'proposal.submit', title: a.title, rationale: a.rationale, ...(taskId ? { taskId } : {}), ...(me.agentId ? { agentId: me.agentId } : {}), files });
    return { text: `Proposed ${p.id} "${p.title}" (${p.files.map((f) => `${f.path} +${f.added} -${f.removed}`).join(', ')}); it waits for the person's review.`, data: p as unknown as Record<string, unknown> };
  });
  tool('proposal_approve', { ...W, destructiveHint: true }, async (a) => {
    const w = workspace('apply a proposal');
    const r = await approveAndApply(board, await boardWorkspace(w.root, w.boardDir), a.proposalId, { override: a.override, via: 'through MCP' });
    return { text: `${a.proposalId}: ${r.result.replace('_', ' ')}.`, data: r as unknown as Record<string, unknown> };
  });

  server.registerResource('board', RESOURCES.board.uri, { title: RESOURCES.board.title, description: RESOURCES.board.description, mimeType: MIME }, async (uri) => {
    const [info, open, agents] = await Promise.all([
      board.call({ type: 'board.info' }),
      board.call({ type: 'task.list', status: ['ready', 'claimed', 'running', 'review', 'blocked', 'failed'], limit: 200 }),
      board.call({ type: 'agent.list', includeRetired: false }),
    ]);
    const summary = { ...info, you: me, agents: agents.map((g) => ({ id: g.id, name: g.name, status: g.status, currentTask: g.currentTask })), open: open.map(brief) };
    return { contents: [{ uri: uri.href, mimeType: MIME, text: json(summary) }] };
  });
  const taskTemplate = new ResourceTemplate(RESOURCES.task.uri, {
    list: async () => ({ resources: (await board.call({ type: 'task.list', limit: 200 })).map((t) => ({ uri: `dreamos://task/${t.id}`, name: t.title, mimeType: MIME })) }),
  });
  server.registerResource('task', taskTemplate, { title: RESOURCES.task.title, description: RESOURCES.task.description, mimeType: MIME }, async (uri, vars) => {
    const id = String(Array.isArray(vars.id) ? vars.id[0] : vars.id);
    return { contents: [{ uri: uri.href, mimeType: MIME, text: json(await board.call({ type: 'task.show', taskId: id })) }] };
  });
  return server;
}

const brief = (t: Task) => ({ id: t.id, title: t.title, status: t.status, priority: t.priority, assignee: t.assignee });
const line = (m: Message) => `${m.id} from ${m.from}${m.requiresAck && !m.ackedAt ? ' (needs an answer)' : ''}: ${m.subject}${m.body ? `\n${m.body}` : ''}`;

function instructions(me: McpIdentity): string {
  return [
    "Dream.OS's task board. Report your work through these tools:",
    me.taskId ? `your task is ${me.taskId} (task_show);` : 'claim a task with task_claim_next;',
    'when it is done call task_done with a summary and evidence of work (a passing test or check, or the diff/files you changed) — a note alone is refused;',
    "if it cannot be done call task_failed or task_blocked; ask_person when you need the person's decision; propose_change for changes the person must approve.",
  ].join(' ');
}
