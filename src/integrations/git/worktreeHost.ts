/**
 * The worktree manager and the merge queue, composed with real git for a host (the headless
 * swarm, the CLI): the queue lands due entries every `everyMs` while the host runs.
 */
import path from 'node:path';
import type { BoardPort } from '../../core/port';
import { readCheckFile } from '../../core/proposals/proposalChecks';
import { WorktreeManager } from '../../core/worktrees/manager';
import { MergeQueue } from '../../core/worktrees/queue';
import { GitCli, ProcessCommandRunner } from './gitCli';

export interface WorkspaceWorktrees {
  manager: WorktreeManager;
  queue: MergeQueue;
  /** Lands approved changes as they come; returns the stop function. */
  runQueue(everyMs?: number): () => Promise<void>;
}

export function workspaceWorktrees(o: { workspaceRoot: string; boardDir: string; board: BoardPort; holder: string; log?: (line: string) => void }): WorkspaceWorktrees {
  const git = new GitCli();
  const runner = new ProcessCommandRunner();
  const manager = new WorktreeManager({ board: o.board, git, runner, workspaceRoot: o.workspaceRoot, boardDir: o.boardDir, ...(o.log ? { log: o.log } : {}) });
  const queue = new MergeQueue({
    board: o.board,
    git,
    runner,
    manager,
    workspaceRoot: o.workspaceRoot,
    boardDir: o.boardDir,
    holder: o.holder,
    checks: async () => (await readCheckFile(path.join(o.boardDir, 'checks.json'))).checks,
    ...(o.log ? { log: o.log } : {}),
  });
  return {
    manager,
    queue,
    runQueue(everyMs = 500) {
      let busy: Promise<unknown> = Promise.resolve();
      let stopped = false;
      const timer = setInterval(() => {
        if (stopped) return;
        busy = busy.then(async () => {
          if (stopped || !(await manager.repo())) return;
          await queue.drain().catch((err: Error) => o.log?.(`merge queue: ${err.message}`));
        });
      }, everyMs);
      timer.unref?.();
      return async () => {
        stopped = true;
        clearInterval(timer);
        await busy.catch(() => undefined);
      };
    },
  };
}
