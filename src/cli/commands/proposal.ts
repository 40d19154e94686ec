/** `dreamos propose` and `dreamos proposal ...`: changes agents propose, reviewed, applied and rolled back. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DreamError } from '../../core/errors';
import type { Proposal } from '../../core/proposals/proposalModel';
import { lazy, list, listOf, need, str, withClient, workspaceRoot, type Sub } from '../kit';

/* eslint-disable @typescript-eslint/no-require-imports -- modules of this bundle, evaluated on first use */
const approval = lazy(() => require('../../core/proposals/approval') as typeof import('../../core/proposals/approval'));
const apply = lazy(() => require('../../core/proposals/apply') as typeof import('../../core/proposals/apply'));
const prepare = lazy(() => require('../../core/proposals/prepare') as typeof import('../../core/proposals/prepare'));
const safety = lazy(() => require('../../core/proposals/safety') as typeof import('../../core/proposals/safety'));
/* eslint-enable @typescript-eslint/no-require-imports */
type Approval = typeof import('../../core/proposals/approval');
type Apply = typeof import('../../core/proposals/apply');
const approveAndApply: Approval['approveAndApply'] = (...a) => approval().approveAndApply(...a);
const boardWorkspace: Approval['boardWorkspace'] = (...a) => approval().boardWorkspace(...a);
const checkAgain: Approval['checkAgain'] = (...a) => approval().checkAgain(...a);
const restoreRecoveryPoint: Apply['restoreRecoveryPoint'] = (...a) => apply().restoreRecoveryPoint(...a);
const nodeWriter: Apply['nodeWriter'] = { write: (...a) => apply().nodeWriter.write(...a), delete: (...a) => apply().nodeWriter.delete(...a) };
const prepareSubmission: typeof import('../../core/proposals/prepare')['prepareSubmission'] = (...a) => prepare().prepareSubmission(...a);
const checkProposalPath: typeof import('../../core/proposals/safety')['checkProposalPath'] = (...a) => safety().checkProposalPath(...a);

/** Reads a file to propose as UTF-8 text, refusing (exit 2) one that is not, before anything is sent. */
async function readUtf8(file: string, label: string): Promise<string> {
  const bytes = await fs.readFile(file);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new DreamError('invalid_input', `${label} is not valid UTF-8 text, so it cannot be proposed. Save it as UTF-8 (or leave binary files out of the proposal) and run propose again.`, { path: label });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const commands: Record<string, Sub> = {
  propose: {
    usage: 'propose --title t --rationale r [--task id] [--diff file.patch|-] [--file path]... [--delete path]...   (file contents are read from the working tree copy given by --from, default: the path itself)',
    options: { title: { type: 'string' }, rationale: { type: 'string' }, task: { type: 'string' }, diff: { type: 'string' }, file: { type: 'string', multiple: true }, delete: { type: 'string', multiple: true }, from: { type: 'string' } },
    run: async (_p, v, env, io) => {
      const root = workspaceRoot(env);
      const from = str(v, 'from') ? path.resolve(str(v, 'from')!) : undefined;
      const diffArg = str(v, 'diff');
      const diff = diffArg === undefined ? undefined : diffArg === '-' ? await readStdin() : await readUtf8(diffArg, diffArg);
      const files = [
        ...(await Promise.all(
          list(v, 'file').map(async (f) => {
            const problem = checkProposalPath(f);
            if (problem) throw new DreamError('invalid_input', `Refused path "${f}": it ${problem}.`, { path: f });
            return { path: f, content: await readUtf8(path.join(from ?? root, ...f.split('/')), f) };
          }),
        )),
        ...list(v, 'delete').map((f) => ({ path: f, delete: true as const })),
      ];
      const prepared = await prepareSubmission(root, { files, ...(diff !== undefined ? { diff } : {}) });
      return withClient(env, async (client) => {
        const task = str(v, 'task') ?? process.env.DREAMOS_TASK_ID;
        const agent = process.env.DREAMOS_AGENT_ID;
        const r = await client.call({
          type: 'proposal.submit',
          title: str(v, 'title') ?? need([], 0, '--title'),
          rationale: str(v, 'rationale') ?? need([], 0, '--rationale'),
          ...(task ? { taskId: task } : {}),
          ...(agent ? { agentId: agent } : {}),
          files: prepared,
        });
        io.out(env.json ? JSON.stringify(r) : `${r.id}  ${r.status}  ${r.title}  (${r.files.map((f) => `${f.path} +${f.added} -${f.removed}`).join(', ')})`);
        return 0;
      });
    },
  },
  'proposal list': {
    usage: 'proposal list [--status s]...',
    options: { status: { type: 'string', multiple: true } },
    build: (_p, v) => ({ type: 'proposal.list', ...(list(v, 'status').length ? { status: list(v, 'status') as Proposal['status'][] } : {}) }),
    print: listOf((p: Proposal) => `${p.id}  ${p.status.padEnd(11)} ${p.title}  (${p.files.length} files, checks ${p.validation.state})`),
  },
  'proposal show': { usage: 'proposal show <id>', build: (p) => ({ type: 'proposal.show', proposalId: need(p, 0, 'the proposal id') }), print: (r) => JSON.stringify(r, null, 2) },
  'proposal reject': {
    usage: 'proposal reject <id> --reason "why"',
    options: { reason: { type: 'string' } },
    build: (p, v) => ({ type: 'proposal.reject', proposalId: need(p, 0, 'the proposal id'), reason: str(v, 'reason') ?? need([], 0, '--reason') }),
    print: (r) => `${(r as Proposal).id} rejected`,
  },
  'proposal approve': {
    usage: 'proposal approve <id> [--override]   validate, approve, apply with a recovery point, run the post-apply checks (.dreamos/checks.json: checks, postApply)',
    options: { override: { type: 'boolean' } },
    run: async (p, v, env, io) => {
      const id = need(p, 0, 'the proposal id');
      const ws = await boardWorkspace(workspaceRoot(env), env.dir);
      return withClient(env, async (client) => {
        const r = await approveAndApply(client, ws, id, { override: v.override === true, via: 'from the CLI' });
        if (r.result === 'rolled_back') throw new DreamError('vetoed', `${id} was applied, then rolled back: post-apply checks failed (${r.failed.join(', ')}).`);
        if (r.result === 'queued') {
          io.out(env.json ? JSON.stringify(r.proposal) : `${id} approved; it lands through the merge queue onto ${r.proposal.git?.targetBranch ?? 'its target'} (see \`dreamos worktree queue\`).`);
          return 0;
        }
        io.out(env.json ? JSON.stringify(r.proposal) : `${id} applied (${r.proposal.files.length} files). Roll back with: dreamos proposal rollback ${id}`);
        return 0;
      });
    },
  },
  'proposal check': {
    usage: 'proposal check <id>   check again: compare the files with the proposal\'s base (a conflicted one whose files match is pending again) and re-run the checks',
    run: async (p, _v, env, io) => {
      const id = need(p, 0, 'the proposal id');
      const ws = await boardWorkspace(workspaceRoot(env), env.dir);
      return withClient(env, async (client) => {
        const r = await checkAgain(client, ws, id);
        if (r.conflicts.length) {
          throw new DreamError('conflict', `${id} is still conflicted: ${r.conflicts.join(', ')} changed since the proposal was made. Put them back as they were and check again, or reject it: dreamos proposal reject ${id} --reason "..."`, { conflicts: r.conflicts });
        }
        const checks = r.proposal.validation.state === 'none' ? 'no checks configured' : `checks ${r.proposal.validation.state}`;
        io.out(env.json ? JSON.stringify(r.proposal) : `${id} ${r.proposal.status} (${checks})`);
        return 0;
      });
    },
  },
  'proposal rollback': {
    usage: 'proposal rollback <id> [--force]',
    options: { force: { type: 'boolean' } },
    run: async (p, v, env, io) => {
      const id = need(p, 0, 'the proposal id');
      const files = await restoreRecoveryPoint(workspaceRoot(env), env.dir, id, nodeWriter, { force: v.force === true });
      await withClient(env, (client) => client.call({ type: 'proposal.markRolledBack', proposalId: id, detail: `restored ${files.length} file(s) from the CLI` }));
      io.out(env.json ? JSON.stringify({ proposalId: id, restored: files }) : `${id} rolled back: ${files.join(', ')}`);
      return 0;
    },
  },
};
