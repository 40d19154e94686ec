/**
 * The gateway's one set of rules, over real HTTP against a real board: each route refused without
 * a token (401) and without the scope it needs (403, decided by the hub from the token's own
 * connection), an agent token acting only as its agent, a revoked token refused at once, Host and
 * Origin refusals, rate limits with Retry-After, mounts that run after the rules, and binding.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DreamError } from '../../src/core/errors';
import { ROUTES, type ApiRoute } from '../../src/integrations/api/routes';
import { checkBinding, startGateway } from '../../src/integrations/http/gateway';
import { apiFixture, send, type ApiFixture, type Reply } from './apiHelpers';

const isProblem = (r: Reply, status: number, code?: string) => {
  assert.equal(r.status, status, r.text.slice(0, 300));
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
  const p = r.json as { status: number; code: string; type: string; title: string; detail: string };
  assert.equal(p.status, status);
  assert.ok(p.type && p.title && p.detail, 'type, title, detail');
  if (code) assert.equal(p.code, code);
};

describe('API gateway: tokens and scopes, per route', () => {
  let f: ApiFixture;
  /** A valid request for each route (ids of real things on the board). */
  let example: (r: ApiRoute) => { path: string; body?: unknown };
  before(async () => {
    f = await apiFixture();
    const task = await f.person.call({ type: 'task.add', title: 'Scoped' });
    const msg = await f.person.call({ type: 'mail.send', from: 'coder', to: { kind: 'human' }, subject: 'hi' });
    const file = { path: 'x.txt', op: 'create' as const, baseHash: null, content: 'x\n', added: 1, removed: 0 };
    const prp = await f.person.call({ type: 'proposal.submit', title: 'X', rationale: 'x', files: [file] });
    const bodies: Record<string, unknown> = {
      'post /api/v1/session': { token: f.tokens.read },
      'post /api/v1/tasks': { title: 'From a test' },
      'post /api/v1/tasks/{id}/actions/{action}': { reason: 'scope test' },
      'post /api/v1/mail': { to: { kind: 'human' }, subject: 'scope test' },
      'post /api/v1/proposals/{id}/reject': { reason: 'scope test' },
      'post /api/v1/commands': { type: 'board.info' },
    };
    example = (r) => ({
      path: r.path.replace('{action}', 'cancel').replace('{id}', r.path.includes('proposals') ? prp.id : r.path.includes('mail') ? msg.id : task.id),
      ...(bodies[`${r.method} ${r.path}`] !== undefined ? { body: bodies[`${r.method} ${r.path}`] } : {}),
    });
  });
  after(() => f.close());

  it('every route that needs a token answers 401 problem+json without one, or with a made-up one', async () => {
    for (const r of ROUTES.filter((x) => x.scope !== 'none')) {
      const e = example(r);
      const none = await send(f.port, r.method.toUpperCase(), e.path, { body: e.body });
      isProblem(none, 401, 'unauthenticated');
      assert.match(String(none.headers['www-authenticate']), /Bearer/);
      isProblem(await send(f.port, r.method.toUpperCase(), e.path, { body: e.body, token: 'dost_madeupmadeupmadeupmadeupmadeupmadeupmadeup1' }), 401, 'unauthenticated');
    }
  });

  it('each route refuses (403) a token below its scope and serves one that has it', async () => {
    const { read, agent, operator } = f.tokens;
    const below: Record<string, string[]> = { agent: [read], operator: [read, agent], admin: [read, agent, operator], read: [], none: [] };
    for (const r of ROUTES) {
      const e = example(r);
      for (const token of below[r.scope]!) isProblem(await send(f.port, r.method.toUpperCase(), e.path, { body: e.body, token }), 403, 'unauthorized');
    }
    // A read token may read everything, but only read commands through POST /commands.
    for (const r of ROUTES.filter((x) => x.scope === 'read' && x.method === 'get')) {
      const res = await send(f.port, 'GET', example(r).path, { token: read });
      assert.equal(res.status, 200, `${r.path}: ${res.text.slice(0, 200)}`);
    }
    isProblem(await send(f.port, 'POST', '/api/v1/commands', { token: read, body: { type: 'task.add', title: 'sneaky' } }), 403, 'unauthorized');
    // Tokens and settings are the admin's.
    isProblem(await send(f.port, 'POST', '/api/v1/commands', { token: operator, body: { type: 'token.create', name: 'more', scope: 'admin' } }), 403, 'unauthorized');
    const made = await send(f.port, 'POST', '/api/v1/commands', { token: f.tokens.admin, body: { type: 'token.create', name: 'made-by-api', scope: 'read' } });
    assert.equal(made.status, 200);
    assert.match((made.json as { token: string }).token, /^dost_/);
  });

  it('an operator can approve; an agent token acts only as its own agent', async () => {
    const file = { path: 'y.txt', op: 'create' as const, baseHash: null, content: 'y\n', added: 1, removed: 0 };
    const prp = await send(f.port, 'POST', '/api/v1/commands', { token: f.tokens.agent, body: { type: 'proposal.submit', title: 'Y', rationale: 'y', files: [file] } });
    assert.equal(prp.status, 200, prp.text);
    const id = (prp.json as { id: string; createdBy: string }).id;
    assert.equal((prp.json as { createdBy: string }).createdBy, f.agentId);
    isProblem(await send(f.port, 'POST', `/api/v1/proposals/${id}/approve`, { token: f.tokens.agent }), 403, 'unauthorized');
    const ok = await send(f.port, 'POST', `/api/v1/proposals/${id}/approve`, { token: f.tokens.operator, body: { override: true } });
    assert.equal(ok.status, 200, ok.text);

    isProblem(await send(f.port, 'POST', '/api/v1/mail', { token: f.tokens.agent, body: { from: 'helper', to: { kind: 'human' }, subject: 'as someone else' } }), 403, 'unauthorized');
    isProblem(await send(f.port, 'POST', '/api/v1/commands', { token: f.tokens.agent, body: { type: 'task.claimNext', agentId: 'helper' } }), 403, 'unauthorized');
    await send(f.port, 'POST', '/api/v1/tasks', { token: f.tokens.operator, body: { title: 'For coder' } });
    const claimed = await send(f.port, 'POST', '/api/v1/commands', { token: f.tokens.agent, body: { type: 'task.claimNext', agentId: 'coder' } });
    assert.equal(claimed.status, 200, claimed.text);
    const { task: { id: taskId }, lease: { token: lease } } = claimed.json as { task: { id: string }; lease: { token: number } };
    const blocked = await send(f.port, 'POST', `/api/v1/tasks/${taskId}/actions/block`, { token: f.tokens.agent, body: { reason: 'needs a key', token: lease } });
    assert.equal(blocked.status, 200, blocked.text);
    isProblem(await send(f.port, 'POST', `/api/v1/tasks/${taskId}/actions/unblock`, { token: f.tokens.agent }), 403, 'unauthorized');
    const shown = await f.person.call({ type: 'task.show', taskId });
    assert.equal(shown.history.at(-1)!.actor, f.agentId, 'the block is recorded as the agent');
    // Its next task, reported done with evidence through the same action route.
    await send(f.port, 'POST', '/api/v1/tasks', { token: f.tokens.operator, body: { title: 'Done by coder' } });
    const next = (await send(f.port, 'POST', '/api/v1/commands', { token: f.tokens.agent, body: { type: 'task.claimNext', agentId: 'coder' } })).json as { task: { id: string }; lease: { token: number } };
    const noEvidence = await send(f.port, 'POST', `/api/v1/tasks/${next.task.id}/actions/done`, { token: f.tokens.agent, body: { summary: 'did it', token: next.lease.token } });
    assert.equal(noEvidence.status >= 400 && noEvidence.status < 500, true, `an agent's word alone does not finish a task: ${noEvidence.text}`);
    const done = await send(f.port, 'POST', `/api/v1/tasks/${next.task.id}/actions/done`, { token: f.tokens.agent, body: { summary: 'did it', token: next.lease.token, evidence: [{ kind: 'test', summary: '12 passed' }] } });
    assert.equal(done.status, 200, done.text);
    assert.equal((done.json as { status: string }).status, 'done');
  });

  it('a revoked token is refused at once (401), even with its connection cached', async () => {
    const { token } = await f.person.call({ type: 'token.create', name: 'short-lived', scope: 'read' });
    assert.equal((await send(f.port, 'GET', '/api/v1/tasks', { token })).status, 200);
    await f.person.call({ type: 'token.revoke', token: 'short-lived' });
    isProblem(await send(f.port, 'GET', '/api/v1/tasks', { token }), 401, 'unauthenticated');
    isProblem(await send(f.port, 'GET', '/api/v1/tasks', { token }), 401, 'unauthenticated');
  });

  it('refuses a Host that is not this server and an Origin that is not its own', async () => {
    for (const host of ['evil.example', `evil.example:${f.port}`, `127.0.0.1:${f.port + 1}`, `[::1]:${f.port}`]) {
      isProblem(await send(f.port, 'GET', '/api/v1/tasks', { token: f.tokens.read, headers: { Host: host } }), 403, 'forbidden_origin');
      isProblem(await send(f.port, 'GET', '/api/v1/health', { headers: { Host: host } }), 403, 'forbidden_origin');
    }
    assert.equal((await send(f.port, 'GET', '/api/v1/health', { headers: { Host: `localhost:${f.port}` } })).status, 200);
    isProblem(await send(f.port, 'POST', '/api/v1/tasks', { token: f.tokens.operator, body: { title: 'csrf' }, headers: { Origin: 'http://evil.example' } }), 403, 'forbidden_origin');
    isProblem(await send(f.port, 'POST', '/api/v1/session', { body: { token: f.tokens.read } }), 403, 'forbidden_origin');
    isProblem(await send(f.port, 'POST', '/api/v1/session', { body: { token: f.tokens.read }, headers: { Origin: `http://127.0.0.1:${f.port + 1}` } }), 403, 'forbidden_origin');
    // A session cookie alone does not carry a write: the browser's Origin must come with it.
    const s = await send(f.port, 'POST', '/api/v1/session', { body: { token: f.tokens.operator }, headers: { Origin: `http://127.0.0.1:${f.port}` } });
    const cookie = String(s.headers['set-cookie']).split(';')[0]!;
    isProblem(await send(f.port, 'POST', '/api/v1/tasks', { body: { title: 'cookie only' }, headers: { Cookie: cookie } }), 403, 'forbidden_origin');
    assert.equal((await send(f.port, 'POST', '/api/v1/tasks', { body: { title: 'cookie + origin' }, headers: { Cookie: cookie, Origin: `http://127.0.0.1:${f.port}` } })).status, 201);
    isProblem(await send(f.port, 'POST', '/api/v1/session', { body: { token: 'dost_wrongwrongwrongwrongwrongwrongwrongwrong12' }, headers: { Origin: `http://127.0.0.1:${f.port}` } }), 401, 'unauthenticated');
  });
});

describe('API gateway: rate limits, mounts, binding', () => {
  it('answers 429 with Retry-After past the limit per token, and per address', async () => {
    const f = await apiFixture({ rateLimits: { perToken: { points: 3, seconds: 60 }, perAddress: { points: 8, seconds: 60 } } });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await send(f.port, 'GET', '/api/v1/tasks', { token: f.tokens.read })).status, 200);
      const limited = await send(f.port, 'GET', '/api/v1/tasks', { token: f.tokens.read });
      isProblem(limited, 429, 'rate_limited');
      assert.ok(Number(limited.headers['retry-after']) >= 1, 'Retry-After in seconds');
      assert.equal((await send(f.port, 'GET', '/api/v1/tasks', { token: f.tokens.operator })).status, 200, 'another token has its own budget');
      let last: Reply | undefined;
      for (let i = 0; i < 5; i++) last = await send(f.port, 'GET', '/api/v1/health');
      isProblem(last!, 429, 'rate_limited');
      assert.ok(Number(last!.headers['retry-after']) >= 1);
    } finally {
      await f.close();
    }
  });

  it('runs mounted handlers after the rules, as the caller, and static pages without a token', async () => {
    const f = await apiFixture({
      mounts: {
        '/mcp': async (_req, res, ctx) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ actor: ctx.whoami.actor, tasks: (await ctx.board.call({ type: 'board.info' })).tasks }));
        },
      },
      staticPages: {
        '/phone': async (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/html' });
          res.end('<h1>phone</h1>');
        },
      },
    });
    try {
      isProblem(await send(f.port, 'POST', '/mcp', { body: {} }), 401, 'unauthenticated');
      const ok = await send(f.port, 'POST', '/mcp/session', { token: f.tokens.agent, body: {} });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.json, { actor: f.agentId, tasks: 0 });
      isProblem(await send(f.port, 'POST', '/mcp', { token: f.tokens.agent, headers: { Host: 'evil.example' } }), 403, 'forbidden_origin');
      isProblem(await send(f.port, 'POST', '/mcp', { token: f.tokens.agent, headers: { Origin: 'http://evil.example' } }), 403, 'forbidden_origin');
      assert.equal((await send(f.port, 'GET', '/phone')).text, '<h1>phone</h1>');
      assert.equal((await send(f.port, 'GET', '/phone/')).status, 200);
      isProblem(await send(f.port, 'GET', '/phone', { headers: { Host: 'evil.example' } }), 403, 'forbidden_origin');
      isProblem(await send(f.port, 'GET', '/mcpx', { token: f.tokens.agent }), 404, 'not_found');
    } finally {
      await f.close();
    }
  });

  it('behind a tunnel, accepts the public address as Host and Origin (and still nothing else)', async () => {
    const f = await apiFixture({ publicUrl: 'https://board.example.ts.net' });
    try {
      const viaTunnel = { Host: 'board.example.ts.net', Origin: 'https://board.example.ts.net' };
      assert.equal((await send(f.port, 'GET', '/api/v1/whoami', { token: f.tokens.read, headers: viaTunnel })).status, 200);
      const s = await send(f.port, 'POST', '/api/v1/session', { body: { token: f.tokens.read }, headers: viaTunnel });
      assert.equal(s.status, 200, s.text);
      isProblem(await send(f.port, 'GET', '/api/v1/whoami', { token: f.tokens.read, headers: { Host: 'other.example.ts.net' } }), 403, 'forbidden_origin');
      isProblem(await send(f.port, 'POST', '/api/v1/session', { body: { token: f.tokens.read }, headers: { ...viaTunnel, Origin: 'http://board.example.ts.net' } }), 403, 'forbidden_origin');
    } finally {
      await f.close();
    }
  });

  it('refuses a non-loopback address without TLS or an explicit tunnel, and serves HTTPS with a certificate', async () => {
    assert.throws(() => checkBinding('0.0.0.0', false, false), (e: unknown) => e instanceof DreamError && e.code === 'invalid_input' && /--tls-cert/.test(e.message) && /--insecure-tunnel/.test(e.message));
    checkBinding('127.0.0.1', false, false);
    checkBinding('0.0.0.0', true, false);
    checkBinding('0.0.0.0', false, true);
    const f = await apiFixture();
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'dreamos-tls-'));
    try {
      await assert.rejects(startGateway({ connection: f.person, dir: f.dir, host: '0.0.0.0', dashboard: false }), /Refusing to listen on 0\.0\.0\.0 without TLS/);
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(tmp, 'key.pem'), '-out', path.join(tmp, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
      const g = await startGateway({ connection: f.person, dir: f.dir, dashboard: false, tls: { certFile: path.join(tmp, 'cert.pem'), keyFile: path.join(tmp, 'key.pem') } });
      try {
        assert.match(g.origin, /^https:\/\/127\.0\.0\.1:/);
        const body = await new Promise<string>((resolve, reject) => {
          const req = httpsRequest({ host: '127.0.0.1', port: g.port, path: '/api/v1/whoami', ca: readFileSync(path.join(tmp, 'cert.pem')), checkServerIdentity: () => undefined, headers: { Authorization: `Bearer ${f.tokens.read}` } }, (res) => {
            let s = '';
            res.on('data', (c: Buffer) => (s += c.toString()));
            res.on('end', () => resolve(s));
          });
          req.on('error', reject);
          req.end();
        });
        assert.equal((JSON.parse(body) as { actor: string }).actor, 'token:viewer');
      } finally {
        await g.close();
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      await f.close();
    }
  });
});
