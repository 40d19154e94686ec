import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { Task } from '../../src/core/board/boardModel';
import { startDashboardServer, type DashboardServer } from '../../src/integrations/http/dashboardServer';
import { HostToClientSchema, type HostToClient, type TaskCard, type TaskDetails } from '../../src/protocol/dashboard';
import { decodeCards } from '../../webview-ui/src/cards';
import { memoryConnection, type MemoryConnection } from './dashboardServerHelpers';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
function get(port: number, pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: pathname, method, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket client that records every message and checks it against the host schema. */
class Client {
  readonly messages: HostToClient[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as unknown;
      const parsed = HostToClientSchema.safeParse(m);
      assert.ok(parsed.success, `the host sent a message outside the protocol: ${String(data).slice(0, 300)}`);
      this.messages.push(m as HostToClient);
      this.waiters.splice(0).forEach((w) => w());
    });
  }
  async next<T extends HostToClient>(match: (m: HostToClient) => m is T, timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex(match);
      if (i >= 0) return this.messages.splice(i, 1)[0] as T;
      if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(this.messages).slice(0, 500)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  send(m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }
  response(id: number) {
    return this.next((m): m is Extract<HostToClient, { type: 'response' }> => m.type === 'response' && m.requestId === id);
  }
}

function upgrade(port: number, headers: Record<string, string>): Promise<{ client?: Client; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
    ws.on('open', () => resolve({ client: new Client(ws) }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode! });
      ws.terminate();
    });
    ws.on('error', () => undefined);
  });
}

const isState = (m: HostToClient): m is Extract<HostToClient, { type: 'state' }> => m.type === 'state';
const isDelta = (m: HostToClient): m is Extract<HostToClient, { type: 'delta' }> => m.type === 'delta';
const isError = (m: HostToClient): m is Extract<HostToClient, { type: 'error' }> => m.type === 'error';

describe('dashboard server (real HTTP, real WebSocket, real board)', () => {
  let conn: MemoryConnection;
  let server: DashboardServer;
  let assets: string;
  let cookie: string;
  let origin: string;

  before(async () => {
    assets = mkdtempSync(path.join(os.tmpdir(), 'dreamos-dash-assets-'));
    writeFileSync(path.join(assets, 'dashboard.js'), '/* ui */');
    writeFileSync(path.join(assets, 'dashboard.css'), '/* css */');
    conn = await memoryConnection();
    await conn.call({ type: 'task.add', title: 'Already on the board' });
    server = await startDashboardServer({ connection: conn, assetsDir: assets, boardDir: '/work/.dreamos' });
    origin = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close();
    conn.close();
    rmSync(assets, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 and hands out a one-time link', () => {
    assert.match(server.url, new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[\\w-]{40,}$`));
  });

  it('exchanges the token once for an HttpOnly SameSite=Strict cookie and redirects to /', async () => {
    const token = new URL(server.url).searchParams.get('token')!;
    const first = await get(server.port, `/?token=${token}`);
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/');
    const setCookie = String(first.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.ok(!setCookie.includes(token), 'the cookie is a fresh session secret, not the token');
    cookie = setCookie.split(';')[0]!;

    const again = await get(server.port, `/?token=${token}`);
    assert.equal(again.status, 401, 'the link works once');

    const page = await get(server.port, '/', { Cookie: cookie });
    assert.equal(page.status, 200);
    assert.match(page.body, /<script src="\/assets\/dashboard\.js"><\/script>/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${server.port}`));
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');

    const js = await get(server.port, '/assets/dashboard.js', { Cookie: cookie });
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
  });

  it('refuses a wrong or missing token, and pages and assets without the cookie', async () => {
    assert.equal((await get(server.port, '/?token=guess')).status, 401);
    assert.equal((await get(server.port, '/')).status, 401);
    assert.equal((await get(server.port, '/assets/dashboard.js')).status, 401);
    assert.equal((await get(server.port, '/', { Cookie: `dreamos_dashboard_${server.port}=forged` })).status, 401);
    assert.equal((await get(server.port, '/../../etc/passwd', { Cookie: cookie })).status, 404);
    assert.equal((await get(server.port, '/', { Cookie: cookie }, 'POST')).status, 405);
  });

  it('answers 403 to a Host that is not this server (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, '127.0.0.1', `[::1]:${server.port}`]) {
      const r = await get(server.port, '/', { Host: host, Cookie: cookie });
      assert.equal(r.status, 403, host);
    }
    const local = await get(server.port, '/', { Host: `localhost:${server.port}`, Cookie: cookie });
    assert.equal(local.status, 200, 'localhost on the same port is fine');
  });

  it('refuses WebSocket upgrades from another origin, without the cookie, or for another host', async () => {
    assert.equal((await upgrade(server.port, { Cookie: cookie, Origin: 'http://evil.example' })).status, 403);
    assert.equal((await upgrade(server.port, { Cookie: cookie, Origin: `http://127.0.0.1:${server.port + 1}` })).status, 403);
    assert.equal((await upgrade(server.port, { Cookie: cookie })).status, 403, 'no Origin at all');
    assert.equal((await upgrade(server.port, { Origin: origin })).status, 401);
    assert.equal((await upgrade(server.port, { Cookie: cookie, Origin: 'http://evil.example', Host: 'evil.example' })).status, 403);
  });

  it('speaks the protocol: ready → state, bad messages → error replies, never a crash', async () => {
    const { client } = await upgrade(server.port, { Cookie: cookie, Origin: origin });
    assert.ok(client);
    client.send({ type: 'ready' });
    const state = await client.next(isState);
    assert.equal(state.state.boardDir, '/work/.dreamos');
    assert.equal(state.state.role, 'hub');
    assert.ok(decodeCards(state.state.cards).some((t) => t.title === 'Already on the board'));
    assert.ok(state.state.recentEvents.length >= 1);

    client.send('this is not json');
    assert.match((await client.next(isError)).error.message, /not JSON/);
    client.send({ type: 'request', requestId: 41, request: { action: 'board.drop' } });
    const r41 = await client.response(41);
    assert.equal(r41.ok, false);
    assert.ok(!r41.ok && /Invalid dashboard message/.test(r41.error.message));
    client.send({ type: 'request', requestId: 42, request: { action: 'task.show', taskId: 'tsk_000000000000' } });
    const r42 = await client.response(42);
    assert.ok(!r42.ok && r42.error.code === 'not_found', 'a board error comes back as a response, with its code');
    client.ws.send(Buffer.from([0xff, 0x00]), { binary: true });
    await client.next(isError);

    client.send({ type: 'request', requestId: 43, request: { action: 'task.create', title: 'From the socket', priority: 'high' } });
    const r43 = await client.response(43);
    assert.ok(r43.ok);
    const created = r43.result as TaskCard;
    assert.equal(created.title, 'From the socket');
    assert.equal(created.priority, 2);
    client.ws.close();
  });

  it('serves the first state over HTTP to a signed-in page, and the socket resumes from it', async () => {
    const page = await get(server.port, '/', { Cookie: cookie });
    assert.match(page.body, /<link rel="preload" href="\/state" as="fetch" crossorigin>/, 'the page fetches its state while its script loads');
    assert.equal((await get(server.port, '/state')).status, 401, 'not without the cookie');
    assert.equal((await get(server.port, '/state', { Cookie: cookie, Host: 'evil.example' })).status, 403);
    const r = await get(server.port, '/state', { Cookie: cookie });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.equal(r.headers['cache-control'], 'no-store');
    const first = JSON.parse(r.body) as unknown;
    assert.ok(HostToClientSchema.safeParse(first).success);
    assert.ok(isState(first as HostToClient));
    const { state } = first as Extract<HostToClient, { type: 'state' }>;
    assert.ok(decodeCards(state.cards).some((t) => t.title === 'Already on the board'));

    // Nothing happened since: the socket's answer to `ready` is an empty delta, not the state again.
    const a = (await upgrade(server.port, { Cookie: cookie, Origin: origin })).client!;
    a.send({ type: 'ready', protocol: 3, seq: state.latestSeq });
    const none = await a.next(isDelta);
    assert.deepEqual(none.events, []);
    assert.equal(none.latestSeq, state.latestSeq);

    // Something happened: a page that says where it was gets exactly what it missed.
    const task = (await conn.call({ type: 'task.add', title: 'Added while the page loaded' })) as Task;
    await a.next((m): m is Extract<HostToClient, { type: 'delta' }> => isDelta(m) && m.tasks.some((t) => t.id === task.id));
    const b = (await upgrade(server.port, { Cookie: cookie, Origin: origin })).client!;
    b.send({ type: 'ready', seq: state.latestSeq });
    const missed = await b.next(isDelta);
    assert.ok(missed.events.length >= 1 && missed.events.every((e) => e.seq > state.latestSeq));
    assert.ok(missed.events.some((e) => e.type === 'task.created' && e.subject === task.id));
    assert.ok(missed.tasks.some((t) => t.title === 'Added while the page loaded'));
    assert.deepEqual(new Set(missed.tasks.map((t) => t.id)), new Set(missed.events.filter((e) => e.type.startsWith('task.')).map((e) => e.subject)), 'the cards of the tasks those events touched');
    assert.equal(b.messages.filter(isState).length, 0);

    // A seq the host cannot account for (another board, a reset): the full state.
    const c = (await upgrade(server.port, { Cookie: cookie, Origin: origin })).client!;
    c.send({ type: 'ready', seq: 1e9 });
    assert.ok(decodeCards((await c.next(isState)).state.cards).some((t) => t.id === task.id));
    for (const x of [a, b, c]) x.ws.close();
  });

  it('streams a task created through the connection to the socket as an event with its card', async () => {
    const { client } = await upgrade(server.port, { Cookie: cookie, Origin: origin });
    assert.ok(client);
    client.send({ type: 'ready' });
    const { state } = await client.next(isState);
    const task = (await conn.call({ type: 'task.add', title: 'Made by an agent', priority: 'critical' })) as Task;
    const delta = await client.next((m): m is Extract<HostToClient, { type: 'delta' }> => isDelta(m) && m.tasks.some((t) => t.id === task.id));
    assert.ok(delta.events.some((e) => e.type === 'task.created' && e.subject === task.id));
    assert.ok(delta.events.every((e) => e.seq > state.latestSeq), 'nothing the state already had is sent again');
    assert.equal(delta.latestSeq, Math.max(...delta.events.map((e) => e.seq)));

    // Details come by request, and never carry the lease token.
    const agent = (await conn.call({ type: 'agent.register', name: 'claude-1' })) as { id: string };
    const claim = (await conn.call({ type: 'task.claim', taskId: task.id, agentId: agent.id })) as { lease: { token: number } };
    const moved = await client.next((m): m is Extract<HostToClient, { type: 'delta' }> => isDelta(m) && m.tasks.some((t) => t.id === task.id && t.status === 'claimed'));
    assert.ok(moved.agents?.some((a) => a.id === agent.id && a.status === 'busy'), 'agent cards follow their task');
    client.send({ type: 'request', requestId: 1, request: { action: 'task.show', taskId: task.id } });
    const shown = await client.response(1);
    assert.ok(shown.ok);
    const details = shown.result as TaskDetails;
    assert.equal(details.task.id, task.id);
    assert.deepEqual(details.task.lease, { expiresAt: details.task.lease!.expiresAt });
    assert.ok(!JSON.stringify(details).includes(`"token":${claim.lease.token}`));
    assert.deepEqual(details.history.map((h) => h.to), ['ready', 'claimed']);

    client.send({ type: 'request', requestId: 2, request: { action: 'task.cancel', taskId: task.id } });
    assert.ok((await client.response(2)).ok);
    await client.next((m): m is Extract<HostToClient, { type: 'delta' }> => isDelta(m) && m.tasks.some((t) => t.id === task.id && t.status === 'cancelled'));
    client.ws.close();
  });

  it('survives an oversized message: that socket is closed, the server keeps serving', async () => {
    const { client } = await upgrade(server.port, { Cookie: cookie, Origin: origin });
    assert.ok(client);
    const closed = new Promise<number>((resolve) => client.ws.on('close', (code) => resolve(code)));
    client.send('x'.repeat(200 * 1024));
    assert.equal(await closed, 1009);
    const again = await upgrade(server.port, { Cookie: cookie, Origin: origin });
    assert.ok(again.client);
    again.client.send({ type: 'ready' });
    await again.client.next(isState);
    again.client.ws.close();
  });

  it('mints further one-time links', async () => {
    const link = new URL(server.loginUrl());
    assert.equal((await get(server.port, `/${link.search}`)).status, 303);
    assert.equal((await get(server.port, `/${link.search}`)).status, 401);
  });
});
