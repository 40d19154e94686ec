import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DashboardHost } from '../../src/integrations/http/dashboardHost';
import { HostToClientSchema, type HostToClient } from '../../src/protocol/dashboard';
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

  it('a hidden client gets nothing; shown again, it says ready and is re-synced', async () => {
    const a = client(host);
    await a.c.receive({ type: 'ready' });
    a.c.setHidden();
    await conn.call({ type: 'task.add', title: 'while hidden' });
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(a.got.length, 1);
    await a.c.receive({ type: 'ready' });
    const state = a.got[1];
    assert.ok(state?.type === 'state' && state.state.tasks.some((t) => t.title === 'while hidden'));
  });

  it('an import of many tasks re-sends the full state instead of a huge delta', async () => {
    const a = client(host);
    await a.c.receive({ type: 'ready' });
    await conn.call({ type: 'board.import', file: { tasks: Array.from({ length: 400 }, (_, i) => ({ title: `imported ${i}` })) } });
    await until(() => a.got.length > 1);
    const m = a.got[1]!;
    assert.equal(m.type, 'state');
    assert.ok(m.type === 'state' && m.state.tasks.length >= 400);
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
