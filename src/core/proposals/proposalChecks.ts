import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { describeIssues, DreamError, firstProblemPath, formatIssues } from '../errors';
import { locateJsonPath, parseJson } from '../json';
import type { CheckResult } from './proposalModel';

/** A check is a program and its arguments — never a shell string, so nothing in it is interpreted. */
export const CheckSpec = z
  .object({
    name: z.string().trim().min(1).max(80).describe('What the check is called, e.g. "tests".'),
    command: z.array(z.string().min(1)).min(1).max(100).describe('The program and its arguments, never a shell string: ["npm", "test"].'),
    timeoutSeconds: z.number().int().min(1).max(3_600).default(600).describe('Stopped (and failed) after this many seconds.'),
  })
  .strict()
  .describe('A check: { "name": "tests", "command": ["npm", "test"] }.');
export type CheckSpec = z.infer<typeof CheckSpec>;
export const CheckList = z.array(CheckSpec).max(20);

const TAIL = 8_000;

export function runCheck(cwd: string, spec: CheckSpec, opts: { signal?: AbortSignal; onOutput?: (chunk: string) => void } = {}): Promise<CheckResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let tail = '';
    const keep = (b: Buffer) => {
      const s = b.toString('utf8');
      opts.onOutput?.(s);
      tail = (tail + s).slice(-TAIL);
    };
    const child = spawn(spec.command[0]!, spec.command.slice(1), { cwd, detached: process.platform !== 'win32', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1', FORCE_COLOR: '0' } });
    const kill = () => {
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      tail += `\n[dreamos] ${spec.name} timed out after ${spec.timeoutSeconds} s and was stopped.`;
      kill();
    }, spec.timeoutSeconds * 1000);
    opts.signal?.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const finish = (exitCode: number | null, extra = '') => {
      clearTimeout(timer);
      resolve({ name: spec.name, command: spec.command, ok: exitCode === 0, exitCode, durationMs: Date.now() - started, outputTail: (tail + extra).slice(-TAIL) });
    };
    child.on('error', (err) => finish(null, `\n[dreamos] could not start ${spec.command[0]}: ${err.message}`));
    child.on('close', (code) => finish(code));
  });
}

export async function runChecks(cwd: string, specs: CheckSpec[], opts: { signal?: AbortSignal; onOutput?: (chunk: string) => void } = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const s of specs) {
    if (opts.signal?.aborted) break;
    opts.onOutput?.(`\n$ ${s.command.join(' ')}\n`);
    results.push(await runCheck(cwd, s, opts));
  }
  return results;
}

/**
 * `.dreamos/checks.json`: either a list of checks (run against the proposed tree before approving)
 * or `{ "checks": [...], "postApply": [...] }`, where postApply checks run in the workspace right
 * after applying and a failure rolls the change back.
 */
const CheckFileObject = z
  .object({
    $schema: z.string().optional().describe('The JSON schema of this file (editors validate without it too).'),
    checks: CheckList.default([]).describe('Run against the proposed tree (a scratch copy, or the merged result in the merge queue) before a change lands; a failure stops it.'),
    postApply: CheckList.default([]).describe('Run in the workspace right after applying; a failure rolls the change back.'),
  })
  .strict();
/** The file as written: `{ "checks": [...], "postApply": [...] }` or a bare list of checks (schemas/checks.schema.json). */
export const CheckFile = z.union([CheckFileObject, CheckList]).describe('Dream.OS checks (.dreamos/checks.json): what must pass before an agent\'s change lands.');
export interface CheckConfig {
  /** Run against the proposed tree (a scratch copy) before approving. */
  checks: CheckSpec[];
  /** Run in the workspace after applying; a failure rolls the change back. */
  postApply: CheckSpec[];
}

const CHECK_FILE_SHAPE = '{ "checks": [...], "postApply": [...] } (or just a list of pre-apply checks), each check { "name": "...", "command": ["program", "arg", ...] }';

/** Reads the check file; none there is no checks, a bad one a clear error. The CLI and `dreamos discord` read the same file. */
export async function readCheckFile(file: string): Promise<CheckConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { checks: [], postApply: [] };
    throw new DreamError('invalid_input', `${file} could not be read (${(err as Error).message}). Fix its permissions or remove it.`);
  }
  const json = parseJson(text);
  if (!json.ok) throw new DreamError('invalid_input', `${file} is not valid JSON (${json.problem}). It should be ${CHECK_FILE_SHAPE}.`, { file, line: json.line, column: json.column });
  const raw = json.value;
  // Parsed against the shape the file has, so the error names its fields rather than both shapes'.
  const parsed = Array.isArray(raw) ? CheckList.safeParse(raw) : CheckFileObject.safeParse(raw);
  if (!parsed.success) throw new DreamError('invalid_input', `${describeIssues(`${file} is not a valid check file`, parsed.error.issues)}\nIt should be ${CHECK_FILE_SHAPE}.`, { file, errors: formatIssues(parsed.error.issues), ...locateJsonPath(text, firstProblemPath(parsed.error.issues) ?? []) });
  return Array.isArray(parsed.data) ? { checks: parsed.data, postApply: [] } : parsed.data;
}
