import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Agent, Task } from '../../src/core/board/boardModel';
import type { CommandInput } from '../../src/core/commands';
import { pruneEvents, type BoardEvent } from '../../src/core/events/eventLog';
import { BoardMirror, type MirrorChange, type MirrorSnapshot } from '../../src/core/mirror/boardMirror';
import type { BoardPort, ResultOf } from '../../src/core/port';
import type { ProposalSummary } from '../../src/core/proposals/proposalModel';
import { memoryBoard } from './helpers/memoryBoard';

/**
 * A real sql.js board behind the shape a hub connection has: call() through the typed port (every
 * call counted by command type) and subscribe(afterSeq) fed from `events.since` on a later turn, as
 * a hub over its socket does. `hold()` stops delivery (a client that is away); `drop(n)` loses the
 * next n events on the way (a gap).
 */
async function harness() {
  let clock = 1_700_000_000_000;
  const board = await memoryBoard({ clock: () => (clock += 7) });
  const port = board.port();
  const calls = new Map<string, number>();
  const subs = new Set<{ after: number; cb: (e: BoardEvent) => void }>();
  let held = false;
  let dropping = 0;
  let scheduled = false;
  const push = () => {
    scheduled = false;
    if (held) return;
    for (const s of subs) {
      for (;;) {
        const events = board.run<BoardEvent[]>({ type: 'events.since', afterSeq: s.after, limit: 1_000 });
        if (!events.length) break;
        for (const e of events) {
          s.after = e.seq;
          if (dropping > 0 && e.type !== 'board.resync') dropping--;
          else if (subs.has(s)) s.cb(e);
        }
      }
    }
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(push);
    }
  };
  const counted: BoardPort = {
    call: async <C extends CommandInput>(command: C) => {
      calls.set(command.type, (calls.get(command.type) ?? 0) + 1);
      const r = await port.call(command);
      schedule();
      return r as ResultOf<C>;
    },
  };
  const subscribe = (afterSeq: number, cb: (e: BoardEvent) => void) => {
    const s = { after: afterSeq, cb };
    subs.add(s);
    schedule();
    return { dispose: () => subs.delete(s) };
  };
  return {
    board,
    port: counted,
    subscribe,
    calls,
    /** Runs a command as the person; a refusal (an invalid move) is ignored, as a random walk makes many. */
    async run<C extends CommandInput>(command: C): Promise<ResultOf<C> | undefined> {
      try {
        const r = board.run(command) as ResultOf<C>;
        schedule();
        return r;
      } catch {
        return undefined;
      }
    },
    hold: () => (held = true),
    release: () => {
      held = false;
      schedule();
    },
    drop: (n: number) => (dropping = n),
    /** Retention deletes every event so far (as eventsDays would, with nothing kept). */
    pruneAll() {
      board.tx.run('BEGIN');
      pruneEvents(board.tx, clock + 1, 0);
      board.tx.run('COMMIT');
    },
    /** The board as the old session read it: five full lists. */
    fresh(): MirrorSnapshot {
      const open = (p: ProposalSummary) => (['pending', 'validating', 'approved', 'conflicted'].includes(p.status) ? 0 : 1);
      const proposals = board.run<ProposalSummary[]>({ type: 'proposal.list' });
      return {
        tasks: board.run<Task[]>({ type: 'task.list' }),
        agents: board.run<Agent[]>({ type: 'agent.list' }),
        humanInbox: board.run({ type: 'mail.inbox', recipient: 'human', unackedOnly: true }),
        proposals: [...proposals].sort((a, b) => open(a) - open(b)).slice(0, 200),
        latestSeq: board.run<{ latestSeq: number }>({ type: 'board.info' }).latestSeq,
      };
    },
    /** Lets the pushes and the mirror's batching run. */
    async quiet(mirror: BoardMirror) {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setImmediate(r));
        await mirror.settled();
      }
    },
  };
}

type Harness = Awaited<ReturnType<typeof harness>>;
const FULL_LISTS = ['task.list', 'agent.list', 'proposal.list', 'board.info'];
const fullListCalls = (h: Harness) => FULL_LISTS.reduce((n, t) => n + (h.calls.get(t) ?? 0), 0);

/** A small deterministic PRNG, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const FILE = { path: 'src/a.txt', op: 'create' as const, baseHash: null, content: 'hello\n', added: 1, removed: 0 };

/** One random command that a person, an agent or the hub could send. */
async function randomStep(h: Harness, r: () => number): Promise<void> {
  const pick = <T>(xs: readonly T[]): T | undefined => (xs.length ? xs[Math.floor(r() * xs.length)] : undefined);
  const tasks = h.board.run<Task[]>({ type: 'task.list' });
  const agents = h.board.run<Agent[]>({ type: 'agent.list' });
  const t = pick(tasks);
  const a = pick(agents);
  const n = r();
  if (n < 0.16 || !t) {
    await h.run({ type: 'task.add', title: `task ${tasks.length}`, priority: Math.floor(r() * 4), ...(t && r() < 0.2 ? { dependsOn: [t.id] } : {}) });
  } else if (n < 0.22 || !a) {
    await h.run({ type: 'agent.register', name: `agent-${agents.length}-${Math.floor(r() * 1e6)}`, capabilities: [] });
  } else if (n < 0.3) await h.run({ type: 'task.claim', taskId: t.id, agentId: a.id });
  else if (n < 0.34) await h.run({ type: 'task.start', taskId: t.id });
  else if (n < 0.4) await h.run({ type: 'task.done', taskId: t.id, summary: 'done' });
  else if (n < 0.43) await h.run({ type: 'task.fail', taskId: t.id, reason: 'broke' });
  else if (n < 0.46) await h.run({ type: 'task.block', taskId: t.id, reason: 'stuck' });
  else if (n < 0.49) await h.run({ type: 'task.unblock', taskId: t.id });
  else if (n < 0.52) await h.run({ type: 'task.cancel', taskId: t.id });
  else if (n < 0.55) await h.run({ type: 'task.retry', taskId: t.id });
  else if (n < 0.58) await h.run({ type: 'task.reopen', taskId: t.id });
  else if (n < 0.62) await h.run({ type: 'task.assign', taskId: t.id, agentId: r() < 0.3 ? null : a.id });
  else if (n < 0.66) await h.run({ type: 'task.update', taskId: t.id, patch: r() < 0.5 ? { priority: Math.floor(r() * 4) } : { title: `renamed ${Math.floor(r() * 1e6)}` } });
  else if (n < 0.69) {
    const other = pick(tasks);
    if (other) await h.run({ type: r() < 0.7 ? 'task.depend' : 'task.undepend', taskId: t.id, dependsOn: other.id });
  } else if (n < 0.73) await h.run({ type: 'agent.lifecycle', agent: a.id, action: pick(['start', 'stop', 'stall', 'error', 'retire'] as const)! });
  else if (n < 0.76) await h.run({ type: 'agent.update', agent: a.id, patch: { capabilities: [`c${Math.floor(r() * 3)}`] } });
  else if (n < 0.8) await h.run({ type: 'mail.send', from: a.id, to: r() < 0.7 ? { kind: 'human' } : { kind: 'agent', id: a.id }, subject: 'a question', body: 'well?', requiresAck: r() < 0.5 });
  else if (n < 0.84) {
    const m = pick(h.board.run<{ id: string }[]>({ type: 'mail.inbox', recipient: 'human', unackedOnly: true }));
    if (m) await h.run({ type: 'mail.ack', messageId: m.id, recipient: 'human' });
  } else if (n < 0.88) await h.run({ type: 'proposal.submit', title: 'a change', rationale: 'because', taskId: t.id, files: [{ ...FILE, path: `src/f${Math.floor(r() * 1e6)}.txt` }] });
  else if (n < 0.93) {
    const p = pick(h.board.run<ProposalSummary[]>({ type: 'proposal.list' }));
    if (p) await h.run(r() < 0.5 ? { type: 'proposal.approve', proposalId: p.id, override: true } : { type: 'proposal.reject', proposalId: p.id, reason: 'no' });
  } else if (n < 0.96) await h.run({ type: 'lease.expireDue', stallMs: 1_000 });
  else await h.run({ type: 'board.import', file: { tasks: [{ title: `imported ${Math.floor(r() * 1e6)}` }] } });
}

describe('BoardMirror', () => {
  it('equals a fresh full read after a random walk of commands, a retention resync and a gap', async () => {
    for (const seed of [1, 2, 3]) {
      const h = await harness();
      for (let i = 0; i < 20; i++) await randomStep(h, rng(seed * 1000 + i));
      const mirror = new BoardMirror(h.port, h.subscribe, { batchMs: 0, recentEvents: 50 });
      const reasons: string[] = [];
      mirror.onDidChange((c) => c.full && reasons.push(c.reason!));
      await mirror.start();
      assert.deepEqual(mirror.snapshot, h.fresh(), `seed ${seed}: the first load`);
      const r = rng(seed);
      for (let round = 0; round < 8; round++) {
        // A burst of commands (some applied one by one, some coalesced), then the mirror settles.
        const burst = 1 + Math.floor(r() * 12);
        for (let i = 0; i < burst; i++) {
          await randomStep(h, r);
          if (r() < 0.3) await new Promise((res) => setImmediate(res));
        }
        if (round === 3) {
          // Away while retention deletes the events it has not seen: it gets board.resync.
          h.hold();
          for (let i = 0; i < 5; i++) await randomStep(h, r);
          h.pruneAll();
          for (let i = 0; i < 3; i++) await randomStep(h, r);
          h.release();
        }
        if (round === 5) {
          // Two events lost on the way: the next one's seq shows the gap.
          h.drop(2);
          for (let i = 0; i < 4; i++) await randomStep(h, r);
          // (a gap shows only when an event follows it)
          for (let i = 0; i < 3; i++) await h.run({ type: 'task.add', title: `after the gap ${i}` });
        }
        await h.quiet(mirror);
        assert.deepEqual(mirror.snapshot, h.fresh(), `seed ${seed}, round ${round}`);
        const seqs = mirror.recentEvents.map((e) => e.seq);
        assert.deepEqual(seqs, [...new Set(seqs)].sort((x, y) => x - y), 'recent events in order, none twice');
      }
      assert.ok(reasons.includes('resync'), `seed ${seed}: the resync read the board (${reasons.join(', ')})`);
      assert.ok(reasons.includes('gap'), `seed ${seed}: the gap read the board (${reasons.join(', ')})`);
      mirror.dispose();
    }
  });

  it('applies an ordinary event with one task.get and no full-list call', async () => {
    const h = await harness();
    for (let i = 0; i < 50; i++) await h.run({ type: 'task.add', title: `t${i}` });
    const agent = (await h.run({ type: 'agent.register', name: 'worker', capabilities: [] }))!;
    const mirror = new BoardMirror(h.port, h.subscribe, { batchMs: 0 });
    const changes: MirrorChange[] = [];
    mirror.onDidChange((c) => changes.push(c));
    await mirror.start();
    await h.quiet(mirror);
    const lists = fullListCalls(h);
    h.calls.clear();
    changes.length = 0;

    const t = mirror.snapshot.tasks[10]!;
    const before = mirror.snapshot;
    await h.run({ type: 'task.update', taskId: t.id, patch: { title: 'renamed' } });
    await h.quiet(mirror);
    assert.deepEqual(Object.fromEntries(h.calls), { 'task.get': 1 }, 'one batched read of the touched task');
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.full, false);
    assert.deepEqual([...changes[0]!.tasks.keys()], [t.id]);
    assert.equal(changes[0]!.agents.size, 0);
    assert.equal(changes[0]!.tasks.get(t.id)!.after!.title, 'renamed');
    assert.equal(before.tasks[10]!.title, t.title, 'an earlier snapshot stays as it was');
    assert.deepEqual(mirror.snapshot, h.fresh());

    // A claim: the task and its agent, still no list.
    h.calls.clear();
    await h.run({ type: 'task.claim', taskId: t.id, agentId: agent.id });
    await h.quiet(mirror);
    assert.deepEqual(Object.fromEntries(h.calls), { 'task.get': 1, 'agent.show': 1 });
    assert.equal(mirror.agent(agent.id)!.status, 'busy');

    // A burst of 20 moves is one delta, one read.
    h.calls.clear();
    changes.length = 0;
    for (const x of mirror.snapshot.tasks.slice(20, 40)) await h.run({ type: 'task.update', taskId: x.id, patch: { priority: 3 } });
    await h.quiet(mirror);
    assert.deepEqual(Object.fromEntries(h.calls), { 'task.get': 1 });
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.tasks.size, 20);
    assert.deepEqual(mirror.snapshot, h.fresh(), 'moved in the order the board lists them');

    // Mail to the person re-reads the person's inbox; a proposal only itself.
    h.calls.clear();
    await h.run({ type: 'mail.send', from: agent.id, to: { kind: 'human' }, subject: 'hi', body: 'there', requiresAck: true });
    await h.run({ type: 'proposal.submit', title: 'p', rationale: 'r', files: [FILE] });
    await h.quiet(mirror);
    assert.deepEqual(Object.fromEntries(h.calls), { 'mail.inbox': 1, 'proposal.show': 1 });
    assert.equal(fullListCalls(h), 0);
    assert.equal(lists, 4, 'the first load was the only full read');
    assert.equal(mirror.stats.fullLoads, 1);
    assert.deepEqual(mirror.snapshot, h.fresh());
    mirror.dispose();
  });

  it('reads the board again for an import and for a burst past the threshold', async () => {
    const h = await harness();
    const mirror = new BoardMirror(h.port, h.subscribe, { batchMs: 0, fullReloadAfter: 10 });
    const reasons: string[] = [];
    mirror.onDidChange((c) => c.full && reasons.push(c.reason!));
    await mirror.start();
    await h.run({ type: 'board.import', file: { tasks: [{ title: 'a' }, { title: 'b' }] } });
    await h.quiet(mirror);
    h.hold();
    for (let i = 0; i < 11; i++) await h.run({ type: 'task.add', title: `t${i}` });
    h.release();
    await h.quiet(mirror);
    assert.deepEqual(reasons, ['load', 'import', 'burst']);
    assert.deepEqual(mirror.snapshot, h.fresh());
    mirror.dispose();
  });
});
