/**
 * The board's own config and retention where the hub really runs: the detached hub the CLI starts,
 * runHub (what `dreamos hub` calls) with its own upkeep, and the engine's event stream. The hub's
 * clock is faked through its executor (every command's `now`), so "two days later" is one line.
 * Timing is never asserted.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '../../src/core/board/boardModel';
import { executeCommand } from '../../src/core/commands';
import type { BoardEvent } from '../../src/core/events/eventLog';
import { connectBoard } from '../../src/core/hub/connect';
import { runHub } from '../../src/core/hub/standalone';
import { HubEngine, type Executor } from '../../src/core/hub/engine';
import { tryAcquireLock } from '../../src/core/hub/lock';
import type { HubRuntime } from '../../src/core/hub/runtime';
import { tempBoard, waitFor } from './helpers/util';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const DAY = 86_400_000;

function dreamos(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dirs: string[] = [];
function board(): string {
  const d = tempBoard('dreamos-config-');
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fakeClock(start = 1_700_000_000_000): { clock: { now: number }; executor: Executor } {
  const clock = { now: start };
  return { clock, executor: (ctx, raw) => executeCommand({ ...ctx, now: clock.now }, raw) };
}

describe('board config wherever the hub runs', () => {
  let ws: string;
  before(() => {
    if (!existsSync(cli)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
    ws = mkdtempSync(path.join(os.tmpdir(), 'dreamos-config-cli-'));
  });
  after(() => {
    dreamos(ws, ['hub', 'stop']);
    rmSync(ws, { recursive: true, force: true });
  });

  it('the detached hub the CLI starts gives claims the leaseSeconds another client stored', () => {
    const set = dreamos(ws, ['config', 'set', 'leaseSeconds', '30']);
    assert.equal(set.code, 0, set.err);
    assert.match(set.out, /Stored on the board: leaseSeconds = 30/);
    assert.equal(dreamos(ws, ['config', 'get', 'leaseSeconds']).out.trim(), '30');
    // Another process, another client: the hub applies the board's value.
    assert.equal(dreamos(ws, ['agent', 'register', 'cfg-agent']).code, 0);
    assert.equal(dreamos(ws, ['task', 'add', 'leased']).code, 0);
    const r = dreamos(ws, ['task', 'next', '--agent', 'cfg-agent', '--json']);
    assert.equal(r.code, 0, r.err);
    const claim = JSON.parse(r.out) as { task: { updatedAt: number }; lease: { expiresAt: number } };
    assert.equal(claim.lease.expiresAt - claim.task.updatedAt, 30_000);
    const all = dreamos(ws, ['config', 'get']);
    assert.match(all.out, /^leaseSeconds = 30 /m);
    assert.match(all.out, /^stallSeconds = 120 \(default\)/m);
  });

  it('refuses an invalid value with exit 2 and a message naming the allowed range', () => {
    const r = dreamos(ws, ['config', 'set', 'leaseSeconds', '5']);
    assert.equal(r.code, 2);
    assert.match(r.err, /leaseSeconds must be a whole number from 10 to 86400 \(seconds\); got "5"\. Nothing was changed\./);
    const unknown = dreamos(ws, ['config', 'set', 'speed', 'fast']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /There is no board setting "speed"\. Board settings: leaseSeconds, stallSeconds, durability/);
    assert.equal(dreamos(ws, ['config', 'get', 'leaseSeconds']).out.trim(), '30');
  });

  it('runHub (dreamos hub) stalls agents after the board\'s stallSeconds, read by its own upkeep', async () => {
    const dir = board();
    const { clock, executor } = fakeClock();
    let rt: HubRuntime | undefined;
    const hub = runHub(dir, { idleMs: 0, handleSignals: false, executor, tickMs: 20, onReady: (h) => (rt = h) });
    hub.catch(() => undefined);
    const client = await connectBoard({ dir, client: 'config-test', hubMode: 'never' });
    try {
      await client.call({ type: 'board.config.set', values: { stallSeconds: 30 } });
      const a = await client.call<Agent>({ type: 'agent.register', name: 'silent' });
      await client.call({ type: 'agent.lifecycle', agent: a.id, action: 'start' });
      clock.now += 31_000; // past the board's 30 s, well within the old fixed 120 s
      await waitFor('the agent to be marked stalled by upkeep', async () => (await client.call<Agent>({ type: 'agent.show', agent: a.id })).status === 'stalled', 20_000);
    } finally {
      await client.close();
      await rt?.close();
    }
  });
});

describe('retention in the hub', () => {
  it('the hub\'s default upkeep prunes by the board\'s config; a subscriber from before gets a resync marker', async () => {
    const dir = board();
    const lock = tryAcquireLock(dir)!;
    const { clock, executor } = fakeClock();
    const engine = await HubEngine.open(dir, { executor, tickMs: 20, durability: 'process' });
    try {
      await engine.call({ type: 'board.config.set', values: { eventsDays: 1, eventsKeep: 100 } }, { actor: 'human' });
      for (let i = 0; i < 200; i++) await engine.call({ type: 'task.add', title: `t${i}` }, { actor: 'human' });
      clock.now += 2 * DAY;
      await engine.call({ type: 'task.add', title: 'today' }, { actor: 'human' });
      const oldest = () => engine.inspect((tx) => tx.get<{ s: number }>('SELECT min(seq) AS s FROM events')!.s);
      await waitFor('upkeep to prune old events', () => oldest() > 1, 20_000);
      const seen: BoardEvent[] = [];
      const sub = engine.subscribe(0, (e) => seen.push(e));
      await waitFor('the catch-up', () => seen.length >= 2);
      sub.dispose();
      assert.equal(seen[0]!.type, 'board.resync');
      assert.equal(seen[1]!.seq, oldest());
      assert.equal(engine.inspect((tx) => tx.get<{ n: number }>('SELECT count(*) AS n FROM task_history')!.n), 201);
    } finally {
      await engine.close();
      lock.release();
    }
  });

  it('the board\'s durability applies when the hub next opens the board', async () => {
    const dir = board();
    const lock = tryAcquireLock(dir)!;
    try {
      let engine = await HubEngine.open(dir, { upkeepCommands: [] });
      assert.equal((engine as unknown as { durability: string }).durability, 'full');
      await engine.call({ type: 'board.config.set', values: { durability: 'process' } }, { actor: 'human' });
      await engine.close();
      engine = await HubEngine.open(dir, { upkeepCommands: [] });
      assert.equal((engine as unknown as { durability: string }).durability, 'process');
      await engine.close();
    } finally {
      lock.release();
    }
  });
});
