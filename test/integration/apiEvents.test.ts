/**
 * GET /api/v1/events as Server-Sent Events over real HTTP: live events arrive as they are
 * committed, each with its seq as the SSE id, and a client that reconnects with Last-Event-ID gets
 * exactly the events after it — none missed, none twice.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { apiFixture, send, type ApiFixture } from './apiHelpers';

interface SseMessage {
  id: string;
  event: string;
  data: { seq: number; type: string; actor: string; subject: string };
}

/** An EventSource-like reader: messages as they come, and a way to wait for some. */
function openStream(port: number, token: string, o: { after?: number; lastEventId?: string } = {}) {
  const messages: SseMessage[] = [];
  const waiters: (() => void)[] = [];
  let status = 0;
  let contentType = '';
  let req!: ClientRequest;
  let ended!: () => void;
  const endedP = new Promise<void>((r) => (ended = r));
  const opened = new Promise<void>((resolve, reject) => {
    req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: `/api/v1/events${o.after !== undefined ? `?after=${o.after}` : ''}`,
        headers: { Host: `127.0.0.1:${port}`, Accept: 'text/event-stream', Authorization: `Bearer ${token}`, ...(o.lastEventId ? { 'Last-Event-ID': o.lastEventId } : {}) },
      },
      (res) => {
        status = res.statusCode ?? 0;
        contentType = String(res.headers['content-type']);
        let buf = '';
        res.setEncoding('utf8');
        res.on('end', () => ended());
        res.on('close', () => ended());
        res.on('data', (chunk: string) => {
          buf += chunk;
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const fields: Record<string, string> = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':') || !line.includes(':')) continue;
              const k = line.slice(0, line.indexOf(':'));
              fields[k] = (fields[k] ? `${fields[k]}\n` : '') + line.slice(line.indexOf(':') + 1).replace(/^ /, '');
            }
            if (fields.data !== undefined) messages.push({ id: fields.id ?? '', event: fields.event ?? 'message', data: JSON.parse(fields.data) as SseMessage['data'] });
            for (const w of waiters.splice(0)) w();
          }
        });
        resolve();
      },
    );
    req.on('error', reject);
    req.end();
  });
  return {
    messages,
    opened,
    ended: endedP,
    get status() {
      return status;
    },
    get contentType() {
      return contentType;
    },
    async until(pred: (m: SseMessage[]) => boolean, what: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!pred(messages)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${messages.map((m) => `${m.id}:${m.event}`).join(' ')}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
    close: () => req.destroy(),
  };
}

describe('REST API: the event stream (SSE) resumes from Last-Event-ID', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture({ ssePingMs: 200 });
  });
  after(() => f.close());

  it('streams committed events with their seq as id, and resumes exactly after the last one seen', async () => {
    const add = (title: string) => send(f.port, 'POST', '/api/v1/tasks', { token: f.tokens.operator, body: { title } });
    const start = (await send(f.port, 'GET', '/api/v1/health')).json as { seq: number };
    const a = openStream(f.port, f.tokens.read, { after: start.seq });
    await a.opened;
    assert.equal(a.status, 200);
    assert.match(a.contentType, /^text\/event-stream/);
    for (const t of ['one', 'two', 'three']) assert.equal((await add(t)).status, 201);
    await a.until((m) => m.filter((x) => x.event === 'task.created').length === 3, 'three task.created');
    for (const m of a.messages) {
      assert.equal(m.id, String(m.data.seq), 'the SSE id is the seq');
      assert.equal(m.event, m.data.type);
      assert.ok(m.data.seq > start.seq);
    }
    const created = a.messages.filter((x) => x.event === 'task.created');
    assert.ok(created.every((m) => m.data.actor === 'token:ops'), 'each write is recorded under the token name');
    const seen = a.messages.at(-1)!.id;
    a.close();

    for (const t of ['four', 'five']) assert.equal((await add(t)).status, 201);
    // after=0 in the query: Last-Event-ID, what a reconnecting EventSource sends, wins.
    const b = openStream(f.port, f.tokens.read, { after: 0, lastEventId: seen });
    await b.opened;
    await b.until((m) => m.filter((x) => x.event === 'task.created').length === 2, 'the two tasks added while away');
    const all = (await send(f.port, 'GET', `/api/v1/events?after=${seen}`, { token: f.tokens.read })).json as { seq: number }[];
    assert.deepEqual(
      b.messages.map((m) => m.data.seq),
      all.map((e) => e.seq),
      'exactly the events after Last-Event-ID, in order, none missed, none twice',
    );
    assert.deepEqual(b.messages.filter((x) => x.event === 'task.created').map((m) => m.data.subject).length, 2);
    b.close();
  });

  it('needs a token, and keeps an idle stream open with comments', async () => {
    const none = await send(f.port, 'GET', '/api/v1/events', { headers: { Accept: 'text/event-stream' } });
    assert.equal(none.status, 401);
    const c = openStream(f.port, f.tokens.agent);
    await c.opened;
    assert.equal(c.status, 200);
    await new Promise((r) => setTimeout(r, 500));
    await send(f.port, 'POST', '/api/v1/tasks', { token: f.tokens.operator, body: { title: 'after a quiet spell' } });
    await c.until((m) => m.some((x) => x.event === 'task.created' && x.data.actor === 'token:ops'), 'the event after pings');
    c.close();
  });

  it('ends the stream of a token that is revoked while it listens', async () => {
    const { token } = await f.person.call({ type: 'token.create', name: 'listener', scope: 'read' });
    const d = openStream(f.port, token);
    await d.opened;
    assert.equal(d.status, 200);
    await f.person.call({ type: 'token.revoke', token: 'listener' });
    await d.ended;
    assert.equal((await send(f.port, 'GET', '/api/v1/events', { token })).status, 401);
  });
});
