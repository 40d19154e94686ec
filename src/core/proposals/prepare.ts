import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { applyPatch, diffLines, parsePatch } from 'diff';
import { z } from 'zod';
import { DreamError, invalidInput } from '../errors';
import { MAX_FILES, type ProposalFile } from './proposalModel';
import { checkContent, looksBinary, resolveInside } from './safety';

/**
 * Turns what a submitter has — whole new files, or a unified diff against the working tree — into
 * stored proposal files: full new content plus the hash of the base it was made against, so a
 * later apply can tell whether the file changed meanwhile.
 */
export const SubmissionFile = z.union([
  z.object({ path: z.string().min(1).max(500), content: z.string() }).strict(),
  z.object({ path: z.string().min(1).max(500), delete: z.literal(true) }).strict(),
]);
export const Submission = z
  .object({
    files: z.array(SubmissionFile).max(MAX_FILES).default([]),
    diff: z.string().max(10 * 1024 * 1024).optional(),
  })
  .strict();

export const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

async function readBase(root: string, p: string): Promise<Buffer | undefined> {
  const abs = resolveInside(root, p);
  try {
    return await fs.readFile(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new DreamError('invalid_input', `${p} is a folder, not a file.`, { path: p });
    throw err;
  }
}

export function lineCounts(before: string, after: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const part of diffLines(before, after)) {
    if (part.added) added += part.count ?? 0;
    else if (part.removed) removed += part.count ?? 0;
  }
  return { added, removed };
}

async function fileFor(root: string, p: string, content: string | null): Promise<ProposalFile> {
  const base = await readBase(root, p);
  if (base && looksBinary(base)) throw new DreamError('invalid_input', `${p} is a binary file; binary changes cannot be proposed.`, { path: p });
  if (content !== null) checkContent(p, content);
  if (content === null && !base) throw new DreamError('invalid_input', `Cannot delete ${p}: it does not exist.`, { path: p });
  const before = base?.toString('utf8') ?? '';
  return {
    path: p,
    op: content === null ? 'delete' : base ? 'modify' : 'create',
    baseHash: base ? sha256(base) : null,
    content,
    ...lineCounts(before, content ?? ''),
  };
}

function stripPrefix(name: string | undefined): string | null {
  if (!name || name === '/dev/null') return null;
  return name.replace(/^[ab]\//, '');
}

export async function prepareSubmission(root: string, raw: unknown): Promise<ProposalFile[]> {
  const parsed = Submission.safeParse(raw);
  if (!parsed.success) throw invalidInput('Invalid proposal', parsed.error.issues);
  const out: ProposalFile[] = [];
  for (const f of parsed.data.files) out.push(await fileFor(root, f.path, 'content' in f ? f.content : null));
  if (parsed.data.diff) {
    const patches = parsePatch(parsed.data.diff);
    for (const patch of patches) {
      const oldName = stripPrefix(patch.oldFileName);
      const newName = stripPrefix(patch.newFileName);
      const p = newName ?? oldName;
      if (!p) continue;
      if (oldName && newName && oldName !== newName) throw new DreamError('invalid_input', `Renames are not supported in proposals (${oldName} → ${newName}): propose a delete and a create.`);
      if (!newName) {
        out.push(await fileFor(root, p, null));
        continue;
      }
      const base = oldName ? ((await readBase(root, p))?.toString('utf8') ?? '') : '';
      const result = applyPatch(base, patch);
      if (result === false) {
        throw new DreamError('conflict', `The diff for ${p} does not apply to the file as it is now: it was made against another version. Ask for a new diff.`, { path: p });
      }
      out.push(await fileFor(root, p, result));
    }
  }
  if (out.length === 0) throw new DreamError('invalid_input', 'A proposal needs at least one changed file (files or a diff).');
  const seen = new Set<string>();
  for (const f of out) {
    if (seen.has(f.path)) throw new DreamError('invalid_input', `${f.path} appears twice in the proposal.`, { path: f.path });
    seen.add(f.path);
  }
  if (out.length > MAX_FILES) throw new DreamError('invalid_input', `A proposal may change at most ${MAX_FILES} files.`);
  return out;
}
