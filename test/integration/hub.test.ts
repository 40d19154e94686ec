/**
 * The hub with real processes, real files and real sockets: many clients at once, kill -9 during
 * a write storm, hostile frames, takeover with subscriptions. Timing is never asserted.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { BoardEvent } from '../../src/core/events/eventLog';
import { connectBoard } from '../../src/core/hub/connect';
import { runHub, stopHub } from '../../src/core/hub/standalone';
import { readDescriptor } from '../../src/core/hub/descriptor';
import { HubEngine, imagePath } from '../../src/core/hub/engine';
import { listSegments } from '../../src/core/hub/journal';
import { inspectLock, tryAcquireLock } from '../../src/core/hub/lock';
import { exited, forkTs, hubCommand, imageIntegrity, nextMessage, sleep, spawnHub, tempBoard, waitFor, WORKER } from './helpers/util';

const dirs: string[] = [];
function board(): string {
  const d = tempBoard();
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Msg {
  type: string;
  role?: string;
  pid?: number;
  claimed?: { taskId: string; token: number }[];
  acked?: { id: string; title: string }[];
  errors?: unknown[];
}

/** Opens the board directly (recovering it) to look at it the way the next hub will. */
async function openDirect<T>(dir: string, fn: (engine: HubEngine) => Promise<T>): Promise<T> {
  const lock = await waitFor('the hub lock', () => tryAcquireLock(dir), 20_000);
  const engine = await HubEngine.open(dir, { upkeepCommands: [] });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
    lock.release();
  }
}

describe('hub', () => {
  it('16 client processes claim and complete 2,000 tasks: each done exactly once', async () => {
    const dir = board();
    const seed = await connectBoard({ dir, client: 'seed', hubMode: 'in-process' });
    const file = { tasks: Array.from({ length: 2000 }, (_, i) => ({ title: `task ${i}`, priority: i % 4 })) };
    const { created } = await seed.call<{ created: { id: string }[] }>({ type: 'board.import', file });
    await seed.close();
    // All 16 start at once in in-process mode: they race for the lock, one becomes the hub, and
    // when it finishes its share and closes, another takes over mid-run.
    const workers = Array.from({ length: 16 }, (_, i) => forkTs(WORKER, { dir, mode: 'claim', hubMode: 'in-process', name: `w${i}` }));
    const results = await Promise.all(workers.map((w) => nextMessage<Msg>(w, (m) => m.type === 'result' || m.type === 'error', 150_000)));
    await Promise.all(workers.map(exited));
    for (const r of results) assert.equal(r.type, 'result', JSON.stringify(r));
    const claims = results.flatMap((r) => r.claimed!);
    const ids = claims.map((c) => c.taskId);
    assert.equal(new Set(ids).size, ids.length, 'a task was handed out twice');
    assert.deepEqual([...ids].sort(), created.map((t) => t.id).sort(), 'a task was never handed out');
    assert.equal(new Set(claims.map((c) => c.token)).size, claims.length, 'fencing tokens must be unique');
    // The hub moved as hosting workers finished (each hands over on close); some worker hosted it.
    assert.ok(results.some((r) => r.role === 'hub'));

    await openDirect(dir, async (engine) => {
      const exp = (await engine.call({ type: 'board.export' }, { actor: 'test' })) as { tasks: { status: string; attempts: number; history: { to: string }[] }[] };
      assert.equal(exp.tasks.length, 2000);
      for (const t of exp.tasks) {
        assert.equal(t.status, 'done');
        assert.equal(t.attempts, 1);
        assert.equal(t.history.filter((h) => h.to === 'claimed').length, 1);
      }
      assert.equal(engine.inspect((tx) => tx.get<{ integrity_check: string }>('PRAGMA integrity_check')?.integrity_check), 'ok');
    });
  });

  it('keeps every acknowledged write through 20 kill -9s of the hub during a write storm', async () => {
    const dir = board();
    // Small checkpoints so that kills also land while the image is being rewritten.
    const hubOpts = { checkpointBytes: 48 * 1024, idleMs: 30_000 };
    spawnHub(dir, hubOpts);
    await waitFor('first hub', () => readDescriptor(dir));
    const writer = forkTs(WORKER, { dir, mode: 'write', hubMode: 'spawn', name: 'storm', concurrency: 6, spawn: hubCommand(dir, hubOpts) });
    await nextMessage<Msg>(writer, (m) => m.type === 'ready');
    const killed = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const desc = await waitFor('a serving hub', () => {
        const d = readDescriptor(dir);
        return d && !killed.has(d.pid) && inspectLock(dir).state === 'alive' ? d : undefined;
      });
      await nextMessage<Msg>(writer, (m) => m.type === 'progress');
      await sleep(Math.random() * 250);
      process.kill(desc.pid, 'SIGKILL');
      killed.add(desc.pid);
      // The image on disk is only ever replaced whole: at any instant it passes integrity_check.
      if (existsSync(imagePath(dir))) assert.equal(await imageIntegrity(imagePath(dir)), 'ok');
    }
    writer.send({ type: 'stop' });
    const res = await nextMessage<Msg>(writer, (m) => m.type === 'result');
    await exited(writer);
    assert.deepEqual(res.errors, []);
    assert.ok(res.acked!.length > 100, `only ${res.acked!.length} writes were acknowledged`);
    // One last kill, so the final state comes from journal replay, not from a graceful close.
    const last = readDescriptor(dir);
    if (last && inspectLock(dir).state === 'alive') process.kill(last.pid, 'SIGKILL');
    await waitFor('the last hub to die', () => inspectLock(dir).state !== 'alive');

    await openDirect(dir, async (engine) => {
      assert.equal(engine.inspect((tx) => tx.get<{ integrity_check: string }>('PRAGMA integrity_check')?.integrity_check), 'ok');
      const tasks = (await engine.call({ type: 'task.list' }, { actor: 'test' })) as { id: string; title: string }[];
      const byId = new Map(tasks.map((t) => [t.id, t.title]));
      for (const a of res.acked!) assert.equal(byId.get(a.id), a.title, `acknowledged task ${a.id} is missing`);
      // Retried calls reuse their request id: nothing was applied twice.
      const titles = tasks.map((t) => t.title);
      assert.equal(new Set(titles).size, titles.length, 'a retried write was applied twice');
    });
  });

  it('lets exactly one of many simultaneous contenders take over a dead owner\'s lock', async () => {
    const dir = board();
    for (let round = 0; round < 2; round++) {
      // A lock left by a process that died (kill -9 of a hub leaves exactly this).
      const victim = spawnHub(dir, { idleMs: 60_000 });
      await waitFor('the victim to hold the lock', () => readDescriptor(dir)?.pid === victim.pid);
      victim.kill('SIGKILL');
      await exited(victim);
      assert.equal(inspectLock(dir).state, 'dead');
      const racers = Array.from({ length: 8 }, (_, i) => forkTs(WORKER, { dir, mode: 'lock', hubMode: 'never', name: `r${i}` }));
      await Promise.all(racers.map((r) => nextMessage<Msg>(r, (m) => m.type === 'ready')));
      const at = Date.now() + 100;
      for (const r of racers) r.send({ type: 'go', at });
      const outcomes = await Promise.all(racers.map((r) => nextMessage<{ type: string; won: boolean }>(r, (m) => m.type === 'result')));
      assert.equal(outcomes.filter((o) => o.won).length, 1, `round ${round}: ${JSON.stringify(outcomes)}`);
      await Promise.all(racers.map(exited));
    }
  });

  it('replays the journal after a crash, drops a torn tail, and answers a retried request id once', async () => {
    const dir = board();
    const lock = tryAcquireLock(dir)!;
    let engine = await HubEngine.open(dir, { upkeepCommands: [] });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(((await engine.call({ type: 'task.add', title: `t${i}` }, { actor: 'test', requestId: `req-000-${i}` })) as { id: string }).id);
    // As after kill -9: no checkpoint, the journal holds everything since the image.
    engine.abort('simulated crash');
    const [seg] = listSegments(dir);
    assert.ok(seg, 'a journal segment');
    const size = readFileSync(seg.file).length;
    truncateSync(seg.file, size - 7); // the last record is torn mid-write
    appendFileSync(seg.file, Buffer.from([1, 2, 3]));
    engine = await HubEngine.open(dir, { upkeepCommands: [] });
    const titles = ((await engine.call({ type: 'task.list' }, { actor: 'test' })) as { id: string }[]).map((t) => t.id);
    assert.deepEqual(titles.sort(), ids.slice(0, 19).sort());
    assert.equal(listSegments(dir).length, 1, 'recovery folds the old journal into the image');
    // A retry of an applied request returns the original result and applies nothing.
    const again = (await engine.call({ type: 'task.add', title: 't0' }, { actor: 'test', requestId: 'req-000-0' })) as { id: string };
    assert.equal(again.id, ids[0]);
    // The torn one was never acknowledged: its retry applies it now, once.
    const torn = (await engine.call({ type: 'task.add', title: 't19' }, { actor: 'test', requestId: 'req-000-19' })) as { id: string };
    const twice = (await engine.call({ type: 'task.add', title: 't19' }, { actor: 'test', requestId: 'req-000-19' })) as { id: string };
    assert.equal(torn.id, twice.id);
    assert.equal(((await engine.call({ type: 'task.list' }, { actor: 'test' })) as unknown[]).length, 20);
    assert.equal(engine.inspect((tx) => tx.get<{ integrity_check: string }>('PRAGMA integrity_check')?.integrity_check), 'ok');
    await engine.close();
    lock.release();
    assert.equal(await imageIntegrity(imagePath(dir)), 'ok');
    assert.deepEqual(listSegments(dir), [], 'a clean close leaves no journal');
  });

  it('runs a standalone hub that stops when idle or when asked', async () => {
    const dir = board();
    const t0 = Date.now();
    await runHub(dir, { idleMs: 300, handleSignals: false, upkeepCommands: [] });
    assert.ok(Date.now() - t0 >= 300);
    assert.equal(inspectLock(dir).state, 'free');
    assert.equal(readDescriptor(dir), undefined);
    const hub = spawnHub(dir, { idleMs: 60_000 });
    await waitFor('the hub', () => readDescriptor(dir)?.pid === hub.pid);
    const c = await connectBoard({ dir, client: 'cli', hubMode: 'never' });
    await c.call({ type: 'task.add', title: 'before stop' });
    await c.close();
    assert.equal(await stopHub(dir), true);
    assert.equal(await exited(hub), 0);
    // What stays is the board and its ignore file: no lock, socket, descriptor or journal.
    assert.deepEqual(readdirSync(dir).filter((f) => f !== 'board.sqlite' && f !== '.gitignore').sort(), []);
    await assert.rejects(connectBoard({ dir, client: 'cli', hubMode: 'never' }), /No Dream.OS hub is running/);
  });

  it('refuses a wrong token and answers hostile frames with errors while it keeps serving', async () => {
    const dir = board();
    const hub = await connectBoard({ dir, client: 'host', hubMode: 'in-process' });
    assert.equal(hub.role, 'hub');
    const desc = readDescriptor(dir)!;
    assert.equal(readFileSync(path.join(dir, 'hub.json')).length > 0, true);
    if (process.platform !== 'win32') assert.equal((await import('node:fs')).statSync(path.join(dir, 'hub.json')).mode & 0o777, 0o600);

    const raw = async () => {
      const sock = net.createConnection(desc.socketPath);
      await new Promise((r) => sock.once('connect', r));
      const lines: unknown[] = [];
      let buf = '';
      let closed = false;
      sock.on('data', (d) => {
        buf += d.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
        }
      });
      sock.on('close', () => (closed = true));
      sock.on('error', () => undefined);
      const next = (n: number) => waitFor(`answer ${n}`, () => lines.length >= n && lines[n - 1], 10_000) as Promise<{ id: unknown; ok: boolean; result?: unknown; error?: { code: string } }>;
      return { sock, next, isClosed: () => closed };
    };

    const bad = await raw();
    bad.sock.write(JSON.stringify({ id: 1, op: 'hello', token: '0'.repeat(64), client: 'intruder' }) + '\n');
    assert.equal((await bad.next(1)).error?.code, 'unauthorized');
    await waitFor('the hub to hang up', () => bad.isClosed());

    const early = await raw();
    early.sock.write(JSON.stringify({ id: 1, op: 'call', requestId: 'abcdefgh-1', command: { type: 'board.info' } }) + '\n');
    assert.equal((await early.next(1)).error?.code, 'unauthorized');
    await waitFor('the hub to hang up', () => early.isClosed());

    const stranger = await raw();
    stranger.sock.write('GET / HTTP/1.1\r\n\r\n');
    assert.equal((await stranger.next(1)).error?.code, 'invalid_input');
    await waitFor('the hub to hang up', () => stranger.isClosed());

    const c = await raw();
    c.sock.write(JSON.stringify({ id: 1, op: 'hello', token: desc.token, client: 'tester' }) + '\n');
    assert.equal((await c.next(1)).ok, true);
    c.sock.write('this is not json\n');
    assert.equal((await c.next(2)).error?.code, 'invalid_input');
    c.sock.write(JSON.stringify({ id: 7, op: 'teleport' }) + '\n');
    assert.deepEqual([(await c.next(3)).id, (await c.next(3)).error?.code], [7, 'invalid_input']);
    c.sock.write(JSON.stringify({ id: 8, op: 'call', requestId: 'abcdefgh-2', command: { type: 'task.add', title: '' } }) + '\n');
    assert.equal((await c.next(4)).error?.code, 'invalid_input');
    c.sock.write('x'.repeat(5 * 1024 * 1024) + '\n');
    assert.equal((await c.next(5)).error?.code, 'invalid_input');
    c.sock.write('[1,2,3]\nnull\n{"id":{"deep":1},"op":"call"}\n');
    for (const n of [6, 7, 8]) assert.equal((await c.next(n)).error?.code, 'invalid_input');
    c.sock.write(JSON.stringify({ id: 9, op: 'call', requestId: 'abcdefgh-3', command: { type: 'board.info' } }) + '\n');
    const info = await c.next(9);
    assert.equal(info.ok, true);
    assert.equal(c.isClosed(), false);
    c.sock.destroy();

    // And a normal client still gets served.
    const other = await connectBoard({ dir, client: 'other', hubMode: 'never' });
    assert.equal(other.role, 'client');
    assert.equal(((await other.call({ type: 'task.add', title: 'still here' })) as { title: string }).title, 'still here');
    // A request over the frame cap is refused before it is sent (the hub could not say which call it was).
    const huge = Array.from({ length: 30_000 }, (_, i) => ({ title: `a fairly long task title number ${i} for size`, description: 'x'.repeat(100) }));
    await assert.rejects(other.call({ type: 'board.import', file: huge }), (e: { code?: string }) => e.code === 'invalid_input');
    await other.close();
    await hub.close();
  });

  it('a client takes over when the hub dies, and its subscription misses no event', async () => {
    const dir = board();
    const host = forkTs(WORKER, { dir, mode: 'host', hubMode: 'in-process', name: 'host' });
    assert.equal((await nextMessage<Msg>(host, (m) => m.type === 'ready')).role, 'hub');
    const me = await connectBoard({ dir, client: 'watcher', hubMode: 'in-process' });
    assert.equal(me.role, 'client');
    const roles: string[] = [];
    me.onDidChangeRole((r) => roles.push(r));
    const seen: BoardEvent[] = [];
    me.subscribe(0, (e) => seen.push(e));
    const writer = forkTs(WORKER, { dir, mode: 'write', hubMode: 'in-process', name: 'writer', concurrency: 4 });
    const writerRoles: string[] = [];
    writer.on('message', (m: Msg) => m.type === 'role' && writerRoles.push(m.role!));
    await nextMessage<Msg>(writer, (m) => m.type === 'progress');
    await nextMessage<Msg>(writer, (m) => m.type === 'progress');
    host.kill('SIGKILL');
    await exited(host);
    const next = await waitFor('a new hub', () => {
      const d = readDescriptor(dir);
      return d && d.pid !== host.pid ? d : undefined;
    });
    assert.ok([process.pid, writer.pid].includes(next.pid));
    await waitFor('the new hub to say so', () => (next.pid === process.pid ? roles : writerRoles).includes('hub'));
    await nextMessage<Msg>(writer, (m) => m.type === 'progress');
    await nextMessage<Msg>(writer, (m) => m.type === 'progress');
    writer.send({ type: 'stop' });
    const res = await nextMessage<Msg>(writer, (m) => m.type === 'result');
    await exited(writer);
    assert.deepEqual(res.errors, []);

    const all = (await me.call({ type: 'events.since', afterSeq: 0, limit: 10_000 })) as BoardEvent[];
    await waitFor('the subscription to catch up', () => seen.length >= all.length);
    assert.deepEqual(seen.map((e) => e.seq), all.map((e) => e.seq), 'the subscriber missed or repeated events');
    assert.deepEqual(seen, all);
    assert.deepEqual(all.map((e) => e.seq), all.map((_, i) => i + 1));
    const created = new Set(seen.filter((e) => e.type === 'task.created').map((e) => e.subject));
    for (const a of res.acked!) assert.ok(created.has(a.id), `no event for acknowledged task ${a.id}`);
    await me.close();
  });
});
