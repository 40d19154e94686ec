/**
 * Worktrees (issue 14): on a repository of 10k files, making and removing a task's worktree
 * through Dream.OS (WorktreeManager.prepare + discard/cleanup, board records included) against
 * plain `git worktree add` / `git worktree remove` in the same run; and the merge queue's time per
 * landed change (conflict check, merge commit, target moved; no checks configured).
 *
 *   node --import tsx bench/worktree.bench.ts      Env: BENCH_WT_FILES=10000 BENCH_WT_ROUNDS=5 BENCH_WT_LANDS=10
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Task } from '../src/core/board/boardModel';
import { approveWithChecks } from '../src/core/proposals/approval';
import { workspaceWorktrees } from '../src/integrations/git/worktreeHost';
import { memoryBoard } from '../test/unit/helpers/memoryBoard';

const FILES = Number(process.env.BENCH_WT_FILES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_WT_ROUNDS ?? 5);
const LANDS = Number(process.env.BENCH_WT_LANDS ?? 10);
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', ...args], { cwd, encoding: 'utf8' }).trim();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function figure(name: string, value: number, unit: string, note: string): void {
  console.log(`${name}: ${value.toFixed(1)} ${unit}  (${note})`);
  if (process.env.BENCH_RESULTS) appendFileSync(process.env.BENCH_RESULTS, `${JSON.stringify({ bench: 'worktree', name, value, unit, note })}\n`);
}

async function main(): Promise<void> {
  const outer = mkdtempSync(path.join(os.tmpdir(), 'dreamos-bench-wt-'));
  const root = path.join(outer, 'repo');
  try {
    mkdirSync(path.join(root, '.dreamos'), { recursive: true });
    writeFileSync(path.join(root, '.gitignore'), '.dreamos/\n');
    for (let i = 0; i < FILES; i++) {
      const dir = path.join(root, 'src', `d${i % 100}`);
      if (i < 100) mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `f${i}.ts`), `export const v${i} = ${i};\n`);
    }
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'base');
    console.log(`repository of ${FILES} files at ${root}; ${ROUNDS} rounds each`);

    const plain: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const dir = path.join(outer, `plain-${i}`);
      const t0 = performance.now();
      git(root, 'worktree', 'add', '-q', '-b', `plain-${i}`, dir, 'main');
      git(root, 'worktree', 'remove', '--force', dir);
      plain.push(performance.now() - t0);
    }

    const mb = await memoryBoard();
    const board = mb.port('human:bench');
    const wt = workspaceWorktrees({ workspaceRoot: root, boardDir: path.join(root, '.dreamos'), board, holder: 'bench' });
    const ours: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const task: Task = await board.call({ type: 'task.add', title: `bench ${i}` });
      const t0 = performance.now();
      await wt.manager.prepare(task);
      await wt.manager.release(task.id, 'bench');
      ours.push(performance.now() - t0);
    }
    const p = median(plain);
    const o = median(ours);
    figure('git worktree add + remove (baseline)', p, 'ms', `median of ${ROUNDS}, ${FILES} files`);
    figure('Dream.OS worktree create + remove', o, 'ms', `${(o / p).toFixed(2)}x plain git (board records, branch naming, setup file read)`);

    await board.call({ type: 'agent.register', name: 'bench' });
    const tasks: Task[] = [];
    for (let i = 0; i < LANDS; i++) {
      const task: Task = await board.call({ type: 'task.add', title: `land ${i}` });
      const prep = await wt.manager.prepare(task);
      if (prep.mode !== 'worktree') throw new Error('expected a worktree');
      writeFileSync(path.join(prep.worktree.path, `new-${i}.txt`), `change ${i}\n`);
      const prop = await wt.manager.propose(task, { agentId: 'bench', agentName: 'bench', summary: 'bench', run: 1 });
      await approveWithChecks(board, { root, boardDir: path.join(root, '.dreamos') }, prop!.id, { via: 'bench' });
      tasks.push(task);
    }
    const t0 = performance.now();
    const landed = await wt.queue.drain();
    const per = (performance.now() - t0) / Math.max(1, landed.length);
    if (landed.some((l) => l.outcome !== 'landed')) throw new Error(`not all landed: ${landed.map((l) => l.outcome).join(', ')}`);
    figure('merge queue, per landed change (checks excluded)', per, 'ms', `${landed.length} changes onto a checked-out main, ${FILES} files; ${(per / p).toFixed(2)}x one plain worktree add+remove`);
  } finally {
    rmSync(outer, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
