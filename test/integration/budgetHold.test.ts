/**
 * A spent day budget holds an agent back before it claims (issue 13): the agent takes no task, says
 * why (the swarm's status shows "over budget: …"), and takes work again once the limit is raised.
 * Real agent processes (agent.mjs) on the real domain; what was spent is a run on the board.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Task } from '../../src/core/board/boardModel';
import type { Swarm } from '../../src/core/loop/swarm';
import type { RunRecord } from '../../src/core/runs/runModel';
import { agent, memoryLoopBoard, testSwarm, waitFor, workspace, type Workspace } from './fixtures/agents/harness';

describe('budgets before a claim', () => {
  let ws: Workspace;
  let swarm: Swarm | undefined;
  let lb: Awaited<ReturnType<typeof memoryLoopBoard>>;
  afterEach(async () => {
    await swarm?.stop();
    swarm = undefined;
    lb?.close();
    ws?.cleanup();
  });

  it("an agent whose day is spent takes no task and says why; raised, it works again", async () => {
    ws = workspace();
    lb = await memoryLoopBoard();
    // Earlier today, worker spent $0.30 on another task.
    lb.run({ type: 'agent.register', name: 'worker' });
    const old = lb.run<Task>({ type: 'task.add', title: 'earlier' });
    const r = lb.run<RunRecord>({ type: 'run.start', taskId: old.id, agentId: 'worker', run: 1, protocol: 'claude' });
    lb.run({ type: 'run.append', runId: r.id, events: [{ t: 'result', ok: true, tokens: { input: 1_000, output: 100 }, costUsd: 0.3 }] });
    lb.run({ type: 'run.end', runId: r.id, status: 'succeeded' });
    lb.run({ type: 'task.cancel', taskId: old.id });
    const t = lb.run<Task>({ type: 'task.add', title: 'new work' });
    const worker = agent('worker', 'write', { args: ['--write', 'out.txt'], budget: { day: { usd: 0.25 } } });
    swarm = testSwarm(ws, lb.board, { agents: [worker] });
    await swarm.start();
    const held = await waitFor('the agent to be held back', () => swarm!.status().agents.find((a) => a.name === 'worker' && a.heldBack?.startsWith('over budget')), 20_000);
    assert.match(held.heldBack!, /^over budget: worker today \(UTC\) spent \$0\.3000 and 1,100 tokens, reaching its \$0\.2500 budget \(budget\.day/);
    assert.equal(lb.run<{ task: Task }>({ type: 'task.show', taskId: t.id }).task.status, 'ready', 'no task was claimed');
    await swarm.stop();

    swarm = testSwarm(ws, lb.board, { agents: [{ ...worker, budget: { day: { usd: 1 } } }] });
    await swarm.start();
    await waitFor('the task to be done', () => lb.run<{ task: Task }>({ type: 'task.show', taskId: t.id }).task.status === 'done', 30_000);
    assert.match(ws.read('out.txt'), /written by worker/);
  });
});
