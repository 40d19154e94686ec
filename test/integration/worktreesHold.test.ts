/**
 * Before a task runs in a worktree: its setup (.dreamos/worktrees.json) failing puts it in Needs
 * You with the setup's output; a task whose declared scope overlaps what a running task changed
 * is held back behind it, with the reason on the board. Real agent processes, real git.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, before, describe, it } from 'node:test';
import type { Swarm } from '../../src/core/loop/swarm';
import { workspaceWorktrees } from '../../src/integrations/git/worktreeHost';
import { agent, committedWorkspace, ensureCli, killPids, memoryLoopBoard, testSwarm, waitFor, type Workspace } from './fixtures/agents/harness';

describe('worktree setup and overlap', () => {
  let ws: Workspace;
  let b: Awaited<ReturnType<typeof memoryLoopBoard>>;
  let swarm: Swarm | undefined;
  before(() => ensureCli());
  afterEach(async () => {
    await swarm?.stop();
    swarm = undefined;
    killPids(ws.file('pids'));
    b.close();
    ws.cleanup();
  });

  const setup = async (worktrees: unknown) => {
    ws = committedWorkspace();
    writeFileSync(path.join(ws.boardDir, 'worktrees.json'), JSON.stringify(worktrees));
    b = await memoryLoopBoard();
    return workspaceWorktrees({ workspaceRoot: ws.root, boardDir: ws.boardDir, board: b.board, holder: 'test' });
  };

  it('a failing setup puts the task in Needs You with its output; fixed and unblocked, the same worktree is set up again and the agent works', async () => {
    const failing = [process.execPath, '-e', "console.error('npm ERR! the lockfile is missing'); process.exit(1)"];
    const wt = await setup({ copy: ['README.md'], run: [failing] });
    const t = await b.board.call({ type: 'task.add', title: 'Needs deps' });
    swarm = testSwarm(ws, b.board, { agents: [agent('ann', 'isolated')] }, { worktrees: wt.manager });
    await swarm.start();
    const blocked = await waitFor('the task blocked', async () => {
      const s = await b.board.call({ type: 'task.show', taskId: t.id });
      return s.task.status === 'blocked' ? s : undefined;
    });
    assert.match(blocked.history.at(-1)!.reason, /setup of task .* failed[\s\S]*the lockfile is missing/);
    const mail = await b.board.call({ type: 'mail.inbox', recipient: 'human' });
    assert.ok(mail.some((m) => /the lockfile is missing/.test(m.body)), 'the person got the setup output');
    const w = (await b.board.call({ type: 'worktree.show', taskId: t.id }))!;
    assert.equal(w.status, 'setup-failed');
    assert.ok(existsSync(path.join(w.path, 'README.md')), 'the files were copied before the command failed');
    writeFileSync(path.join(ws.boardDir, 'worktrees.json'), JSON.stringify({ copy: ['README.md'] }));
    await b.board.call({ type: 'task.unblock', taskId: t.id, reason: 'fixed the setup' });
    await waitFor('the task in review', async () => (await b.board.call({ type: 'task.show', taskId: t.id })).task.status === 'review');
    const again = (await b.board.call({ type: 'worktree.show', taskId: t.id }))!;
    assert.equal(again.path, w.path);
    assert.equal(again.status, 'proposed');
  });

  it('a task whose scope overlaps a running task’s changed files is held back behind it, and says why', async () => {
    const wt = await setup({});
    const marker = ws.file('marker-slow');
    const a = await b.board.call({ type: 'task.add', title: 'Long work on wip', requires: ['slow'] });
    swarm = testSwarm(
      ws,
      b.board,
      { agents: [agent('slow', 'slowwrite', { capabilities: ['slow'], args: ['--marker', marker, '--pidfile', ws.file('pids')] }), agent('ann', 'isolated')] },
      { worktrees: wt.manager },
    );
    await swarm.start();
    await waitFor('a running with its change', async () => {
      const w = await b.board.call({ type: 'worktree.show', taskId: a.id });
      return w && existsSync(path.join(w.path, 'wip.txt'));
    });
    const c = await b.board.call({ type: 'task.add', title: 'Also touches wip', tags: ['scope:wip.txt'] });
    const held = await waitFor('c held back', async () => {
      const s = await b.board.call({ type: 'task.show', taskId: c.id });
      return s.task.status === 'waiting' ? s : undefined;
    });
    assert.deepEqual(held.task.dependsOn, [a.id]);
    assert.ok(held.history.some((h) => /held back: its scope overlaps files task .* changed in its worktree: wip\.txt/.test(h.reason)), 'the reason is on the board');
    assert.equal(await b.board.call({ type: 'worktree.show', taskId: c.id }), null, 'no worktree was made for it');
  });
});
