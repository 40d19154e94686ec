/**
 * The worktree manager's git, as `git` processes: argument arrays (never a shell), LC_ALL=C so
 * the output parses the same everywhere, no prompts. Commits made here skip the repository's
 * hooks (an agent's work is committed as it is; the merge queue runs the configured checks) and
 * get an identity when the repository has none configured.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { DreamError } from '../../core/errors';
import type { ChangedFile, CommandRunner, GitPort, MergeTreeResult, RepoInfo, RunResult } from '../../core/worktrees/gitPort';
import { childEnv, runProcess } from '../drivers/process';

interface Out {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

const ENV = { ...childEnv(), LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', GIT_MERGE_AUTOEDIT: 'no' };
// Only used when the repository has no identity of its own (a fresh machine, a test).
const IDENTITY = ['-c', 'user.name=Dream.OS', '-c', 'user.email=dreamos@localhost.invalid'];

function exec(args: readonly string[], cwd: string, timeoutMs = 120_000): Promise<Out> {
  return new Promise((resolve) => {
    const child = spawn('git', [...args], { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString('utf8')).slice(-16_000)));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: Buffer.alloc(0), stderr: `could not run git: ${e.message}. Install git 2.38 or later.` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

const LOCKED = /\.lock'?: File exists|Unable to create '.*\.lock'|cannot lock ref|could not lock/i;

async function ok(args: readonly string[], cwd: string, what: string): Promise<string> {
  let r = await exec(args, cwd);
  // Another git in the same repository (a parallel worktree, the person's editor) holds a lock: wait and try again.
  for (let i = 1; r.code !== 0 && LOCKED.test(r.stderr) && i <= 8; i++) {
    await new Promise((res) => setTimeout(res, 50 * i));
    r = await exec(args, cwd);
  }
  if (r.code !== 0) throw new DreamError('internal', `${what} failed (git ${args.join(' ')}): ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout.toString('utf8');
}

const identityCache = new Map<string, boolean>();
async function identity(cwd: string): Promise<string[]> {
  let has = identityCache.get(cwd);
  if (has === undefined) {
    has = (await exec(['config', 'user.email'], cwd)).code === 0;
    identityCache.set(cwd, has);
  }
  return has ? [] : IDENTITY;
}

const lines = (s: string) => s.split('\n').filter(Boolean);

export class GitCli implements GitPort {
  async repo(folder: string): Promise<RepoInfo | null> {
    const top = await exec(['rev-parse', '--show-toplevel'], folder);
    if (top.code !== 0) return null;
    const head = await exec(['rev-parse', '--verify', '-q', 'HEAD'], folder);
    if (head.code !== 0) return null;
    const branch = await exec(['symbolic-ref', '-q', '--short', 'HEAD'], folder);
    return { top: path.resolve(top.stdout.toString().trim()), head: head.stdout.toString().trim(), branch: branch.code === 0 ? branch.stdout.toString().trim() : null };
  }

  async resolve(top: string, ref: string): Promise<string | null> {
    const r = await exec(['rev-parse', '--verify', '-q', `${ref}^{commit}`], top);
    return r.code === 0 ? r.stdout.toString().trim() : null;
  }

  async addWorktree(top: string, folder: string, branch: string, start: string, opts: { existingBranch?: boolean } = {}): Promise<void> {
    const args = opts.existingBranch ? ['worktree', 'add', '-q', folder, branch] : ['worktree', 'add', '-q', '-b', branch, folder, start];
    await ok(args, top, `Making the worktree ${folder}`);
  }

  async addDetached(top: string, folder: string, commit: string): Promise<void> {
    await ok(['worktree', 'add', '-q', '--detach', folder, commit], top, `Making the check folder ${folder}`);
  }

  async removeWorktree(top: string, folder: string): Promise<void> {
    // --force: files git does not track (linked node_modules, build output) go with the folder; the caller checked for work first.
    const r = await exec(['worktree', 'remove', '--force', folder], top);
    if (r.code !== 0 && !/is not a working tree|not a working tree/.test(r.stderr)) throw new DreamError('internal', `Removing the worktree ${folder} failed: ${r.stderr.trim()}`);
    await exec(['worktree', 'prune'], top);
  }

  async worktrees(top: string): Promise<{ path: string; branch: string | null; head: string | null }[]> {
    const out = await ok(['worktree', 'list', '--porcelain'], top, 'Listing worktrees');
    return out
      .split('\n\n')
      .map((block) => {
        const get = (k: string) => block.split('\n').find((l) => l.startsWith(`${k} `))?.slice(k.length + 1) ?? null;
        const wt = get('worktree');
        const b = get('branch');
        return wt ? { path: path.resolve(wt), branch: b ? b.replace(/^refs\/heads\//, '') : null, head: get('HEAD') } : undefined;
      })
      .filter((x): x is NonNullable<typeof x> => !!x);
  }

  async dirty(folder: string): Promise<string[]> {
    const out = await ok(['status', '--porcelain=v1', '-z', '-uall'], folder, 'Listing uncommitted files');
    const entries = out.split('\0');
    const files: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.length < 4) continue;
      files.push(e.slice(3));
      if (/[RC]/.test(e.slice(0, 2))) files.push(entries[++i] ?? '');
    }
    return files.filter(Boolean);
  }

  async commitAll(folder: string, message: string): Promise<string | null> {
    await ok(['add', '-A'], folder, 'Staging the run’s work');
    const staged = await exec(['diff', '--cached', '--quiet'], folder);
    if (staged.code === 0) return null;
    await ok([...(await identity(folder)), 'commit', '-q', '--no-verify', '-m', message], folder, 'Committing the run’s work');
    return (await ok(['rev-parse', 'HEAD'], folder, 'Reading the new head')).trim();
  }

  async mergeBase(top: string, a: string, b: string): Promise<string | null> {
    const r = await exec(['merge-base', a, b], top);
    return r.code === 0 ? r.stdout.toString().trim() : null;
  }

  async isAncestor(top: string, ancestor: string, descendant: string): Promise<boolean> {
    return (await exec(['merge-base', '--is-ancestor', ancestor, descendant], top)).code === 0;
  }

  async diff(top: string, base: string, head: string): Promise<ChangedFile[]> {
    const status = (await ok(['diff', '--no-renames', '--name-status', '-z', base, head], top, 'Listing the changed files')).split('\0');
    const nums = (await ok(['diff', '--no-renames', '--numstat', '-z', base, head], top, 'Counting the changed lines')).split('\0');
    const counts = new Map<string, { added: number; removed: number; binary: boolean }>();
    for (const n of nums) {
      const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(n);
      if (m) counts.set(m[3]!, { added: m[1] === '-' ? 0 : Number(m[1]), removed: m[2] === '-' ? 0 : Number(m[2]), binary: m[1] === '-' });
    }
    const files: ChangedFile[] = [];
    for (let i = 0; i + 1 < status.length; i += 2) {
      const code = status[i]!;
      const file = status[i + 1]!;
      if (!code) break;
      const c = counts.get(file) ?? { added: 0, removed: 0, binary: false };
      files.push({ path: file, op: code.startsWith('A') ? 'create' : code.startsWith('D') ? 'delete' : 'modify', ...c });
    }
    return files;
  }

  async show(top: string, commit: string, file: string): Promise<Buffer | null> {
    const r = await exec(['cat-file', 'blob', `${commit}:${file}`], top);
    return r.code === 0 ? r.stdout : null;
  }

  async mergeTree(top: string, ours: string, theirs: string): Promise<MergeTreeResult> {
    const r = await exec(['merge-tree', '--write-tree', '--name-only', ours, theirs], top);
    const out = r.stdout.toString('utf8');
    const [tree = '', ...rest] = out.split('\n');
    if (r.code === 0) return { clean: true, tree: tree.trim() };
    if (r.code !== 1) throw new DreamError('internal', `Checking the merge for conflicts failed (git merge-tree needs git 2.38 or later): ${r.stderr.trim() || `exit ${r.code}`}`);
    const blank = rest.indexOf('');
    const conflicts = [...new Set((blank < 0 ? rest : rest.slice(0, blank)).filter(Boolean))];
    return { clean: false, conflicts, message: (blank < 0 ? '' : rest.slice(blank + 1).join('\n')).trim().slice(0, 4_000) };
  }

  async commitTree(top: string, tree: string, parents: string[], message: string): Promise<string> {
    return (await ok([...(await identity(top)), 'commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message], top, 'Writing the merge commit')).trim();
  }

  async updateRef(top: string, ref: string, to: string, expected: string | null): Promise<void> {
    await ok(['update-ref', '-m', 'dreamos', ref, to, expected ?? '0'.repeat(40)], top, `Moving ${ref}`);
  }

  async deleteRef(top: string, ref: string): Promise<void> {
    await exec(['update-ref', '-d', ref], top);
  }

  async fastForwardCheckout(folder: string, commit: string): Promise<RunResult> {
    const r = await exec(['merge', '--ff-only', '-q', commit], folder);
    return { ok: r.code === 0, exitCode: r.code, output: `${r.stdout.toString()}${r.stderr}`.trim() };
  }

  async refs(top: string, prefix: string): Promise<{ ref: string; commit: string }[]> {
    const out = await ok(['for-each-ref', '--format=%(refname) %(objectname)', prefix], top, 'Listing archived heads');
    return lines(out).map((l) => {
      const [ref = '', commit = ''] = l.split(' ');
      return { ref, commit };
    });
  }
}

/** Setup and check commands as plain processes (their own group, a time limit). */
export class ProcessCommandRunner implements CommandRunner {
  async run(command: string, args: readonly string[], o: { cwd: string; env: Record<string, string>; timeoutMs: number; signal?: AbortSignal }): Promise<RunResult> {
    const r = await runProcess({ command, args, cwd: o.cwd, env: { ...childEnv(), CI: '1', FORCE_COLOR: '0', ...o.env } }, { timeoutMs: o.timeoutMs, keepBytes: 16_000, ...(o.signal ? { signal: o.signal } : {}) });
    const why = r.status === 'spawn-error' ? `\n[dreamos] could not start ${command}: ${r.message ?? r.errno}` : r.status === 'timeout' ? `\n[dreamos] stopped after ${Math.round(o.timeoutMs / 1000)} s` : '';
    return { ok: r.status === 'exited' && r.exitCode === 0, exitCode: r.exitCode, output: `${r.tail}${why}`.slice(-16_000) };
  }
}
