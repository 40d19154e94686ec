/**
 * A worktree per task: each task that changes code in a git workspace gets its own git worktree
 * on its own branch (`dreamos/<short-id>-<slug>`), made from a base (the current branch by
 * default), in a folder outside the workspace (so editors, search and file watchers are not
 * flooded). The board keeps which task has which worktree, branch, base and head, and where it is
 * in its life: active (the agent works in it) → proposed (its change waits for review) → queued
 * (approved, waiting in the merge queue) → merged (landed; the folder is removed). A person may
 * discard it (its head is kept under refs/dreamos/archive/<branch>) and restore it.
 */
import { z } from 'zod';

export const WORKTREE_STATUSES = ['active', 'proposed', 'queued', 'merged', 'discarded', 'setup-failed'] as const;
export const WorktreeStatus = z.enum(WORKTREE_STATUSES);
export type WorktreeStatus = z.infer<typeof WorktreeStatus>;

/** Statuses whose folder holds work that has not landed: never removed by prune or a restart. */
export const LIVE_WORKTREE: readonly WorktreeStatus[] = ['active', 'proposed', 'queued', 'setup-failed'];

export interface Worktree {
  taskId: string;
  path: string;
  branch: string;
  baseBranch: string;
  baseCommit: string;
  headCommit: string | null;
  status: WorktreeStatus;
  /** Why it is in its status (a setup failure's first line, an overlap flag, what discarded it). */
  reason: string;
  /** The first port of the worktree's block (DREAMOS_PORT_BASE), when .dreamos/worktrees.json asks for ports. */
  portBase: number | null;
  setup: { ok: boolean; at: number; output: string } | Record<string, never>;
  /** Where a discarded worktree's head is kept (refs/dreamos/archive/<branch>). */
  archiveRef: string | null;
  createdAt: number;
  updatedAt: number;
}

export const ARCHIVE_PREFIX = 'refs/dreamos/archive/';
export const BRANCH_PREFIX = 'dreamos/';

/** `dreamos/<8 hex of the task id>-<slug of its title>`: readable in `git branch`, unique per task. */
export function branchFor(task: { id: string; title: string }): string {
  const short = task.id.replace(/^tsk_/, '').slice(0, 8);
  const slug = task.title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${BRANCH_PREFIX}${short}${slug ? `-${slug}` : ''}`;
}

export const archiveRefOf = (branch: string) => `${ARCHIVE_PREFIX}${branch}`;

export const MERGE_QUEUE_STATUSES = ['queued', 'landing', 'waiting', 'landed', 'conflicted', 'failed', 'cancelled'] as const;
export type MergeQueueStatus = (typeof MERGE_QUEUE_STATUSES)[number];

export interface MergeQueueEntry {
  id: number;
  proposalId: string;
  taskId: string | null;
  branch: string;
  targetBranch: string;
  /** The commit the person approved: what lands, whatever the branch does afterwards. */
  headCommit: string;
  status: MergeQueueStatus;
  reason: string;
  holder: string | null;
  heldUntil: number | null;
  landedCommit: string | null;
  enqueuedAt: number;
  updatedAt: number;
}

/** One revision of a branch proposal: what the agent's result was at that point. */
export interface ProposalRevision {
  proposalId: string;
  revision: number;
  baseCommit: string;
  headCommit: string;
  files: { path: string; op: 'create' | 'modify' | 'delete'; added: number; removed: number }[];
  rationale: string;
  createdAt: number;
}
