/**
 * Which files a run changed, from `git status`: a fingerprint of every uncommitted file before
 * and after the run; the difference is what the run did. Outside a git repository the probe says
 * null and the loop relies on checks and reported evidence instead.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { WorkspaceProbe, WorkspaceSnapshot } from '../../core/loop/driver';
import { runProcess } from './process';

const MAX_FILES = 5_000;
const MAX_HASH_BYTES = 8 * 1024 * 1024;

async function git(args: string[], cwd: string): Promise<string | null> {
  const r = await runProcess({ command: 'git', args, cwd, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' } }, { timeoutMs: 30_000, keepBytes: 8 * 1024 * 1024 });
  return r.status === 'exited' && r.exitCode === 0 ? r.tail : null;
}

async function fingerprint(file: string): Promise<string> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return `other:${st.mode}`;
    if (st.size > MAX_HASH_BYTES) return `big:${st.size}:${st.mtimeMs}`;
    return createHash('sha1').update(await fs.readFile(file)).digest('hex');
  } catch {
    return 'deleted';
  }
}

export class GitWorkspace implements WorkspaceProbe {
  async snapshot(root: string): Promise<WorkspaceSnapshot | null> {
    const top = (await git(['rev-parse', '--show-toplevel'], root))?.trim();
    if (!top) return null;
    const out = await git(['status', '--porcelain=v1', '-z', '-uall'], root);
    if (out === null) return null;
    const entries = out.split('\0');
    const files: string[] = [];
    for (let i = 0; i < entries.length && files.length < MAX_FILES; i++) {
      const e = entries[i]!;
      if (e.length < 4) continue;
      const xy = e.slice(0, 2);
      files.push(e.slice(3));
      if (xy.includes('R') || xy.includes('C')) i++; // the entry after a rename is its old path
    }
    const snap: WorkspaceSnapshot = {};
    const realRoot = await fs.realpath(root).catch(() => root);
    for (const f of files) {
      const abs = path.join(top, f);
      const rel = path.relative(realRoot, abs).split(path.sep).join('/');
      if (rel.startsWith('.dreamos/')) continue; // the board's own files are not the agent's work
      snap[rel] = await fingerprint(abs);
    }
    return snap;
  }
}
