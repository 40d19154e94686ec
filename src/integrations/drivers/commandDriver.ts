/**
 * The command driver: runs a configured program (an agent CLI such as claude, codex, aider,
 * gemini, or any script) in the task's folder. The prompt goes to stdin (and to a file, for
 * programs that take one: {{promptFile}} in args); the environment says who and what
 * (DREAMOS_DIR, DREAMOS_AGENT_ID, DREAMOS_TASK_ID, DREAMOS_LEASE_TOKEN) and puts a `dreamos`
 * command on PATH so the agent can report back. Output streams to the agent's log. The outcome is
 * the exit status and the output's tail; stopping kills the whole process group.
 */
import { existsSync, mkdirSync, promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CommandAgentConfig } from '../../core/loop/agentsConfig';
import type { AgentDriver, AgentJob, DriverIo, DriverOutcome } from '../../core/loop/driver';
import { presetArgs, PROTOCOL_OF } from '../../core/loop/presets';
import { socketPathFor } from '../../core/hub/descriptor';
import { describeEvent, type RunEvent } from '../../core/runs/runModel';
import { streamParser, type Protocol } from '../agents/streams';
import { childEnv, isAlive, killTree, runProcess } from './process';
import { bwrapAvailable, bwrapPlan } from './sandbox';

export interface CommandDriverOptions {
  /** The `dreamos` CLI bundle (dist/cli.js) the PATH shim runs. */
  cliPath: string;
  /** The Node binary that runs it (default: this process's). */
  nodePath?: string;
  /** Environment the agent inherits before the DREAMOS_* variables (default process.env). */
  baseEnv?: NodeJS.ProcessEnv;
  killGraceMs?: number;
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Writes `<boardDir>/bin/dreamos` (and dreamos.cmd): a shim that runs the CLI with this Node. */
export function ensureShim(boardDir: string, cliPath: string, nodePath = process.execPath): string {
  const dir = path.join(boardDir, 'bin');
  mkdirSync(dir, { recursive: true });
  // ELECTRON_RUN_AS_NODE: inside an editor, this process's binary is Electron, which then acts as Node.
  const sh = `#!/bin/sh\nELECTRON_RUN_AS_NODE=1 exec ${shQuote(nodePath)} ${shQuote(cliPath)} "$@"\n`;
  const cmd = `@echo off\r\nset ELECTRON_RUN_AS_NODE=1\r\n"${nodePath}" "${cliPath}" %*\r\n`;
  const file = path.join(dir, 'dreamos');
  writeFileSync(file, sh, { mode: 0o755 });
  writeFileSync(path.join(dir, 'dreamos.cmd'), cmd);
  return dir;
}

export function fillArgs(args: readonly string[], values: Record<string, string>): string[] {
  return args.map((a) => a.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (m, k: string) => values[k] ?? m));
}

export class CommandDriver implements AgentDriver {
  readonly kind = 'command' as const;
  private shimDir: string | undefined;

  constructor(
    private readonly cfg: CommandAgentConfig,
    private readonly o: CommandDriverOptions,
  ) {}

  async execute(job: AgentJob, signal: AbortSignal, io: DriverIo): Promise<DriverOutcome> {
    if (!existsSync(job.cwd)) {
      return { status: 'spawn-error', errno: 'ENOENT', message: `the task's folder ${job.cwd} does not exist`, tail: '', durationMs: 0 };
    }
    this.shimDir ??= ensureShim(job.boardDir, this.o.cliPath, this.o.nodePath);
    const runDir = path.join(job.boardDir, 'runs', job.agentName);
    await fs.mkdir(runDir, { recursive: true });
    const promptFile = path.join(runDir, `${job.taskId}.md`);
    await fs.writeFile(promptFile, job.prompt);
    const filled = fillArgs(this.cfg.args, {
      taskId: job.taskId,
      agentId: job.agentId,
      agentName: job.agentName,
      promptFile,
      boardDir: job.boardDir,
      workspace: job.workspaceRoot,
      cwd: job.cwd,
    });
    // A preset agent (claude, codex) runs its CLI's headless command line, resuming the session on a rerun.
    const preset = this.cfg.preset;
    const args = preset ? presetArgs(preset, { resume: job.resume, extra: filled, prompt: job.prompt, promptFile }) : filled;
    const protocol = preset ? PROTOCOL_OF[preset.kind] : undefined;
    const parser = preset && protocol ? streamParser(protocol as Protocol, { model: preset.model, price: preset.price, prices: preset.prices }) : undefined;
    let transcript = '';
    let stderrTail = '';
    const onEvents = (events: RunEvent[]) => {
      for (const e of events) {
        const line = describeEvent(e);
        if (line) transcript = `${transcript}${line}\n`.slice(-64 * 1024);
        io.event?.(e);
      }
    };
    const base = childEnv(this.o.baseEnv ?? process.env);
    const pathKey = Object.keys(base).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
    const env: NodeJS.ProcessEnv = {
      ...base,
      ...this.cfg.env,
      ...job.env, // the task's worktree: its branch and port block
      // Some CLIs (opencode) take their folder from PWD rather than the process's own.
      PWD: job.cwd,
      DREAMOS_DIR: job.boardDir,
      DREAMOS_AGENT_ID: job.agentId,
      DREAMOS_AGENT_NAME: job.agentName,
      DREAMOS_TASK_ID: job.taskId,
      DREAMOS_LEASE_TOKEN: String(job.leaseToken),
      // The run's own credential; the person's token (hub.json) is never handed to an agent.
      ...(job.credential ? { DREAMOS_AGENT_TOKEN: job.credential } : {}),
      DREAMOS_PROMPT_FILE: promptFile,
      DREAMOS_RUN: String(job.run),
      // Portable report-back for scripts: `node $DREAMOS_CLI task done ...` (no PATH or .cmd lookup).
      DREAMOS_CLI: this.o.cliPath,
      [pathKey]: [this.shimDir, this.cfg.env[pathKey] ?? base[pathKey] ?? ''].filter(Boolean).join(path.delimiter),
    };
    // A preset CLI's commands reach this board's hub by its socket and never start one: Codex runs
    // them in a sandbox with its own PID namespace, where the hub's pid looks gone and the shim
    // would otherwise take the board over (tried with codex 0.171.0).
    if (preset) env.DREAMOS_HUB_SOCKET = socketPathFor(job.boardDir);
    let program = { command: this.cfg.command, args };
    if (this.cfg.sandbox === 'bwrap') {
      if (!bwrapAvailable()) {
        return { status: 'spawn-error', errno: 'ENOENT', message: `agent ${job.agentName} is set to run sandboxed ("sandbox": "bwrap") but bubblewrap is not installed: install it (Debian/Ubuntu: sudo apt-get install bubblewrap) or set "sandbox": "none"`, tail: '', durationMs: 0 };
      }
      const socketPath = socketPathFor(job.boardDir);
      env.DREAMOS_HUB_SOCKET = socketPath;
      program = bwrapPlan({ boardDir: job.boardDir, socketPath, visible: [this.shimDir, promptFile], command: this.cfg.command, args });
    }
    io.note(`run ${job.run} of task ${job.taskId}${this.cfg.sandbox === 'bwrap' ? ' (sandboxed)' : ''}${job.resume ? ` (resuming session ${job.resume})` : ''}: ${[this.cfg.command, ...args].map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')} (in ${job.cwd})`);
    const r = await runProcess(
      { command: program.command, args: program.args, cwd: job.cwd, env, ...(this.cfg.stdin === 'prompt' ? { stdin: job.prompt } : {}) },
      {
        signal,
        timeoutMs: job.timeoutMs,
        onOutput: (text, stream) => {
          io.output(text, stream);
          if (!parser) return;
          if (stream === 'stdout') onEvents(parser.push(text));
          else stderrTail = `${stderrTail}${text}`.slice(-4_000);
        },
        onSpawn: (pid) => {
          io.note(`started pid ${pid}`);
          io.started?.(pid);
        },
        ...(this.o.killGraceMs !== undefined ? { killGraceMs: this.o.killGraceMs } : {}),
      },
    );
    if (parser) onEvents(parser.end());
    io.note(
      r.status === 'exited'
        ? `exited with ${r.signal ? `signal ${r.signal}` : `status ${r.exitCode}`} after ${(r.durationMs / 1000).toFixed(1)} s`
        : `${r.status}${r.message ? `: ${r.message}` : ''} after ${(r.durationMs / 1000).toFixed(1)} s`,
    );
    return {
      status: r.status,
      exitCode: r.exitCode,
      signal: r.signal,
      ...(r.errno ? { errno: r.errno } : {}),
      ...(r.message ? { message: r.message } : {}),
      // A preset run's tail is what it did in words (its messages, tools, errors), not raw JSON.
      tail: parser ? `${r.exitCode !== 0 && stderrTail.trim() ? `${stderrTail.trimEnd()}\n` : ''}${transcript}` : r.tail,
      durationMs: r.durationMs,
      ...(parser?.sessionId ? { sessionId: parser.sessionId } : {}),
      // Only a stream that breaks matters here: an error the CLI itself reported shows in its exit status.
      ...(parser?.problem && r.status === 'exited' && r.exitCode === 0 ? { streamError: parser.problem } : {}),
    };
  }

  cleanup(pid: number): void {
    if (isAlive(pid)) killTree(pid, this.o.killGraceMs);
  }
}
