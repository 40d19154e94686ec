/**
 * Named tokens with scopes, over the hub's real socket: a read token only reads, an operator acts
 * for the person on the board's work but cannot mint tokens, an agent token is its agent, and a
 * revoked token is refused at once. Writes are recorded under the token's name.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectBoard, type BoardClient } from '../../src/core/hub/connect';
import { DreamError } from '../../src/core/errors';

const refused = async (p: Promise<unknown>, re: RegExp) => {
  await assert.rejects(p, (e: unknown) => e instanceof DreamError && e.code === 'unauthorized' && re.test(e.message));
};

describe('named tokens with scopes', () => {
  let dir: string;
  let person: BoardClient;
  const open: BoardClient[] = [];
  const as = async (token: string) => {
    const c = await connectBoard({ dir, client: 'token-test', hubMode: 'never', credential: token });
    open.push(c);
    return c;
  };
  before(async () => {
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'dreamos-tokens-')), '.dreamos');
    person = await connectBoard({ dir, client: 'person', hubMode: 'in-process', actor: 'human:test' });
    await person.call({ type: 'agent.register', name: 'coder' });
  });
  after(async () => {
    for (const c of open) await c.close();
    await person.close();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('is shown once, kept as a hash, listed by name and scope', async () => {
    const t = await person.call({ type: 'token.create', name: 'phone', scope: 'operator' });
    assert.match(t.token, /^dost_[\w-]{43}$/);
    const listed = await person.call({ type: 'token.list' });
    assert.deepEqual(listed.map((x) => [x.name, x.scope]), [['phone', 'operator']]);
    assert.equal(JSON.stringify(listed).includes(t.token), false);
    await assert.rejects(person.call({ type: 'token.create', name: 'phone', scope: 'read' }), (e: unknown) => (e as DreamError).code === 'conflict');
    await assert.rejects(person.call({ type: 'token.create', name: 'x', scope: 'agent' }), (e: unknown) => (e as DreamError).code === 'invalid_input' && /agent/.test((e as Error).message));
  });

  it('a read token reads and is refused every write', async () => {
    const { token } = await person.call({ type: 'token.create', name: 'viewer', scope: 'read' });
    const c = await as(token);
    assert.equal(typeof (await c.call({ type: 'board.info' })).tasks, 'number');
    assert.deepEqual(await c.call({ type: 'credential.whoami' }), { kind: 'token', scope: 'read', name: 'viewer', agentId: null, taskId: null, actor: 'token:viewer' });
    await refused(c.call({ type: 'task.add', title: 'sneaky' }), /read token/);
    await refused(c.call({ type: 'token.list' }), /admin token/);
  });

  it('an operator works for the person, recorded under its name, but cannot mint tokens', async () => {
    const { token } = await person.call({ type: 'token.create', name: 'ops', scope: 'operator' });
    const c = await as(token);
    const task = await c.call({ type: 'task.add', title: 'From the API' }, { actor: 'human' });
    const shown = await person.call({ type: 'task.show', taskId: task.id });
    assert.equal(shown.task.createdBy, 'token:ops');
    await refused(c.call({ type: 'token.create', name: 'more', scope: 'admin' }), /admin token/);
    await refused(c.call({ type: 'board.config.set', values: {} }), /admin token/);
  });

  it('an agent token is its agent only', async () => {
    const { token } = await person.call({ type: 'token.create', name: 'coder-mcp', scope: 'agent', agent: 'coder' });
    const c = await as(token);
    const me = await c.call({ type: 'credential.whoami' });
    assert.equal(me.kind, 'agent');
    await refused(c.call({ type: 'task.retry', taskId: 'tsk_000000000000' }), /person's credential/);
  });

  it('an admin token may mint tokens; a revoked token is refused at once', async () => {
    const { token } = await person.call({ type: 'token.create', name: 'root', scope: 'admin' });
    const c = await as(token);
    const minted = await c.call({ type: 'token.create', name: 'minted', scope: 'read' });
    const m = await as(minted.token);
    await m.call({ type: 'board.info' });
    await c.call({ type: 'token.revoke', token: 'minted' });
    await refused(m.call({ type: 'board.info' }), /revoked or has expired/);
    const all = await person.call({ type: 'token.list', includeRevoked: true });
    assert.ok(all.find((x) => x.name === 'minted')?.revokedAt);
  });
});
