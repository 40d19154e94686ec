/**
 * The REST API against a real board over real HTTP: the served /openapi.json passes a real OpenAPI
 * 3.1 validator, and every documented route is called and its answer checked against the schema
 * the document gives for it (statuses, content types, problem details included). Writes made with a
 * token are recorded under the token's name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROUTES } from '../../src/integrations/api/routes';
import { apiFixture, documentValidator, send, type ApiFixture, type Reply } from './apiHelpers';

describe('REST API: the OpenAPI document and every route', () => {
  let f: ApiFixture;
  let doc: Record<string, unknown>;
  let validate: ReturnType<typeof documentValidator>;
  const exercised = new Set<string>();

  /** Calls a documented route and checks the answer against the document. */
  const call = async (method: string, template: string, actual: string, o: Parameters<typeof send>[3] & { expect?: number } = {}): Promise<Reply> => {
    const r = await send(f.port, method, actual, o);
    const op = ((doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)[template] ?? {})[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is documented`);
    const expected = o.expect ?? 200;
    assert.equal(r.status, expected, `${method} ${actual}: ${r.text.slice(0, 400)}`);
    if (r.status < 400) {
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const err = validate(['paths', template, method.toLowerCase(), 'responses', String(r.status), 'content', 'application/json', 'schema'], r.json);
      assert.equal(err, undefined, `${method} ${actual} answer matches its documented schema: ${err}\n${r.text.slice(0, 600)}`);
      exercised.add(`${method.toLowerCase()} ${template}`);
    } else {
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
      const err = validate(['components', 'schemas', 'Problem'], r.json);
      assert.equal(err, undefined, `the problem matches the Problem schema: ${err}`);
    }
    return r;
  };

  before(async () => {
    f = await apiFixture();
    const r = await send(f.port, 'GET', '/openapi.json');
    assert.equal(r.status, 200);
    doc = r.json as Record<string, unknown>;
    validate = documentValidator(doc);
  });
  after(() => f.close());

  it('serves an OpenAPI 3.1 document that a real validator accepts, with every route of the table in it', async () => {
    assert.equal(doc.openapi, '3.1.0');
    // An ES module: imported the way a CommonJS test file can.
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    assert.deepEqual(documented.sort(), ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    // The board command schemas are in it: POST /commands documents every command type.
    const body = JSON.stringify((doc.paths as Record<string, Record<string, { requestBody: unknown }>>)['/api/v1/commands']!.post!.requestBody);
    for (const type of ['task.add', 'proposal.approve', 'token.create', 'mail.send']) assert.ok(body.includes(`"${type}"`), type);
  });

  it('serves a self-contained reference page at /api/docs', async () => {
    const r = await send(f.port, 'GET', '/api/docs');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    for (const route of ROUTES) assert.ok(r.text.includes(route.path.replace(/[{}]/g, (c) => c)), route.path);
    assert.doesNotMatch(r.text, /<script|https?:\/\/(?!dreamos\.dev)[a-z]/i, 'no script, no CDN');
  });

  it('every documented route answers as documented, and writes are audited with the token name', async () => {
    const { operator: ops, read, agent, admin } = f.tokens;
    const health = await call('GET', '/api/v1/health', '/api/v1/health');
    assert.deepEqual([(health.json as { ok: boolean }).ok, (health.json as { role: string }).role], [true, 'hub']);
    const me = await call('GET', '/api/v1/whoami', '/api/v1/whoami', { token: read });
    assert.equal((me.json as { actor: string }).actor, 'token:viewer');

    const origin = `http://127.0.0.1:${f.port}`;
    const session = await call('POST', '/api/v1/session', '/api/v1/session', { body: { token: ops }, headers: { Origin: origin } });
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    assert.match(String(session.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
    const viaCookie = await send(f.port, 'GET', '/api/v1/whoami', { headers: { Cookie: cookie } });
    assert.equal((viaCookie.json as { actor: string }).actor, 'token:ops', 'the cookie acts as its token');
    await call('DELETE', '/api/v1/session', '/api/v1/session', { headers: { Cookie: cookie, Origin: origin } });
    assert.equal((await send(f.port, 'GET', '/api/v1/whoami', { headers: { Cookie: cookie } })).status, 401, 'ended');

    const added = await call('POST', '/api/v1/tasks', '/api/v1/tasks', { token: ops, body: { title: 'Wire the API', tags: ['api'], priority: 'high' }, expect: 201 });
    const task = added.json as { id: string; createdBy: string; status: string };
    assert.equal(task.createdBy, 'token:ops');
    const listed = await call('GET', '/api/v1/tasks', '/api/v1/tasks?status=ready,waiting&tag=api&q=wire', { token: read });
    assert.deepEqual((listed.json as { id: string }[]).map((t) => t.id), [task.id]);
    assert.deepEqual((await call('GET', '/api/v1/tasks', '/api/v1/tasks?q=nothing-like-it', { token: read })).json, []);
    assert.deepEqual(((await call('GET', '/api/v1/tasks', `/api/v1/tasks?q=${encodeURIComponent('tag:ap "wire the" status:ready')}`, { token: read })).json as { id: string }[]).map((t) => t.id), [task.id], "the Tasks tree's search");

    await call('POST', '/api/v1/tasks/{id}/actions/{action}', `/api/v1/tasks/${task.id}/actions/cancel`, { token: ops, body: { reason: 'not now' } });
    const reopened = await call('POST', '/api/v1/tasks/{id}/actions/{action}', `/api/v1/tasks/${task.id}/actions/reopen`, { token: ops, body: { reason: 'now after all' } });
    assert.equal((reopened.json as { status: string }).status, 'ready');
    const notOffered = await call('POST', '/api/v1/tasks/{id}/actions/{action}', `/api/v1/tasks/${task.id}/actions/release`, { token: ops, expect: 409 });
    assert.match((notOffered.json as { detail: string }).detail, /offered: .*cancel/);
    await call('POST', '/api/v1/tasks/{id}/actions/{action}', `/api/v1/tasks/${task.id}/actions/assign`, { token: ops, body: { agentId: 'coder' } });
    const shown = await call('GET', '/api/v1/tasks/{id}', `/api/v1/tasks/${task.id}`, { token: read });
    const history = (shown.json as { history: { to: string; actor: string }[] }).history;
    assert.ok(history.some((h) => h.to === 'cancelled' && h.actor === 'token:ops'), 'the cancel is audited with the token name');
    assert.equal((shown.json as { task: { assignee: string } }).task.assignee, f.agentId);
    await call('GET', '/api/v1/tasks/{id}', '/api/v1/tasks/tsk_000000000000', { token: read, expect: 404 });

    const agents = await call('GET', '/api/v1/agents', '/api/v1/agents', { token: read });
    assert.deepEqual((agents.json as { name: string }[]).map((a) => a.name).sort(), ['coder', 'helper']);

    const asked = await call('POST', '/api/v1/mail', '/api/v1/mail', { token: agent, body: { to: { kind: 'human' }, subject: 'Which DB?', body: 'sqlite or postgres?', requiresAck: true }, expect: 201 });
    const question = asked.json as { id: string; from: string };
    assert.equal(question.from, f.agentId, 'an agent token writes as its agent');
    const needsYou = await call('GET', '/api/v1/mail', '/api/v1/mail?unacked=true', { token: ops });
    assert.deepEqual((needsYou.json as { id: string }[]).map((m) => m.id), [question.id]);
    await call('POST', '/api/v1/mail', '/api/v1/mail', { token: ops, body: { to: { kind: 'agent', id: f.agentId }, subject: 'Re: Which DB?', body: 'sqlite', replyTo: question.id }, expect: 201 });
    const agentBox = await call('GET', '/api/v1/mail', '/api/v1/mail', { token: agent });
    assert.deepEqual((agentBox.json as { subject: string }[]).map((m) => m.subject), ['Re: Which DB?'], "the agent reads its own inbox, not the person's");
    await call('POST', '/api/v1/mail/{id}/ack', `/api/v1/mail/${question.id}/ack`, { token: ops });
    assert.deepEqual((await send(f.port, 'GET', '/api/v1/mail?unacked=true', { token: ops })).json, []);

    const file = { path: 'notes/hello.txt', op: 'create', baseHash: null, content: 'hello\n', added: 1, removed: 0 };
    const submit = (title: string) => call('POST', '/api/v1/commands', '/api/v1/commands', { token: agent, body: { type: 'proposal.submit', title, rationale: 'say hello', agentId: 'coder', files: [file] } });
    const p1 = (await submit('Hello file')).json as { id: string };
    const p2 = (await submit('Another hello')).json as { id: string };
    const proposals = await call('GET', '/api/v1/proposals', '/api/v1/proposals?status=pending', { token: read });
    assert.deepEqual((proposals.json as { id: string }[]).map((p) => p.id).sort(), [p1.id, p2.id].sort());
    const detail = await call('GET', '/api/v1/proposals/{id}', `/api/v1/proposals/${p1.id}`, { token: read });
    assert.match((detail.json as { diff: string }).diff, /\+\+\+ b\/notes\/hello\.txt[\s\S]*\+hello/);
    const approved = await call('POST', '/api/v1/proposals/{id}/approve', `/api/v1/proposals/${p1.id}/approve`, { token: ops, body: { override: true } });
    assert.equal((approved.json as { status: string }).status, 'approved');
    const rejected = await call('POST', '/api/v1/proposals/{id}/reject', `/api/v1/proposals/${p2.id}/reject`, { token: ops, body: { reason: 'one hello is enough' } });
    assert.equal((rejected.json as { status: string }).status, 'rejected');
    assert.ok((rejected.json as { audit: { actor: string }[] }).audit.some((a) => a.actor === 'token:ops'), 'the rejection is audited with the token name');

    const events = await call('GET', '/api/v1/events', '/api/v1/events?after=0&limit=500', { token: read });
    const evs = events.json as { seq: number; type: string; actor: string }[];
    assert.ok(evs.some((e) => e.type === 'task.created' && e.actor === 'token:ops'), 'events name the token');
    assert.deepEqual(evs.map((e) => e.seq), [...evs.map((e) => e.seq)].sort((a, b) => a - b));

    const info = await call('POST', '/api/v1/commands', '/api/v1/commands', { token: admin, body: { type: 'board.info' } });
    assert.equal(typeof (info.json as { tasks: number }).tasks, 'number');
    await call('POST', '/api/v1/commands', '/api/v1/commands', { token: admin, body: { type: 'no.such.command' }, expect: 400 });

    const missing = ROUTES.map((r) => `${r.method} ${r.path}`).filter((k) => !exercised.has(k));
    assert.deepEqual(missing, [], 'every documented route was exercised');
  });
});
