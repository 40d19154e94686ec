/**
 * Branch proposals: a run's result in a task's worktree becomes a proposal made from base..head —
 * the files (full contents, so the diff editors show them as for any proposal), the branch, its
 * target and both commits. The next result on the same task (after a rejection with feedback, or
 * a conflict sent back as a rebase) is the next revision of the same proposal; every revision's
 * commits and file list are kept so the person can see what changed between them.
 */
import { getAgent } from '../agents/registry';
import { assignTask, ownerTransition } from '../board/leases';
import { getTask, type BoardContext } from '../board/tasks';
import { DreamError } from '../errors';
import { emitEvent } from '../events/eventLog';
import { newId } from '../ids';
import { sendMessage } from '../mail/mailbox';
import type { ProposalFile, Proposal } from '../proposals/proposalModel';
import { audit, checkFiles, getProposal, transitionProposal } from '../proposals/proposalStore';
import type { Tx } from '../store/sqlite';
import type { ProposalRevision } from './worktreeModel';
import { findWorktree, updateWorktree } from './worktreeStore';

export interface BranchProposalInput {
  taskId: string;
  agentId?: string | undefined;
  title: string;
  rationale: string;
  branch: string;
  targetBranch: string;
  baseCommit: string;
  headCommit: string;
  files: ProposalFile[];
}

function saveRevision(ctx: BoardContext, id: string, revision: number, c: BranchProposalInput): void {
  const files = c.files.map((f) => ({ path: f.path, op: f.op, added: f.added, removed: f.removed }));
  ctx.tx.run('INSERT OR REPLACE INTO proposal_revisions (proposal_id, revision, base_commit, head_commit, files, rationale, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    id,
    revision,
    c.baseCommit,
    c.headCommit,
    JSON.stringify(files),
    c.rationale,
    ctx.now,
  ]);
}

/** Makes the task's branch proposal, or its next revision; the same head twice is one revision. */
export function proposeBranch(ctx: BoardContext, c: BranchProposalInput): Proposal {
  checkFiles(c.files);
  getTask(ctx.tx, c.taskId);
  const agentId = c.agentId ? getAgent(ctx.tx, c.agentId).id : null;
  const prev = ctx.tx.get<{ id: string }>('SELECT id FROM proposals WHERE task_id = ? AND branch = ? ORDER BY created_at DESC LIMIT 1', [c.taskId, c.branch]);
  const p = prev ? getProposal(ctx.tx, prev.id) : undefined;
  const open = p && ['pending', 'rejected', 'conflicted'].includes(p.status);
  if (p && !open && (p.status === 'approved' || p.status === 'validating')) {
    throw new DreamError('conflict', `Proposal ${p.id} for task ${c.taskId} is ${p.status}; a new result waits until it has landed or was sent back.`, { proposalId: p.id });
  }
  if (p && open) {
    if (p.git?.headCommit === c.headCommit && p.status === 'pending') return p;
    const revision = (p.git?.revision ?? 1) + 1;
    ctx.tx.run(
      `UPDATE proposals SET title = ?, rationale = ?, files = ?, validation = ?, target_branch = ?, base_commit = ?, head_commit = ?, revision = ?, agent_id = COALESCE(?, agent_id), updated_at = ? WHERE id = ?`,
      [c.title, c.rationale, JSON.stringify(c.files), JSON.stringify({ state: 'none', results: [], at: null }), c.targetBranch, c.baseCommit, c.headCommit, revision, agentId, ctx.now, p.id],
    );
    saveRevision(ctx, p.id, revision, c);
    audit(ctx, p.id, 'revised', `revision ${revision}: ${c.files.length} file(s), head ${c.headCommit.slice(0, 12)}`);
    if (p.status !== 'pending') transitionProposal(ctx, p.id, 'pending', `revision ${revision} from the agent`);
    else emitEvent(ctx.tx, { type: 'proposal.transitioned', at: ctx.now, actor: ctx.actor, subject: p.id, payload: { from: 'pending', to: 'pending', detail: `revision ${revision}`, taskId: c.taskId } });
    markProposed(ctx, c.taskId, c.headCommit);
    return getProposal(ctx.tx, p.id);
  }
  const id = newId('prp');
  ctx.tx.run(
    `INSERT INTO proposals (id, task_id, agent_id, title, rationale, status, files, validation, created_by, created_at, updated_at, branch, target_branch, base_commit, head_commit, revision)
     VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
    [id, c.taskId, agentId, c.title, c.rationale, JSON.stringify(c.files), JSON.stringify({ state: 'none', results: [], at: null }), ctx.actor, ctx.now, ctx.now, c.branch, c.targetBranch, c.baseCommit, c.headCommit],
  );
  saveRevision(ctx, id, 1, c);
  audit(ctx, id, 'submitted', `${c.files.length} file(s) from ${c.branch} (${c.baseCommit.slice(0, 12)}..${c.headCommit.slice(0, 12)})`);
  emitEvent(ctx.tx, { type: 'proposal.submitted', at: ctx.now, actor: ctx.actor, subject: id, payload: { title: c.title, taskId: c.taskId, files: c.files.length, branch: c.branch } });
  markProposed(ctx, c.taskId, c.headCommit);
  return getProposal(ctx.tx, id);
}

function markProposed(ctx: BoardContext, taskId: string, head: string): void {
  if (findWorktree(ctx.tx, taskId)) updateWorktree(ctx, taskId, { status: 'proposed', headCommit: head });
}

export function listRevisions(tx: Tx, proposalId: string): ProposalRevision[] {
  getProposal(tx, proposalId);
  return tx
    .all<{ proposal_id: string; revision: number; base_commit: string; head_commit: string; files: string; rationale: string; created_at: number }>(
      'SELECT * FROM proposal_revisions WHERE proposal_id = ? ORDER BY revision',
      [proposalId],
    )
    .map((r) => ({ proposalId: r.proposal_id, revision: r.revision, baseCommit: r.base_commit, headCommit: r.head_commit, files: JSON.parse(r.files) as ProposalRevision['files'], rationale: r.rationale, createdAt: r.created_at }));
}

/**
 * A branch proposal sent back (rejected with feedback, or conflicting with its target): its task
 * goes back to the same agent, which continues in the same worktree. The feedback is in its
 * mailbox (rejectProposal sends it) and in the task's history.
 */
export function sendBackToAgent(ctx: BoardContext, p: Proposal, why: string): void {
  if (!p.taskId) return;
  const t = getTask(ctx.tx, p.taskId);
  if (findWorktree(ctx.tx, t.id)) updateWorktree(ctx, t.id, { status: 'active', reason: why.slice(0, 500) });
  if (!['review', 'done', 'blocked', 'failed'].includes(t.status)) return;
  const agent = p.agentId ?? t.assignee;
  // The board's own gate: review → ready (or waiting, when a dependency was reopened meanwhile).
  ownerTransition(ctx, t.id, undefined, 'ready', `sent back to its agent: ${why}`.slice(0, 2_000));
  if (!agent) return;
  try {
    assignTask(ctx, t.id, agent);
  } catch {
    // The agent is gone (retired): the task stays on the board for whoever takes it, in the same worktree.
  }
}

/** Tells the person a branch proposal needs them (a conflict they chose to resolve themselves). */
export function tellPerson(ctx: BoardContext, p: Proposal, subject: string, body: string): void {
  sendMessage(ctx, { from: 'merge-queue', to: { kind: 'human' }, subject: subject.slice(0, 200), body: `${body}\n\nProposal ${p.id}${p.taskId ? `, task ${p.taskId}` : ''}.`, priority: 'high', requiresAck: true, ...(p.taskId ? { taskId: p.taskId } : {}) });
}
