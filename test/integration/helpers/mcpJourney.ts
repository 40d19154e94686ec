/**
 * What an agent does with the board over MCP, asserted against the real board: one journey that
 * the stdio test (the built `dreamos mcp`) and the HTTP test (the /mcp handler) both walk with an
 * MCP Client from the official SDK.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Task } from '../../../src/core/board/boardModel';
import { connectBoard, type BoardClient } from '../../../src/core/hub/connect';

export interface McpBoard {
  root: string;
  dir: string;
  person: BoardClient;
  agentId: string;
  otherId: string;
  first: Task;
  second: Task;
}

/** A workspace with a board whose hub is this test process, an agent "coder", another "rival", two tasks. */
export async function mcpBoard(prefix: string): Promise<McpBoard> {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  const dir = path.join(root, '.dreamos');
  const person = await connectBoard({ dir, client: 'test', hubMode: 'in-process', actor: 'human:test' });
  const agent = await person.call({ type: 'agent.register', name: 'coder' });
  const other = await person.call({ type: 'agent.register', name: 'rival' });
  const first = await person.call({ type: 'task.add', title: 'Add retry to the HTTP client', priority: 'high' });
  const second = await person.call({ type: 'task.add', title: 'Pick a database', priority: 'low' });
  return { root, dir, person, agentId: agent.id, otherId: other.id, first, second };
}

export type Call = (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>;

export const callOf =
  (client: Client): Call =>
  async (name, args = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;

export const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

export function ok(r: CallToolResult, what: string): Record<string, unknown> {
  assert.notEqual(r.isError, true, `${what} failed: ${textOf(r)}`);
  assert.ok(r.structuredContent, `${what}: structuredContent`);
  return r.structuredContent;
}

export function refused(r: CallToolResult, re: RegExp, what: string): void {
  assert.equal(r.isError, true, `${what} should be refused, got ${textOf(r)}`);
  assert.match(textOf(r), re, what);
}

/** A resource's text (the board's resources are JSON text). */
async function readJson<T>(client: Client, uri: string): Promise<T> {
  const c = (await client.readResource({ uri })).contents[0]!;
  assert.ok('text' in c, `${uri} is text`);
  return JSON.parse(c.text) as T;
}

export const TOOLS = ['ask_person', 'mail_ack', 'mail_inbox', 'mail_send', 'proposal_approve', 'propose_change', 'task_blocked', 'task_claim_next', 'task_done', 'task_failed', 'task_list', 'task_show'];

/**
 * The journey: claim, be refused "done" on its word alone (the board's message), report done with
 * evidence, mail, propose a change, be refused approval and acting as another agent, claim the next
 * task and ask the person about it (the question in the person's inbox, the task blocked).
 * `token`: pass the lease token explicitly (HTTP is stateless); otherwise the server remembers it.
 */
export async function agentJourney(client: Client, b: McpBoard, o: { passToken: boolean }): Promise<void> {
  const call = callOf(client);
  const tools = (await client.listTools()).tools;
  assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
  const done = tools.find((t) => t.name === 'task_done')!;
  // The input schema is the board's own (task.done): summary required, evidence kinds from the model.
  assert.deepEqual(done.inputSchema.required, ['summary']);
  assert.match(JSON.stringify(done.inputSchema.properties), /"exit_code","test","diff","file","log","check","note","url"/);

  const claimed = ok(await call('task_claim_next'), 'task_claim_next') as { task: Task; lease: { token: number } };
  assert.equal(claimed.task.id, b.first.id);
  assert.equal(claimed.task.assignee, b.agentId);
  const token = o.passToken ? { token: claimed.lease.token, taskId: claimed.task.id } : {};

  refused(await call('task_done', { ...token, summary: 'added retry', evidence: [{ kind: 'note', summary: 'I did it' }] }), /cannot be marked done on your word alone/, 'done without evidence');
  refused(await call('task_done', { ...token, summary: '' }), /summary|say what was done/i, 'done with an empty summary');

  const sent = ok(await call('mail_send', { to: { kind: 'human' }, subject: 'Retry policy', body: 'Three attempts with backoff.', ...(o.passToken ? { taskId: b.first.id } : {}) }), 'mail_send') as { id: string; from: string; taskId: string | null };
  assert.equal(sent.from, b.agentId);
  assert.equal(sent.taskId, b.first.id, "mail to the person is about the agent's task");
  const proposal = ok(
    await call('propose_change', { title: 'Retry', rationale: 'the API is flaky', ...(o.passToken ? { taskId: b.first.id } : {}), files: [{ path: 'src/retry.ts', content: 'export const attempts = 3;\n' }] }),
    'propose_change',
  ) as { id: string; status: string; taskId: string | null; files: { path: string; op: string }[] };
  assert.equal(proposal.status, 'pending');
  assert.equal(proposal.taskId, b.first.id);
  assert.deepEqual(proposal.files.map((f) => [f.path, f.op]), [['src/retry.ts', 'create']]);
  const pending = await b.person.call({ type: 'proposal.list', status: ['pending'] });
  assert.deepEqual(pending.map((p) => p.id), [proposal.id]);
  assert.equal((await b.person.call({ type: 'proposal.show', proposalId: proposal.id })).files[0]!.content, 'export const attempts = 3;\n');

  // The hub's policy, not this server, says no: approving is the person's; an agent acts only as itself.
  refused(await call('proposal_approve', { proposalId: proposal.id }), /Refused: .*person/, 'an agent approving');
  assert.equal((await b.person.call({ type: 'proposal.show', proposalId: proposal.id })).status, 'pending');
  refused(await call('mail_send', { from: b.otherId, to: { kind: 'human' }, subject: 'as someone else' }), /acts only as itself/, 'sending as another agent');
  refused(await call('task_claim_next', { agentId: b.otherId }), /acts only as itself/, 'claiming for another agent');
  refused(await call('mail_inbox', { recipient: b.otherId }), /acts only as itself/, "reading another agent's inbox");

  const finished = ok(await call('task_done', { ...token, summary: 'added retry with backoff', evidence: [{ kind: 'test', summary: '12 passed' }] }), 'task_done') as { task: Task };
  assert.equal(finished.task.status, 'done');
  assert.equal((await b.person.call({ type: 'task.show', taskId: b.first.id })).task.status, 'done');

  const next = ok(await call('task_claim_next'), 'second claim') as { task: Task; lease: { token: number } };
  assert.equal(next.task.id, b.second.id);
  const asked = ok(await call('ask_person', { question: 'sqlite or postgres?', ...(o.passToken ? { taskId: next.task.id, token: next.lease.token } : {}) }), 'ask_person') as { message: { id: string }; task: Task };
  assert.equal(asked.task.status, 'blocked');
  const human = await b.person.call({ type: 'mail.inbox', recipient: 'human' });
  const question = human.find((m) => m.id === asked.message.id);
  assert.ok(question, "the question is in the person's inbox");
  assert.equal(question.body, 'sqlite or postgres?');
  assert.equal(question.requiresAck, true);
  assert.equal(question.from, b.agentId);
  assert.equal(question.taskId, b.second.id, 'the question is about the task, so Needs You offers its actions');
  assert.ok(human.some((m) => m.id === sent.id), "the mail is in the person's inbox");

  // The person answers; the agent reads its inbox and acknowledges.
  const answer = await b.person.call({ type: 'mail.send', from: 'human', to: { kind: 'agent', id: b.agentId }, subject: 'Re: database', body: 'sqlite', replyTo: asked.message.id, requiresAck: true });
  const inbox = ok(await call('mail_inbox', { unackedOnly: true }), 'mail_inbox') as { messages: { id: string; body: string }[] };
  assert.deepEqual(inbox.messages.map((m) => [m.id, m.body]), [[answer.id, 'sqlite']]);
  ok(await call('mail_ack', { messageId: answer.id }), 'mail_ack');
  assert.deepEqual(((await call('mail_inbox', { unackedOnly: true })).structuredContent as { messages: unknown[] }).messages, []);

  const listed = ok(await call('task_list', { status: ['done'] }), 'task_list') as { tasks: Task[] };
  assert.deepEqual(listed.tasks.map((t) => t.id), [b.first.id]);
}

/** The resources: the board summary and a task, listed and read. */
export async function readResources(client: Client, b: McpBoard): Promise<void> {
  const listed = await client.listResources();
  const uris = listed.resources.map((r) => r.uri);
  assert.ok(uris.includes('dreamos://board'), `resources: ${uris.join(', ')}`);
  assert.ok(uris.includes(`dreamos://task/${b.first.id}`), `resources: ${uris.join(', ')}`);
  const templates = await client.listResourceTemplates();
  assert.deepEqual(templates.resourceTemplates.map((t) => t.uriTemplate), ['dreamos://task/{id}']);
  const board = await readJson<{ tasks: number; byStatus: Record<string, number>; agents: { name: string }[] }>(client, 'dreamos://board');
  assert.equal(board.tasks, 2);
  assert.deepEqual(board.byStatus, { done: 1, blocked: 1 });
  assert.deepEqual(board.agents.map((a) => a.name).sort(), ['coder', 'rival']);
  const task = await readJson<{ task: Task; history: { to: string }[] }>(client, `dreamos://task/${b.first.id}`);
  assert.equal(task.task.status, 'done');
  assert.deepEqual(task.history.map((h) => h.to), ['ready', 'claimed', 'done']);
}
