/**
 * MCP over streamable HTTP: a plain node:http server on 127.0.0.1 mounts the /mcp handler the way
 * the gateway does after authenticating — with a board connection presenting the request's named
 * token and who that token is — and an MCP Client from the official SDK does a task through it.
 * An agent token is its agent (and cannot approve); an operator token approves and the change lands.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { WhoAmI } from '../../src/core/auth/tokens';
import { connectBoard, type BoardClient } from '../../src/core/hub/connect';
import { mcpHttpHandler } from '../../src/integrations/mcp/http';
import { ensureCli } from './fixtures/agents/harness';
import { agentJourney, callOf, mcpBoard, ok, readResources, refused, type McpBoard } from './helpers/mcpJourney';

describe('MCP over streamable HTTP, with a named token', { timeout: 120_000 }, () => {
  let b: McpBoard;
  let server: Server;
  let url: URL;
  const boards = new Map<string, { board: BoardClient; whoami: WhoAmI }>();
  const clients: Client[] = [];

  before(async () => {
    b = await mcpBoard('dreamos-mcp-http-');
    const handler = mcpHttpHandler({ workspace: { root: b.root, boardDir: b.dir } });
    // What the gateway does before /mcp: the bearer token picks (or opens) a board connection presenting it.
    server = createServer((req, res) => {
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!token) return void res.writeHead(401).end();
      void (async () => {
        let c = boards.get(token);
        if (!c) {
          const board = await connectBoard({ dir: b.dir, client: 'mcp-http-test', hubMode: 'never', credential: token });
          c = { board, whoami: await board.call({ type: 'credential.whoami' }) };
          boards.set(token, c);
        }
        await handler(req, res, { token, ...c });
      })().catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await new Promise((r) => server.close(r));
    for (const { board } of boards.values()) await board.close();
    await b.person.close();
    rmSync(b.root, { recursive: true, force: true });
  });

  const connect = async (token: string) => {
    const client = new Client({ name: 'mcp-http-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    clients.push(client);
    return client;
  };

  it('an agent token does the task: claim, evidence, mail, ask, propose; approving is refused', async () => {
    const { token } = await b.person.call({ type: 'token.create', name: 'coder-mcp', scope: 'agent', agent: 'coder' });
    const client = await connect(token);
    // Stateless: every request is a fresh server, so the lease token travels with each report.
    await agentJourney(client, b, { passToken: true });
    await readResources(client, b);
  });

  it('an operator token approves the pending proposal and it lands in the workspace', async () => {
    const [pending] = await b.person.call({ type: 'proposal.list', status: ['pending'] });
    assert.ok(pending);
    const { token } = await b.person.call({ type: 'token.create', name: 'ops-mcp', scope: 'operator' });
    const r = ok(await callOf(await connect(token))('proposal_approve', { proposalId: pending.id }), 'proposal_approve') as { result: string };
    assert.equal(r.result, 'applied');
    assert.equal(readFileSync(path.join(b.root, 'src/retry.ts'), 'utf8'), 'export const attempts = 3;\n');
    assert.equal((await b.person.call({ type: 'proposal.show', proposalId: pending.id })).status, 'applied');
  });

  it('a read token reads the board and is refused every report', async () => {
    const { token } = await b.person.call({ type: 'token.create', name: 'viewer-mcp', scope: 'read' });
    const call = callOf(await connect(token));
    ok(await call('task_list'), 'task_list');
    refused(await call('task_claim_next', { agentId: b.agentId }), /read token/, 'a read token claiming');
    refused(await call('mail_send', { from: 'human', to: { kind: 'human' }, subject: 'x' }), /read token/, 'a read token mailing');
    refused(await call('task_done', { summary: 'x' }), /No task given/, 'a read token has no task');
  });

  it('GET and DELETE are refused: the endpoint is stateless, there is no stream or session', async () => {
    const { token } = await b.person.call({ type: 'token.create', name: 'probe', scope: 'read' });
    const get = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status, 405);
  });
  it('through the real `dreamos serve`: its /mcp, behind its token rules, is this handler', async () => {
    const { token } = await b.person.call({ type: 'token.create', name: 'rival-mcp', scope: 'agent', agent: 'rival' });
    const task = await b.person.call({ type: 'task.add', title: 'Served over MCP' });
    const serve = spawn(process.execPath, [ensureCli(), 'serve', '--port', '0', '--no-dashboard', '--dir', b.dir], { cwd: b.root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      serve.stdout.on('data', (c: Buffer) => (out += c.toString()));
      serve.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const deadline = Date.now() + 60_000;
      while (!/MCP: +http:\/\/127\.0\.0\.1:\d+\/mcp/.test(out)) {
        assert.ok(Date.now() < deadline && serve.exitCode === null, `serve did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const served = new URL(/MCP: +(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(out)![1]!);
      const anonymous = new Client({ name: 'no-token', version: '1.0.0' });
      await assert.rejects(anonymous.connect(new StreamableHTTPClientTransport(served)), /401|nauthori/);
      const client = new Client({ name: 'served', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(served, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      clients.push(client);
      const call = callOf(client);
      const claimed = ok(await call('task_claim_next'), 'task_claim_next') as { task: { id: string; assignee: string }; lease: { token: number } };
      assert.deepEqual([claimed.task.id, claimed.task.assignee], [task.id, b.otherId]);
      const done = ok(await call('task_done', { taskId: task.id, token: claimed.lease.token, summary: 'served', evidence: [{ kind: 'diff', summary: 'served.txt: +1' }] }), 'task_done') as { task: { status: string } };
      assert.equal(done.task.status, 'done');
      const proposal = ok(await call('propose_change', { title: 'Served', rationale: 'over the gateway', files: [{ path: 'served.txt', content: 'served\n' }] }), 'propose_change') as { id: string };
      refused(await call('proposal_approve', { proposalId: proposal.id }), /Refused: .*person/, 'an agent token approving');
    } finally {
      serve.kill('SIGINT');
      await new Promise((r) => (serve.exitCode !== null ? r(undefined) : serve.once('exit', r)));
    }
  });
});
