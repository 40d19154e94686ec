/**
 * `dreamos mcp` over stdio: an MCP Client from the official SDK starts the real built CLI
 * (node dist/cli.js mcp) the way an agent CLI does, with the environment Dream.OS gives an agent
 * run (its credential, id, the hub's socket), and does a task end to end against the real board —
 * whose hub is this test process.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { socketPathFor } from '../../src/core/hub/descriptor';
import { ensureCli } from './fixtures/agents/harness';
import { agentJourney, callOf, mcpBoard, readResources, refused, textOf, type McpBoard } from './helpers/mcpJourney';

function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DREAMOS_')) env[k] = v;
  return env;
}

async function stdioClient(b: McpBoard, extra: Record<string, string>): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [ensureCli(), 'mcp'],
    cwd: b.root,
    env: { ...cleanEnv(), DREAMOS_DIR: b.dir, DREAMOS_HUB_SOCKET: socketPathFor(b.dir), ...extra },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'mcp-stdio-test', version: '1.0.0' });
  await client.connect(transport).catch((e: unknown) => {
    throw new Error(`dreamos mcp did not start (${String(e)}): ${err}`);
  });
  return { client, stderr: () => err };
}

describe('dreamos mcp (stdio): an agent does a task through MCP', { timeout: 120_000 }, () => {
  let b: McpBoard;
  const clients: Client[] = [];
  before(async () => {
    ensureCli();
    b = await mcpBoard('dreamos-mcp-stdio-');
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await b.person.close();
    rmSync(b.root, { recursive: true, force: true });
  });

  it('claims, reports with evidence, mails, asks the person, proposes; the hub refuses what is not its own', async () => {
    const cred = await b.person.call({ type: 'credential.issue', agent: 'coder', label: 'mcp test' });
    const { client, stderr } = await stdioClient(b, { DREAMOS_AGENT_ID: b.agentId, DREAMOS_AGENT_TOKEN: cred.token, DREAMOS_AGENT_NAME: 'coder' });
    clients.push(client);
    assert.equal(client.getServerVersion()?.name, 'dreamos');
    assert.match(client.getInstructions() ?? '', /task_done/);
    await agentJourney(client, b, { passToken: false });
    await readResources(client, b);
    // Logs go to stderr; stdout carried only the protocol (or the client would have failed to parse it).
    assert.match(stderr(), /serving the board .* on stdio as agt_/);
  });

  it("a run's credential bound to its task defaults the task and lease from the environment", async () => {
    const t = await b.person.call({ type: 'task.add', title: 'Write the changelog' });
    const claim = await b.person.call({ type: 'task.claim', taskId: t.id, agentId: 'coder' });
    const cred = await b.person.call({ type: 'credential.issue', agent: 'coder', taskId: t.id });
    const { client } = await stdioClient(b, { DREAMOS_AGENT_ID: b.agentId, DREAMOS_AGENT_TOKEN: cred.token, DREAMOS_TASK_ID: t.id, DREAMOS_LEASE_TOKEN: String(claim.lease.token) });
    clients.push(client);
    const call = callOf(client);
    refused(await call('task_claim_next'), /credential is for task .* cannot claim other tasks/, 'a task-bound credential claiming');
    // Reading the board is allowed beyond its own task; reporting is not.
    assert.notEqual((await call('task_show', { taskId: b.first.id })).isError, true);
    refused(await call('task_blocked', { taskId: b.second.id, reason: 'not mine' }), /credential is for task/, 'reporting on another task');
    const shown = await call('task_show');
    assert.equal((shown.structuredContent as { task: { id: string } }).task.id, t.id, textOf(shown));
    const r = await call('task_done', { summary: 'changelog written', evidence: [{ kind: 'file', summary: 'CHANGELOG.md' }] });
    assert.notEqual(r.isError, true, textOf(r));
    assert.equal((await b.person.call({ type: 'task.show', taskId: t.id })).task.status, 'done');
  });

  it('with only a credential in the environment, the server is the agent the credential names', async () => {
    const cred = await b.person.call({ type: 'credential.issue', agent: 'rival' });
    const { client, stderr } = await stdioClient(b, { DREAMOS_AGENT_TOKEN: cred.token });
    clients.push(client);
    const sent = await callOf(client)('mail_send', { to: { kind: 'human' }, subject: 'who am I' });
    assert.equal((sent.structuredContent as { from: string }).from, b.otherId, textOf(sent));
    assert.match(stderr(), new RegExp(`as ${b.otherId}`));
  });

  it('a wrong credential: the hub refuses the connection and `dreamos mcp` says why on stderr', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [ensureCli(), 'mcp'],
      cwd: b.root,
      env: { ...cleanEnv(), DREAMOS_DIR: b.dir, DREAMOS_HUB_SOCKET: socketPathFor(b.dir), DREAMOS_AGENT_ID: b.agentId, DREAMOS_AGENT_TOKEN: `dosa_${'0'.repeat(64)}` },
      stderr: 'pipe',
    });
    let err = '';
    transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((resolve) => (transport.onclose = resolve));
    await assert.rejects(new Client({ name: 'forged', version: '1.0.0' }).connect(transport));
    await exited;
    assert.match(err, /Wrong, revoked or expired token/);
  });
});
