/**
 * Approving without an editor (the CLI, Discord): validate against the proposed tree when checks
 * are configured and none ran yet, approve on the board, apply the files with a recovery point,
 * then record the outcome on the board. The editor does the same with a WorkspaceEdit writer and
 * prompts (src/extension/proposals/review.ts).
 */
import type { CommandInput } from '../commands';
import { DreamError } from '../errors';
import { applyProposal, nodeWriter, validateInScratch, type FileWriter } from './apply';
import type { CheckSpec } from './checks';
import type { Proposal } from './model';

export interface ProposalWorkspace {
  /** The workspace folder the proposals change. */
  root: string;
  /** The board folder (.dreamos): recovery points live there. */
  boardDir: string;
  /** Run against the proposed tree before approving (as .dreamos/checks.json for the CLI). */
  checks?: CheckSpec[];
  /** Run after applying; a failure rolls the change back. */
  postChecks?: CheckSpec[];
  writer?: FileWriter;
  /** Where check output goes while it runs. */
  onOutput?: (chunk: string) => void;
}

interface Caller {
  call(command: CommandInput): Promise<unknown>;
}

export type ApprovalOutcome = { result: 'applied'; proposal: Proposal } | { result: 'rolled_back'; proposal: Proposal; failed: string[] };
export type ApplyOutcome = ApprovalOutcome | { result: 'conflicted'; proposal: Proposal; conflicts: string[] };

/**
 * Applies an approved proposal and records what happened on the board: conflicted (nothing
 * written), rolled back (post-apply checks failed) or applied. Every host's approval ends here.
 */
export async function applyApproved(board: Caller, ws: ProposalWorkspace, prop: Proposal, via: string): Promise<ApplyOutcome> {
  const proposalId = prop.id;
  const outcome = await applyProposal({
    root: ws.root,
    boardDir: ws.boardDir,
    proposal: prop,
    writer: ws.writer ?? nodeWriter,
    ...(ws.postChecks ? { postChecks: ws.postChecks } : {}),
    ...(ws.onOutput ? { onOutput: ws.onOutput } : {}),
  });
  if (outcome.conflicts.length) {
    const conflicted = (await board.call({ type: 'proposal.markConflicted', proposalId, detail: `changed since the proposal: ${outcome.conflicts.join(', ')}` })) as Proposal;
    return { result: 'conflicted', proposal: conflicted, conflicts: outcome.conflicts };
  }
  if (outcome.rolledBack) {
    const failed = outcome.checks.filter((c) => !c.ok).map((c) => c.name);
    const rolled = (await board.call({ type: 'proposal.markRolledBack', proposalId, detail: `post-apply checks failed (${failed.join(', ')}); rolled back` })) as Proposal;
    return { result: 'rolled_back', proposal: rolled, failed };
  }
  const applied = (await board.call({ type: 'proposal.markApplied', proposalId, detail: `applied ${via}` })) as Proposal;
  return { result: 'applied', proposal: applied };
}

/** Without an editor (CLI, Discord): validate if needed, approve, apply; a conflict is an error. */
export async function approveAndApply(board: Caller, ws: ProposalWorkspace, proposalId: string, opts: { override?: boolean; via: string }): Promise<ApprovalOutcome> {
  let prop = (await board.call({ type: 'proposal.show', proposalId })) as Proposal;
  if (ws.checks?.length && prop.validation.state === 'none') {
    await board.call({ type: 'proposal.validating', proposalId });
    const results = await validateInScratch({ root: ws.root, proposal: prop, checks: ws.checks });
    prop = (await board.call({ type: 'proposal.recordValidation', proposalId, results })) as Proposal;
  }
  prop = (await board.call({ type: 'proposal.approve', proposalId, override: opts.override === true })) as Proposal;
  const outcome = await applyApproved(board, ws, prop, opts.via);
  if (outcome.result === 'conflicted') {
    throw new DreamError('conflict', `Not applied: ${outcome.conflicts.join(', ')} changed since the proposal was made. Ask the agent for a new version.`, { conflicts: outcome.conflicts });
  }
  return outcome;
}
