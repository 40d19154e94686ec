/**
 * The worktree and merge-queue commands, spread into the board's command union
 * (src/core/commands.ts). Only the person's credential runs the writing ones (src/core/auth/policy:
 * anything not listed for agents is the person's); the swarm host and the CLI hold it.
 */
import { z } from 'zod';
import { Id } from '../board/boardModel';
import type { BoardContext } from '../board/tasks';
import { commandSchema } from '../commandSchema';
import { CheckResult, MAX_FILES, ProposalFile } from '../proposals/proposalModel';
import { WorktreeStatus } from './worktreeModel';
import { listRevisions, proposeBranch } from './proposals';
import { finishEntry, listQueue, nextEntry } from './queueStore';
import { findWorktree, listWorktrees, recordWorktree, updateWorktree } from './worktreeStore';

const cmd = commandSchema;
const PrpId = z.string().regex(/^prp_[0-9a-f]{12}$/, 'expected a proposal id such as prp_0123456789ab');
const Commit = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'expected a full commit id');
const Branch = z.string().trim().min(1).max(250);
const Folder = z.string().min(1).max(4_000);
const Holder = z.string().trim().min(1).max(120);

export const WORKTREE_COMMANDS = [
  cmd('worktree.record', {
    taskId: Id,
    path: Folder,
    branch: Branch,
    baseBranch: Branch,
    baseCommit: Commit,
    ports: z.object({ base: z.number().int().min(1_024).max(65_000), size: z.number().int().min(1).max(1_000) }).strict().optional(),
  }),
  cmd('worktree.update', {
    taskId: Id,
    status: WorktreeStatus.optional(),
    headCommit: Commit.optional(),
    reason: z.string().max(2_000).optional(),
    setup: z.object({ ok: z.boolean(), output: z.string().max(20_000) }).strict().optional(),
    archiveRef: z.string().max(300).nullable().optional(),
    path: Folder.optional(),
  }),
  cmd('worktree.show', { taskId: Id }),
  /** Every worktree the board knows, with its task and its branch proposal (id, revision, base and head): the Worktrees view. */
  cmd('worktree.list', { status: z.array(WorktreeStatus).optional() }),
  cmd('proposal.fromBranch', {
    taskId: Id,
    agentId: z.string().min(1).max(80).optional(),
    title: z.string().trim().min(1).max(200),
    rationale: z.string().trim().min(1).max(20_000),
    branch: Branch,
    targetBranch: Branch,
    baseCommit: Commit,
    headCommit: Commit,
    files: z.array(ProposalFile).max(MAX_FILES),
  }),
  /** A branch proposal's revisions (base and head commits, files): what changed between them. */
  cmd('proposal.revisions', { proposalId: PrpId }),
  cmd('queue.list', { all: z.boolean().default(false) }),
  cmd('queue.next', { holder: Holder, holdMs: z.number().int().min(1_000).max(3_600_000).default(120_000) }),
  cmd('queue.finish', {
    entryId: z.number().int().positive(),
    holder: Holder,
    result: z.discriminatedUnion('outcome', [
      z.object({ outcome: z.literal('landed'), landedCommit: Commit, checks: z.array(CheckResult).max(50).default([]) }).strict(),
      z.object({ outcome: z.literal('waiting'), reason: z.string().min(1).max(5_000) }).strict(),
      z.object({ outcome: z.literal('conflicted'), conflicts: z.array(z.string().max(500)).min(1).max(1_000), reason: z.string().max(5_000) }).strict(),
      z.object({ outcome: z.literal('failed'), reason: z.string().min(1).max(5_000), checks: z.array(CheckResult).max(50).default([]) }).strict(),
    ]),
  }),
] as const;

export const WORKTREE_READ_ONLY = ['worktree.show', 'worktree.list', 'proposal.revisions', 'queue.list'] as const;

type Cmd = z.infer<(typeof WORKTREE_COMMANDS)[number]>;
type H<K extends Cmd['type']> = (ctx: BoardContext, c: Extract<Cmd, { type: K }>) => unknown;

export const WORKTREE_HANDLERS = {
  'worktree.record': (ctx, { type: _t, ...c }) => recordWorktree(ctx, c),
  'worktree.update': (ctx, { type: _t, taskId, ...p }) => updateWorktree(ctx, taskId, p),
  'worktree.show': (ctx, c) => findWorktree(ctx.tx, c.taskId) ?? null,
  'worktree.list': (ctx, c) => listWorktrees(ctx.tx, c.status),
  'proposal.fromBranch': (ctx, { type: _t, ...c }) => proposeBranch(ctx, c),
  'proposal.revisions': (ctx, c) => listRevisions(ctx.tx, c.proposalId),
  'queue.list': (ctx, c) => listQueue(ctx.tx, c.all),
  'queue.next': (ctx, c) => nextEntry(ctx, c.holder, c.holdMs),
  'queue.finish': (ctx, c) => finishEntry(ctx, c.entryId, c.holder, c.result),
} satisfies { [K in Cmd['type']]: H<K> };
