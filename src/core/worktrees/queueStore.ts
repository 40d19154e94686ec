/**
 * The merge queue on the board: approved branch proposals, in the order they were approved. One
 * entry lands at a time — `queue.next` hands the head of the queue to one lander under a lease
 * (another lander, or the same after a crash, gets it once the lease ran out) — and
 * `queue.finish` records the outcome on the entry, the proposal, the task and the worktree in one
 * transaction.
 */
import { readBoardConfig } from '../board/boardConfig';
import type { BoardContext } from '../board/tasks';
import { DreamError } from '../errors';
import { emitEvent } from '../events/eventLog';
import { sendMessage } from '../mail/mailbox';
import type { CheckResult, Proposal } from '../proposals/proposalModel';
import { audit, getProposal, markApplied, transitionProposal } from '../proposals/proposalStore';
import type { Tx } from '../store/sqlite';
import type { MergeQueueEntry, MergeQueueStatus } from './worktreeModel';
import { sendBackToAgent, tellPerson } from './proposals';
import { findWorktree, updateWorktree } from './worktreeStore';

interface Row {
  id: number;
  proposal_id: string;
  task_id: string | null;
  branch: string;
  target_branch: string;
  head_commit: string;
  status: MergeQueueStatus;
  reason: string;
  holder: string | null;
  held_until: number | null;
  landed_commit: string | null;
  enqueued_at: number;
  updated_at: number;
}

const toEntry = (r: Row): MergeQueueEntry => ({
  id: r.id,
  proposalId: r.proposal_id,
  taskId: r.task_id,
  branch: r.branch,
  targetBranch: r.target_branch,
  headCommit: r.head_commit,
  status: r.status,
  reason: r.reason,
  holder: r.holder,
  heldUntil: r.held_until,
  landedCommit: r.landed_commit,
  enqueuedAt: r.enqueued_at,
  updatedAt: r.updated_at,
});

/** A change that waits (the person's tree is dirty in its files) is tried again this often. */
export const WAITING_RETRY_MS = 2_000;

function entry(tx: Tx, id: number): MergeQueueEntry {
  const r = tx.get<Row>('SELECT * FROM merge_queue WHERE id = ?', [id]);
  if (!r) throw new DreamError('not_found', `The merge queue has no entry ${id}. See the queue with \`dreamos worktree queue\`.`, { entryId: id });
  return toEntry(r);
}

function changed(ctx: BoardContext, e: MergeQueueEntry): MergeQueueEntry {
  emitEvent(ctx.tx, { type: 'queue.changed', at: ctx.now, actor: ctx.actor, subject: e.proposalId, payload: { entryId: e.id, status: e.status, reason: e.reason, taskId: e.taskId, target: e.targetBranch } });
  return e;
}

function set(ctx: BoardContext, id: number, status: MergeQueueStatus, reason: string, extra: { holder?: string | null; heldUntil?: number | null; landed?: string } = {}): MergeQueueEntry {
  ctx.tx.run('UPDATE merge_queue SET status = ?, reason = ?, holder = ?, held_until = ?, landed_commit = COALESCE(?, landed_commit), updated_at = ? WHERE id = ?', [
    status,
    reason.slice(0, 5_000),
    extra.holder ?? null,
    extra.heldUntil ?? null,
    extra.landed ?? null,
    ctx.now,
    id,
  ]);
  return changed(ctx, entry(ctx.tx, id));
}

/** Approving a branch proposal puts exactly the approved head in the queue. */
export function enqueue(ctx: BoardContext, p: Proposal): MergeQueueEntry {
  if (!p.git) throw new DreamError('invalid_input', `Proposal ${p.id} was not made from a branch; it is applied, not merged.`, { proposalId: p.id });
  ctx.tx.run(`UPDATE merge_queue SET status = 'cancelled', reason = 'superseded by a newer approval', updated_at = ? WHERE proposal_id = ? AND status IN ('queued','landing','waiting')`, [ctx.now, p.id]);
  ctx.tx.run(`INSERT INTO merge_queue (proposal_id, task_id, branch, target_branch, head_commit, status, enqueued_at, updated_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)`, [
    p.id,
    p.taskId,
    p.git.branch,
    p.git.targetBranch,
    p.git.headCommit,
    ctx.now,
    ctx.now,
  ]);
  const id = ctx.tx.get<{ id: number }>('SELECT last_insert_rowid() AS id')!.id;
  if (p.taskId && findWorktree(ctx.tx, p.taskId)) updateWorktree(ctx, p.taskId, { status: 'queued', reason: `approved; in the merge queue for ${p.git.targetBranch}` });
  audit(ctx, p.id, 'queued', `merge queue entry ${id}: ${p.git.branch} → ${p.git.targetBranch} at ${p.git.headCommit.slice(0, 12)}`);
  return changed(ctx, entry(ctx.tx, id));
}

export function listQueue(tx: Tx, all: boolean): MergeQueueEntry[] {
  const rows = all
    ? tx.all<Row>('SELECT * FROM merge_queue ORDER BY id DESC LIMIT 500')
    : tx.all<Row>(`SELECT * FROM merge_queue WHERE status IN ('queued','landing','waiting') ORDER BY id`);
  return rows.map(toEntry);
}

/** The entry to land now, leased to `holder`; null while another lander holds one, or nothing is due. */
export function nextEntry(ctx: BoardContext, holder: string, holdMs: number): MergeQueueEntry | null {
  const landing = ctx.tx.get<Row>(`SELECT * FROM merge_queue WHERE status = 'landing' ORDER BY id LIMIT 1`);
  if (landing && landing.holder !== holder && (landing.held_until ?? 0) > ctx.now) return null;
  const r =
    landing ??
    ctx.tx.get<Row>(`SELECT * FROM merge_queue WHERE status = 'queued' OR (status = 'waiting' AND updated_at <= ?) ORDER BY status = 'waiting', id LIMIT 1`, [ctx.now - WAITING_RETRY_MS]);
  if (!r) return null;
  return set(ctx, r.id, 'landing', landing && landing.holder !== holder ? `taken over from ${landing.holder} (its lease ran out)` : 'landing', { holder, heldUntil: ctx.now + holdMs });
}

export type Finish =
  | { outcome: 'landed'; landedCommit: string; checks: CheckResult[] }
  | { outcome: 'waiting'; reason: string }
  | { outcome: 'conflicted'; conflicts: string[]; reason: string }
  | { outcome: 'failed'; reason: string; checks: CheckResult[] };

function recordChecks(ctx: BoardContext, id: string, checks: CheckResult[]): void {
  if (!checks.length) return;
  const state = checks.every((c) => c.ok) ? 'passed' : 'failed';
  ctx.tx.run('UPDATE proposals SET validation = ?, updated_at = ? WHERE id = ?', [JSON.stringify({ state, results: checks, at: ctx.now }), ctx.now, id]);
  audit(ctx, id, `validation ${state}`, `on the merged result: ${checks.map((r) => `${r.name}: ${r.ok ? 'ok' : `exit ${r.exitCode}`}`).join('; ')}`);
}

export function finishEntry(ctx: BoardContext, id: number, holder: string, f: Finish): MergeQueueEntry {
  const e = entry(ctx.tx, id);
  if (e.status !== 'landing' || e.holder !== holder) {
    throw new DreamError('conflict', `Merge queue entry ${id} is ${e.status}${e.holder ? ` (held by ${e.holder})` : ''}, not landing under ${holder}; its outcome was not recorded.`, { entryId: id });
  }
  const p = getProposal(ctx.tx, e.proposalId);
  switch (f.outcome) {
    case 'waiting':
      return set(ctx, id, 'waiting', f.reason);
    case 'landed': {
      recordChecks(ctx, p.id, f.checks);
      markApplied(ctx, p.id, `landed on ${e.targetBranch} as ${f.landedCommit.slice(0, 12)} by the merge queue`);
      if (e.taskId && findWorktree(ctx.tx, e.taskId)) updateWorktree(ctx, e.taskId, { status: 'merged', headCommit: e.headCommit, reason: `landed on ${e.targetBranch} as ${f.landedCommit.slice(0, 12)}` });
      return set(ctx, id, 'landed', `landed on ${e.targetBranch}`, { landed: f.landedCommit });
    }
    case 'conflicted': {
      const files = f.conflicts.join(', ');
      transitionProposal(ctx, p.id, 'conflicted', `conflicts with ${e.targetBranch} in ${files}; nothing was written`);
      const how = readBoardConfig(ctx.tx).mergeConflicts;
      const why = `the change conflicts with ${e.targetBranch} in ${files}. In your worktree, merge ${e.targetBranch} into your branch (\`git merge ${e.targetBranch}\`), resolve the conflicts keeping both intents, commit, and report done.`;
      if (how === 'agent' && p.agentId) {
        sendBackToAgent(ctx, p, `rebase: ${why}`);
        tellAgent(ctx, p, `Rebase needed: ${p.title}`, `Your approved change could not land: ${why}\n\n${f.reason}`);
      } else tellPerson(ctx, p, `Merge conflict: ${p.title}`, `The approved change conflicts with ${e.targetBranch} in ${files}. Nothing was written. Resolve it in the task's worktree (\`dreamos worktree open ${p.taskId ?? ''}\`), or reject it with feedback so the agent does.\n\n${f.reason}`);
      return set(ctx, id, 'conflicted', `conflicts in ${files}`);
    }
    case 'failed': {
      recordChecks(ctx, p.id, f.checks);
      transitionProposal(ctx, p.id, 'pending', `not landed: ${f.reason}`);
      const failedChecks = f.checks.filter((c) => !c.ok);
      if (p.agentId && failedChecks.length) {
        sendBackToAgent(ctx, p, `checks failed on the merged result: ${failedChecks.map((c) => c.name).join(', ')}`);
        tellAgent(ctx, p, `Checks failed: ${p.title}`, `Your change merged with ${e.targetBranch} fails ${failedChecks.map((c) => `${c.name}:\n${c.outputTail.slice(-1_500)}`).join('\n\n')}\n\nFix it in your worktree and report done.`);
      }
      return set(ctx, id, 'failed', f.reason);
    }
  }
}

function tellAgent(ctx: BoardContext, p: Proposal, subject: string, body: string): void {
  if (!p.agentId) return;
  sendMessage(ctx, { from: 'merge-queue', to: { kind: 'agent', id: p.agentId }, subject: subject.slice(0, 200), body: `${body}\n\nProposal ${p.id}, task ${p.taskId ?? '-'}.`, priority: 'high', requiresAck: true });
}
