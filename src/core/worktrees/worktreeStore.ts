/**
 * The board's record of worktrees: which task has which folder, branch, base and head, its
 * status and port block. Written by the worktree manager (through board commands), read by every
 * host (`dreamos worktree list`, the Worktrees view, the API).
 */
import type { BoardContext } from '../board/tasks';
import { DreamError } from '../errors';
import { emitEvent } from '../events/eventLog';
import type { Tx } from '../store/sqlite';
import { LIVE_WORKTREE, type Worktree, type WorktreeStatus } from './worktreeModel';

interface Row {
  task_id: string;
  path: string;
  branch: string;
  base_branch: string;
  base_commit: string;
  head_commit: string | null;
  status: WorktreeStatus;
  reason: string;
  port_base: number | null;
  setup: string;
  archive_ref: string | null;
  created_at: number;
  updated_at: number;
}

function toWorktree(r: Row): Worktree {
  return {
    taskId: r.task_id,
    path: r.path,
    branch: r.branch,
    baseBranch: r.base_branch,
    baseCommit: r.base_commit,
    headCommit: r.head_commit,
    status: r.status,
    reason: r.reason,
    portBase: r.port_base,
    setup: JSON.parse(r.setup) as Worktree['setup'],
    archiveRef: r.archive_ref,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function findWorktree(tx: Tx, taskId: string): Worktree | undefined {
  const r = tx.get<Row>('SELECT * FROM worktrees WHERE task_id = ?', [taskId]);
  return r ? toWorktree(r) : undefined;
}

export function getWorktree(tx: Tx, taskId: string): Worktree {
  const w = findWorktree(tx, taskId);
  if (!w) throw new DreamError('not_found', `Task ${taskId} has no worktree. List them with \`dreamos worktree list\`.`, { taskId });
  return w;
}

/** A worktree whose folder holds work that has not landed (the agent's task is done there, or waits for review). */
export function holdsWork(tx: Tx, taskId: string): boolean {
  const w = findWorktree(tx, taskId);
  return !!w && LIVE_WORKTREE.includes(w.status);
}

export interface WorktreeListItem extends Worktree {
  taskTitle: string | null;
  taskStatus: string | null;
  /** The task's branch proposal, when its work was proposed: what the Proposals view and the diff editors open. */
  proposal: { id: string; status: string; revision: number; baseCommit: string | null; headCommit: string | null; targetBranch: string | null } | null;
}

export function listWorktrees(tx: Tx, status?: readonly WorktreeStatus[]): WorktreeListItem[] {
  const where = status?.length ? `WHERE w.status IN (${status.map(() => '?').join(',')})` : '';
  const rows = tx.all<Row & { title: string | null; tstatus: string | null }>(
    `SELECT w.*, t.title AS title, t.status AS tstatus FROM worktrees w LEFT JOIN tasks t ON t.id = w.task_id ${where} ORDER BY w.created_at DESC LIMIT 1000`,
    [...(status ?? [])],
  );
  return rows.map((r) => {
    const p = tx.get<{ id: string; status: string; revision: number; base_commit: string | null; head_commit: string | null; target_branch: string | null }>(
      'SELECT id, status, revision, base_commit, head_commit, target_branch FROM proposals WHERE task_id = ? AND branch = ? ORDER BY created_at DESC LIMIT 1',
      [r.task_id, r.branch],
    );
    return {
      ...toWorktree(r),
      taskTitle: r.title,
      taskStatus: r.tstatus,
      proposal: p ? { id: p.id, status: p.status, revision: p.revision, baseCommit: p.base_commit, headCommit: p.head_commit, targetBranch: p.target_branch } : null,
    };
  });
}

function changed(ctx: BoardContext, w: Worktree, what: string): Worktree {
  emitEvent(ctx.tx, { type: 'worktree.changed', at: ctx.now, actor: ctx.actor, subject: w.taskId, payload: { status: w.status, branch: w.branch, path: w.path, what } });
  return w;
}

/** The lowest free port block among worktrees that still hold work: parallel dev servers never collide. */
function freePortBase(tx: Tx, block: { base: number; size: number }): number {
  const used = new Set(
    tx
      .all<{ port_base: number }>(`SELECT port_base FROM worktrees WHERE port_base IS NOT NULL AND status IN (${LIVE_WORKTREE.map(() => '?').join(',')})`, [...LIVE_WORKTREE])
      .map((r) => r.port_base),
  );
  for (let p = block.base; p + block.size <= 65_536; p += block.size) if (!used.has(p)) return p;
  throw new DreamError('unavailable', `No free port block of ${block.size} from ${block.base}: too many worktrees hold work. Land or discard some, or lower "ports.size" in .dreamos/worktrees.json.`);
}

export function recordWorktree(
  ctx: BoardContext,
  c: { taskId: string; path: string; branch: string; baseBranch: string; baseCommit: string; ports?: { base: number; size: number } | undefined },
): Worktree {
  const existing = findWorktree(ctx.tx, c.taskId);
  if (existing && LIVE_WORKTREE.includes(existing.status)) return existing;
  if (existing) ctx.tx.run('DELETE FROM worktrees WHERE task_id = ?', [c.taskId]);
  const other = ctx.tx.get<{ task_id: string }>('SELECT task_id FROM worktrees WHERE branch = ?', [c.branch]);
  if (other) throw new DreamError('conflict', `Branch ${c.branch} already belongs to task ${other.task_id}'s worktree.`, { branch: c.branch });
  const port = c.ports ? freePortBase(ctx.tx, c.ports) : null;
  ctx.tx.run(
    `INSERT INTO worktrees (task_id, path, branch, base_branch, base_commit, head_commit, status, port_base, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)`,
    [c.taskId, c.path, c.branch, c.baseBranch, c.baseCommit, c.baseCommit, port, ctx.now, ctx.now],
  );
  return changed(ctx, getWorktree(ctx.tx, c.taskId), 'created');
}

export interface WorktreePatch {
  status?: WorktreeStatus | undefined;
  headCommit?: string | undefined;
  reason?: string | undefined;
  setup?: { ok: boolean; output: string } | undefined;
  archiveRef?: string | null | undefined;
  path?: string | undefined;
}

export function updateWorktree(ctx: BoardContext, taskId: string, p: WorktreePatch): Worktree {
  const w = getWorktree(ctx.tx, taskId);
  const next = {
    status: p.status ?? w.status,
    head: p.headCommit ?? w.headCommit,
    reason: p.reason ?? w.reason,
    setup: p.setup ? JSON.stringify({ ...p.setup, at: ctx.now }) : JSON.stringify(w.setup),
    archive: p.archiveRef === undefined ? w.archiveRef : p.archiveRef,
    path: p.path ?? w.path,
  };
  ctx.tx.run('UPDATE worktrees SET status = ?, head_commit = ?, reason = ?, setup = ?, archive_ref = ?, path = ?, updated_at = ? WHERE task_id = ?', [
    next.status,
    next.head,
    next.reason,
    next.setup,
    next.archive,
    next.path,
    ctx.now,
    taskId,
  ]);
  return changed(ctx, getWorktree(ctx.tx, taskId), p.status && p.status !== w.status ? p.status : 'updated');
}
