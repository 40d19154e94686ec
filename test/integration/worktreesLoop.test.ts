/**
 * The agent loop in worktrees: real agent processes (fixtures/agents/agent.mjs) each working in
 * its task's own git worktree, their results proposed from base..branch, landed by the merge
 * queue with checks on each merged result; a rejection's feedback reaching the same agent in the
 * same worktree, whose next result is revision 2 of the same proposal.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, before, describe, it } from 'node:test';
import type { Task } from '../../src/core/board/boardModel';
import type { Swarm } from '../../src/core/loop/swarm';
import { approveWithChecks } from '../../src/core/proposals/approval';
import { workspaceWorktrees } from '../../src/integrations/git/worktreeHost';
import { agent, committedWorkspace, ensureCli, gitIn, memoryLoopBoard, testSwarm, waitFor, type Workspace } from './fixtures/agents/harness';

describe('agents in worktrees (real processes, real git)', () => {
  let ws: Workspace;
  let b: Awaited<ReturnType<typeof memoryLoopBoard>>;
  let swarm: Swarm | undefined;

  before(() => ensureCli());
  afterEach(async () => {
    await swarm?.stop();
    swarm = undefined;
    b.close();
    ws.cleanup();
    rmSync(`${ws.root}-worktrees`, { recursive: true, force: true });
  });

  const setup = async (checks: unknown[] = []) => {
    ws = committedWorkspace();
    writeFileSync(path.join(ws.boardDir, 'checks.json'), JSON.stringify({ checks }));
    writeFileSync(path.join(ws.boardDir, 'worktrees.json'), JSON.stringify({ ports: { base: 21_000, size: 10 } }));
    b = await memoryLoopBoard();
    await b.board.call({ type: 'board.config.set', values: { worktreeRoot: `${ws.root}-worktrees` } });
    const wt = workspaceWorktrees({ workspaceRoot: ws.root, boardDir: ws.boardDir, board: b.board, holder: 'test' });
    return wt;
  };
  const reviewOf = async (ids: string[]) => (await Promise.all(ids.map((id) => b.board.call({ type: 'task.show', taskId: id })))).every((s) => s.task.status === 'review');

  it('3 agents × 6 tasks in parallel, each in its own worktree, none sees another’s files; all approved, the queue lands all six with checks on each merged result', async () => {
    const wt = await setup([{ name: 'outputs', command: [process.execPath, '-e', "process.exit(require('fs').readdirSync('out').length > 0 ? 0 : 1)"] }]);
    const tasks: Task[] = [];
    for (let i = 1; i <= 6; i++) tasks.push(await b.board.call({ type: 'task.add', title: `Write output ${i}` }));
    swarm = testSwarm(ws, b.board, { agents: [agent('ann', 'isolated'), agent('bob', 'isolated'), agent('cy', 'isolated')] }, { worktrees: wt.manager });
    await swarm.start();
    const ids = tasks.map((t) => t.id);
    await waitFor('all six in review', () => reviewOf(ids), 60_000);
    assert.ok(!existsSync(ws.file('out')), 'nothing was written into the person’s tree');
    const trees = await b.board.call({ type: 'worktree.list' });
    assert.equal(new Set(trees.map((w) => w.path)).size, 6, 'six worktrees');
    assert.equal(new Set(trees.map((w) => w.portBase)).size, 6, 'each with its own port block');
    for (const w of trees) {
      assert.ok(!w.path.startsWith(ws.root + path.sep));
      assert.deepEqual(readdirSync(path.join(w.path, 'out')), [`${w.taskId}.txt`], 'each worktree holds only its own task’s file');
      assert.equal(w.proposal?.status, 'pending');
      assert.equal(w.proposal?.revision, 1);
      assert.match(readFileSync(path.join(w.path, 'out', `${w.taskId}.txt`), 'utf8'), new RegExp(`on ${w.branch} port ${w.portBase}`));
    }
    for (const w of trees) assert.equal((await approveWithChecks(b.board, { root: ws.root, boardDir: ws.boardDir }, w.proposal!.id, { via: 'test' })).result, 'queued');
    const landed = await wt.queue.drain();
    assert.deepEqual(landed.map((l) => l.outcome), Array(6).fill('landed'));
    assert.deepEqual(readdirSync(ws.file('out')).sort(), ids.map((id) => `${id}.txt`).sort());
    for (const w of trees) {
      const p = await b.board.call({ type: 'proposal.show', proposalId: w.proposal!.id });
      assert.equal(p.status, 'applied');
      assert.deepEqual(p.validation.results.map((r) => [r.name, r.ok]), [['outputs', true]], 'the check ran on that merged result');
      assert.equal((await b.board.call({ type: 'task.show', taskId: w.taskId })).task.status, 'done');
      assert.ok(!existsSync(w.path), 'a landed worktree is removed');
    }
  });

  it('a rejection’s feedback reaches the same agent in the same worktree; its next result is revision 2, approved and landed', async () => {
    const wt = await setup();
    const t = await b.board.call({ type: 'task.add', title: 'Say it' });
    swarm = testSwarm(ws, b.board, { agents: [agent('ann', 'isolated')] }, { worktrees: wt.manager });
    await swarm.start();
    await waitFor('the task in review', () => reviewOf([t.id]));
    const w1 = (await b.board.call({ type: 'worktree.show', taskId: t.id }))!;
    const [first] = await b.board.call({ type: 'proposal.list' });
    await b.board.call({ type: 'proposal.reject', proposalId: first!.id, reason: 'Make it louder, please.' });
    const rev2 = await waitFor('revision 2', async () => {
      const p = await b.board.call({ type: 'proposal.show', proposalId: first!.id });
      return p.git?.revision === 2 && p.status === 'pending' ? p : undefined;
    });
    assert.match(rev2.files[0]!.content ?? '', /LOUDER/, 'the agent got the feedback');
    const w2 = (await b.board.call({ type: 'worktree.show', taskId: t.id }))!;
    assert.equal(w2.path, w1.path, 'the same worktree');
    const revisions = await b.board.call({ type: 'proposal.revisions', proposalId: first!.id });
    assert.deepEqual(revisions.map((r) => r.revision), [1, 2]);
    await approveWithChecks(b.board, { root: ws.root, boardDir: ws.boardDir }, first!.id, { via: 'test' });
    assert.deepEqual((await wt.queue.drain()).map((l) => l.outcome), ['landed']);
    assert.match(readFileSync(ws.file(`out/${t.id}.txt`), 'utf8'), /LOUDER/);
    assert.equal((await b.board.call({ type: 'task.show', taskId: t.id })).task.status, 'done');
  });

  it('two agents edit the same line: the queue finds the conflict before any write, sends it back, the agent resolves it in its worktree, and it lands', async () => {
    const wt = await setup();
    writeFileSync(ws.file('shared.txt'), 'line 1\nline 2\nline 3\n');
    gitIn(ws.root, 'add', '-A');
    gitIn(ws.root, 'commit', '-q', '-m', 'shared');
    const a = await b.board.call({ type: 'task.add', title: 'Sign line two (a)' });
    const c = await b.board.call({ type: 'task.add', title: 'Sign line two (c)' });
    swarm = testSwarm(ws, b.board, { agents: [agent('ann', 'lines'), agent('bob', 'lines')] }, { worktrees: wt.manager });
    await swarm.start();
    await waitFor('both in review', () => reviewOf([a.id, c.id]));
    const props = await b.board.call({ type: 'proposal.list' });
    for (const p of props) await approveWithChecks(b.board, { root: ws.root, boardDir: ws.boardDir }, p.id, { via: 'test' });
    const before = gitIn(ws.root, 'rev-parse', 'HEAD');
    const [first, second] = await wt.queue.drain();
    assert.equal(first?.outcome, 'landed');
    assert.equal(second?.outcome, 'conflicted');
    const afterFirst = gitIn(ws.root, 'rev-parse', 'HEAD');
    assert.notEqual(afterFirst, before);
    const landedText = readFileSync(ws.file('shared.txt'), 'utf8');
    assert.doesNotMatch(landedText, /<<<<<<<|>>>>>>>/, 'nothing of the conflicting change was written');
    const sentBack = second!.entry.proposalId;
    const rev2 = await waitFor('the agent’s resolution as revision 2', async () => {
      const p = await b.board.call({ type: 'proposal.show', proposalId: sentBack });
      return p.git?.revision === 2 && p.status === 'pending' ? p : undefined;
    });
    await approveWithChecks(b.board, { root: ws.root, boardDir: ws.boardDir }, rev2.id, { via: 'test' });
    assert.deepEqual((await wt.queue.drain()).map((l) => l.outcome), ['landed']);
    const final = readFileSync(ws.file('shared.txt'), 'utf8');
    assert.match(final, /line 2 by ann/);
    assert.match(final, /line 2 by bob/);
    assert.doesNotMatch(final, /<<<<<<<|=======|>>>>>>>/);
  });
});
