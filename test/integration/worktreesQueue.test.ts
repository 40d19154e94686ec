/**
 * The worktree manager and the merge queue on real git repositories made here: worktrees outside
 * the workspace, branch proposals, the queue landing with checks on the merged result, conflicts
 * found before any write, the person's dirty file never overwritten, discard → restore.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { Task } from '../../src/core/board/boardModel';
import { approveWithChecks } from '../../src/core/proposals/approval';
import { WorktreeManager } from '../../src/core/worktrees/manager';
import { MergeQueue } from '../../src/core/worktrees/queue';
import { GitCli, ProcessCommandRunner } from '../../src/integrations/git/gitCli';
import { memoryBoard } from '../unit/helpers/memoryBoard';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();

async function rig(checks: { name: string; command: string[]; timeoutSeconds: number }[] = []) {
  const outer = mkdtempSync(path.join(os.tmpdir(), 'dreamos-wt-'));
  dirs.push(outer);
  const root = path.join(outer, 'repo');
  mkdirSync(path.join(root, '.dreamos'), { recursive: true });
  writeFileSync(path.join(root, '.gitignore'), '.dreamos/\n');
  writeFileSync(path.join(root, 'shared.txt'), 'line 1\nline 2\nline 3\n');
  sh(root, 'init', '-q', '-b', 'main');
  sh(root, 'add', '-A');
  sh(root, 'commit', '-q', '-m', 'base');
  const mb = await memoryBoard();
  const board = mb.port('human:test');
  const git = new GitCli();
  const runner = new ProcessCommandRunner();
  const boardDir = path.join(root, '.dreamos');
  const manager = new WorktreeManager({ board, git, runner, workspaceRoot: root, boardDir });
  const queue = new MergeQueue({ board, git, runner, manager, workspaceRoot: root, boardDir, holder: 'test', checks: async () => checks });
  await board.call({ type: 'agent.register', name: 'ada' });
  const ws = { root, boardDir };
  return {
    root,
    outer,
    board,
    manager,
    queue,
    git,
    ws,
    async task(title: string): Promise<Task> {
      const t = await board.call({ type: 'task.add', title });
      const p = await manager.prepare(t);
      assert.equal(p.mode, 'worktree');
      return t;
    },
    async wt(t: Task) {
      return (await board.call({ type: 'worktree.show', taskId: t.id }))!;
    },
  };
}

test('each task gets its own worktree outside the workspace; approved changes land one at a time with checks on each merged result', async () => {
  const r = await rig([{ name: 'both-files', command: [process.execPath, '-e', "require('fs').accessSync('shared.txt')"], timeoutSeconds: 30 }]);
  const a = await r.task('Add alpha');
  const b = await r.task('Add beta');
  const wa = await r.wt(a);
  const wb = await r.wt(b);
  assert.notEqual(wa.path, wb.path);
  assert.ok(!wa.path.startsWith(r.root + path.sep), `${wa.path} is outside the workspace`);
  assert.match(wa.branch, /^dreamos\/[0-9a-f]{8}-add-alpha$/);
  writeFileSync(path.join(wa.path, 'alpha.txt'), 'alpha\n');
  writeFileSync(path.join(wb.path, 'beta.txt'), 'beta\n');
  assert.ok(!existsSync(path.join(wa.path, 'beta.txt')) && !existsSync(path.join(r.root, 'alpha.txt')), 'no one sees another task’s files');
  const pa = (await r.manager.propose(a, { agentId: 'ada', agentName: 'ada', summary: 'alpha added', run: 1 }))!;
  const pb = (await r.manager.propose(b, { agentId: 'ada', agentName: 'ada', summary: 'beta added', run: 1 }))!;
  assert.equal(pa.git?.targetBranch, 'main');
  assert.deepEqual(pa.files.map((f) => [f.path, f.op, f.content]), [['alpha.txt', 'create', 'alpha\n']]);
  for (const p of [pa, pb]) assert.equal((await approveWithChecks(r.board, r.ws, p.id, { via: 'test' })).result, 'queued');
  const landed = await r.queue.drain();
  assert.deepEqual(landed.map((l) => l.outcome), ['landed', 'landed']);
  assert.equal(readFileSync(path.join(r.root, 'alpha.txt'), 'utf8'), 'alpha\n', 'the checked-out tree followed the target');
  assert.equal(readFileSync(path.join(r.root, 'beta.txt'), 'utf8'), 'beta\n');
  for (const p of [pa, pb]) {
    const shown = await r.board.call({ type: 'proposal.show', proposalId: p.id });
    assert.equal(shown.status, 'applied');
    assert.equal(shown.validation.results[0]?.name, 'both-files', 'checks ran on the merged result');
  }
  assert.ok(!existsSync(wa.path) && !existsSync(wb.path), 'landed worktrees are removed');
  assert.equal(sh(r.root, 'status', '--porcelain'), '');
});

test('two tasks editing the same line: the conflict is found before any write, sent back, resolved as revision 2, landed', async () => {
  const r = await rig();
  const a = await r.task('Edit line two');
  const b = await r.task('Edit line two differently');
  const [wa, wb] = [await r.wt(a), await r.wt(b)];
  writeFileSync(path.join(wa.path, 'shared.txt'), 'line 1\nline 2 by a\nline 3\n');
  writeFileSync(path.join(wb.path, 'shared.txt'), 'line 1\nline 2 by b\nline 3\n');
  const pa = (await r.manager.propose(a, { agentId: 'ada', agentName: 'ada', summary: 'a', run: 1 }))!;
  const pb = (await r.manager.propose(b, { agentId: 'ada', agentName: 'ada', summary: 'b', run: 1 }))!;
  await approveWithChecks(r.board, r.ws, pa.id, { via: 'test' });
  await approveWithChecks(r.board, r.ws, pb.id, { via: 'test' });
  const headBefore = sh(r.root, 'rev-parse', 'main');
  const [first, second] = await r.queue.drain();
  assert.equal(first?.outcome, 'landed');
  const headAfterFirst = sh(r.root, 'rev-parse', 'main');
  assert.notEqual(headAfterFirst, headBefore);
  assert.equal(second?.outcome, 'conflicted');
  assert.equal(sh(r.root, 'rev-parse', 'main'), headAfterFirst, 'the target did not move for the conflicting change');
  assert.equal(readFileSync(path.join(r.root, 'shared.txt'), 'utf8'), 'line 1\nline 2 by a\nline 3\n', 'no file was written for it');
  const conflicted = await r.board.call({ type: 'proposal.show', proposalId: pb.id });
  assert.equal(conflicted.status, 'conflicted');
  assert.match(conflicted.statusReason, /shared\.txt/);
  // The agent resolves it in its own worktree: merge the target, keep both intents, commit.
  assert.throws(() => sh(wb.path, 'merge', 'main'), 'merging the target conflicts, as the queue said');
  writeFileSync(path.join(wb.path, 'shared.txt'), 'line 1\nline 2 by a and b\nline 3\n');
  const rev2 = (await r.manager.propose(b, { agentId: 'ada', agentName: 'ada', summary: 'resolved', run: 2 }))!;
  assert.equal(rev2.id, pb.id);
  assert.equal(rev2.git?.revision, 2);
  assert.equal(rev2.status, 'pending');
  const revisions = await r.board.call({ type: 'proposal.revisions', proposalId: pb.id });
  assert.deepEqual(revisions.map((x) => x.revision), [1, 2]);
  assert.notEqual(revisions[0]!.headCommit, revisions[1]!.headCommit);
  await approveWithChecks(r.board, r.ws, pb.id, { via: 'test' });
  assert.deepEqual((await r.queue.drain()).map((x) => x.outcome), ['landed']);
  assert.equal(readFileSync(path.join(r.root, 'shared.txt'), 'utf8'), 'line 1\nline 2 by a and b\nline 3\n');
});

test("the person's uncommitted file is never overwritten: the queue waits and says why, then lands once it is committed", async () => {
  const r = await rig();
  const a = await r.task('Touch shared');
  writeFileSync(path.join((await r.wt(a)).path, 'shared.txt'), 'line 1\nline 2\nline 3\nline 4 by the agent\n');
  const p = (await r.manager.propose(a, { agentId: 'ada', agentName: 'ada', summary: 'a', run: 1 }))!;
  writeFileSync(path.join(r.root, 'shared.txt'), 'my own unsaved work\n');
  await approveWithChecks(r.board, r.ws, p.id, { via: 'test' });
  const [w] = await r.queue.drain();
  assert.equal(w?.outcome, 'waiting');
  assert.match(w!.reason, /uncommitted changes in shared\.txt/);
  assert.equal(readFileSync(path.join(r.root, 'shared.txt'), 'utf8'), 'my own unsaved work\n');
  const [entry] = await r.board.call({ type: 'queue.list' });
  assert.equal(entry?.status, 'waiting');
  // The person puts their change aside; the queue lands on its next try.
  sh(r.root, 'checkout', '--', 'shared.txt');
  await new Promise((res) => setTimeout(res, 2_100));
  assert.deepEqual((await r.queue.drain()).map((x) => x.outcome), ['landed']);
  assert.match(readFileSync(path.join(r.root, 'shared.txt'), 'utf8'), /line 4 by the agent/);
});

test('discard keeps the exact head (uncommitted work included) under refs/dreamos/archive; restore brings it back', async () => {
  const r = await rig();
  const a = await r.task('Half done');
  const w = await r.wt(a);
  writeFileSync(path.join(w.path, 'wip.txt'), 'work in progress\n');
  const discarded = await r.manager.discard(a.id);
  assert.equal(discarded.status, 'discarded');
  assert.ok(!existsSync(w.path));
  const archived = sh(r.root, 'rev-parse', `refs/dreamos/archive/${w.branch}`);
  assert.equal(archived, discarded.headCommit);
  assert.equal(sh(r.root, 'show', `${archived}:wip.txt`), 'work in progress');
  assert.deepEqual((await r.manager.prune()).removed, [], 'prune removes nothing unmerged');
  const restored = await r.manager.restore(a.id);
  assert.equal(restored.status, 'active');
  assert.equal(sh(w.path, 'rev-parse', 'HEAD'), archived, 'the exact head is back');
  assert.equal(readFileSync(path.join(w.path, 'wip.txt'), 'utf8'), 'work in progress\n');
});

test('not a git repository (or one without a commit): a clear notice and the shared folder', async () => {
  const outer = mkdtempSync(path.join(os.tmpdir(), 'dreamos-wt-'));
  dirs.push(outer);
  const mb = await memoryBoard();
  const board = mb.port('human:test');
  const m = new WorktreeManager({ board, git: new GitCli(), runner: new ProcessCommandRunner(), workspaceRoot: outer, boardDir: path.join(outer, '.dreamos') });
  const t = await board.call({ type: 'task.add', title: 'x' });
  const p = await m.prepare(t);
  assert.equal(p.mode, 'shared');
  assert.match(p.mode === 'shared' ? p.notice : '', /not a git repository/);
});
