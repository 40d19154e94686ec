import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { DreamError } from '../errors';
import type { CheckResult } from './model';

/** A check is a program and its arguments — never a shell string, so nothing in it is interpreted. */
export const CheckSpec = z
  .object({
    name: z.string().trim().min(1).max(80),
    command: z.array(z.string().min(1)).min(1).max(100),
    timeoutSeconds: z.number().int().min(1).max(3_600).default(600),
  })
  .strict();
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

/** Reads a check list file (`.dreamos/checks.json`); none there is an empty list, a bad one a clear error. */
export async function readCheckFile(file: string): Promise<CheckSpec[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return [];
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DreamError('invalid_input', `${file} is not valid JSON (${(err as Error).message}).`);
  }
  const parsed = CheckList.safeParse(raw);
  if (!parsed.success) throw new DreamError('invalid_input', `${file} is not a valid check list: ${z.prettifyError(parsed.error)}. Each check is { "name": "...", "command": ["program", "arg", ...] }.`);
  return parsed.data;
}
