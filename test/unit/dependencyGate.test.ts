import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Agent, Task } from '../../src/core/board/boardModel';
import { DreamError } from '../../src/core/errors';
import { memoryBoard } from './helpers/memoryBoard';

type Claim = { task: Task; lease: { token: number; expiresAt: number } };
type Board = Awaited<ReturnType<typeof memoryBoard>>;
const status = (b: Board, id: string) => b.run<{ task: Task }>({ type: 'task.show', taskId: id }).task.status;

/** B, and A that depends on B: the shape of every case below. */
async function pair() {
  const b = await memoryBoard();
  const dep = b.run<Task>({ type: 'task.add', title: 'B' });
  const a = b.run<Task>({ type: 'task.add', title: 'A', dependsOn: [dep.id] });
  assert.equal(a.status, 'waiting');
  return { b, dep, a };
}

describe('the dependency gate: no way into ready while a dependency is not done', () => {
  it('block then unblock leaves the task waiting, not ready', async () => {
    const { b, dep, a } = await pair();
    b.run({ type: 'task.block', taskId: a.id, reason: 'needs a decision' });
    const after = b.run<Task>({ type: 'task.unblock', taskId: a.id });
    assert.equal(after.status, 'waiting');
    const history = b.run<{ history: { to: string; reason: string }[] }>({ type: 'task.show', taskId: a.id }).history;
    assert.match(history.at(-1)!.reason, new RegExp(`waiting for dependency ${dep.id}`));
    // Once B is done, A is ready after all.
    b.run({ type: 'task.done', taskId: dep.id, summary: 'did B' });
    assert.equal(status(b, a.id), 'ready');
  });

  it('retry of a failed task and restore of a cancelled one wait for dependencies too', async () => {
    const { b, a } = await pair();
    b.run({ type: 'task.block', taskId: a.id, reason: 'x' });
    b.run({ type: 'task.cancel', taskId: a.id, reason: 'not now' });
    assert.equal(b.run<Task>({ type: 'task.reopen', taskId: a.id }).status, 'waiting');
    b.run({ type: 'task.block', taskId: a.id, reason: 'y' });
    b.run({ type: 'task.unblock', taskId: a.id });
    assert.equal(status(b, a.id), 'waiting');
  });

  it('a claimable task never has an open dependency: claimNext skips waiting tasks', async () => {
    const { b, a } = await pair();
    const other = b.run<Agent>({ type: 'agent.register', name: 'w0' });
    const agent = b.run<Agent>({ type: 'agent.register', name: 'w1' });
    // B is being worked on (claimed, not done) ...
    assert.equal(b.run<Claim>({ type: 'task.claimNext', agentId: other.id }).task.title, 'B');
    b.run({ type: 'task.block', taskId: a.id, reason: 'x' });
    b.run({ type: 'task.unblock', taskId: a.id });
    // ... so there is nothing for a second agent to claim.
    const claim = b.run<Claim | null>({ type: 'task.claimNext', agentId: agent.id });
    assert.equal(claim, null, 'A was claimed while B is not done');
  });

  it('reopening a done dependency sends back dependents already claimed, and their owner is fenced off', async () => {
    const { b, dep, a } = await pair();
    b.run({ type: 'task.done', taskId: dep.id, summary: 'did B' });
    const agent = b.run<Agent>({ type: 'agent.register', name: 'w1' });
    const claim = b.run<Claim>({ type: 'task.claim', taskId: a.id, agentId: agent.id });
    b.run({ type: 'task.start', taskId: a.id, token: claim.lease.token }, agent.id);
    b.run({ type: 'task.reopen', taskId: dep.id, reason: 'B was wrong' });
    const shown = b.run<{ task: Task }>({ type: 'task.show', taskId: a.id }).task;
    assert.equal(shown.status, 'waiting');
    assert.equal(shown.lease, null);
    assert.throws(
      () => b.run({ type: 'task.done', taskId: a.id, token: claim.lease.token, summary: 'done anyway' }, agent.id),
      (e: unknown) => e instanceof DreamError && e.code === 'stale_token',
    );
  });

  it('a task in review goes back to waiting when its dependency is reopened', async () => {
    const { b, dep, a } = await pair();
    b.run({ type: 'task.done', taskId: dep.id, summary: 'did B' });
    const agent = b.run<Agent>({ type: 'agent.register', name: 'w1' });
    const claim = b.run<Claim>({ type: 'task.claim', taskId: a.id, agentId: agent.id });
    b.run({ type: 'task.review', taskId: a.id, token: claim.lease.token, summary: 'please look', evidence: [{ kind: 'diff', summary: '1 file' }] }, agent.id);
    b.run({ type: 'task.reopen', taskId: dep.id });
    assert.equal(status(b, a.id), 'waiting');
  });

  it('cancelling a dependency blocks its waiting dependents with the way out, instead of leaving them waiting forever', async () => {
    const { b, dep, a } = await pair();
    b.run({ type: 'task.cancel', taskId: dep.id, reason: 'dropped' });
    assert.equal(status(b, a.id), 'blocked');
    const last = b.run<{ history: { to: string; reason: string }[] }>({ type: 'task.show', taskId: a.id }).history.at(-1)!;
    assert.match(last.reason, /was cancelled: restore it, or remove the dependency/);
    b.run({ type: 'task.undepend', taskId: a.id, dependsOn: dep.id });
    assert.equal(b.run<Task>({ type: 'task.unblock', taskId: a.id }).status, 'ready');
  });

  it('an expired lease on a task whose dependency was reopened meanwhile does not make it ready', async () => {
    let now = 1_000_000;
    const b = await memoryBoard({ clock: () => now });
    const dep = b.run<Task>({ type: 'task.add', title: 'B' });
    const a = b.run<Task>({ type: 'task.add', title: 'A' });
    const agent = b.run<Agent>({ type: 'agent.register', name: 'w1' });
    b.run<Claim>({ type: 'task.claim', taskId: a.id, agentId: agent.id, leaseMs: 1_000 });
    // A dependency added while A is claimed (a planner splitting work): A keeps its claim ...
    b.run({ type: 'task.depend', taskId: a.id, dependsOn: dep.id });
    now += 5_000;
    b.run({ type: 'lease.expireDue' }, 'hub');
    // ... and when the lease expires it waits for B instead of becoming ready.
    assert.equal(status(b, a.id), 'waiting');
  });
});
