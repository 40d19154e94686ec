/**
 * Fuzzed requests against every route of the real API: random and malformed JSON, wrong types,
 * mutated valid bodies, hostile ids and queries, bodies past the size limit, wrong content types.
 * The server must answer every one with a status below 500 (the board is up) and a problem+json
 * body for each refusal, and still answer afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROUTES } from '../../src/integrations/api/routes';
import { apiFixture, send, type ApiFixture } from './apiHelpers';

/** A small seeded PRNG (mulberry32): a failure names its seed and can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ['', ' ', 'a', 'tsk_000000000000', 'prp_000000000000', 'msg_zzzzzzzzzzzz', '../../etc/passwd', '%00', '\u0000', '☃'.repeat(50), 'x'.repeat(5_000), '{"type":"board.info"}', 'null', '<script>', 'ready,failed', 'true', '-1', '1e309', '__proto__', 'constructor'];
const TYPES = ['task.add', 'task.list', 'proposal.approve', 'token.create', 'board.import', 'mail.send', 'no.such', '', 'events.since'];

function fuzzer(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const value = (depth = 0): unknown => {
    switch (Math.floor(r() * (depth > 3 ? 6 : 9))) {
      case 0:
        return null;
      case 1:
        return r() < 0.5;
      case 2:
        return pick([0, -1, 1.5, 2 ** 53, -(2 ** 60), 1e308, 42]);
      case 3:
      case 4:
        return pick(STRINGS);
      case 5:
        return pick(TYPES);
      case 6:
        return Array.from({ length: Math.floor(r() * 4) }, () => value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = Math.floor(r() * 5); i > 0; i--) o[pick(['type', 'title', 'reason', 'to', 'files', 'taskId', 'token', 'agentId', 'status', 'override', 'subject', 'from', pick(STRINGS)])] = value(depth + 1);
        return o;
      }
    }
  };
  const segment = () => encodeURIComponent(pick([...STRINGS, 'tsk_0123456789ab', 'prp_0123456789ab', 'cancel', 'assign', 'retry', 'fly']));
  const query = () =>
    Array.from({ length: Math.floor(r() * 3) }, () => `${encodeURIComponent(pick(['status', 'after', 'limit', 'q', 'tag', 'owner', 'unacked', 'all', 'x']))}=${encodeURIComponent(pick(STRINGS))}`).join('&');
  return { r, pick, value, segment, query };
}

describe('REST API: fuzzed requests per route', () => {
  let f: ApiFixture;
  let taskId: string;
  let proposalId: string;
  before(async () => {
    f = await apiFixture({ maxBodyBytes: 64 * 1024, rateLimits: { perAddress: { points: 1e6, seconds: 1 }, perToken: { points: 1e6, seconds: 1 } } });
    taskId = (await f.person.call({ type: 'task.add', title: 'Fuzz target' })).id;
    proposalId = (await f.person.call({ type: 'proposal.submit', title: 'Fuzz', rationale: 'f', files: [{ path: 'f.txt', op: 'create', baseHash: null, content: 'f', added: 1, removed: 0 }] })).id;
  });
  after(() => f.close());

  it('answers every fuzzed request below 500, refusals as problem+json, and keeps serving', async () => {
    const seed = Number(process.env.DREAMOS_FUZZ_SEED ?? 16);
    const z = fuzzer(seed);
    const tokens = [f.tokens.admin, f.tokens.operator, f.tokens.read, f.tokens.agent, undefined];
    let count = 0;
    const statuses = new Map<number, number>();
    for (const route of ROUTES) {
      for (let i = 0; i < 40; i++) {
        // Real ids most of the time so requests get past the path checks into the board.
        const p = route.path.replace('{id}', () => (z.r() < 0.5 ? (route.path.includes('proposals') ? proposalId : taskId) : z.segment())).replace('{action}', () => z.segment());
        const q = z.query();
        const kind = Math.floor(z.r() * 6);
        const rawBody =
          kind === 0 ? JSON.stringify(z.value()) : kind === 1 ? pick(['{', '{"type":', '[1,2', 'nul', '\u0000\u0001', '{"a":1}}', '"unterminated']) : kind === 2 ? 'x'.repeat(70 * 1024) : kind === 3 ? JSON.stringify({ type: z.pick(TYPES), ...(z.value() as object) }) : undefined;
        function pick(xs: string[]) {
          return z.pick(xs);
        }
        const headers: Record<string, string> = kind === 4 ? { 'Content-Type': z.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) } : {};
        const method = z.r() < 0.9 ? route.method.toUpperCase() : z.pick(['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'GET']);
        const res = await send(f.port, method, `${p}${q ? `?${q}` : ''}`, { token: z.pick(tokens), ...(rawBody !== undefined ? { rawBody } : {}), headers: { ...(rawBody !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers } });
        count++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(res.status < 500, `seed ${seed}: ${method} ${p}?${q} body ${String(rawBody).slice(0, 200)} → ${res.status} ${res.text.slice(0, 300)}`);
        if (res.status >= 400) assert.match(String(res.headers["content-type"]), /^application\/problem\+json/, `${method} ${p}?${q} ${JSON.stringify(headers)} body ${String(rawBody).slice(0, 100)} → ${res.status} is a problem`);
      }
    }
    assert.equal(count, ROUTES.length * 40);
    assert.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(413) ?? 0) > 0, `refusals of several kinds: ${[...statuses].join(' ')}`);
    assert.equal((await send(f.port, 'GET', '/api/v1/health')).status, 200, 'still serving');
  });

  it('refuses a body past the limit with 413 before reading it all, and garbage in the request line with 400', async () => {
    const big = await send(f.port, 'POST', '/api/v1/tasks', { token: f.tokens.operator, rawBody: JSON.stringify({ title: 'x', description: 'y'.repeat(200 * 1024) }) });
    assert.equal(big.status, 413);
    assert.equal((big.json as { code: string }).code, 'too_large');
    for (const bad of ['/api/v1/tasks/%E0%A4%A', '/api/v1/tasks?status=%ZZ', '/api/v1//tasks', '/api/v1/tasks/' + 'a'.repeat(10_000)]) {
      const r = await send(f.port, 'GET', bad, { token: f.tokens.read });
      assert.ok(r.status >= 400 && r.status < 500, `${bad.slice(0, 60)} → ${r.status} ${r.text.slice(0, 200)}`);
    }
  });
});
