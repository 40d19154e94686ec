/**
 * The worktree manager: makes a task's worktree (branch, folder, setup), turns a run's result into
 * a branch proposal, and keeps work from being lost — a worktree is removed only once its branch
 * has landed or the person discards it (the head, with any uncommitted work committed first, is
 * kept under refs/dreamos/archive/<branch> and can be restored). Every git call goes through the
 * GitPort; every record through the board.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Task } from '../board/boardModel';
import { DreamError } from '../errors';
import type { BoardPort } from '../port';
import { MAX_FILES, type Proposal, type ProposalFile } from '../proposals/proposalModel';
import { sha256 } from '../proposals/prepare';
import { checkContent } from '../proposals/safety';
import { archiveRefOf, branchFor, LIVE_WORKTREE, type Worktree } from './worktreeModel';
import type { CommandRunner, GitPort, RepoInfo } from './gitPort';
import { readSetup, runSetup } from './setup';

export type Prepared =
  | { mode: 'worktree'; worktree: Worktree; env: Record<string, string> }
  | { mode: 'shared'; notice: string }
  | { mode: 'setup-failed'; worktree: Worktree; output: string };

export interface WorktreeManagerOptions {
  board: BoardPort;
  git: GitPort;
  runner: CommandRunner;
  workspaceRoot: string;
  boardDir: string;
  log?: (line: string) => void;
}

function envOf(w: Worktree): Record<string, string> {
  return {
    DREAMOS_WORKTREE: w.path,
    DREAMOS_BRANCH: w.branch,
    DREAMOS_BASE_BRANCH: w.baseBranch,
    ...(w.portBase !== null ? { DREAMOS_PORT_BASE: String(w.portBase) } : {}),
  };
}

export class WorktreeManager {
  private repoInfo: Promise<RepoInfo | null> | undefined;
  constructor(private readonly o: WorktreeManagerOptions) {}

  repo(): Promise<RepoInfo | null> {
    this.repoInfo ??= this.o.git.repo(this.o.workspaceRoot);
    return this.repoInfo;
  }

  private async top(): Promise<RepoInfo> {
    const r = await this.repo();
    if (!r) throw new DreamError('unavailable', `${this.o.workspaceRoot} is not a git repository with a commit: tasks work in the workspace folder, without worktrees.`);
    return r;
  }

  /** Where a task's worktree goes: outside the workspace unless the board's worktreeRoot says otherwise. */
  async folderFor(branch: string): Promise<string> {
    const { top } = await this.top();
    const { config } = await this.o.board.call({ type: 'board.config.get' });
    const root = config.worktreeRoot ? path.resolve(this.o.workspaceRoot, config.worktreeRoot) : path.join(path.dirname(top), '.dreamos-worktrees');
    return path.join(root, path.basename(top), branch.replace(/^dreamos\//, ''));
  }

  /** The task's worktree, made (with its setup) the first time and reused on every rerun, resume and revision. */
  async prepare(task: Task): Promise<Prepared> {
    return this.serially(() => this.prepareNow(task));
  }

  /** One worktree change at a time in this process: parallel agents' `git worktree add`s do not race for git's locks. */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
  private chain: Promise<unknown> = Promise.resolve();

  private async prepareNow(task: Task): Promise<Prepared> {
    const { config } = await this.o.board.call({ type: 'board.config.get' });
    if (config.worktrees === 'off') return { mode: 'shared', notice: 'worktrees are off on this board (board setting "worktrees"): the agent works in the workspace folder' };
    const repo = await this.repo();
    if (!repo) return { mode: 'shared', notice: `${this.o.workspaceRoot} is not a git repository with at least one commit, so tasks share the workspace folder (no worktree per task). Run \`git init\` and commit to get one.` };
    let w = await this.o.board.call({ type: 'worktree.show', taskId: task.id });
    if (w && LIVE_WORKTREE.includes(w.status) && (await exists(w.path))) {
      if (w.status === 'setup-failed') return this.setUp(w);
      return { mode: 'worktree', worktree: w, env: envOf(w) };
    }
    if (w && LIVE_WORKTREE.includes(w.status)) {
      // Recorded but its folder is gone (deleted by hand): make it again from its branch, which holds the work.
      await this.o.git.addWorktree(repo.top, w.path, w.branch, w.branch, { existingBranch: true });
      return { mode: 'worktree', worktree: w, env: envOf(w) };
    }
    if (!repo.branch) return { mode: 'shared', notice: `${repo.top} has a detached HEAD: check out a branch so task branches have a base to land on.` };
    const branch = w?.branch ?? branchFor(task);
    const folder = await this.folderFor(branch);
    const setup = await readSetup(this.o.boardDir);
    const base = (await this.o.git.resolve(repo.top, `refs/heads/${repo.branch}`)) ?? repo.head;
    await fs.mkdir(path.dirname(folder), { recursive: true });
    const existing = await this.o.git.resolve(repo.top, `refs/heads/${branch}`);
    await this.o.git.addWorktree(repo.top, folder, branch, base, { existingBranch: !!existing });
    w = await this.o.board.call({ type: 'worktree.record', taskId: task.id, path: folder, branch, baseBranch: repo.branch, baseCommit: base, ...(setup.ports ? { ports: setup.ports } : {}) });
    this.o.log?.(`task ${task.id}: worktree ${folder} on ${branch} from ${repo.branch} (${base.slice(0, 12)})`);
    return this.setUp(w);
  }

  private async setUp(w: Worktree): Promise<Prepared> {
    const setup = await readSetup(this.o.boardDir);
    if (!setup.copy.length && !setup.link.length && !setup.run.length) return { mode: 'worktree', worktree: w, env: envOf(w) };
    const r = await runSetup(setup, { workspace: this.o.workspaceRoot, folder: w.path, env: envOf(w), runner: this.o.runner });
    const first = r.output.split('\n').filter(Boolean).slice(-1)[0] ?? '';
    const next = await this.o.board.call({ type: 'worktree.update', taskId: w.taskId, status: r.ok ? 'active' : 'setup-failed', setup: { ok: r.ok, output: r.output.slice(-20_000) }, reason: r.ok ? '' : `setup failed: ${first}`.slice(0, 2_000) });
    return r.ok ? { mode: 'worktree', worktree: next, env: envOf(next) } : { mode: 'setup-failed', worktree: next, output: r.output };
  }

  /** Files changed in the worktree since its base: committed by the agent, or not yet. */
  async changedFiles(w: Worktree): Promise<string[]> {
    const { top } = await this.top();
    const head = (await this.o.git.resolve(w.path, 'HEAD')) ?? w.baseCommit;
    const committed = (await this.o.git.diff(top, (await this.o.git.mergeBase(top, w.baseBranch, head)) ?? w.baseCommit, head)).map((f) => f.path);
    return [...new Set([...committed, ...(await this.o.git.dirty(w.path))])].sort();
  }

  /**
   * A run ended: its work is committed on the task's branch (the agent's own commits stay as they
   * are) and proposed from base..branch. Returns null when the branch holds no change at all.
   */
  async propose(task: Task, o: { agentId: string; agentName: string; summary: string; run: number }): Promise<Proposal | null> {
    const { top } = await this.top();
    const w = await this.o.board.call({ type: 'worktree.show', taskId: task.id });
    if (!w) return null;
    await this.o.git.commitAll(w.path, `${task.title}\n\n${o.summary}\n\nDream.OS task ${task.id}, run ${o.run} by ${o.agentName}.`.slice(0, 10_000));
    const head = await this.o.git.resolve(w.path, 'HEAD');
    if (!head) return null;
    const target = w.baseBranch;
    const targetTip = (await this.o.git.resolve(top, `refs/heads/${target}`)) ?? w.baseCommit;
    const base = (await this.o.git.mergeBase(top, targetTip, head)) ?? w.baseCommit;
    const changed = await this.o.git.diff(top, base, head);
    if (!changed.length) return null;
    const files: ProposalFile[] = [];
    const skipped: string[] = [];
    for (const f of changed) {
      const after = f.op === 'delete' ? null : await this.o.git.show(top, head, f.path);
      const before = f.op === 'create' ? null : await this.o.git.show(top, base, f.path);
      const content = after === null ? null : after.toString('utf8');
      try {
        if (f.binary || (content !== null && !Buffer.from(content, 'utf8').equals(after!))) throw new Error('binary');
        if (content !== null) checkContent(f.path, content);
      } catch {
        skipped.push(f.path);
        continue;
      }
      // The diff editors show up to MAX_FILES; the rest land with the branch all the same.
      if (files.length >= MAX_FILES) skipped.push(f.path);
      else files.push({ path: f.path, op: f.op, baseHash: before ? sha256(before) : null, content, added: f.added, removed: f.removed });
    }
    const rationale = `${o.summary}${skipped.length ? `\n\nNot shown here (binary, too large, or past the first files; they land with the branch): ${skipped.join(', ')}` : ''}`.slice(0, 20_000);
    return this.o.board.call({ type: 'proposal.fromBranch', taskId: task.id, agentId: o.agentId, title: task.title.slice(0, 200), rationale, branch: w.branch, targetBranch: target, baseCommit: base, headCommit: head, files });
  }

  /** A worktree whose branch holds no change: marked merged (nothing to land) and cleaned up. */
  async release(taskId: string, why: string): Promise<void> {
    const w = await this.o.board.call({ type: 'worktree.show', taskId });
    if (!w || !LIVE_WORKTREE.includes(w.status)) return;
    const { top } = await this.top();
    const head = await this.o.git.resolve(w.path, 'HEAD');
    if (head && !(await this.o.git.isAncestor(top, head, `refs/heads/${w.baseBranch}`))) return; // commits of its own: not "nothing"
    if ((await this.o.git.dirty(w.path).catch(() => [])).length) return;
    await this.o.board.call({ type: 'worktree.update', taskId, status: 'merged', reason: why });
    await this.cleanUp(taskId, { checkedClean: true });
  }

  /** Removes a landed worktree's folder and branch; one with uncommitted work stays, listed. */
  async cleanUp(taskId: string, o: { checkedClean?: boolean } = {}): Promise<'removed' | 'kept'> {
    const { top } = await this.top();
    const w = await this.o.board.call({ type: 'worktree.show', taskId });
    if (!w || w.status !== 'merged') return 'kept';
    if (await exists(w.path)) {
      const dirty = o.checkedClean ? [] : await this.o.git.dirty(w.path);
      if (dirty.length) {
        await this.o.board.call({ type: 'worktree.update', taskId, reason: `landed, but kept: uncommitted files ${dirty.slice(0, 5).join(', ')}` });
        return 'kept';
      }
      await this.o.git.removeWorktree(top, w.path);
    }
    const tip = await this.o.git.resolve(top, `refs/heads/${w.branch}`);
    if (tip && w.headCommit && (await this.o.git.isAncestor(top, tip, `refs/heads/${w.baseBranch}`))) await this.o.git.deleteRef(top, `refs/heads/${w.branch}`);
    return 'removed';
  }

  /** The person discards a task's worktree: everything in it is committed and kept under the archive ref first. */
  async discard(taskId: string): Promise<Worktree> {
    const { top } = await this.top();
    const w = await this.o.board.call({ type: 'worktree.show', taskId });
    if (!w) throw new DreamError('not_found', `Task ${taskId} has no worktree.`);
    if (w.status === 'discarded') return w;
    let head = w.headCommit;
    if (await exists(w.path)) {
      await this.o.git.commitAll(w.path, `Discarded by the person: work kept under ${archiveRefOf(w.branch)}`);
      head = (await this.o.git.resolve(w.path, 'HEAD')) ?? head;
    } else head = (await this.o.git.resolve(top, `refs/heads/${w.branch}`)) ?? head;
    if (!head) throw new DreamError('internal', `Task ${taskId}'s worktree has no head to keep; nothing was removed.`);
    const ref = archiveRefOf(w.branch);
    await this.o.git.updateRef(top, ref, head, await this.o.git.resolve(top, ref));
    if ((await this.o.git.resolve(top, ref)) !== head) throw new DreamError('internal', `Could not keep ${w.branch}'s head under ${ref}; nothing was removed.`);
    if (await exists(w.path)) await this.o.git.removeWorktree(top, w.path);
    await this.o.git.deleteRef(top, `refs/heads/${w.branch}`);
    return this.o.board.call({ type: 'worktree.update', taskId, status: 'discarded', headCommit: head, archiveRef: ref, reason: `discarded; the head ${head.slice(0, 12)} is kept under ${ref}` });
  }

  /** Brings a discarded worktree back: its branch at the archived head, its folder where it was. */
  async restore(taskId: string): Promise<Worktree> {
    const { top } = await this.top();
    const w = await this.o.board.call({ type: 'worktree.show', taskId });
    if (!w || w.status !== 'discarded' || !w.archiveRef) throw new DreamError('invalid_transition', `Task ${taskId} has no discarded worktree to restore.`);
    const head = await this.o.git.resolve(top, w.archiveRef);
    if (!head) throw new DreamError('not_found', `${w.archiveRef} is gone from the repository; the worktree cannot be restored.`);
    if (!(await this.o.git.resolve(top, `refs/heads/${w.branch}`))) await this.o.git.updateRef(top, `refs/heads/${w.branch}`, head, null);
    if (!(await exists(w.path))) await this.o.git.addWorktree(top, w.path, w.branch, head, { existingBranch: true });
    await this.o.git.deleteRef(top, w.archiveRef);
    return this.o.board.call({ type: 'worktree.update', taskId, status: 'active', headCommit: head, archiveRef: null, reason: `restored at ${head.slice(0, 12)}` });
  }

  /**
   * Removes the folders of worktrees whose work has landed and that hold nothing uncommitted; a
   * worktree with unmerged or uncommitted work is never touched, and says why.
   */
  async prune(): Promise<{ removed: string[]; kept: { taskId: string; why: string }[] }> {
    const { top } = await this.top();
    const removed: string[] = [];
    const kept: { taskId: string; why: string }[] = [];
    for (const w of await this.o.board.call({ type: 'worktree.list' })) {
      if (!(await exists(w.path))) continue;
      if (w.status !== 'merged') {
        kept.push({ taskId: w.taskId, why: w.status === 'discarded' ? 'discarded (its folder is not Dream.OS’s to remove)' : `${w.status}: its work has not landed` });
        continue;
      }
      const tip = await this.o.git.resolve(w.path, 'HEAD');
      const dirty = await this.o.git.dirty(w.path);
      if (dirty.length) kept.push({ taskId: w.taskId, why: `uncommitted files: ${dirty.slice(0, 5).join(', ')}` });
      else if (tip && !(await this.o.git.isAncestor(top, tip, `refs/heads/${w.baseBranch}`))) kept.push({ taskId: w.taskId, why: `commits not on ${w.baseBranch}` });
      else if ((await this.cleanUp(w.taskId)) === 'removed') removed.push(w.taskId);
    }
    return { removed, kept };
  }
}

async function exists(p: string): Promise<boolean> {
  return !!(await fs.stat(p).catch(() => undefined));
}
