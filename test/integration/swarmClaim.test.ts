/**
 * One swarm per board (issue 12, "Trust"): a host claims the board's swarm in one transaction,
 * the claim is judged alive by the heartbeat the holder renews on the board (not by a pid on this
 * machine), and every path that starts or resumes a swarm goes through it. Real Swarm hosts (in
 * this process and in their own processes), real agent processes, a real board. Timing is never
 * asserted: every wait polls the board for the state it expects.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, before, describe, it } from 'node:test';
import type { Task } from '../../src/core/board/boardModel';
import { connectBoard, type BoardClient } from '../../src/core/hub/connect';
import type { SwarmState } from '../../src/core/loop/loopCommands';
import type { StartReport, Swarm } from '../../src/core/loop/swarm';
import type { DiscordBoard } from '../../src/integrations/discord/handlers';
import { SLASH } from '../../src/integrations/discord/slashCommands';
import { agent, ensureCli, hostProcess, killPids, memoryLoopBoard, testSwarm, waitFor, workspace, type Workspace } from './fixtures/agents/harness';

type MemBoard = Awaited<ReturnType<typeof memoryLoopBoard>>;

const holderMessage = /another swarm \(loop_\S+, pid \d+\) already runs on this board: on \S+ since \d{4}-\d\d-\d\dT[\d:]+Z, last heartbeat \d+ s ago\..*stop it first/;

describe('one swarm per board (in-process hosts, in-memory board)', () => {
  let ws: Workspace;
  let b: MemBoard;
  const swarms: Swarm[] = [];

  before(() => ensureCli());
  afterEach(async () => {
    for (const s of swarms.splice(0)) await s.stop({ everywhere: false });
    b?.close();
    killPids(ws.file('pids'));
    ws?.cleanup();
  });

  const setup = async () => {
    ws = workspace();
    b = await memoryLoopBoard();
  };
  const swarm = (extra: Parameters<typeof testSwarm>[3] = {}) => {
    const s = testSwarm(ws, b.board, { agents: [agent('sleeper', 'sleep', { args: ['--pidfile', ws.file('pids'), '--counter', ws.file('counter')] })] }, extra);
    swarms.push(s);
    return s;
  };
  const state = () => b.run<SwarmState>({ type: 'swarm.state' });
  const status = (id: string) => b.run<{ task: Task }>({ type: 'task.show', taskId: id }).task.status;

  it('two swarm hosts starting at once on one board: exactly one claims it and runs the agent; the other is told who holds it', async () => {
    await setup();
    const t = b.run<Task>({ type: 'task.add', title: 'Long job' });
    const one = swarm();
    const two = swarm();
    const reports = await Promise.all([one.start(), two.start()]);
    const winners = reports.filter((r) => r.started.length > 0);
    assert.equal(winners.length, 1, JSON.stringify(reports));
    assert.deepEqual(winners[0]!.started, ['sleeper']);
    const loser = reports.find((r) => r.started.length === 0) as StartReport;
    const holder = reports[0] === winners[0] ? one : two;
    const other = holder === one ? two : one;
    assert.match(loser.refused[0]!.reason, holderMessage);
    assert.ok(loser.refused[0]!.reason.includes(holder.loopId) && loser.refused[0]!.reason.includes(`pid ${process.pid}`) && loser.refused[0]!.reason.includes(os.hostname()));
    assert.equal(state().host?.loopId, holder.loopId);
    assert.equal(state().live, true);
    await waitFor('the agent to run the task', () => status(t.id) === 'running' && ws.lines('counter').length > 0);
    assert.equal(ws.lines('counter').length, 1, 'one agent process: the refused host launched nothing');
    assert.equal(other.status().running, false);

    // Stopping gives the claim back; then the other host may start.
    await holder.stop({ everywhere: false });
    assert.equal(state().host, undefined, 'stopping released the claim');
    const again = await other.start();
    assert.deepEqual(again.started, ['sleeper']);
    assert.equal(state().host?.loopId, other.loopId);
    await waitFor('the task to run again', () => status(t.id) === 'running' && ws.lines('counter').length === 2);
  });

  it('a holder on another machine is judged by its heartbeat on the board: refused while it beats, taken over once it lapses', async () => {
    await setup();
    let offset = 0;
    b.mb.setClock(() => Date.now() + offset);
    // A swarm on another machine: its pid means nothing here, only its heartbeat on the board does.
    b.run({ type: 'swarm.claim', host: { loopId: 'loop_farbox_4242_abc', pid: 4242, hostname: 'far-away-box' }, ttlMs: 20_000 });
    const here = swarm();
    const refused = await here.start();
    assert.deepEqual(refused.started, []);
    assert.match(refused.refused[0]!.reason, holderMessage);
    assert.match(refused.refused[0]!.reason, /another swarm \(loop_farbox_4242_abc, pid 4242\) already runs on this board: on far-away-box since/);
    assert.match(refused.refused[0]!.reason, /its claim lapses 20 s after its last heartbeat/);
    // Its heartbeat keeps it alive.
    offset = 15_000;
    b.run({ type: 'swarm.heartbeat', loopId: 'loop_farbox_4242_abc' });
    offset = 30_000;
    assert.deepEqual((await here.start()).started, [], 'beat 15 s ago: still alive');
    // It stops beating (the machine went away): the claim lapses and this host takes over.
    offset = 60_000;
    assert.equal(state().live, false);
    assert.deepEqual((await here.start()).started, ['sleeper']);
    assert.equal(state().host?.loopId, here.loopId);
    // The old holder, back from the dead, may not carry on.
    assert.throws(() => b.run({ type: 'swarm.heartbeat', loopId: 'loop_farbox_4242_abc' }), /no longer holds the board: it is held by loop_\S+ \(pid \d+\)/);
    assert.throws(() => b.run({ type: 'swarm.claim', host: { loopId: 'loop_farbox_4242_abc', pid: 4242, hostname: 'far-away-box' } }), holderMessage);
  });

  it('a host whose claim was taken over (it missed its heartbeats) stops its agents', async () => {
    await setup();
    let offset = 0;
    b.mb.setClock(() => Date.now() + offset);
    const first = swarm({ hostTtlMs: 60_000 });
    assert.deepEqual((await first.start()).started, ['sleeper']);
    offset = 61_000; // as if the first host had been suspended for a minute
    const second = swarm();
    assert.deepEqual((await second.start()).started, ['sleeper']);
    await waitFor('the first host to stop', () => !first.status().running);
    assert.equal(state().host?.loopId, second.loopId, 'the first host did not give back a claim that is no longer its own');
    assert.equal(second.status().running, true);
  });

  it('the desired state alone never names a host: swarm.set takes no host, and resuming needs a live one', async () => {
    await setup();
    assert.throws(() => b.run({ type: 'swarm.set', desired: 'running', host: { loopId: 'x', pid: 1, hostname: 'h' } } as never), /Invalid request/);
    assert.throws(() => b.run({ type: 'swarm.set', desired: 'running', onlyIfHeld: true }), /No swarm runs on this board, so nothing was resumed and nothing started\. Start one .*dreamos swarm start/);
    assert.equal(state().desired, 'stopped');
  });
});

const host = (ws: Workspace, agents: string[]) => hostProcess(ws, agents);

describe('one swarm per board (host processes, real hub)', () => {
  let ws: Workspace;
  let board: BoardClient;
  const hosts: ReturnType<typeof host>[] = [];

  before(() => ensureCli());
  afterEach(async () => {
    for (const h of hosts.splice(0)) h.kill();
    killPids(ws.file('PIDS'));
    await board.close();
    ws.cleanup();
  });

  it('Discord /resume tells only the live holder to run: a second host process is still refused, and with no holder /resume starts nothing', async () => {
    ws = workspace();
    writeFileSync(path.join(ws.boardDir, 'agents.json'), JSON.stringify({ idlePollMs: 100, agents: [agent('sleeper', 'sleep', { args: ['--pidfile', 'PIDS'] })] }, null, 2));
    board = await connectBoard({ dir: ws.boardDir, client: 'test', hubMode: 'in-process', actor: 'human:test' });
    const discord: DiscordBoard = { call: (c, o) => board.call(c, o), subscribe: () => ({ dispose: () => undefined }) };
    const who = { id: '1', name: 'ada', roles: [] };
    const status = async (id: string) => (await board.call<{ task: Task }>({ type: 'task.show', taskId: id })).task.status;

    const first = host(ws, ['sleeper']);
    hosts.push(first);
    const t = await board.call<Task>({ type: 'task.add', title: 'Long job' });
    await waitFor('the task to run', async () => (await status(t.id)) === 'running' && existsSync(ws.file('PIDS')), 60_000);

    const resumed = await SLASH.resume.run({ board: discord, who }, {});
    const held = await board.call<SwarmState>({ type: 'swarm.state' });
    assert.equal(held.host?.pid, first.child.pid, '/resume kept the record of the swarm that runs');
    assert.equal(resumed.kind, 'message');
    assert.match((resumed as { content: string }).content, new RegExp(`the swarm loop_\\S+ on \\S+ \\(pid ${first.child.pid}\\) takes tasks again`));

    // `dreamos swarm start` elsewhere on the board: refused, naming the holder; it runs nothing.
    const second = host(ws, ['sleeper']);
    hosts.push(second);
    assert.equal(await second.exited, 4, second.stderr());
    const report = second.messages.find((m) => m.type === 'started')!;
    assert.deepEqual(report.started, []);
    assert.match(report.refused![0]!.reason, holderMessage);
    assert.match(report.refused![0]!.reason, new RegExp(`pid ${first.child.pid}\\)`));
    assert.equal((await board.call<SwarmState>({ type: 'swarm.state' })).host?.pid, first.child.pid, 'the refused host did not touch the claim');
    assert.equal(await status(t.id), 'running');

    // /pause: the holder stops and gives the claim back; /resume then starts nothing and says so.
    await SLASH.pause.run({ board: discord, who }, {});
    assert.equal(await first.exited, 0, first.stderr());
    const after = await board.call<SwarmState>({ type: 'swarm.state' });
    assert.equal(after.host, undefined);
    const nothing = await SLASH.resume.run({ board: discord, who }, {});
    assert.match((nothing as { content: string }).content, /Nothing resumed: No swarm runs on this board, so nothing was resumed and nothing started\. Start one .*['`]dreamos swarm start['`].*Start Swarm/);
    assert.equal((await board.call<SwarmState>({ type: 'swarm.state' })).desired, 'stopped');
  });
});
