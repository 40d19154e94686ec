import { z } from 'zod';

/**
 * A proposal: a set of file changes an agent wants to make, with its rationale. Agents never write
 * into the person's tree themselves; a person approves the proposal in the diff view, checks run
 * against the proposed tree, and Dream.OS applies it with a recovery point.
 */
export const PROPOSAL_STATUSES = ['pending', 'validating', 'approved', 'applied', 'rejected', 'rolled_back', 'conflicted'] as const;
export const ProposalStatus = z.enum(PROPOSAL_STATUSES);
export type ProposalStatus = z.infer<typeof ProposalStatus>;

/**
 * Every state but the final ones has a way out the person can take: validating → validating runs
 * the checks again (a host that died mid-check leaves no one to finish them); a validation or an
 * apply that fails goes back to pending with the reason; conflicted → pending when Check Again finds
 * the files back at their base, or → rejected with feedback for the agent. A branch proposal (the
 * work of a task's worktree) goes rejected → pending when the agent's next result is its next
 * revision (src/core/worktrees/proposals.ts is the only path that does).
 */
export const PROPOSAL_TRANSITIONS: Readonly<Record<ProposalStatus, readonly ProposalStatus[]>> = {
  pending: ['validating', 'approved', 'rejected', 'conflicted'],
  validating: ['pending', 'validating', 'rejected', 'conflicted'],
  approved: ['applied', 'conflicted', 'rolled_back', 'pending'],
  applied: ['rolled_back'],
  conflicted: ['rejected', 'pending'],
  rejected: ['pending'],
  rolled_back: [],
};

export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_FILES = 200;

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest');
export const ProposalPath = z.string().min(1).max(500);

/** One changed file, as stored: the full new content (null when deleted) and the base it was made against. */
export const ProposalFile = z
  .object({
    path: ProposalPath,
    op: z.enum(['create', 'modify', 'delete']),
    /** sha256 of the workspace file the change was made against; null for a new file. */
    baseHash: Sha256.nullable(),
    content: z.string().max(MAX_FILE_BYTES).nullable(),
    added: z.number().int().min(0),
    removed: z.number().int().min(0),
  })
  .strict();
export type ProposalFile = z.infer<typeof ProposalFile>;

export const CheckResult = z
  .object({
    name: z.string(),
    command: z.array(z.string()),
    ok: z.boolean(),
    exitCode: z.number().int().nullable(),
    durationMs: z.number().int().min(0),
    outputTail: z.string().max(20_000),
  })
  .strict();
export type CheckResult = z.infer<typeof CheckResult>;

export interface ProposalAudit {
  at: number;
  actor: string;
  action: string;
  detail: string;
}

/** A proposal made from a task's branch (base..head): the merge queue lands it with git. */
export interface ProposalGit {
  branch: string;
  targetBranch: string;
  baseCommit: string;
  headCommit: string;
  /** 1 for the first result; each result after a rejection or a conflict is the next revision. */
  revision: number;
}

export interface Proposal {
  id: string;
  taskId: string | null;
  agentId: string | null;
  title: string;
  rationale: string;
  status: ProposalStatus;
  /** Why it is in its status: the detail recorded when it got there ('' when there is none, as for a new proposal). */
  statusReason: string;
  files: ProposalFile[];
  validation: { state: 'none' | 'running' | 'passed' | 'failed'; results: CheckResult[]; at: number | null };
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  /** Set for a task's branch proposal; null for files an agent submitted as a proposal. */
  git: ProposalGit | null;
  audit: ProposalAudit[];
}

/** A proposal as listed (`proposal.list`): everything but its audit trail. */
export type ProposalSummary = Omit<Proposal, 'audit'>;
