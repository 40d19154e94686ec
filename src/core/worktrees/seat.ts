/**
 * Where one agent loop's current task is done: its worktree (made or reused through the
 * manager), or the shared workspace folder. The loop asks it for the folder and the environment
 * of the run, for the files the task changed (committed by the agent or not), and, when a run
 * ends well, to commit the work and propose it. Before a new task starts, it holds the task back
 * (or flags it) when the task's declared scope overlaps what a running task already changed.
 */
import type { Task } from '../board/boardModel';
import type { BoardPort } from '../port';
import type { Proposal } from '../proposals/proposalModel';
import { inScope, taskScope } from '../loop/scope';
import type { WorktreeManager } from './manager';
import type { Worktree } from './worktreeModel';

export type Seated = { kind: 'worktree'; worktree: Worktree; env: Record<string, string> } | { kind: 'shared' } | { kind: 'held'; reason: string } | { kind: 'needs-person'; reason: string };

export class TaskSeat {
  current: { worktree: Worktree; env: Record<string, string> } | undefined;
  private noticed = false;

  constructor(
    private readonly manager: WorktreeManager | undefined,
    private readonly board: BoardPort,
    private readonly log: (line: string) => void,
  ) {}

  /** Takes the task's seat: its worktree (made with its setup the first time), or the shared folder. */
  async take(task: Task, opts: { resumed: boolean; token: number }): Promise<Seated> {
    this.current = undefined;
    if (!this.manager) return { kind: 'shared' };
    if (!opts.resumed) {
      const held = await this.overlap(task);
      if (held) return held;
    }
    const p = await this.manager.prepare(task);
    if (p.mode === 'shared') {
      if (!this.noticed) this.log(p.notice);
      this.noticed = true;
      return { kind: 'shared' };
    }
    if (p.mode === 'setup-failed') return { kind: 'needs-person', reason: `The setup of task ${task.id}'s worktree (${p.worktree.path}, .dreamos/worktrees.json) failed:\n${p.output.slice(-3_000)}\n\nFix the setup, then unblock the task: the same worktree is set up again.` };
    this.current = { worktree: p.worktree, env: p.env };
    return { kind: 'worktree', worktree: p.worktree, env: p.env };
  }

  /** The task's scope against the files running tasks changed in their worktrees. */
  private async overlap(task: Task): Promise<Seated | undefined> {
    const scope = taskScope(task);
    if (!scope.length) return undefined;
    const others = (await this.board.call({ type: 'worktree.list', status: ['active'] })).filter((w) => w.taskId !== task.id && (w.taskStatus === 'claimed' || w.taskStatus === 'running'));
    for (const w of others) {
      const files = (await this.manager!.changedFiles(w).catch(() => [] as string[])).filter((f) => inScope(f, scope));
      if (!files.length) continue;
      const { config } = await this.board.call({ type: 'board.config.get' });
      const reason = `its scope overlaps files task ${w.taskId} (running) changed in its worktree: ${files.slice(0, 5).join(', ')}`;
      if (config.overlap === 'flag') {
        this.log(`task ${task.id}: dispatched although ${reason} (board setting overlap: flag)`);
        await this.board.call({ type: 'task.update', taskId: task.id, patch: { tags: [...new Set([...task.tags, `overlaps:${w.taskId}`])] } }).catch(() => undefined);
        return undefined;
      }
      // Held back until that task has landed: a dependency the person sees (and may remove).
      await this.board.call({ type: 'task.depend', taskId: task.id, dependsOn: w.taskId });
      return { kind: 'held', reason: `held back: ${reason}; it starts once ${w.taskId} has landed` };
    }
    return undefined;
  }

  /** Files the task changed since its base (worktree), or null in the shared folder (the loop's own snapshot decides). */
  async changed(): Promise<string[] | null> {
    if (!this.current) return null;
    return this.manager!.changedFiles(this.current.worktree);
  }

  /** The run ended well: commit its work on the task's branch and propose base..branch. */
  async propose(task: Task, o: { agentId: string; agentName: string; summary: string; run: number }): Promise<Proposal | null> {
    if (!this.current) return null;
    const p = await this.manager!.propose(task, o);
    // Nothing to land (a run that only reported): the worktree is done with, its folder removed.
    if (!p) await this.manager!.release(task.id, 'the run changed no file: nothing to land');
    return p;
  }

  leave(): void {
    this.current = undefined;
  }
}
