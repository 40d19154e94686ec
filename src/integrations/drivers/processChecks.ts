/** Runs an agent's configured checks (tests, lint) as plain processes in the task's folder. */
import type { CheckResult, CheckRunner, CheckSpec } from '../../core/loop/driver';
import { childEnv, runProcess } from './process';

export class ProcessCheckRunner implements CheckRunner {
  constructor(private readonly env: NodeJS.ProcessEnv = childEnv()) {}

  async run(check: CheckSpec, cwd: string, signal: AbortSignal): Promise<CheckResult> {
    const r = await runProcess({ command: check.command, args: check.args, cwd, env: this.env }, { signal, timeoutMs: check.timeoutMs });
    const tail = r.tail.slice(-4_000);
    if (r.status === 'spawn-error') return { name: check.name, ok: false, exitCode: null, tail, durationMs: r.durationMs, error: `could not start "${check.command}": ${r.message ?? r.errno}` };
    if (r.status !== 'exited') return { name: check.name, ok: false, exitCode: r.exitCode, tail, durationMs: r.durationMs, error: r.status === 'timeout' ? `timed out after ${check.timeoutMs / 1000} s` : 'stopped' };
    return { name: check.name, ok: r.exitCode === 0, exitCode: r.exitCode, tail, durationMs: r.durationMs };
  }
}
