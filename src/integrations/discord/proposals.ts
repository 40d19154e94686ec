// Approving from Discord is the same flow as the CLI's: it lives in core.
export { approveAndApply, type ApprovalOutcome, type ProposalWorkspace } from '../../core/proposals/approval';
