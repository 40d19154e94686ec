import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DreamError } from '../errors';
import { runChecks, type CheckSpec } from './proposalChecks';
import type { CheckResult, Proposal, ProposalFile } from './proposalModel';
import { sha256 } from './prepare';
import { resolveInside } from './safety';

/**
 * Applying a proposal: refuse when a file changed since the proposal's base, take a recovery point
 * (the exact bytes of every touched file, fsynced), write through a FileWriter (the extension's
 * goes through a WorkspaceEdit so editors and undo see it), run post-apply checks and roll back
 * on failure. Rollback restores the recovery point byte for byte.
 */
export interface FileWriter {
  write(absPath: string, bytes: Uint8Array): Promise<void>;
  delete(absPath: string): Promise<void>;
}

export const nodeWriter: FileWriter = {
  async write(abs, bytes) {
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.writeFile(abs, bytes);
  },
  async delete(abs) {
    await fs.rm(abs, { force: true });
  },
};

const RecoveryManifest = z.object({
  proposalId: z.string(),
  createdAt: z.number(),
  files: z.array(z.object({ path: z.string(), existed: z.boolean(), blob: z.string().nullable(), afterHash: z.string().nullable() })),
});
type RecoveryManifest = z.infer<typeof RecoveryManifest>;

async function readMaybe(abs: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Files whose current content is not what the proposal was made against. */
export async function findConflicts(root: string, files: readonly ProposalFile[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const current = await readMaybe(resolveInside(root, f.path));
    if (f.baseHash === null ? current !== undefined : current === undefined || sha256(current) !== f.baseHash) out.push(f.path);
  }
  return out;
}

function recoveryDir(boardDir: string, proposalId: string): string {
  return path.join(boardDir, 'recovery', proposalId);
}

async function writeDurably(file: string, data: string | Uint8Array): Promise<void> {
  const h = await fs.open(file, 'w', 0o600);
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

export async function takeRecoveryPoint(root: string, boardDir: string, p: Proposal): Promise<RecoveryManifest> {
  const dir = recoveryDir(boardDir, p.id);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const manifest: RecoveryManifest = { proposalId: p.id, createdAt: Date.now(), files: [] };
  for (const [i, f] of p.files.entries()) {
    const before = await readMaybe(resolveInside(root, f.path));
    let blob: string | null = null;
    if (before) {
      blob = `${i}.bin`;
      await writeDurably(path.join(dir, blob), before);
    }
    manifest.files.push({ path: f.path, existed: before !== undefined, blob, afterHash: f.content === null ? null : sha256(Buffer.from(f.content, 'utf8')) });
  }
  await writeDurably(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

export async function restoreRecoveryPoint(root: string, boardDir: string, proposalId: string, writer: FileWriter, opts: { force?: boolean } = {}): Promise<string[]> {
  const dir = recoveryDir(boardDir, proposalId);
  let manifest: RecoveryManifest;
  try {
    manifest = RecoveryManifest.parse(JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')));
  } catch {
    throw new DreamError('not_found', `No recovery point for proposal ${proposalId} in ${dir}; it cannot be rolled back.`, { proposalId });
  }
  if (!opts.force) {
    const changed: string[] = [];
    for (const f of manifest.files) {
      const now = await readMaybe(resolveInside(root, f.path));
      const nowHash = now ? sha256(now) : null;
      if (nowHash !== f.afterHash) changed.push(f.path);
    }
    if (changed.length) throw new DreamError('conflict', `These files changed after the proposal was applied: ${changed.join(', ')}. Rolling back would lose those edits; force it if you are sure.`, { changed });
  }
  for (const f of manifest.files) {
    const abs = resolveInside(root, f.path);
    if (f.existed && f.blob) await writer.write(abs, await fs.readFile(path.join(dir, f.blob)));
    else await writer.delete(abs);
  }
  return manifest.files.map((f) => f.path);
}

/** Restores the recovery point after a failed apply; when that fails too, says where the bytes are (details.recoveryDir). */
async function restoreAfter(what: string, root: string, boardDir: string, proposalId: string, writer: FileWriter): Promise<void> {
  try {
    await restoreRecoveryPoint(root, boardDir, proposalId, writer, { force: true });
  } catch (err) {
    const dir = recoveryDir(boardDir, proposalId);
    throw new DreamError(
      'internal',
      `${what} and restoring the files from the recovery point failed too (${(err as Error).message}). Some files may hold part of the change: copy them back from ${dir} (manifest.json lists which blob is which file).`,
      { proposalId, recoveryDir: dir },
    );
  }
}

export interface ApplyOutcome {
  applied: boolean;
  rolledBack: boolean;
  conflicts: string[];
  checks: CheckResult[];
}

export async function applyProposal(opts: {
  root: string;
  boardDir: string;
  proposal: Proposal;
  writer?: FileWriter;
  postChecks?: CheckSpec[];
  onOutput?: (s: string) => void;
  signal?: AbortSignal;
}): Promise<ApplyOutcome> {
  const { root, boardDir, proposal } = opts;
  const writer = opts.writer ?? nodeWriter;
  const conflicts = await findConflicts(root, proposal.files);
  if (conflicts.length) return { applied: false, rolledBack: false, conflicts, checks: [] };
  await takeRecoveryPoint(root, boardDir, proposal);
  try {
    for (const f of proposal.files) {
      const abs = resolveInside(root, f.path);
      if (f.content === null) await writer.delete(abs);
      else await writer.write(abs, Buffer.from(f.content, 'utf8'));
    }
  } catch (err) {
    await restoreAfter(`Writing the proposal failed (${(err as Error).message})`, root, boardDir, proposal.id, writer);
    throw err;
  }
  const checks = opts.postChecks?.length ? await runChecks(root, opts.postChecks, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onOutput ? { onOutput: opts.onOutput } : {}) }) : [];
  if (checks.some((c) => !c.ok)) {
    await restoreAfter(`The post-apply checks failed (${checks.filter((c) => !c.ok).map((c) => c.name).join(', ')})`, root, boardDir, proposal.id, writer);
    return { applied: false, rolledBack: true, conflicts: [], checks };
  }
  return { applied: true, rolledBack: false, conflicts: [], checks };
}

/**
 * Runs the checks against the proposed tree in a scratch copy of the workspace (without .git,
 * node_modules — linked instead — and the board), so nothing touches the person's files.
 */
export async function validateInScratch(opts: { root: string; proposal: Proposal; checks: CheckSpec[]; onOutput?: (s: string) => void; signal?: AbortSignal }): Promise<CheckResult[]> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'dreamos-validate-'));
  try {
    const skip = new Set(['.git', 'node_modules', '.dreamos']);
    await fs.cp(opts.root, scratch, { recursive: true, filter: (src) => !skip.has(path.basename(src)) || path.resolve(src) === path.resolve(opts.root), verbatimSymlinks: true });
    const nm = path.join(opts.root, 'node_modules');
    if ((await fs.stat(nm).catch(() => undefined))?.isDirectory()) {
      await fs.symlink(nm, path.join(scratch, 'node_modules'), 'junction');
    }
    for (const f of opts.proposal.files) {
      const abs = resolveInside(scratch, f.path);
      if (f.content === null) await fs.rm(abs, { force: true });
      else {
        await fs.mkdir(path.dirname(abs), { recursive: true });
        await fs.writeFile(abs, f.content);
      }
    }
    return await runChecks(scratch, opts.checks, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onOutput ? { onOutput: opts.onOutput } : {}) });
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
