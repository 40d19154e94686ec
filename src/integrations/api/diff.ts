/**
 * A proposal's change as one unified diff, for a program or the phone page to show: each file's
 * proposed content against its base in the workspace (read only when the file there still has the
 * hash the change was made against; otherwise the diff says the base changed).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { Proposal } from '../../core/proposals/proposalModel';

async function baseOf(workspace: string | undefined, rel: string, baseHash: string | null): Promise<string | undefined> {
  if (baseHash === null) return '';
  if (!workspace) return undefined;
  const abs = path.resolve(workspace, rel);
  // The hub refuses paths outside the workspace; this is the same rule again for a read.
  if (abs !== workspace && !abs.startsWith(workspace + path.sep)) return undefined;
  try {
    const text = await readFile(abs, 'utf8');
    return createHash('sha256').update(text).digest('hex') === baseHash ? text : undefined;
  } catch {
    return undefined;
  }
}

export async function proposalDiff(p: Pick<Proposal, 'files'>, workspace: string | undefined): Promise<string> {
  const parts: string[] = [];
  for (const f of p.files) {
    const base = await baseOf(workspace && path.resolve(workspace), f.path, f.baseHash);
    const a = f.op === 'create' ? '/dev/null' : `a/${f.path}`;
    const b = f.op === 'delete' ? '/dev/null' : `b/${f.path}`;
    if (base === undefined) {
      parts.push(`--- ${a}\n+++ ${b}\n# base of ${f.path} not available here (changed since, or not in this workspace): +${f.added} -${f.removed}\n${f.content === null ? '' : createTwoFilesPatch(a, b, '', f.content).split('\n').slice(2).join('\n')}`);
      continue;
    }
    parts.push(createTwoFilesPatch(a, b, base, f.content ?? '').split('\n').slice(1).join('\n'));
  }
  return parts.join('\n');
}
