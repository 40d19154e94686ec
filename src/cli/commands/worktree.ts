/** `dreamos worktree list|open|discard|restore|prune|queue|land`: tasks' worktrees and the merge queue. */
import type { WorktreeListItem } from '../../core/worktrees/worktreeStore';
import { lazy, need, withClient, workspaceRoot, type Env, type Sub } from '../kit';
import type { BoardClient } from '../../core/hub/connect';

/* eslint-disable @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use */
const host = lazy(() => require('../../integrations/git/worktreeHost') as typeof import('../../integrations/git/worktreeHost'));
/* eslint-enable @typescript-eslint/no-require-imports */

const tools = (env: Env, client: BoardClient) => host().workspaceWorktrees({ workspaceRoot: workspaceRoot(env), boardDir: env.dir, board: client, holder: `cli:${process.pid}` });

function line(w: WorktreeListItem): string {
  const p = w.proposal ? `  proposal ${w.proposal.id} r${w.proposal.revision} ${w.proposal.status}` : '';
  return `${w.taskId}  ${w.status.padEnd(12)} ${w.branch}  ${w.path}${p}${w.reason ? `\n    ${w.reason}` : ''}`;
}

export const commands: Record<string, Sub> = {
  'worktree list': {
    usage: 'worktree list   every task worktree: status, branch, folder, its proposal (id, revision, status)',
    run: (_p, _v, env, io) =>
      withClient(env, async (client) => {
        const all = await client.call({ type: 'worktree.list' });
        io.out(env.json ? JSON.stringify(all) : all.length ? all.map(line).join('\n') : 'No worktrees: tasks get one when an agent starts them in a git repository.');
        return 0;
      }),
  },
  'worktree open': {
    usage: 'worktree open <task-id>   print the folder of the task’s worktree (cd "$(dreamos worktree open <id>)", or code "$(...)")',
    run: (p, _v, env, io) =>
      withClient(env, async (client) => {
        const id = need(p, 0, 'the task id');
        const w = await client.call({ type: 'worktree.show', taskId: id });
        if (!w) {
          io.err(`Task ${id} has no worktree. See \`dreamos worktree list\`.`);
          return 3;
        }
        io.out(env.json ? JSON.stringify(w) : w.path);
        return 0;
      }),
  },
  'worktree discard': {
    usage: 'worktree discard <task-id>   remove the task’s worktree; its head (uncommitted work committed first) is kept under refs/dreamos/archive/<branch>',
    run: (p, _v, env, io) =>
      withClient(env, async (client) => {
        const w = await tools(env, client).manager.discard(need(p, 0, 'the task id'));
        io.out(env.json ? JSON.stringify(w) : `Discarded ${w.branch}; its head ${w.headCommit?.slice(0, 12)} is kept under ${w.archiveRef}. Bring it back with \`dreamos worktree restore ${w.taskId}\`.`);
        return 0;
      }),
  },
  'worktree restore': {
    usage: 'worktree restore <task-id>   bring a discarded worktree back at its archived head',
    run: (p, _v, env, io) =>
      withClient(env, async (client) => {
        const w = await tools(env, client).manager.restore(need(p, 0, 'the task id'));
        io.out(env.json ? JSON.stringify(w) : `Restored ${w.branch} at ${w.headCommit?.slice(0, 12)} in ${w.path}.`);
        return 0;
      }),
  },
  'worktree prune': {
    usage: 'worktree prune   remove folders of landed worktrees with nothing uncommitted; never a dirty or unmerged one',
    run: (_p, _v, env, io) =>
      withClient(env, async (client) => {
        const r = await tools(env, client).manager.prune();
        if (env.json) io.out(JSON.stringify(r));
        else {
          io.out(`Removed ${r.removed.length} worktree(s)${r.removed.length ? `: ${r.removed.join(', ')}` : ''}.`);
          for (const k of r.kept) io.out(`  kept ${k.taskId}: ${k.why}`);
        }
        return 0;
      }),
  },
  'worktree queue': {
    usage: 'worktree queue [--all]   the merge queue: approved changes waiting to land, and why one waits',
    options: { all: { type: 'boolean' } },
    run: (_p, v, env, io) =>
      withClient(env, async (client) => {
        const q = await client.call({ type: 'queue.list', all: v.all === true });
        io.out(env.json ? JSON.stringify(q) : q.length ? q.map((e) => `#${e.id} ${e.status.padEnd(10)} ${e.branch} → ${e.targetBranch}  ${e.proposalId}${e.reason ? `  ${e.reason}` : ''}`).join('\n') : 'The merge queue is empty.');
        return 0;
      }),
  },
  'worktree land': {
    usage: 'worktree land   land what the merge queue holds now, one at a time (a running swarm does this by itself)',
    run: (_p, _v, env, io) =>
      withClient(env, async (client) => {
        const r = await tools(env, client).queue.drain();
        io.out(env.json ? JSON.stringify(r) : r.length ? r.map((x) => `${x.entry.branch} → ${x.entry.targetBranch}: ${x.outcome} (${x.reason})`).join('\n') : 'Nothing to land.');
        return r.some((x) => x.outcome === 'conflicted' || x.outcome === 'failed') ? 4 : 0;
      }),
  },
};
