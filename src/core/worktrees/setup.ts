/**
 * `.dreamos/worktrees.json`: what every new worktree needs before an agent works in it, declared
 * once — files to copy from the workspace (`.env`), folders to link (`node_modules`), commands to
 * run (`npm ci`), and a block of ports per worktree (DREAMOS_PORT_BASE) so parallel dev servers
 * do not collide. Validated; a bad file is an error that names the field.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues, DreamError, firstProblemPath, formatIssues } from '../errors';
import { locateJsonPath, parseJson } from '../json';
import { resolveInside } from '../proposals/safety';
import type { CommandRunner } from './gitPort';

const Rel = z.string().trim().min(1).max(500);
export const WorktreeSetup = z
  .object({
    $schema: z.string().optional().describe('The JSON schema of this file (editors validate without it too).'),
    /** Files or folders copied from the workspace (missing ones are skipped). */
    copy: z.array(Rel).max(100).default([]).describe('Files or folders copied from the workspace into each new worktree, e.g. [".env"] (missing ones are skipped).'),
    /** Folders linked to the workspace's own (symlinks; a junction on Windows). */
    link: z.array(Rel).max(100).default([]).describe('Folders linked to the workspace\'s own, e.g. ["node_modules"] (symlinks; a junction on Windows).'),
    /** Commands run in the worktree, in order, each an argument array: [["npm", "ci"]]. */
    run: z
      .array(z.array(z.string().min(1)).min(1).max(100))
      .max(20)
      .default([])
      .describe('Commands run in each new worktree, in order, each a program and its arguments (no shell): [["npm", "ci"]]. A failure puts the task in Needs You.'),
    /** A block of `size` ports per worktree from `base`: DREAMOS_PORT_BASE is its first. */
    ports: z
      .object({
        base: z.number().int().min(1_024).max(65_000).describe('The first port of the first worktree\'s block.'),
        size: z.number().int().min(1).max(1_000).default(10).describe('Ports per worktree.'),
      })
      .strict()
      .optional()
      .describe('A block of ports per worktree, so parallel dev servers do not collide: the agent gets DREAMOS_PORT_BASE.'),
    timeoutSeconds: z.number().int().min(1).max(7_200).default(900).describe('Each setup command is stopped after this many seconds.'),
  })
  .strict()
  .describe('Dream.OS worktree setup (.dreamos/worktrees.json): what every new task worktree needs before an agent works in it.');
export type WorktreeSetup = z.infer<typeof WorktreeSetup>;

export const SETUP_FILE = 'worktrees.json';
const SHAPE = '{ "copy": [".env"], "link": ["node_modules"], "run": [["npm", "ci"]], "ports": { "base": 20000, "size": 10 } }';

export async function readSetup(boardDir: string): Promise<WorktreeSetup> {
  const file = path.join(boardDir, SETUP_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return WorktreeSetup.parse({});
    throw new DreamError('invalid_input', `${file} could not be read (${(err as Error).message}).`);
  }
  const json = parseJson(text);
  if (!json.ok) throw new DreamError('invalid_input', `${file} is not valid JSON (${json.problem}). It should look like ${SHAPE}.`, { file, line: json.line, column: json.column });
  const parsed = WorktreeSetup.safeParse(json.value);
  if (!parsed.success) throw new DreamError('invalid_input', `${describeIssues(`${file} is not a valid worktree setup`, parsed.error.issues)}\nIt should look like ${SHAPE}.`, { file, errors: formatIssues(parsed.error.issues), ...locateJsonPath(text, firstProblemPath(parsed.error.issues) ?? []) });
  return parsed.data;
}

/** Copies, links and runs what the setup says in a new worktree; `ok: false` carries the output to show. */
export async function runSetup(setup: WorktreeSetup, o: { workspace: string; folder: string; env: Record<string, string>; runner: CommandRunner }): Promise<{ ok: boolean; output: string }> {
  const out: string[] = [];
  try {
    for (const rel of setup.copy) {
      const from = resolveInside(o.workspace, rel);
      if (!(await fs.stat(from).catch(() => undefined))) {
        out.push(`copy ${rel}: not in the workspace, skipped`);
        continue;
      }
      await fs.cp(from, resolveInside(o.folder, rel), { recursive: true, force: true });
      out.push(`copied ${rel}`);
    }
    for (const rel of setup.link) {
      const from = resolveInside(o.workspace, rel);
      const to = resolveInside(o.folder, rel);
      if (!(await fs.stat(from).catch(() => undefined))) {
        out.push(`link ${rel}: not in the workspace, skipped`);
        continue;
      }
      await fs.rm(to, { recursive: true, force: true });
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.symlink(from, to, 'junction');
      out.push(`linked ${rel}`);
    }
  } catch (err) {
    out.push(`setup failed: ${(err as Error).message}`);
    return { ok: false, output: out.join('\n') };
  }
  for (const [command, ...args] of setup.run) {
    out.push(`$ ${[command, ...args].join(' ')}`);
    const r = await o.runner.run(command!, args, { cwd: o.folder, env: o.env, timeoutMs: setup.timeoutSeconds * 1000 });
    out.push(r.output.trimEnd());
    if (!r.ok) {
      out.push(`exit ${r.exitCode ?? 'none'}: the setup stopped here`);
      return { ok: false, output: out.join('\n').slice(-16_000) };
    }
  }
  return { ok: true, output: out.join('\n').slice(-16_000) };
}
