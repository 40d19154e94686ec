/**
 * A client process for the hub's integration tests, run with tsx through child_process.fork.
 * mode 'claim': claim → done until the board has nothing ready; 'write': add tasks until told to
 * stop; 'host': just hold a connection (in-process mode: be the hub); 'lock': race for the hub
 * lock at a given instant. Reports over IPC.
 */
import { connectBoard, type HubMode } from '../../../src/core/hub/connect';
import { DreamError } from '../../../src/core/errors';
import { tryAcquireLock } from '../../../src/core/hub/lock';

interface Arg {
  dir: string;
  mode: 'claim' | 'write' | 'host' | 'lock';
  hubMode: HubMode;
  name: string;
  spawn?: { command: string; args: string[] };
  concurrency?: number;
  engine?: Record<string, unknown>;
}

const arg = JSON.parse(process.argv[2]!) as Arg;
const send = (m: unknown) => new Promise<void>((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));

/** Waits for {type:'go', at}, then tries at that instant (spinning: a timer would spread the contenders). */
async function contendForLock(): Promise<void> {
  const at = new Promise<number>((resolve) => process.on('message', (m: { type: string; at: number }) => m.type === 'go' && resolve(m.at)));
  await send({ type: 'ready' });
  const when = await at;
  while (Date.now() < when) {
    /* spin */
  }
  const lock = tryAcquireLock(arg.dir);
  await send({ type: 'result', won: lock !== undefined });
  if (lock) {
    await new Promise((r) => setTimeout(r, 1_500));
    lock.release();
  }
}

async function main(): Promise<void> {
  if (arg.mode === 'lock') return contendForLock();
  const board = await connectBoard({
    dir: arg.dir,
    client: arg.name,
    hubMode: arg.hubMode,
    connectTimeoutMs: 60_000,
    ...(arg.spawn ? { spawn: arg.spawn } : {}),
    ...(arg.engine ? { engine: arg.engine } : {}),
    log: process.env.HUB_LOG ? (m) => process.stderr.write(`[${arg.name} ${process.pid}] ${m}\n`) : undefined,
  });
  board.onDidChangeRole((role) => void send({ type: 'role', role, pid: process.pid }));
  await send({ type: 'ready', role: board.role, pid: process.pid });

  if (arg.mode === 'host') {
    await new Promise<void>((resolve) => process.on('message', (m: { type: string }) => m.type === 'stop' && resolve()));
  } else if (arg.mode === 'claim') {
    const agent = await board.call<{ id: string }>({ type: 'agent.register', name: arg.name });
    const claimed: { taskId: string; token: number }[] = [];
    for (;;) {
      const c = await board.call<{ task: { id: string }; lease: { token: number } } | null>({ type: 'task.claimNext', agentId: agent.id });
      if (!c) break;
      claimed.push({ taskId: c.task.id, token: c.lease.token });
      await board.call({ type: 'task.done', taskId: c.task.id, token: c.lease.token, summary: `done by ${arg.name}`, evidence: [{ kind: 'test', summary: 'worker check passed' }] });
    }
    await send({ type: 'result', claimed, role: board.role });
  } else {
    let stop = false;
    process.on('message', (m: { type: string }) => {
      if (m.type === 'stop') stop = true;
    });
    const acked: { id: string; title: string }[] = [];
    const errors: unknown[] = [];
    let n = 0;
    const loop = async () => {
      while (!stop) {
        const title = `${arg.name}-${n++}`;
        try {
          const t = await board.call<{ id: string; title: string }>({ type: 'task.add', title });
          acked.push({ id: t.id, title: t.title });
          if (acked.length % 50 === 0) void send({ type: 'progress', acked: acked.length });
        } catch (err) {
          errors.push(DreamError.from(err).toJSON());
        }
      }
    };
    await Promise.all(Array.from({ length: arg.concurrency ?? 4 }, loop));
    await send({ type: 'result', acked, errors, role: board.role });
  }
  await board.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`worker ${arg.name} failed: ${(err as Error).stack ?? String(err)}\n`);
    void send({ type: 'error', error: String(err) }).then(() => process.exit(1));
  },
);
