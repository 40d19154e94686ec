import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DashboardHost } from '../../src/integrations/http/dashboardHost';
import type { Task } from '../../src/core/board/boardModel';
import { HostToClientSchema, toTaskCard, type HostToClient } from '../../src/protocol/dashboard';
import { decodeCards } from '../../webview-ui/src/cards';
import { memoryConnection, type MemoryConnection } from './dashboardServerHelpers';

/** A client of the transport-free host, as the VS Code panel and the server plug theirs in. */
function client(host: DashboardHost) {
  const got: HostToClient[] = [];
  const c = host.attach((m) => {
    assert.ok(HostToClientSchema.safeParse(m).success, JSON.stringify(m).slice(0, 300));
    got.push(m);
  });
  return { c, got };
}
const until = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('DashboardHost (the protocol, transport-free)', () => {
  let conn: MemoryConnection;
  let host: DashboardHost;
  before(async () => {
    conn = await memoryConnection();
    host = new DashboardHost({ open: async () => conn, boardDir: 'b', batchMs: 20 });
  });
  after(() => {
    host.dispose();
    conn.close();
  });

  it('sends nothing before ready, a full state on ready, and one delta per burst', async () => {
    const a = client(host);
    const idle = client(host);
    await conn.call({ type: 'task.add', title: 'before ready' });
    await a.c.receive({ type: 'ready' });
    assert.equal(a.got.length, 1);
    assert.equal(a.got[0]!.type, 'state');
    const before = conn.calls;
    await Promise.all([1, 2, 3, 4, 5].map((n) => conn.call({ type: 'task.add', title: `burst ${n}` })));
    await until(() => a.got.some((m) => m.type === 'delta'));
    await new Promise((r) => setTimeout(r, 60));
    const deltas = a.got.filter((m): m is Extract<HostToClient, { type: 'delta' }> => m.type === 'delta');
    assert.equal(deltas.length, 1, 'a burst of five creations is one delta');
    assert.equal(deltas[0]!.tasks.length, 5);
    assert.equal(deltas[0]!.agents, undefined, 'no agent changed, so no agent list is fetched');
    assert.ok(conn.calls - before <= 5 + 5 + 1, 'one fetch per touched task, not per client');
    assert.equal(idle.got.length, 0, 'a client that never said ready gets nothing');
  });

  it('reads a burst from the board mirror: one batched read for the touched tasks, no list', async () => {
    const a = client(host);
    await a.c.receive({ type: 'ready' });
    await new Promise((r) => setTimeout(r, 60));
    const before = conn.calls;
    await Promise.all([1, 2, 3, 4, 5].map((n) => conn.call({ type: 'task.add', title: `mirrored ${n}` })));
    await until(() => a.got.some((m) => m.type === 'delta' && m.tasks.length === 5));
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(conn.calls - before, 5 + 1, 'the five commands, then one task.get');
  });

  it('a hidden client gets nothing; shown again, it says ready and is re-synced', async () => {
    const a = client(host);
    await a.c.receive({ type: 'ready' });
    a.c.setHidden();
    await conn.call({ type: 'task.add', title: 'while hidden' });
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(a.got.length, 1);
    await a.c.receive({ type: 'ready' });
    const state = a.got[1];
    assert.ok(state?.type === 'state' && decodeCards(state.state.cards).some((t) => t.title === 'while hidden'));
  });

  it('an import of many tasks re-sends the full state instead of a huge delta', async () => {
    const a = client(host);
    await a.c.receive({ type: 'ready' });
    await conn.call({ type: 'board.import', file: { tasks: Array.from({ length: 400 }, (_, i) => ({ title: `imported ${i}` })) } });
    await until(() => a.got.length > 1);
    const m = a.got[1]!;
    assert.equal(m.type, 'state');
    assert.ok(m.type === 'state' && m.state.cards.ids.length >= 400);
  });

  it('serves a reload from what it knows: no board reads, and the same cards a fresh read gives', async () => {
    const a = client(host);
    const hidden = client(host);
    await a.c.receive({ type: 'ready' });
    await hidden.c.receive({ type: 'ready' });
    hidden.c.setHidden();
    // Changes while one client listens (deltas keep the cache current)…
    const agent = (await conn.call({ type: 'agent.register', name: 'cache-check' })) as { id: string };
    const t1 = (await conn.call({ type: 'task.add', title: 'claimed while watched', priority: 'high' })) as Task;
    await conn.call({ type: 'task.claim', taskId: t1.id, agentId: agent.id });
    await until(() => a.got.some((m) => m.type === 'delta' && m.tasks.some((t) => t.id === t1.id && t.status === 'claimed')));
    // …and while nobody does (the cache remembers what to re-read).
    a.c.setHidden();
    const t2 = (await conn.call({ type: 'task.add', title: 'added while hidden' })) as Task;
    await conn.call({ type: 'task.cancel', taskId: t2.id, reason: 'not needed' });
    await new Promise((r) => setTimeout(r, 80));
    const before = conn.calls;
    await hidden.c.receive({ type: 'ready' });
    const fromCache = hidden.got.at(-1);
    assert.ok(fromCache?.type === 'state');
    assert.ok(conn.calls - before <= 3, `a reload re-reads only what changed unseen (${conn.calls - before} calls)`);
    const before2 = conn.calls;
    await a.c.receive({ type: 'ready' });
    assert.equal(conn.calls, before2, 'a second reload reads nothing from the board');
    const fresh = ((await conn.call({ type: 'task.list' })) as Task[]).map(toTaskCard);
    const cached = decodeCards(fromCache.state.cards);
    assert.deepEqual(cached, fresh, 'the cached cards are the board, in the board order');
    assert.ok(fromCache.state.agents.some((x) => x.id === agent.id && x.status === 'busy'));
    assert.equal(fromCache.state.latestSeq, ((await conn.call({ type: 'board.info' })) as { latestSeq: number }).latestSeq);
    assert.ok(fromCache.state.recentEvents.some((e) => e.type === 'task.transitioned' && e.subject === t2.id));
    const seqs = fromCache.state.recentEvents.map((e) => e.seq);
    assert.deepEqual(seqs, [...new Set(seqs)].sort((x, y) => x - y), 'recent events in order, none twice');
  });

  it('a client resuming from before an import gets the full state (the import names no tasks)', async () => {
    const a = client(host);
    await a.c.receive({ type: 'ready' });
    const from = a.got[0]!.type === 'state' ? (a.got[0] as Extract<HostToClient, { type: 'state' }>).state.latestSeq : -1;
    await conn.call({ type: 'board.import', file: { tasks: [{ title: 'imported quietly' }] } });
    await until(() => a.got.length > 1);
    const b = client(host);
    await b.c.receive({ type: 'ready', seq: from });
    const m = b.got[0];
    assert.ok(m?.type === 'state' && decodeCards(m.state.cards).some((t) => t.title === 'imported quietly'));
  });

  it('a request for a missing task is answered with the board error, and the host carries on', async () => {
    const a = client(host);
    await a.c.receive({ type: 'request', requestId: 7, request: { action: 'task.retry', taskId: 'tsk_000000000000' } });
    const r = a.got[0];
    assert.ok(r?.type === 'response' && !r.ok && r.error.code === 'not_found' && r.requestId === 7);
    await a.c.receive({ type: 'request', requestId: 8, request: { action: 'task.create', title: 'still fine' } });
    assert.ok(a.got[1]?.type === 'response' && a.got[1].ok);
  });
});
