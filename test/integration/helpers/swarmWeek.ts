/**
 * A time-compressed swarm for retention figures (bench/retention.bench.ts) and tests
 * (test/unit/retention.test.ts): N scripted agents working a board the way the agent loop does
 * (src/core/loop/loop.ts: claim, start, renew the lease every leaseMs / 3 while working, an idle
 * heartbeat every leaseMs / 3 while idle, telemetry per cycle, a report to the person now and then,
 * mail between agents), with the hub's upkeep (lease.expireDue, and board.retain if `retain`).
 * The clock is fake: `clock.now` moves by `stepMs` per step, and every call of a step sees it, so a
 * simulated week takes seconds. Deterministic (seeded), so two runs differ only in retention.
 */
import type { CommandInput } from '../../../src/core/commands';

export type SimCall = (command: CommandInput, actor: string) => unknown;

export interface SwarmWeekOptions {
  call: SimCall;
  clock: { now: number };
  agents?: number;
  days?: number;
  /** Simulated time per step (default 20 s: the loop's beat with a 60 s lease). */
  stepMs?: number;
  leaseMs?: number;
  /** Mean time an agent works on a task (default 20 min). */
  workMs?: number;
  /** Share of the swarm's capacity that new work fills (default 0.8: agents are idle a fifth of the time). */
  load?: number;
  /** Run the hub's retention upkeep (board.retain) every step, as the hub does every tick. */
  retain: boolean;
  seed?: number;
  /** Called at the end of each simulated day (1-based). */
  onDay?: (day: number) => unknown;
}

export interface SwarmWeekResult {
  tasksAdded: number;
  tasksDone: number;
  calls: number;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface AgentState {
  id: string;
  name: string;
  task?: { id: string; token: number; until: number; started: number };
  beatAt: number;
}

export async function simulateSwarm(o: SwarmWeekOptions): Promise<SwarmWeekResult> {
  const rnd = prng(o.seed ?? 42);
  const agentsN = o.agents ?? 10;
  const stepMs = o.stepMs ?? 20_000;
  const leaseMs = o.leaseMs ?? 60_000;
  const workMs = o.workMs ?? 20 * 60_000;
  const load = o.load ?? 0.8;
  const dayMs = 86_400_000;
  const end = o.clock.now + (o.days ?? 7) * dayMs;
  let calls = 0;
  const call = async <T>(command: CommandInput, actor: string): Promise<T> => {
    calls++;
    return (await o.call(command, actor)) as T;
  };
  const agents: AgentState[] = [];
  for (let i = 0; i < agentsN; i++) {
    const a = await call<{ id: string; name: string }>({ type: 'agent.register', name: `agent-${i}`, capabilities: ['ts'], driver: 'command' }, 'human:sim');
    await call({ type: 'agent.lifecycle', agent: a.id, action: 'start' }, a.id);
    agents.push({ id: a.id, name: a.name, beatAt: 0 });
  }
  // Work arrives in hourly batches sized to fill `load` of the swarm's capacity.
  const perHour = (agentsN * 3_600_000 * load) / workMs;
  let owed = 0;
  let nextBatch = o.clock.now;
  let nextDay = o.clock.now + dayMs;
  let day = 0;
  let tasksAdded = 0;
  let tasksDone = 0;
  while (o.clock.now < end) {
    o.clock.now += stepMs;
    const now = o.clock.now;
    if (now >= nextBatch) {
      nextBatch += 3_600_000;
      owed += perHour;
      const n = Math.floor(owed);
      owed -= n;
      if (n > 0) {
        const tasks = Array.from({ length: n }, (_, i) => ({
          title: `Fix issue ${tasksAdded + i}: ${['parser', 'renderer', 'cache', 'auth', 'docs'][i % 5]} edge case`,
          description: 'Reproduce, fix, add a test, report with evidence.',
          priority: i % 4,
          tags: ['sim'],
        }));
        await call({ type: 'board.import', file: { tasks } }, 'human:sim');
        tasksAdded += n;
      }
    }
    await Promise.all(
      agents.map(async (a) => {
        const t = a.task;
        if (t && now >= t.until) {
          a.task = undefined;
          const failed = rnd() < 0.05;
          if (failed) {
            await call({ type: 'task.fail', taskId: t.id, token: t.token, reason: 'tests kept failing after three attempts', evidence: [{ kind: 'test', summary: '3 failed' }] }, a.id);
          } else {
            await call({ type: 'task.done', taskId: t.id, token: t.token, summary: 'Fixed the edge case and added a regression test.', evidence: [{ kind: 'test', summary: '42 passed' }, { kind: 'diff', summary: 'src/x.ts +12 -3' }] }, a.id);
            tasksDone++;
          }
          await call({ type: 'loop.telemetry.record', loopId: 'sim', agentId: a.id, taskId: t.id, kind: 'cycle', outcome: failed ? 'failed' : 'done', durationMs: now - t.started, detail: { model: 'sim', tokens: 1200 } }, a.id);
          if (rnd() < 0.1) {
            const m = await call<{ id: string }>({ type: 'mail.send', from: a.id, to: { kind: 'human' }, subject: `Report on ${t.id}`, body: 'Done; one thing to look at when you have a moment.', requiresAck: false }, a.id);
            // The person reads most reports (an ack); the rest stay in Needs You.
            if (rnd() < 0.7) await call({ type: 'mail.ack', messageId: m.id, recipient: 'human' }, 'human');
          }
          if (rnd() < 0.2) {
            const peer = agents[Math.floor(rnd() * agents.length)]!;
            const m = await call<{ id: string }>({ type: 'mail.send', from: a.id, to: { kind: 'agent', id: peer.id }, subject: 'Heads up', body: `I touched the code near ${t.id}.`, requiresAck: true }, a.id);
            await call({ type: 'mail.ack', messageId: m.id, recipient: peer.id }, peer.id);
          }
          return;
        }
        if (t) {
          if (now - a.beatAt >= leaseMs / 3) {
            a.beatAt = now;
            await call({ type: 'task.renew', taskId: t.id, token: t.token, leaseMs }, a.id);
          }
          return;
        }
        const claim = await call<{ task: { id: string }; lease: { token: number } } | null>({ type: 'task.claimNext', agentId: a.id, leaseMs }, a.id);
        if (claim) {
          await call({ type: 'task.start', taskId: claim.task.id, token: claim.lease.token }, a.id);
          a.task = { id: claim.task.id, token: claim.lease.token, started: now, until: now + Math.round(workMs * (0.5 + rnd())) };
          a.beatAt = now;
        } else if (now - a.beatAt >= leaseMs / 3) {
          a.beatAt = now;
          await call({ type: 'agent.heartbeat', agent: a.id, leaseMs }, a.id);
        }
      }),
    );
    await call({ type: 'lease.expireDue' }, 'hub');
    if (o.retain) await call({ type: 'board.retain' }, 'hub');
    if (now >= nextDay) {
      nextDay += dayMs;
      await o.onDay?.(++day);
    }
  }
  return { tasksAdded, tasksDone, calls };
}
