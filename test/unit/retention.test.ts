/**
 * The board's own config (board.config.*) and retention (board.retain), on the real domain and a
 * real in-memory sql.js database, with a fake clock. Sizes and row counts are asserted, never time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Agent, Task } from '../../src/core/board/boardModel';
import type { ConfigView } from '../../src/core/board/boardConfig';
import { DreamError } from '../../src/core/errors';
import type { BoardEvent } from '../../src/core/events/eventLog';
import { simulateSwarm } from '../integration/helpers/swarmWeek';
import { memoryBoard } from './helpers/memoryBoard';

type Claim = { task: Task; lease: { token: number; expiresAt: number } } | null;
const DAY = 86_400_000;

function rejects(fn: () => unknown, code: string, pattern?: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DreamError, `expected DreamError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

async function boardAt(start = 1_700_000_000_000) {
  const clock = { now: start };
  const b = await memoryBoard({ clock: () => clock.now });
  return { ...b, clock };
}

const count = (b: { tx: { get<T>(sql: string): T | undefined } }, table: string) => b.tx.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)!.n;

describe('board config', () => {
  it('has defaults, and claims, renewals and heartbeats without a lease length take the board\'s leaseSeconds', async () => {
    const b = await boardAt();
    const view = b.run<ConfigView>({ type: 'board.config.get' });
    assert.equal(view.config.leaseSeconds, 300);
    assert.equal(view.config.stallSeconds, 120);
    assert.equal(view.config.durability, 'full');
    assert.ok(view.settings.every((s) => !s.set));

    const set = b.run<ConfigView & { changed: string[] }>({ type: 'board.config.set', values: { leaseSeconds: '45' } });
    assert.deepEqual(set.changed, ['leaseSeconds']);
    assert.equal(set.config.leaseSeconds, 45);
    const agent = b.run<Agent>({ type: 'agent.register', name: 'a1' });
    b.run({ type: 'task.add', title: 'one' });
    b.run({ type: 'task.add', title: 'two' });
    const c = b.run<Claim>({ type: 'task.claimNext', agentId: agent.id })!;
    assert.equal(c.lease.expiresAt - b.clock.now, 45_000);
    b.clock.now += 1_000;
    const r = b.run<{ expiresAt: number }>({ type: 'task.renew', taskId: c.task.id, token: c.lease.token });
    assert.equal(r.expiresAt - b.clock.now, 45_000);
    b.clock.now += 1_000;
    b.run({ type: 'agent.heartbeat', agent: agent.id });
    const shown = b.run<{ task: Task }>({ type: 'task.show', taskId: c.task.id }).task;
    assert.equal(shown.lease!.expiresAt - b.clock.now, 45_000);
    // A lease length the caller gives still wins.
    const t3 = b.run<Task>({ type: 'task.add', title: 'three' });
    const other = b.run<Agent>({ type: 'agent.register', name: 'a2' });
    const c3 = b.run<Claim>({ type: 'task.claim', taskId: t3.id, agentId: other.id, leaseMs: 10_000 })!;
    assert.equal(c3.lease.expiresAt - b.clock.now, 10_000);
    // "default" (null) goes back to the default.
    assert.equal(b.run<ConfigView>({ type: 'board.config.set', values: { leaseSeconds: null } }).config.leaseSeconds, 300);
  });

  it('refuses an invalid value with a message naming what is allowed, and changes nothing', async () => {
    const b = await boardAt();
    rejects(() => b.run({ type: 'board.config.set', values: { leaseSeconds: 5 } }), 'invalid_input', /leaseSeconds must be a whole number from 10 to 86400 \(seconds\); got 5\. Nothing was changed/);
    rejects(() => b.run({ type: 'board.config.set', values: { stallSeconds: 'soon' } }), 'invalid_input', /from 10 to 86400/);
    rejects(() => b.run({ type: 'board.config.set', values: { durability: 'fast' } }), 'invalid_input', /one of full, process/);
    rejects(() => b.run({ type: 'board.config.set', values: { leaseSecs: 30 } }), 'invalid_input', /no board setting "leaseSecs".*leaseSeconds, stallSeconds, durability/);
    // All or nothing: one bad value keeps the good one out too.
    rejects(() => b.run({ type: 'board.config.set', values: { stallSeconds: 60, eventsDays: -1 } }), 'invalid_input', /eventsDays must be a whole number from 0 to 3650/);
    assert.equal(b.run<ConfigView>({ type: 'board.config.get' }).config.stallSeconds, 120);
  });

  it('upkeep (lease.expireDue without stallMs) stalls agents after the board\'s stallSeconds', async () => {
    const b = await boardAt();
    b.run({ type: 'board.config.set', values: { stallSeconds: 30 } });
    const a = b.run<Agent>({ type: 'agent.register', name: 'quiet' });
    b.run({ type: 'agent.lifecycle', agent: a.id, action: 'start' });
    b.clock.now += 29_000;
    assert.deepEqual(b.run<{ stalled: string[] }>({ type: 'lease.expireDue' }, 'hub').stalled, []);
    b.clock.now += 2_000;
    assert.deepEqual(b.run<{ stalled: string[] }>({ type: 'lease.expireDue' }, 'hub').stalled, [a.id]);
  });
});

describe('heartbeat events', () => {
  it('at most one per agent per heartbeatEventSeconds, and always on a change of status', async () => {
    const b = await boardAt(1_700_000_040_000);
    const a = b.run<Agent>({ type: 'agent.register', name: 'beater' });
    const beats = () => b.tx.get<{ n: number }>("SELECT count(*) AS n FROM events WHERE type = 'agent.heartbeat'")!.n;
    b.run({ type: 'agent.heartbeat', agent: a.id }); // offline -> idle: a change
    assert.equal(beats(), 1);
    for (let i = 0; i < 30; i++) {
      b.clock.now += 20_000;
      b.run({ type: 'agent.heartbeat', agent: a.id });
    }
    // 10 minutes of beats every 20 s: one event per minute, not 30.
    assert.ok(beats() <= 12, `${beats()} heartbeat events`);
    assert.ok(beats() >= 10, `${beats()} heartbeat events`);
    // Stalled, then a beat: idle again, seen at once.
    b.run({ type: 'agent.lifecycle', agent: a.id, action: 'stall' });
    const before = beats();
    b.clock.now += 1;
    b.run({ type: 'agent.heartbeat', agent: a.id });
    assert.equal(beats(), before + 1);
    b.run({ type: 'board.config.set', values: { heartbeatEventSeconds: 0 } });
    b.clock.now += 1;
    b.run({ type: 'agent.heartbeat', agent: a.id });
    b.clock.now += 1;
    b.run({ type: 'agent.heartbeat', agent: a.id });
    assert.equal(beats(), before + 3);
  });
});

describe('retention', () => {
  it('deletes old events as a prefix and tells a reader from before it to resync', async () => {
    const b = await boardAt();
    b.run({ type: 'board.config.set', values: { eventsDays: 1, eventsKeep: 100 } });
    for (let i = 0; i < 300; i++) b.run({ type: 'task.add', title: `t${i}` });
    b.clock.now += 2 * DAY;
    for (let i = 0; i < 10; i++) b.run({ type: 'task.add', title: `new ${i}` });
    const r = b.run<{ ran: boolean; events: number }>({ type: 'board.retain' }, 'hub');
    assert.equal(r.ran, true);
    assert.ok(r.events > 0);
    const kept = b.tx.get<{ lo: number; hi: number }>('SELECT min(seq) AS lo, max(seq) AS hi FROM events')!;
    assert.ok(kept.hi - kept.lo + 1 >= 100, 'the newest eventsKeep are kept');
    const from0 = b.run<BoardEvent[]>({ type: 'events.since', afterSeq: 0, limit: 10 });
    assert.equal(from0[0]!.type, 'board.resync');
    assert.equal(from0[0]!.seq, kept.lo - 1);
    assert.match(String(from0[0]!.payload.reason), /deleted by the board's retention.*re-read the board/);
    assert.equal(from0[1]!.seq, kept.lo);
    assert.equal(from0.length, 10);
    // A reader that is up to date sees no marker.
    const recent = b.run<BoardEvent[]>({ type: 'events.since', afterSeq: kept.lo - 1, limit: 5 });
    assert.ok(recent.every((e) => e.type !== 'board.resync'));
    // Task history is never pruned.
    assert.equal(count(b, 'task_history'), 310);
    // Run again at once: nothing to do, nothing written.
    assert.equal(b.run<{ ran: boolean }>({ type: 'board.retain' }, 'hub').ran, false);
  });

  it('keeps unread mail to the person and mail waiting for an ack; deletes settled mail past mailDays', async () => {
    const b = await boardAt();
    b.run({ type: 'board.config.set', values: { mailDays: 1 } });
    const a = b.run<Agent>({ type: 'agent.register', name: 'mailer' });
    const unread = b.run<{ id: string }>({ type: 'mail.send', from: a.id, to: { kind: 'human' }, subject: 'question', body: 'which one?' });
    const read = b.run<{ id: string }>({ type: 'mail.send', from: a.id, to: { kind: 'human' }, subject: 'fyi', body: 'done' });
    b.run({ type: 'mail.ack', messageId: read.id, recipient: 'human' });
    const waiting = b.run<{ id: string }>({ type: 'mail.send', from: 'human', to: { kind: 'agent', id: a.id }, subject: 'stop', body: 'please', requiresAck: true });
    const info = b.run<{ id: string }>({ type: 'mail.send', from: 'human', to: { kind: 'agent', id: a.id }, subject: 'note', body: 'fyi' });
    b.clock.now += 2 * DAY;
    const r = b.run<{ messages: number }>({ type: 'board.retain', force: true }, 'hub');
    assert.equal(r.messages, 2);
    const ids = b.tx.all<{ id: string }>('SELECT id FROM messages').map((m) => m.id).sort();
    assert.deepEqual(ids, [unread.id, waiting.id].sort());
    assert.ok(!ids.includes(info.id));
    assert.equal(count(b, 'message_acks'), 0);
  });

  it('three days of a 3-agent swarm: with retention the events, telemetry and mail stay bounded; without, they grow', async () => {
    const run = async (retain: boolean) => {
      const b = await boardAt();
      b.run({ type: 'board.config.set', values: { eventsDays: 1, eventsKeep: 100, telemetryDays: 1, mailDays: 1 } });
      if (!retain) b.run({ type: 'board.config.set', values: { heartbeatEventSeconds: 0 } });
      const perDay: { rows: number; bytes: number; history: number }[] = [];
      const sim = await simulateSwarm({
        call: (c, actor) => b.run(c, actor),
        clock: b.clock,
        agents: 3,
        days: 3,
        // Coarser than the loop's beat (20 s) to keep the test quick; the bench runs the real one.
        stepMs: 60_000,
        leaseMs: 180_000,
        retain,
        onDay: () => {
          const page = b.tx.get<{ page_count: number }>('PRAGMA page_count')!.page_count * b.tx.get<{ page_size: number }>('PRAGMA page_size')!.page_size;
          perDay.push({ rows: count(b, 'events') + count(b, 'loop_telemetry') + count(b, 'messages'), bytes: page, history: count(b, 'task_history') });
        },
      });
      return { sim, perDay };
    };
    const kept = await run(true);
    const all = await run(false);
    assert.equal(kept.sim.tasksDone, all.sim.tasksDone, 'the same work was done in both runs');
    assert.ok(kept.sim.tasksDone > 100, `${kept.sim.tasksDone} tasks done`);
    // Task history is kept whole either way.
    assert.deepEqual(kept.perDay.map((d) => d.history), all.perDay.map((d) => d.history));
    // Bounded: from day 2 on (one day of retention reached), the retained rows stop growing.
    const k = kept.perDay.map((d) => d.rows);
    const a = all.perDay.map((d) => d.rows);
    assert.ok(k[2]! <= k[1]! * 1.2, `retained rows by day: ${k.join(', ')}`);
    // Without retention they grow with time (about linearly).
    assert.ok(a[2]! >= a[1]! * 1.4, `unretained rows by day: ${a.join(', ')}`);
    assert.ok(k[2]! * 3 < a[2]!, `day 3: ${k[2]} rows kept vs ${a[2]}`);
    // And the image grows far slower: what it still gains a day is tasks and their history, kept whole.
    console.log(`retention test: rows by day kept ${k.join(', ')} / all ${a.join(', ')}; bytes kept ${kept.perDay.map((d) => d.bytes).join(', ')} / all ${all.perDay.map((d) => d.bytes).join(', ')}`);
    const growth = (d: { bytes: number }[]) => d[2]!.bytes - d[1]!.bytes;
    assert.ok(growth(kept.perDay) < growth(all.perDay) * 0.5, `image growth on day 3: ${growth(kept.perDay)} vs ${growth(all.perDay)} bytes`);
    assert.ok(kept.perDay[2]!.bytes < all.perDay[2]!.bytes, `image ${kept.perDay[2]!.bytes} vs ${all.perDay[2]!.bytes} bytes`);
  });
});
