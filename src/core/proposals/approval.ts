/**
 * The one approval path. Every host — the editor, the CLI, Discord in the editor or in `dreamos
 * discord` — approves through `approveWithChecks`: validate against the proposed tree when checks
 * are configured and none ran yet, approve on the board, apply the files with a recovery point, run
 * the post-apply checks (rolling back on failure), and record the outcome on the board. Hosts differ
 * only in what they pass: the checks (settings in the editor, `.dreamos/checks.json` elsewhere), the
 * writer (a WorkspaceEdit in the editor) and how to ask the person.
 *
 * Whatever throws on the way ends in a state the person can act from, with the reason recorded:
 * checks that could not run leave the proposal pending with checks failed; an apply that threw
 * leaves it pending with the error. `checkAgain` is the way out of conflicted (and of a validation
 * a host never finished).
 */
import path from 'node:path';
import type { CommandInput } from '../commands';
import type { BoardPort } from '../port';
import { DreamError } from '../errors';
import { applyProposal, findConflicts, nodeWriter, validateInScratch, type FileWriter } from './apply';
import { readCheckFile, type CheckSpec } from './proposalChecks';
import type { CheckResult, Proposal } from './proposalModel';

export interface ProposalWorkspace {
  /** The workspace folder the proposals change. */
  root: string;
  /** The board folder (.dreamos): recovery points live there. */
  boardDir: string;
  /** Run against the proposed tree before approving (`checks` in .dreamos/checks.json, or the editor's dreamos.proposals.checks). */
  checks?: CheckSpec[];
  /** Run after applying; a failure rolls the change back (`postApply` in .dreamos/checks.json, or dreamos.proposals.postApplyChecks). */
  postChecks?: CheckSpec[];
  writer?: FileWriter;
  /** Where check output goes while it runs. */
  onOutput?: (chunk: string) => void;
}

type Caller = BoardPort;

export interface ApprovalOptions {
  override?: boolean;
  /** How the audit trail says it was applied: "from the CLI", "from Discord by ada". */
  via: string;
  /** Asked when the pre-apply checks failed and no override was given; true approves anyway. Without it, the board refuses (vetoed). */
  confirmOverride?: (p: Proposal, failed: CheckResult[]) => Promise<boolean>;
  /** Runs the pre-apply checks for the host (the editor shows progress and cancels through the signal). */
  aroundChecks?: (p: Proposal, run: (signal?: AbortSignal) => Promise<CheckResult[]>) => Promise<CheckResult[]>;
}

/** queued: a branch proposal (a task's worktree) approved; the merge queue lands it (src/core/worktrees/queue.ts). */
export type ApprovalOutcome = { result: 'applied'; proposal: Proposal } | { result: 'rolled_back'; proposal: Proposal; failed: string[] } | { result: 'queued'; proposal: Proposal };
export type ApplyOutcome = ApprovalOutcome | { result: 'conflicted'; proposal: Proposal; conflicts: string[] };
export type ApprovalResult = ApplyOutcome | { result: 'not_approved'; proposal: Proposal };

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The workspace as the CLI and `dreamos discord` see it: checks and post-apply checks from `<boardDir>/checks.json`. */
export async function boardWorkspace(root: string, boardDir: string): Promise<ProposalWorkspace> {
  const { checks, postApply } = await readCheckFile(path.join(boardDir, 'checks.json'));
  return { root, boardDir, checks, postChecks: postApply };
}

/** Records a failure on the board; when even that fails, the person hears both. */
async function record(board: Caller, command: Extract<CommandInput, { type: 'proposal.validationError' | 'proposal.applyFailed' }>, failure: string): Promise<Proposal> {
  try {
    return await board.call(command);
  } catch (err) {
    throw new DreamError('unavailable', `${failure} Recording that on the board failed too (${messageOf(err)}); check the board with \`dreamos proposal show\` and try again.`);
  }
}

/**
 * Runs the pre-apply checks against the proposed tree and records the results. Checks that could
 * not run (or were cancelled) count as failed, with the error as the reason, and the proposal goes
 * back to pending; the error is then thrown so the host shows it.
 */
export async function validateProposal(board: Caller, ws: ProposalWorkspace, prop: Proposal, opts: Pick<ApprovalOptions, 'aroundChecks'> = {}): Promise<Proposal> {
  const proposalId = prop.id;
  await board.call({ type: 'proposal.validating', proposalId });
  let results: CheckResult[];
  try {
    const run = async (signal?: AbortSignal) => {
      const r = await validateInScratch({ root: ws.root, proposal: prop, checks: ws.checks ?? [], ...(ws.onOutput ? { onOutput: ws.onOutput } : {}), ...(signal ? { signal } : {}) });
      if (signal?.aborted) throw new DreamError('unavailable', 'they were cancelled before they finished');
      return r;
    };
    results = opts.aroundChecks ? await opts.aroundChecks(prop, run) : await run();
  } catch (err) {
    const message = messageOf(err);
    const failure = `The checks for "${prop.title}" could not run: ${message}.`;
    await record(board, { type: 'proposal.validationError', proposalId, error: message.slice(0, 5_000) }, failure);
    throw new DreamError(err instanceof DreamError ? err.code : 'internal', `${failure} The proposal is back for review with its checks failed: fix the cause and use Check Again, approve it with an override, or reject it.`, { proposalId });
  }
  return await board.call({ type: 'proposal.recordValidation', proposalId, results });
}

/**
 * Applies an approved proposal and records what happened on the board: conflicted (nothing
 * written), rolled back (post-apply checks failed) or applied. An apply that throws puts the
 * proposal back to pending with the error, and the error is thrown on.
 */
export async function applyApproved(board: Caller, ws: ProposalWorkspace, prop: Proposal, via: string): Promise<ApplyOutcome> {
  const proposalId = prop.id;
  let outcome: Awaited<ReturnType<typeof applyProposal>>;
  try {
    outcome = await applyProposal({
      root: ws.root,
      boardDir: ws.boardDir,
      proposal: prop,
      writer: ws.writer ?? nodeWriter,
      ...(ws.postChecks ? { postChecks: ws.postChecks } : {}),
      ...(ws.onOutput ? { onOutput: ws.onOutput } : {}),
    });
  } catch (err) {
    const message = messageOf(err);
    const unrestored = err instanceof DreamError && typeof (err.details as { recoveryDir?: unknown } | undefined)?.recoveryDir === 'string';
    const failure = `Applying "${prop.title}" failed: ${message}${unrestored ? '' : ' Your files are as they were before.'}`;
    await record(board, { type: 'proposal.applyFailed', proposalId, error: message.slice(0, 5_000) }, failure);
    throw new DreamError(err instanceof DreamError ? err.code : 'internal', `${failure} The proposal is back for review: approve it again once that is fixed, or reject it.`, { proposalId });
  }
  if (outcome.conflicts.length) {
    const conflicted = await board.call({ type: 'proposal.markConflicted', proposalId, detail: `changed since the proposal: ${outcome.conflicts.join(', ')}` });
    return { result: 'conflicted', proposal: conflicted, conflicts: outcome.conflicts };
  }
  if (outcome.rolledBack) {
    const failed = outcome.checks.filter((c) => !c.ok).map((c) => c.name);
    const rolled = await board.call({ type: 'proposal.markRolledBack', proposalId, detail: `post-apply checks failed (${failed.join(', ')}); rolled back` });
    return { result: 'rolled_back', proposal: rolled, failed };
  }
  const applied = await board.call({ type: 'proposal.markApplied', proposalId, detail: `applied ${via}` });
  return { result: 'applied', proposal: applied };
}

/** The approval every host runs: pre-apply checks, approve, apply, post-apply checks with rollback. */
export async function approveWithChecks(board: Caller, ws: ProposalWorkspace, proposalId: string, opts: ApprovalOptions): Promise<ApprovalResult> {
  let prop = await board.call({ type: 'proposal.show', proposalId });
  // A branch proposal's checks run on the merged result, in the merge queue; approving enqueues it.
  if (prop.git) return { result: 'queued', proposal: await board.call({ type: 'proposal.approve', proposalId, override: opts.override === true }) };
  if (ws.checks?.length && prop.validation.state === 'none') prop = await validateProposal(board, ws, prop, opts);
  let override = opts.override === true;
  if (prop.validation.state === 'failed' && !override && opts.confirmOverride) {
    if (!(await opts.confirmOverride(prop, prop.validation.results.filter((r) => !r.ok)))) return { result: 'not_approved', proposal: prop };
    override = true;
  }
  prop = await board.call({ type: 'proposal.approve', proposalId, override });
  return applyApproved(board, ws, prop, opts.via);
}

/** Without an editor (CLI, Discord): the same approval, where a conflict is an error. */
export async function approveAndApply(board: Caller, ws: ProposalWorkspace, proposalId: string, opts: Omit<ApprovalOptions, 'confirmOverride'>): Promise<ApprovalOutcome> {
  const outcome = await approveWithChecks(board, ws, proposalId, opts);
  if (outcome.result === 'conflicted') {
    throw new DreamError('conflict', `Not applied: ${outcome.conflicts.join(', ')} changed since the proposal was made. Nothing was written. Once those files are back as the proposal expects, use Check Again (\`dreamos proposal check ${proposalId}\`); otherwise reject it with feedback so the agent makes a new version.`, {
      conflicts: outcome.conflicts,
    });
  }
  if (outcome.result === 'not_approved') throw new DreamError('vetoed', `Proposal ${proposalId} was not approved.`, { proposalId });
  return outcome;
}

/**
 * Check Again: compares the files with the base the proposal was made against. A conflicted
 * proposal whose files match again goes back to pending; a pending one whose files changed becomes
 * conflicted. Then the pre-apply checks run again, which also finishes a validation a host left.
 */
export async function checkAgain(board: Caller, ws: ProposalWorkspace, proposalId: string, opts: Pick<ApprovalOptions, 'aroundChecks'> = {}): Promise<{ proposal: Proposal; conflicts: string[] }> {
  let prop = await board.call({ type: 'proposal.show', proposalId });
  if (prop.status !== 'pending' && prop.status !== 'validating' && prop.status !== 'conflicted') {
    throw new DreamError('invalid_transition', `Proposal ${proposalId} is ${prop.status.replace('_', ' ')}: there is nothing to check again.`, { proposalId, status: prop.status });
  }
  const conflicts = await findConflicts(ws.root, prop.files);
  if (conflicts.length) {
    if (prop.status !== 'conflicted') prop = await board.call({ type: 'proposal.markConflicted', proposalId, detail: `changed since the proposal: ${conflicts.join(', ')}` });
    return { proposal: prop, conflicts };
  }
  if (prop.status === 'conflicted') prop = await board.call({ type: 'proposal.reopen', proposalId, detail: 'checked again: every file matches the version the proposal was made against' });
  if (ws.checks?.length) prop = await validateProposal(board, ws, prop, opts);
  return { proposal: prop, conflicts: [] };
}
