/**
 * One bench client process: claim → done in a loop, timing every acknowledged call, against
 * the hub ('hub'), native SQLite ('native') or the JSON file ('json'). Waits for 'go' so that all
 * workers start together; stops when the board has nothing ready or at the deadline.
 */
import { connectBoard } from '../../src/core/hub/connect';
import { claimNextJson, doneJson } from './json';
import { openNative } from './native';

interface Arg {
  kind: 'hub' | 'native' | 'json';
  dir: string;
  file: string;
  name: string;
}
const arg = JSON.parse(process.argv[2]!) as Arg;
const send = (m: unknown) => new Promise<void>((r) => process.send!(m, () => r()));
const go = new Promise<number>((resolve) => process.on('message', (m: { type: string; deadline: number }) => m.type === 'go' && resolve(m.deadline)));

type Claim = { task: { id: string }; lease: { token: number } } | null;

async function main(): Promise<void> {
  const lat: number[] = [];
  const timed = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await fn();
    lat.push(performance.now() - t0);
    return r;
  };
  let claimNext: () => Promise<{ id: string; token: number } | null>;
  let done: (id: string, token: number) => Promise<void>;
  let close = async () => undefined as void;
  if (arg.kind === 'hub') {
    const board = await connectBoard({ dir: arg.dir, client: arg.name, hubMode: 'never' });
    const agent = await board.call<{ id: string }>({ type: 'agent.register', name: arg.name });
    claimNext = async () => {
      const c = await timed(() => board.call<Claim>({ type: 'task.claimNext', agentId: agent.id }));
      return c && { id: c.task.id, token: c.lease.token };
    };
    done = async (id, token) => void (await timed(() => board.call({ type: 'task.done', taskId: id, token, summary: 'bench', evidence: [{ kind: 'test', summary: 'bench check passed' }] })));
    close = () => board.close();
  } else if (arg.kind === 'native') {
    const { db, exec } = openNative(arg.file);
    const agent = exec({ type: 'agent.register', name: arg.name }, 'bench') as { id: string };
    claimNext = async () => {
      const c = await timed(() => exec({ type: 'task.claimNext', agentId: agent.id }, agent.id) as Claim);
      return c && { id: c.task.id, token: c.lease.token };
    };
    done = async (id, token) => void (await timed(() => exec({ type: 'task.done', taskId: id, token, summary: 'bench', evidence: [{ kind: 'test', summary: 'bench check passed' }] }, agent.id)));
    close = async () => void db.close();
  } else {
    claimNext = () => timed(() => claimNextJson(arg.file, arg.name));
    done = (id, token) => timed(() => doneJson(arg.file, id, token, arg.name));
  }
  await send({ type: 'ready' });
  const deadline = await go;
  const start = performance.now();
  let ops = 0;
  while (Date.now() < deadline) {
    const c = await claimNext();
    ops++;
    if (!c) break;
    await done(c.id, c.token);
    ops++;
  }
  const elapsed = performance.now() - start;
  await send({ type: 'result', ops, lat, elapsed });
  await close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench worker ${arg.name} failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
