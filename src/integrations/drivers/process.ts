/**
 * Running a program the safe way: an argument array (never a shell string), its own process group
 * so a stop reaches everything it started, a time limit, and the output streamed as it comes.
 */
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

export interface ProcessSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed; undefined closes stdin at once. */
  stdin?: string;
}

export interface ProcessResult {
  status: 'exited' | 'timeout' | 'aborted' | 'spawn-error';
  exitCode: number | null;
  signal: string | null;
  errno?: string;
  message?: string;
  tail: string;
  durationMs: number;
}

const TAIL_KEEP = 64 * 1024;

/** `{{node}}` as a command means the Node that runs Dream.OS (inside an editor: Electron run as Node). */
export const NODE_COMMAND = '{{node}}';
export function resolveCommand(command: string, env: NodeJS.ProcessEnv): { command: string; env: NodeJS.ProcessEnv } {
  if (command.trim() !== NODE_COMMAND) return { command, env };
  return { command: process.execPath, env: { ...env, ELECTRON_RUN_AS_NODE: '1' } };
}

/** The environment a child gets: ours, minus what only makes sense to this process (a test runner's IPC). */
export function childEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  delete env.NODE_TEST_CONTEXT;
  return env;
}
const isWindows = process.platform === 'win32';

/** Stops a process and everything in its group: TERM, then KILL after a grace period. */
export function killTree(pid: number, graceMs = 2_000): void {
  if (isWindows) {
    try {
      spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
    } catch {
      // already gone
    }
    return;
  }
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  send('SIGTERM');
  const t = setTimeout(() => send('SIGKILL'), graceMs);
  t.unref?.();
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function runProcess(
  spec: ProcessSpec,
  opts: { signal?: AbortSignal; timeoutMs?: number; keepBytes?: number; onOutput?: (text: string, stream: 'stdout' | 'stderr') => void; onSpawn?: (pid: number) => void; killGraceMs?: number } = {},
): Promise<ProcessResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let tail = '';
    let ended: ProcessResult['status'] | undefined;
    let settled = false;
    const finish = (r: Omit<ProcessResult, 'tail' | 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ ...r, tail, durationMs: Date.now() - started });
    };
    if (opts.signal?.aborted) return finish({ status: 'aborted', exitCode: null, signal: null });
    let child: ReturnType<typeof spawn>;
    const resolved = resolveCommand(spec.command, spec.env);
    try {
      child = spawn(resolved.command, [...spec.args], {
        cwd: spec.cwd,
        env: resolved.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        detached: !isWindows,
        windowsHide: true,
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return finish({ status: 'spawn-error', exitCode: null, signal: null, errno: e.code ?? 'EINVAL', message: e.message });
    }
    const stop = (why: 'timeout' | 'aborted') => {
      if (ended || settled) return;
      ended = why;
      if (child.pid) killTree(child.pid, opts.killGraceMs);
    };
    const onAbort = () => stop('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = opts.timeoutMs ? setTimeout(() => stop('timeout'), opts.timeoutMs) : undefined;
    timer?.unref?.();
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (!child.pid) finish({ status: 'spawn-error', exitCode: null, signal: null, errno: err.code ?? 'EINVAL', message: err.message });
    });
    if (child.pid) opts.onSpawn?.(child.pid);
    for (const stream of ['stdout', 'stderr'] as const) {
      const decoder = new StringDecoder('utf8');
      child[stream]!.on('data', (buf: Buffer) => {
        const text = decoder.write(buf);
        if (!text) return;
        tail = (tail + text).slice(-(opts.keepBytes ?? TAIL_KEEP));
        opts.onOutput?.(text, stream);
      });
    }
    child.stdin!.on('error', () => undefined); // an agent that ignores stdin closes it early: fine
    child.stdin!.end(spec.stdin ?? '');
    let exitTimer: NodeJS.Timeout | undefined;
    const onExit = (code: number | null, sig: NodeJS.Signals | null) => {
      clearTimeout(exitTimer);
      finish({ status: ended ?? 'exited', exitCode: code, signal: sig });
    };
    child.on('close', onExit);
    // A grandchild that keeps the pipes open must not keep us waiting past the process's own end.
    child.on('exit', (code, sig) => {
      exitTimer = setTimeout(() => onExit(code, sig), 1_000);
      exitTimer.unref?.();
    });
  });
}
