import { getAgent } from '../agents/registry';
import { ownerTransition } from '../board/leases';
import { getTask, recordHistory, type BoardContext } from '../board/tasks';
import { sendMessage } from '../mail/mailbox';
import { DreamError } from '../errors';
import { emitEvent } from '../events/eventLog';
import { newId } from '../ids';
import type { Tx } from '../store/sqlite';
import { PROPOSAL_TRANSITIONS, ProposalFile, type CheckResult, type Proposal, type ProposalStatus } from './proposalModel';
import { checkContent, checkProposalPath } from './safety';
import { validateSelfConfig } from './selfConfig';

interface Row {
  id: string;
  task_id: string | null;
  agent_id: string | null;
  title: string;
  rationale: string;
  status: ProposalStatus;
  files: string;
  validation: string;
  created_by: string;
  created_at: number;
  updated_at: number;
  status_reason: string | null;
  branch: string | null;
  target_branch: string | null;
  base_commit: string | null;
  head_commit: string | null;
  revision: number;
}

/** A proposal row with the detail recorded when it entered its current status (its status reason). */
const SELECT = `SELECT p.*, (SELECT a.detail FROM proposal_audit a WHERE a.proposal_id = p.id AND a.action = p.status ORDER BY a.id DESC LIMIT 1) AS status_reason FROM proposals p`;

export function audit(ctx: BoardContext, id: string, action: string, detail = ''): void {
  ctx.tx.run('INSERT INTO proposal_audit (proposal_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)', [id, ctx.now, ctx.actor, action, detail]);
}

function toProposal(r: Row): Omit<Proposal, 'audit'> {
  return {
    id: r.id,
    taskId: r.task_id,
    agentId: r.agent_id,
    title: r.title,
    rationale: r.rationale,
    status: r.status,
    statusReason: r.status_reason ?? '',
    files: JSON.parse(r.files) as ProposalFile[],
    validation: JSON.parse(r.validation) as Proposal['validation'],
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    git: r.branch ? { branch: r.branch, targetBranch: r.target_branch ?? '', baseCommit: r.base_commit ?? '', headCommit: r.head_commit ?? '', revision: r.revision } : null,
  };
}

export function getProposal(tx: Tx, id: string): Proposal {
  const r = tx.get<Row>(`${SELECT} WHERE p.id = ?`, [id]);
  if (!r) throw new DreamError('not_found', `No proposal ${id}. List proposals with \`dreamos proposal list\`.`, { proposalId: id });
  return {
    ...toProposal(r),
    audit: tx.all<{ at: number; actor: string; action: string; detail: string }>('SELECT at, actor, action, detail FROM proposal_audit WHERE proposal_id = ? ORDER BY id', [id]),
  };
}

export function listProposals(tx: Tx, status?: ProposalStatus[]): Omit<Proposal, 'audit'>[] {
  const rows = status?.length
    ? tx.all<Row>(`${SELECT} WHERE p.status IN (${status.map(() => '?').join(',')}) ORDER BY p.created_at DESC`, status)
    : tx.all<Row>(`${SELECT} ORDER BY p.created_at DESC LIMIT 500`);
  return rows.map(toProposal);
}

export function submitProposal(
  ctx: BoardContext,
  input: { title: string; rationale: string; taskId?: string | undefined; agentId?: string | undefined; files: ProposalFile[] },
): Proposal {
  checkFiles(input.files);
  if (input.taskId) getTask(ctx.tx, input.taskId);
  const agentId = input.agentId ? getAgent(ctx.tx, input.agentId).id : null;
  const id = newId('prp');
  ctx.tx.run(
    `INSERT INTO proposals (id, task_id, agent_id, title, rationale, status, files, validation, created_by, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
    [id, input.taskId ?? null, agentId, input.title, input.rationale, JSON.stringify(input.files), JSON.stringify({ state: 'none', results: [], at: null }), ctx.actor, ctx.now, ctx.now],
  );
  audit(ctx, id, 'submitted', `${input.files.length} file(s)`);
  emitEvent(ctx.tx, { type: 'proposal.submitted', at: ctx.now, actor: ctx.actor, subject: id, payload: { title: input.title, taskId: input.taskId ?? null, files: input.files.length } });
  return getProposal(ctx.tx, id);
}

/** The rules every proposal's files pass, whatever path they came by. */
export function checkFiles(files: readonly ProposalFile[]): void {
  for (const f of files) {
    const problem = checkProposalPath(f.path);
    if (problem) throw new DreamError('invalid_input', `Refused path "${f.path}": it ${problem}.`, { path: f.path });
    if ((f.op === 'delete') !== (f.content === null)) throw new DreamError('invalid_input', `${f.path}: a delete has no content and only a delete has none.`);
    if ((f.op === 'create') !== (f.baseHash === null)) throw new DreamError('invalid_input', `${f.path}: a new file has no base hash and only a new file has none.`);
    // Whatever path the files came by (the CLI, an agent's own client, a raw socket), only text is stored.
    if (f.content !== null) checkContent(f.path, f.content);
    validateSelfConfig(f.path, f.content);
  }
}

/** The one place a proposal's status changes. */
export function transitionProposal(ctx: BoardContext, id: string, to: ProposalStatus, detail = ''): Proposal {
  const p = getProposal(ctx.tx, id);
  if (!PROPOSAL_TRANSITIONS[p.status].includes(to)) {
    throw new DreamError('invalid_transition', `Proposal ${id} is ${p.status}; it cannot become ${to}. From ${p.status} it can become: ${PROPOSAL_TRANSITIONS[p.status].join(', ') || 'nothing (it is final)'}.`, {
      proposalId: id,
      from: p.status,
      to,
    });
  }
  ctx.tx.run('UPDATE proposals SET status = ?, updated_at = ? WHERE id = ?', [to, ctx.now, id]);
  audit(ctx, id, to, detail);
  emitEvent(ctx.tx, { type: 'proposal.transitioned', at: ctx.now, actor: ctx.actor, subject: id, payload: { from: p.status, to, detail, taskId: p.taskId } });
  return getProposal(ctx.tx, id);
}

export function recordValidation(ctx: BoardContext, id: string, results: CheckResult[]): Proposal {
  const state = results.every((r) => r.ok) ? 'passed' : 'failed';
  ctx.tx.run('UPDATE proposals SET validation = ?, updated_at = ? WHERE id = ?', [JSON.stringify({ state, results, at: ctx.now }), ctx.now, id]);
  audit(ctx, id, `validation ${state}`, results.map((r) => `${r.name}: ${r.ok ? 'ok' : `exit ${r.exitCode}`}`).join('; '));
  const p = getProposal(ctx.tx, id);
  return p.status === 'validating' ? transitionProposal(ctx, id, 'pending', `checks ${state}`) : p;
}

/**
 * Checks that could not run at all (the scratch copy failed, a check could not be started…): the
 * validation counts as failed, with the error as the result, and the proposal goes back to pending
 * so the person can check again, approve with an override or reject.
 */
export function recordValidationError(ctx: BoardContext, id: string, error: string): Proposal {
  const result: CheckResult = { name: 'checks could not run', command: [], ok: false, exitCode: null, durationMs: 0, outputTail: error.slice(-20_000) };
  ctx.tx.run('UPDATE proposals SET validation = ?, updated_at = ? WHERE id = ?', [JSON.stringify({ state: 'failed', results: [result], at: ctx.now }), ctx.now, id]);
  audit(ctx, id, 'validation failed', `checks could not run: ${error}`);
  const p = getProposal(ctx.tx, id);
  return p.status === 'validating' ? transitionProposal(ctx, id, 'pending', `checks could not run: ${error}`) : p;
}

/** An approved proposal whose apply threw: nothing of it stays written, so it is back for review. */
export function recordApplyFailure(ctx: BoardContext, id: string, error: string): Proposal {
  const p = getProposal(ctx.tx, id);
  if (p.status !== 'approved') {
    throw new DreamError('invalid_transition', `Proposal ${id} is ${p.status}, not approved, so there is no failed apply to record.`, { proposalId: id, status: p.status });
  }
  return transitionProposal(ctx, id, 'pending', `apply failed: ${error}`);
}

/** Check Again found every file back at the base the proposal was made against. */
export function reopenProposal(ctx: BoardContext, id: string, detail: string): Proposal {
  const p = getProposal(ctx.tx, id);
  if (p.status !== 'conflicted') {
    throw new DreamError('invalid_transition', `Proposal ${id} is ${p.status}; only a conflicted proposal goes back to pending this way.`, { proposalId: id, from: p.status, to: 'pending' });
  }
  return transitionProposal(ctx, id, 'pending', detail);
}

/** An applied (or, for a branch proposal, landed) change moves its task on: a task waiting in review is done, with the proposal as evidence. */
export function markApplied(ctx: BoardContext, id: string, detail: string): Proposal {
  const p = transitionProposal(ctx, id, 'applied', detail);
  if (p.taskId && getTask(ctx.tx, p.taskId).status === 'review') {
    ownerTransition(ctx, p.taskId, undefined, 'done', `proposal ${p.id} ${p.git ? 'landed' : 'applied'}`, {
      summary: `${p.git ? 'Landed' : 'Applied'} proposal "${p.title}"`,
      evidence: [{ kind: 'diff', summary: `${p.files.length} file(s) changed by proposal ${p.id}`, data: { proposalId: p.id, ...(p.git ? { branch: p.git.branch, head: p.git.headCommit } : {}) } }],
    });
  }
  return p;
}

/** Approving a proposal whose checks failed needs an explicit override, recorded in the audit trail. */
export function approveProposal(ctx: BoardContext, id: string, override: boolean): Proposal {
  const p = getProposal(ctx.tx, id);
  if (p.status === 'conflicted') {
    throw new DreamError(
      'conflict',
      `Proposal ${id} cannot be approved: ${p.statusReason || 'files changed since it was made'}. Use Check Again (\`dreamos proposal check ${id}\`) once those files are back as the proposal expects, or reject it with feedback so the agent makes a new version.`,
      { proposalId: id },
    );
  }
  if (p.status === 'validating') {
    throw new DreamError('conflict', `Proposal ${id} is being checked. Wait for the checks to finish; if they were interrupted, use Check Again (\`dreamos proposal check ${id}\`) to run them again.`, { proposalId: id });
  }
  if (p.validation.state === 'failed' && !override) {
    throw new DreamError('vetoed', `Proposal ${id} failed its checks (${p.validation.results.filter((r) => !r.ok).map((r) => r.name).join(', ')}). Approve with an explicit override if you still want it.`, { proposalId: id });
  }
  return transitionProposal(ctx, id, 'approved', override && p.validation.state === 'failed' ? 'approved despite failed checks (override)' : '');
}

/** A rejection reaches the agent (mailbox) and the task (history) with the person's reason. */
export function rejectProposal(ctx: BoardContext, id: string, reason: string): Proposal {
  const p = transitionProposal(ctx, id, 'rejected', reason);
  if (p.agentId) {
    sendMessage(ctx, { from: ctx.actor, to: { kind: 'agent', id: p.agentId }, subject: `Proposal rejected: ${p.title}`.slice(0, 200), body: reason, priority: 'high', requiresAck: true });
  }
  if (p.taskId) {
    const t = getTask(ctx.tx, p.taskId);
    recordHistory(ctx, t.id, t.status, t.status, `proposal ${id} rejected: ${reason}`);
  }
  return p;
}
