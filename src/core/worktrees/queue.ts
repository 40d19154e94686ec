/**
 * The merge queue's lander: takes the head of the queue (one at a time, board-leased), finds
 * conflicts with `git merge-tree --write-tree` before any file or ref is touched, runs the
 * configured checks on the merged result in a temporary worktree, and only then moves the target
 * branch — with the old value given, so a branch that moved meanwhile is never overwritten. When
 * the target is checked out, the person's tree follows by `git merge --ff-only` and only when none
 * of the files concerned has uncommitted changes; otherwise the entry waits and says why.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BoardPort } from '../port';
import type { CheckResult } from '../proposals/proposalModel';
import type { CheckSpec } from '../proposals/proposalChecks';
import type { MergeQueueEntry } from './worktreeModel';
import type { CommandRunner, GitPort } from './gitPort';
import type { WorktreeManager } from './manager';
import { readSetup, runSetup } from './setup';

export interface MergeQueueOptions {
  board: BoardPort;
  git: GitPort;
  runner: CommandRunner;
  manager: WorktreeManager;
  workspaceRoot: string;
  boardDir: string;
  /** Who lands (loop id / process): the board leases the entry to it. */
  holder: string;
  checks: () => Promise<CheckSpec[]>;
  log?: (line: string) => void;
}

export type LandResult = { entry: MergeQueueEntry; outcome: 'landed' | 'waiting' | 'conflicted' | 'failed'; reason: string } | null;

export class MergeQueue {
  constructor(private readonly o: MergeQueueOptions) {}

  /** Lands every entry that is due, one after another; returns what happened to each. */
  async drain(max = 100): Promise<NonNullable<LandResult>[]> {
    const out: NonNullable<LandResult>[] = [];
    for (let i = 0; i < max; i++) {
      const r = await this.landNext();
      if (!r) break;
      out.push(r);
      if (r.outcome === 'waiting') break;
    }
    return out;
  }

  async landNext(): Promise<LandResult> {
    const entry = await this.o.board.call({ type: 'queue.next', holder: this.o.holder, holdMs: 600_000 });
    if (!entry) return null;
    let result: Parameters<typeof this.finish>[1];
    try {
      result = await this.land(entry);
    } catch (err) {
      result = { outcome: 'failed', reason: `landing failed: ${(err as Error).message}`, checks: [] };
    }
    await this.finish(entry, result);
    if (result.outcome === 'landed' && entry.taskId) await this.o.manager.cleanUp(entry.taskId).catch((err: Error) => this.o.log?.(`worktree of ${entry.taskId} not removed: ${err.message}`));
    const reason = 'reason' in result ? result.reason : `landed as ${result.landedCommit.slice(0, 12)}`;
    this.o.log?.(`merge queue: ${entry.branch} → ${entry.targetBranch}: ${result.outcome} (${reason})`);
    return { entry, outcome: result.outcome, reason };
  }

  private async finish(entry: MergeQueueEntry, result: Extract<Parameters<BoardPort['call']>[0], { type: 'queue.finish' }>['result']): Promise<void> {
    await this.o.board.call({ type: 'queue.finish', entryId: entry.id, holder: this.o.holder, result });
  }

  private async land(e: MergeQueueEntry): Promise<Extract<Parameters<BoardPort['call']>[0], { type: 'queue.finish' }>['result']> {
    const git = this.o.git;
    const repo = await this.o.manager.repo();
    if (!repo) return { outcome: 'failed', reason: 'the workspace is no longer a git repository', checks: [] };
    const top = repo.top;
    const targetRef = `refs/heads/${e.targetBranch}`;
    const target = await git.resolve(top, targetRef);
    if (!target) return { outcome: 'failed', reason: `the target branch ${e.targetBranch} does not exist`, checks: [] };
    const { config } = await this.o.board.call({ type: 'board.config.get' });
    // 1. The merged result, with no file or ref touched: a fast-forward, or merge-tree's tree.
    let result: string;
    if (await git.isAncestor(top, e.headCommit, target)) return { outcome: 'landed', landedCommit: target, checks: [] }; // already in
    if (config.mergeStrategy === 'fast-forward' && (await git.isAncestor(top, target, e.headCommit))) result = e.headCommit;
    else {
      const m = await git.mergeTree(top, target, e.headCommit);
      if (!m.clean) return { outcome: 'conflicted', conflicts: m.conflicts.length ? m.conflicts : ['(unknown)'], reason: m.message };
      result = await git.commitTree(top, m.tree, [target, e.headCommit], `Merge ${e.branch} into ${e.targetBranch}\n\nLanded by the Dream.OS merge queue (proposal ${e.proposalId}${e.taskId ? `, task ${e.taskId}` : ''}).`);
    }
    // 2. The person's uncommitted work in the files concerned: wait, never overwrite.
    const checkedOut = (await git.worktrees(top)).find((w) => w.branch === e.targetBranch);
    const touched = (await git.diff(top, target, result)).map((f) => f.path);
    if (checkedOut) {
      const dirty = new Set(await git.dirty(checkedOut.path));
      const clash = touched.filter((f) => dirty.has(f));
      if (clash.length) return { outcome: 'waiting', reason: `waiting: ${e.targetBranch} is checked out in ${checkedOut.path} with uncommitted changes in ${clash.join(', ')}. Commit or stash them; the queue lands the change then.` };
    }
    // 3. The configured checks, on the merged result in a temporary worktree.
    const checks = await this.check(top, result);
    if (checks.some((c) => !c.ok)) return { outcome: 'failed', reason: `checks failed on the merged result: ${checks.filter((c) => !c.ok).map((c) => c.name).join(', ')}`, checks };
    // 4. Move the target: the old value must still be there (another writer moved it: try again).
    if (checkedOut) {
      const ff = await git.fastForwardCheckout(checkedOut.path, result);
      if (!ff.ok) return { outcome: 'waiting', reason: `waiting: git refused to update ${checkedOut.path} (${ff.output.split('\n')[0]}). Nothing was overwritten.` };
    } else await git.updateRef(top, targetRef, result, target);
    return { outcome: 'landed', landedCommit: result, checks };
  }

  private async check(top: string, commit: string): Promise<CheckResult[]> {
    const specs = await this.o.checks();
    if (!specs.length) return [];
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'dreamos-merge-'));
    await fs.rm(folder, { recursive: true, force: true });
    await this.o.git.addDetached(top, folder, commit);
    try {
      const setup = await readSetup(this.o.boardDir);
      const s = await runSetup({ ...setup, run: setup.run }, { workspace: this.o.workspaceRoot, folder, env: {}, runner: this.o.runner });
      if (!s.ok) return [{ name: 'worktree setup', command: [], ok: false, exitCode: null, durationMs: 0, outputTail: s.output.slice(-8_000) }];
      const out: CheckResult[] = [];
      for (const c of specs) {
        const t0 = Date.now();
        const r = await this.o.runner.run(c.command[0]!, c.command.slice(1), { cwd: folder, env: {}, timeoutMs: c.timeoutSeconds * 1000 });
        out.push({ name: c.name, command: c.command, ok: r.ok, exitCode: r.exitCode, durationMs: Date.now() - t0, outputTail: r.output.slice(-8_000) });
      }
      return out;
    } finally {
      await this.o.git.removeWorktree(top, folder).catch(() => undefined);
    }
  }
}
