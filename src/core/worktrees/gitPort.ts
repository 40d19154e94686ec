/**
 * What the worktree manager and the merge queue need from git and from the machine, as a port:
 * the core decides, src/integrations/git runs the `git` processes. Paths are absolute; commits
 * are full hex ids; file paths inside a repository use '/'.
 */

export interface RepoInfo {
  /** The main worktree's top folder. */
  top: string;
  /** The branch checked out there, or null (detached HEAD). */
  branch: string | null;
  head: string;
}

export interface ChangedFile {
  path: string;
  op: 'create' | 'modify' | 'delete';
  added: number;
  removed: number;
  binary: boolean;
}

export type MergeTreeResult = { clean: true; tree: string } | { clean: false; conflicts: string[]; message: string };

export interface RunResult {
  ok: boolean;
  exitCode: number | null;
  output: string;
}

export interface GitPort {
  /** null: not in a git repository, or one without a commit yet (nothing to branch from). */
  repo(folder: string): Promise<RepoInfo | null>;
  /** The commit a ref names, or null when it does not exist. */
  resolve(top: string, ref: string): Promise<string | null>;
  addWorktree(top: string, folder: string, branch: string, start: string, opts?: { existingBranch?: boolean }): Promise<void>;
  /** A detached worktree at a commit (the merge queue's check folder). */
  addDetached(top: string, folder: string, commit: string): Promise<void>;
  removeWorktree(top: string, folder: string): Promise<void>;
  /** Worktree folders git knows for this repository, with the branch each has checked out. */
  worktrees(top: string): Promise<{ path: string; branch: string | null; head: string | null }[]>;
  /** Uncommitted files (modified, staged, untracked) in a worktree, repository-relative. */
  dirty(folder: string): Promise<string[]>;
  /** Commits every uncommitted change in the worktree; null when there was nothing to commit. */
  commitAll(folder: string, message: string): Promise<string | null>;
  mergeBase(top: string, a: string, b: string): Promise<string | null>;
  isAncestor(top: string, ancestor: string, descendant: string): Promise<boolean>;
  /** What changed from `base` to `head` (both commits). */
  diff(top: string, base: string, head: string): Promise<ChangedFile[]>;
  /** A file's bytes at a commit, or null when it is not there. */
  show(top: string, commit: string, file: string): Promise<Buffer | null>;
  /** `git merge-tree --write-tree`: merges without touching any file or ref. */
  mergeTree(top: string, ours: string, theirs: string): Promise<MergeTreeResult>;
  commitTree(top: string, tree: string, parents: string[], message: string): Promise<string>;
  /** Moves a ref, only if it still points at `expected` (null: must not exist). */
  updateRef(top: string, ref: string, to: string, expected: string | null): Promise<void>;
  deleteRef(top: string, ref: string): Promise<void>;
  /** `git merge --ff-only <commit>` in a worktree: moves its branch and files, refusing to overwrite local changes. */
  fastForwardCheckout(folder: string, commit: string): Promise<RunResult>;
  /** Refs under a prefix (refs/dreamos/archive/), with the commit each points at. */
  refs(top: string, prefix: string): Promise<{ ref: string; commit: string }[]>;
}

/** Runs a setup or check command (an argument array, never a shell string). */
export interface CommandRunner {
  run(command: string, args: readonly string[], opts: { cwd: string; env: Record<string, string>; timeoutMs: number; signal?: AbortSignal }): Promise<RunResult>;
}
