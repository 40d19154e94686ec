import { z } from 'zod';
import { commandSchema } from '../commandSchema';
import type { BoardContext } from '../board/tasks';
import { Id } from '../board/boardModel';
import { CheckResult, MAX_FILES, ProposalFile, ProposalStatus } from './proposalModel';
import { enqueue } from '../worktrees/queueStore';
import { sendBackToAgent } from '../worktrees/proposals';
import { approveProposal, getProposal, listProposals, markApplied, recordApplyFailure, recordValidation, recordValidationError, rejectProposal, reopenProposal, submitProposal, transitionProposal } from './proposalStore';

/** The proposal commands, spread into the board's command union (src/core/commands.ts). */
const PrpId = z.string().regex(/^prp_[0-9a-f]{12}$/, 'expected a proposal id such as prp_0123456789ab');
const cmd = commandSchema;

export const PROPOSAL_COMMANDS = [
  cmd('proposal.submit', {
    title: z.string().trim().min(1, 'a proposal needs a title').max(200),
    rationale: z.string().trim().min(1, 'say why this change is needed').max(20_000),
    taskId: Id.optional(),
    agentId: z.string().min(1).max(80).optional(),
    files: z.array(ProposalFile).min(1).max(MAX_FILES),
  }),
  cmd('proposal.list', { status: z.array(ProposalStatus).optional() }),
  cmd('proposal.show', { proposalId: PrpId }),
  cmd('proposal.validating', { proposalId: PrpId }),
  cmd('proposal.recordValidation', { proposalId: PrpId, results: z.array(CheckResult).max(50) }),
  /** The checks could not run at all: validation failed with this error, back to pending. */
  cmd('proposal.validationError', { proposalId: PrpId, error: z.string().trim().min(1).max(5_000) }),
  cmd('proposal.approve', { proposalId: PrpId, override: z.boolean().default(false) }),
  cmd('proposal.reject', { proposalId: PrpId, reason: z.string().trim().min(1, 'say why, so the agent can do better').max(5_000) }),
  cmd('proposal.markApplied', { proposalId: PrpId, detail: z.string().max(2_000).default('') }),
  cmd('proposal.markConflicted', { proposalId: PrpId, detail: z.string().max(5_000) }),
  /** Applying an approved proposal threw (nothing of it stays written): back to pending with the error. */
  cmd('proposal.applyFailed', { proposalId: PrpId, error: z.string().trim().min(1).max(5_000) }),
  /** Check Again: a conflicted proposal whose files are back at their base is pending again. */
  cmd('proposal.reopen', { proposalId: PrpId, detail: z.string().max(2_000) }),
  cmd('proposal.markRolledBack', { proposalId: PrpId, detail: z.string().max(5_000) }),
] as const;

export const PROPOSAL_READ_ONLY = ['proposal.list', 'proposal.show'] as const;

type Cmd = z.infer<(typeof PROPOSAL_COMMANDS)[number]>;
type H<K extends Cmd['type']> = (ctx: BoardContext, c: Extract<Cmd, { type: K }>) => unknown;

export const PROPOSAL_HANDLERS = {
  'proposal.submit': (ctx, { type: _t, ...c }) => submitProposal(ctx, c),
  'proposal.list': (ctx, c) => listProposals(ctx.tx, c.status),
  'proposal.show': (ctx, c) => getProposal(ctx.tx, c.proposalId),
  'proposal.validating': (ctx, c) => transitionProposal(ctx, c.proposalId, 'validating', 'checks started'),
  'proposal.recordValidation': (ctx, c) => recordValidation(ctx, c.proposalId, c.results),
  'proposal.validationError': (ctx, c) => recordValidationError(ctx, c.proposalId, c.error),
  // A branch proposal, once approved, waits in the merge queue; the queue lands it with git.
  'proposal.approve': (ctx, c) => {
    const p = approveProposal(ctx, c.proposalId, c.override);
    if (p.git) enqueue(ctx, p);
    return p;
  },
  // A rejected branch proposal goes back to its agent, which continues in the same worktree.
  'proposal.reject': (ctx, c) => {
    const p = rejectProposal(ctx, c.proposalId, c.reason);
    if (p.git) sendBackToAgent(ctx, p, `proposal ${p.id} rejected: ${c.reason}`);
    return p;
  },
  'proposal.markApplied': (ctx, c) => markApplied(ctx, c.proposalId, c.detail),
  'proposal.markConflicted': (ctx, c) => transitionProposal(ctx, c.proposalId, 'conflicted', c.detail),
  'proposal.applyFailed': (ctx, c) => recordApplyFailure(ctx, c.proposalId, c.error),
  'proposal.reopen': (ctx, c) => reopenProposal(ctx, c.proposalId, c.detail),
  'proposal.markRolledBack': (ctx, c) => transitionProposal(ctx, c.proposalId, 'rolled_back', c.detail),
} satisfies { [K in Cmd['type']]: H<K> };
