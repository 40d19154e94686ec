/**
 * Who may move a task an agent holds, over the hub's real socket: an operator token acts for the
 * person (finish by hand, release, block — no lease token, no evidence needed, recorded under its
 * name); an agent's credential reports only on its own agent's lease, even holding another's token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DreamError } from '../../src/core/errors';
import { connectBoard, type BoardClient } from '../../src/core/hub/connect';

describe('ownership of a held task, by credential', () => {
  let dir: string;
  let person: BoardClient;
  const open: BoardClient[] = [];
  const as = async (token: string) => {
    const c = await connectBoard({ dir, client: 'ownership-test', hubMode: 'never', credential: token });
    open.push(c);
    return c;
  };
  before(async () => {
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'dreamos-ownership-')), '.dreamos');
    person = await connectBoard({ dir, client: 'person', hubMode: 'in-process', actor: 'human:test' });
    await person.call({ type: 'agent.register', name: 'coder' });
    await person.call({ type: 'agent.register', name: 'other' });
  });
  after(async () => {
    for (const c of open) await c.close();
    await person.close();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('an operator token finishes, blocks and releases a task an agent holds, as the person would', async () => {
    const ops = await as((await person.call({ type: 'token.create', name: 'ops', scope: 'operator' })).token);
    const a = await person.call({ type: 'task.add', title: 'Done by hand' });
    await person.call({ type: 'task.claim', taskId: a.id, agentId: 'coder' });
    const done = await ops.call({ type: 'task.done', taskId: a.id, summary: 'finished it myself' });
    assert.equal(done.status, 'done');
    const b = await person.call({ type: 'task.add', title: 'Blocked then released' });
    await person.call({ type: 'task.claim', taskId: b.id, agentId: 'coder' });
    assert.equal((await ops.call({ type: 'task.block', taskId: b.id, reason: 'waiting for the API key' })).status, 'blocked');
    const c = await person.call({ type: 'task.add', title: 'Released' });
    await person.call({ type: 'task.claim', taskId: c.id, agentId: 'coder' });
    assert.equal((await ops.call({ type: 'task.release', taskId: c.id, reason: 'someone else' })).status, 'ready');
    const history = (await person.call({ type: 'task.show', taskId: a.id })).history;
    assert.equal(history.at(-1)?.actor, 'token:ops', 'audited under the token’s name');
  });

  it('a read token still cannot, and an agent cannot report on another agent’s lease even with its token', async () => {
    const viewer = await as((await person.call({ type: 'token.create', name: 'viewer', scope: 'read' })).token);
    const t = await person.call({ type: 'task.add', title: 'Held by coder' });
    const claim = await person.call({ type: 'task.claim', taskId: t.id, agentId: 'coder' });
    await assert.rejects(viewer.call({ type: 'task.done', taskId: t.id, summary: 'no' }), (e: unknown) => (e as DreamError).code === 'unauthorized');
    const other = await as((await person.call({ type: 'credential.issue', agent: 'other' })).token);
    // The lease token is on show to readers; holding it is not enough.
    const seen = (await other.call({ type: 'task.show', taskId: t.id })).task.lease!.token;
    assert.equal(seen, claim.lease!.token);
    await assert.rejects(
      other.call({ type: 'task.fail', taskId: t.id, token: seen, reason: 'sabotage' }),
      (e: unknown) => e instanceof DreamError && e.code === 'unauthorized' && /held by another agent/.test(e.message),
    );
    assert.equal((await person.call({ type: 'task.show', taskId: t.id })).task.status, 'claimed', 'nothing changed');
    // Its own agent's credential, with the lease token, still reports.
    const coder = await as((await person.call({ type: 'credential.issue', agent: 'coder', taskId: t.id })).token);
    assert.equal((await coder.call({ type: 'task.fail', taskId: t.id, token: seen, reason: 'tests red' })).status, 'failed');
  });
});
