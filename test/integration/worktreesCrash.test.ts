/**
 * Never lose work: a swarm host (its own process, `dreamos swarm start` as the loop host fixture)
 * killed with SIGKILL while its agent works in a task's worktree. The worktree and its
 * uncommitted work are still there; the next host resumes the task in the same worktree, and the
 * result proposed holds the work from before the crash.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { connectBoard, type BoardClient } from '../../src/core/hub/connect';
import { agent, committedWorkspace, ensureCli, hostProcess, killPids, waitFor, type Workspace } from './fixtures/agents/harness';

let ws: Workspace;
let board: BoardClient;
const hosts: ReturnType<typeof hostProcess>[] = [];
before(() => ensureCli());
after(async () => {
  for (const h of hosts) h.kill();
  killPids(ws.file('pids'));
  await board?.close();
  ws.cleanup();
});

test('kill -9 of the swarm host mid-run: the worktree and its uncommitted work survive, and the task resumes in it', async () => {
  ws = committedWorkspace();
  const marker = ws.file('marker-slow');
  writeFileSync(path.join(ws.boardDir, 'agents.json'), JSON.stringify({ idlePollMs: 100, agents: [agent('slow', 'slowwrite', { args: ['--marker', marker, '--pidfile', ws.file('pids')] })] }, null, 2));
  board = await connectBoard({ dir: ws.boardDir, client: 'test', hubMode: 'in-process', actor: 'human:test' });
  const t = await board.call({ type: 'task.add', title: 'Long work' });
  const first = hostProcess(ws, ['slow']);
  hosts.push(first);
  const w = await waitFor('the agent writing in its worktree', async () => {
    const row = await board.call({ type: 'worktree.show', taskId: t.id });
    return row && existsSync(marker) && existsSync(path.join(row.path, 'wip.txt')) ? row : undefined;
  });
  first.kill();
  await first.exited;
  killPids(ws.file('pids')); // the agent the dead host left behind
  assert.ok(existsSync(w.path), 'the worktree is still there');
  assert.equal(readFileSync(path.join(w.path, 'wip.txt'), 'utf8'), `work in progress for ${t.id}\n`);
  assert.match(execFileSync('git', ['status', '--porcelain'], { cwd: w.path, encoding: 'utf8' }), /\?\? wip\.txt/, 'uncommitted, as the agent left it');
  const second = hostProcess(ws, ['slow']);
  hosts.push(second);
  const p = await waitFor(
    'the resumed run’s proposal',
    async () => {
      // The proposal is made, then the task moves to review: two board calls, so wait for both.
      const found = (await board.call({ type: 'proposal.list' })).find((x) => x.taskId === t.id);
      return found && (await board.call({ type: 'task.show', taskId: t.id })).task.status === 'review' ? found : undefined;
    },
    60_000,
  );
  const again = (await board.call({ type: 'worktree.show', taskId: t.id }))!;
  assert.equal(again.path, w.path, 'the same worktree');
  assert.equal(again.branch, w.branch);
  assert.deepEqual(p.files.map((f) => f.path).sort(), ['finished.txt', 'wip.txt'], 'the work from before the crash is in the result');
  assert.equal((await board.call({ type: 'task.show', taskId: t.id })).task.status, 'review');
  assert.ok(!existsSync(ws.file('wip.txt')), 'nothing in the person’s tree');
});
