import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Agent, Task } from '../../src/core/board/boardModel';
import type { BoardEvent } from '../../src/core/events/eventLog';
import { DreamError } from '../../src/core/errors';
import { memoryBoard } from './helpers/memoryBoard';

type Claim = { task: Task; lease: { token: number; expiresAt: number } } | null;

function rejects(fn: () => unknown, code: string, pattern?: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DreamError, `expected DreamError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

describe('task board', () => {
  it('creates tasks with code-made ids, timestamps and a created history entry', async () => {
    const b = await memoryBoard({ clock: () => 1_000 });
    const t = b.run<Task>({ type: 'task.add', title: '  Write README  ', priority: 'high', tags: ['docs'] });
    assert.match(t.id, /^tsk_[0-9a-f]{12}$/);
    assert.equal(t.title, 'Write README');
    assert.equal(t.priority, 2);
    assert.equal(t.status, 'ready');
    assert.equal(t.createdAt, 1_000);
    const shown = b.run<{ history: { to: string; reason: string }[] }>({ type: 'task.show', taskId: t.id });
    assert.deepEqual(shown.history.map((h) => h.to), ['ready']);
  });

  it('refuses malformed input with a clear error and writes nothing', async () => {
    const b = await memoryBoard();
    rejects(() => b.run({ type: 'task.add', title: '' }), 'invalid_input', /title/);
    rejects(() => b.run({ type: 'task.add', title: 'x', priority: 9 } as never), 'invalid_input');
    rejects(() => b.run({ type: 'task.add', title: 'x', id: 'tsk_000000000000' } as never), 'invalid_input');
    rejects(() => b.run({ type: 'nope' } as never), 'invalid_input');
    assert.equal(b.run<{ tasks: number }>({ type: 'board.info' }).tasks, 0);
  });

  it('makes a task ready only when everything it depends on is done', async () => {
    const b = await memoryBoard();
    const a = b.run<Task>({ type: 'task.add', title: 'a' });
    const c = b.run<Task>({ type: 'task.add', title: 'c' });
    const d = b.run<Task>({ type: 'task.add', title: 'd', dependsOn: [a.id, c.id] });
    assert.equal(d.status, 'waiting');
    b.run({ type: 'task.done', taskId: a.id, summary: 'did a' });
    assert.equal(b.run<{ task: Task }>({ type: 'task.show', taskId: d.id }).task.status, 'waiting');
    b.run({ type: 'task.done', taskId: c.id, summary: 'did c' });
    assert.equal(b.run<{ task: Task }>({ type: 'task.show', taskId: d.id }).task.status, 'ready');
    // Reopening a dependency makes the dependent wait again.
    b.run({ type: 'task.reopen', taskId: c.id });
    assert.equal(b.run<{ task: Task }>({ type: 'task.show', taskId: d.id }).task.status, 'waiting');
  });

  it('refuses dependency cycles, direct and transitive', async () => {
    const b = await memoryBoard();
    const a = b.run<Task>({ type: 'task.add', title: 'a' });
    const c = b.run<Task>({ type: 'task.add', title: 'c', dependsOn: [a.id] });
    const d = b.run<Task>({ type: 'task.add', title: 'd', dependsOn: [c.id] });
    rejects(() => b.run({ type: 'task.depend', taskId: a.id, dependsOn: d.id }), 'cycle', /cycle/);
    rejects(() => b.run({ type: 'task.depend', taskId: a.id, dependsOn: a.id }), 'cycle');
    assert.deepEqual(b.run<{ task: Task }>({ type: 'task.show', taskId: a.id }).task.dependsOn, []);
  });

  it('enforces the transition table in one place', async () => {
    const b = await memoryBoard();
    const t = b.run<Task>({ type: 'task.add', title: 't' });
    rejects(() => b.run({ type: 'task.start', taskId: t.id }), 'invalid_transition', /ready; it cannot move to running/);
    b.run({ type: 'task.cancel', taskId: t.id, reason: 'not needed' });
    rejects(() => b.run({ type: 'task.done', taskId: t.id, summary: 'x' }), 'invalid_transition');
  });

  it('lets transition hooks veto with a reason, changing nothing', async () => {
    const b = await memoryBoard({
      hooks: [{ name: 'needs-evidence', before: (t) => (t.to === 'done' && t.reason === 'trust me' ? { veto: 'no evidence given' } : undefined) }],
    });
    const t = b.run<Task>({ type: 'task.add', title: 't' });
    rejects(() => b.run({ type: 'task.done', taskId: t.id, summary: 'trust me' }), 'vetoed', /needs-evidence: no evidence given/);
    assert.equal(b.run<{ task: Task }>({ type: 'task.show', taskId: t.id }).task.status, 'ready');
  });
});

describe('claims are leases', () => {
  async function setup() {
    let now = 10_000;
    const b = await memoryBoard({ clock: () => now });
    const agent = b.run<Agent>({ type: 'agent.register', name: 'claude-1', capabilities: ['ts'] });
    return { b, agent, tick: (ms: number) => (now += ms) };
  }

  it('claims the best ready task the agent can do: priority, then age, capabilities respected', async () => {
    const { b, agent, tick } = await setup();
    b.run({ type: 'task.add', title: 'old normal' });
    tick(1);
    b.run({ type: 'task.add', title: 'needs rust', priority: 'critical', requires: ['rust'] });
    tick(1);
    const high = b.run<Task>({ type: 'task.add', title: 'new high', priority: 'high' });
    const claim = b.run<Claim>({ type: 'task.claimNext', agentId: agent.name }, agent.id);
    assert.equal(claim?.task.id, high.id);
    assert.equal(claim?.task.status, 'claimed');
    assert.equal(claim?.task.attempts, 1);
    assert.equal(b.run<Agent>({ type: 'agent.show', agent: agent.id }).status, 'busy');
  });

  it('refuses a stale fencing token after the lease expired and was re-claimed', async () => {
    const { b, agent, tick } = await setup();
    const other = b.run<Agent>({ type: 'agent.register', name: 'codex-1' });
    const t = b.run<Task>({ type: 'task.add', title: 't' });
    const first = b.run<Claim>({ type: 'task.claimNext', agentId: agent.id, leaseMs: 1_000 }, agent.id)!;
    tick(1_001);
    const expired = b.run<{ expired: string[] }>({ type: 'lease.expireDue' }, 'hub');
    assert.deepEqual(expired.expired, [t.id]);
    const back = b.run<{ task: Task; history: { reason: string }[] }>({ type: 'task.show', taskId: t.id });
    assert.equal(back.task.status, 'ready');
    assert.match(back.history.at(-1)!.reason, /lease of .* expired \(attempt 1 of 3\)/);
    const second = b.run<Claim>({ type: 'task.claimNext', agentId: other.id }, other.id)!;
    assert.ok(second.lease.token > first.lease.token);
    rejects(() => b.run({ type: 'task.done', taskId: t.id, token: first.lease.token, summary: 'late' }, agent.id), 'stale_token');
    rejects(() => b.run({ type: 'task.start', taskId: t.id }, agent.id), 'stale_token');
    b.run({ type: 'task.start', taskId: t.id, token: second.lease.token }, other.id);
    const done = b.run<Task>({ type: 'task.done', taskId: t.id, token: second.lease.token, summary: 'ok', evidence: [{ kind: 'test', summary: 'npm test exited 0' }] }, other.id);
    assert.equal(done.status, 'done');
    assert.equal(done.evidence[0]?.summary, 'npm test exited 0');
  });

  it('renews leases on heartbeat and fails the task once its attempts are used up', async () => {
    const { b, agent, tick } = await setup();
    const t = b.run<Task>({ type: 'task.add', title: 't', maxAttempts: 2 });
    b.run({ type: 'task.claimNext', agentId: agent.id, leaseMs: 1_000 }, agent.id);
    tick(800);
    b.run({ type: 'agent.heartbeat', agent: agent.id, leaseMs: 1_000 }, agent.id);
    tick(800);
    assert.deepEqual(b.run<{ expired: string[] }>({ type: 'lease.expireDue' }, 'hub').expired, []);
    tick(1_000);
    b.run({ type: 'lease.expireDue' }, 'hub');
    b.run({ type: 'task.claimNext', agentId: agent.id, leaseMs: 1_000 }, agent.id);
    tick(1_001);
    const r = b.run<{ failed: string[] }>({ type: 'lease.expireDue' }, 'hub');
    assert.deepEqual(r.failed, [t.id]);
    assert.equal(b.run<{ task: Task }>({ type: 'task.show', taskId: t.id }).task.status, 'failed');
  });

  it('marks agents without heartbeats as stalled', async () => {
    const { b, agent, tick } = await setup();
    b.run({ type: 'agent.lifecycle', agent: agent.id, action: 'start' });
    tick(200_000);
    const r = b.run<{ stalled: string[] }>({ type: 'lease.expireDue', stallMs: 120_000 }, 'hub');
    assert.deepEqual(r.stalled, [agent.id]);
    assert.equal(b.run<Agent>({ type: 'agent.show', agent: 'claude-1' }).status, 'stalled');
  });
});

describe('mailboxes', () => {
  it('delivers direct, broadcast and human mail with per-recipient acks and threads', async () => {
    const b = await memoryBoard();
    const a1 = b.run<Agent>({ type: 'agent.register', name: 'a1' });
    const a2 = b.run<Agent>({ type: 'agent.register', name: 'a2' });
    const q = b.run<{ id: string }>({ type: 'mail.send', from: a1.id, to: { kind: 'human' }, subject: 'Which DB?', body: 'sqlite or pg?', requiresAck: true });
    b.run({ type: 'mail.send', from: 'human', to: { kind: 'broadcast' }, subject: 'Standup', body: 'all hands' });
    b.run({ type: 'mail.send', from: 'human', to: { kind: 'agent', id: a2.id }, subject: 'Re: Which DB?', body: 'sqlite', replyTo: q.id });
    assert.deepEqual(b.run<{ subject: string }[]>({ type: 'mail.inbox', recipient: 'human' }).map((m) => m.subject), ['Which DB?']);
    assert.equal(b.run<unknown[]>({ type: 'mail.inbox', recipient: 'a1' }).length, 1);
    assert.equal(b.run<unknown[]>({ type: 'mail.inbox', recipient: 'a2' }).length, 2);
    const acked = b.run<{ ackedAt: number | null }>({ type: 'mail.ack', messageId: q.id, recipient: 'human' });
    assert.ok(acked.ackedAt);
    assert.equal(b.run<unknown[]>({ type: 'mail.inbox', recipient: 'human', unackedOnly: true }).length, 0);
    rejects(() => b.run({ type: 'mail.ack', messageId: q.id, recipient: 'a2' }), 'conflict', /only its recipient/);
    assert.equal(b.run<unknown[]>({ type: 'mail.thread', threadId: q.id }).length, 2);
    assert.equal(b.run<unknown[]>({ type: 'mail.search', query: 'sqlite' }).length, 2);
  });
});

describe('events', () => {
  it('records every change as an event with increasing sequence numbers', async () => {
    const b = await memoryBoard();
    const t = b.run<Task>({ type: 'task.add', title: 't' });
    b.run({ type: 'task.cancel', taskId: t.id });
    const events = b.run<BoardEvent[]>({ type: 'events.since', afterSeq: 0 });
    assert.deepEqual(events.map((e) => e.type), ['task.created', 'task.transitioned']);
    assert.deepEqual(events.map((e) => e.seq), [1, 2]);
    assert.deepEqual(b.run<BoardEvent[]>({ type: 'events.since', afterSeq: 1 }).map((e) => e.seq), [2]);
  });
});

describe('import and export', () => {
  it('imports a task file with keys and dependencies in one go', async () => {
    const b = await memoryBoard();
    const r = b.run<{ created: Task[] }>({
      type: 'board.import',
      file: { tasks: [{ key: 'api', title: 'API', dependsOn: ['db'] }, { key: 'db', title: 'DB schema', priority: 'high' }] },
    });
    assert.equal(r.created.length, 2);
    const api = r.created.find((t) => t.title === 'API')!;
    const db = r.created.find((t) => t.title === 'DB schema')!;
    assert.deepEqual(api.dependsOn, [db.id]);
    assert.equal(api.status, 'waiting');
  });

  it('names the item and field of every error and imports nothing', async () => {
    const b = await memoryBoard();
    const bad = { tasks: [{ title: 'fine' }, { title: '' }, { key: 'x', title: 'y', dependsOn: ['ghost'] }, { key: 'p', title: 'p', dependsOn: ['q'] }, { key: 'q', title: 'q', dependsOn: ['p'] }] };
    assert.throws(() => b.run({ type: 'board.import', file: bad }), (err: DreamError) => {
      assert.equal(err.code, 'invalid_input');
      assert.match(err.message, /tasks\[1\]\.title/);
      return true;
    });
    const bad2 = { tasks: [{ title: 'fine' }, { key: 'x', title: 'y', dependsOn: ['ghost'] }, { key: 'p', title: 'p', dependsOn: ['q'] }, { key: 'q', title: 'q', dependsOn: ['p'] }] };
    assert.throws(() => b.run({ type: 'board.import', file: bad2 }), (err: DreamError) => {
      assert.match(err.message, /tasks\[1\]\.dependsOn\[0\]: "ghost"/);
      assert.match(err.message, /cycle/);
      return true;
    });
    assert.equal(b.run<{ tasks: number }>({ type: 'board.info' }).tasks, 0);
  });

  it('exports everything needed for a backup', async () => {
    const b = await memoryBoard();
    b.run({ type: 'task.add', title: 't' });
    b.run({ type: 'agent.register', name: 'a' });
    const e = b.run<{ format: string; tasks: { history: unknown[] }[]; agents: unknown[] }>({ type: 'board.export' });
    assert.equal(e.format, 'dreamos-board');
    assert.equal(e.tasks.length, 1);
    assert.equal(e.tasks[0]!.history.length, 1);
    assert.equal(e.agents.length, 1);
  });
});

describe('reassigning', () => {
  it('releases a running task, bumps the fence and reserves it for the new agent only', async () => {
    const b = await memoryBoard();
    const a1 = b.run<Agent>({ type: 'agent.register', name: 'a1' });
    const a2 = b.run<Agent>({ type: 'agent.register', name: 'a2' });
    const a3 = b.run<Agent>({ type: 'agent.register', name: 'a3' });
    const t = b.run<Task>({ type: 'task.add', title: 't' });
    const c1 = b.run<Claim>({ type: 'task.claimNext', agentId: a1.id }, a1.id)!;
    const moved = b.run<Task>({ type: 'task.assign', taskId: t.id, agentId: 'a2' });
    assert.equal(moved.status, 'ready');
    assert.equal(moved.assignee, a2.id);
    assert.equal(b.run<Agent>({ type: 'agent.show', agent: 'a1' }).status, 'idle');
    rejects(() => b.run({ type: 'task.done', taskId: t.id, token: c1.lease.token, summary: 'x' }, a1.id), 'stale_token');
    assert.equal(b.run<Claim>({ type: 'task.claimNext', agentId: a3.id }, a3.id), null, 'reserved for a2');
    assert.equal(b.run<Claim>({ type: 'task.claimNext', agentId: a2.id }, a2.id)?.task.id, t.id);
  });
});
