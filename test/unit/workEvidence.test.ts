import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasWorkEvidence } from '../../src/core/board/evidence';
import type { Agent, Task } from '../../src/core/board/boardModel';
import { DreamError } from '../../src/core/errors';
import { memoryBoard } from './helpers/memoryBoard';

type Claim = { task: Task; lease: { token: number; expiresAt: number } };

async function claimed() {
  const b = await memoryBoard();
  const agent = b.run<Agent>({ type: 'agent.register', name: 'w1' });
  const t = b.run<Task>({ type: 'task.add', title: 'Add retry' });
  const claim = b.run<Claim>({ type: 'task.claim', taskId: t.id, agentId: agent.id });
  return { b, agent, t, token: claim.lease.token };
}

describe('evidence of work: one definition for every report path', () => {
  it('an agent cannot finish a task on its own word: a note, a log or an exit code is refused and nothing changes', async () => {
    const { b, agent, t, token } = await claimed();
    for (const evidence of [[], [{ kind: 'note' as const, summary: 'I did it, trust me' }], [{ kind: 'exit_code' as const, summary: 'exited 0' }, { kind: 'log' as const, summary: 'done!' }]]) {
      assert.throws(
        () => b.run({ type: 'task.done', taskId: t.id, token, summary: 'done', evidence }, agent.id),
        (e: unknown) => e instanceof DreamError && e.code === 'invalid_input' && /on your word alone/.test(e.message),
      );
    }
    assert.equal(b.run<{ task: Task }>({ type: 'task.show', taskId: t.id }).task.status, 'claimed');
  });

  it('a passing test or a change finishes it; a failing test does not', async () => {
    const { b, agent, t, token } = await claimed();
    assert.throws(() => b.run({ type: 'task.done', taskId: t.id, token, summary: 'done', evidence: [{ kind: 'test', summary: '3 passed, 2 failed' }] }, agent.id), /on your word alone/);
    const done = b.run<Task>({ type: 'task.done', taskId: t.id, token, summary: 'done', evidence: [{ kind: 'test', summary: '5 passed, 0 failed' }] }, agent.id);
    assert.equal(done.status, 'done');
  });

  it('a person may mark a task done by hand', async () => {
    const b = await memoryBoard();
    const t = b.run<Task>({ type: 'task.add', title: 'Tidy up' });
    assert.equal(b.run<Task>({ type: 'task.done', taskId: t.id, summary: 'did it myself' }, 'human').status, 'done');
  });

  it('says which kinds count', () => {
    assert.equal(hasWorkEvidence([{ kind: 'check', summary: 'tests: passed (exit 0)', data: { exitCode: 0 } }]), true);
    assert.equal(hasWorkEvidence([{ kind: 'check', summary: 'tests: FAILED (exit 1)', data: { exitCode: 1 } }]), false);
    assert.equal(hasWorkEvidence([{ kind: 'diff', summary: '2 file(s) changed' }]), true);
    assert.equal(hasWorkEvidence([{ kind: 'file', summary: 'reports/todos.md' }]), true);
    assert.equal(hasWorkEvidence([{ kind: 'url', summary: 'https://example.com' }, { kind: 'note', summary: 'looked at it' }]), false);
  });
});
