/**
 * The loop across real processes: the test process runs the board's hub, loop hosts run in their
 * own processes (fixtures/agents/loopHost.ts) and connect to it, agents are node processes that
 * report back through the real `dreamos` CLI. Hosts are killed with SIGKILL, as a crash would.
 * Timing is never asserted.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, before, describe, it } from 'node:test';
import type { Task, TaskHistoryEntry } from '../../src/core/board/boardModel';
import { connectBoard, type BoardClient } from '../../src/core/hub/connect';
import type { TelemetryRow } from '../../src/core/loop/loopCommands';
import type { Swarm } from '../../src/core/loop/swarm';
import { agent, ensureCli, hostProcess, killPids, testSwarm, waitFor, workspace, type Workspace } from './fixtures/agents/harness';

const host = (ws: Workspace, agents: string[], crashAfter?: string) => hostProcess(ws, agents, crashAfter ? ['--crash-after', crashAfter] : []);

describe('agent loop across processes (real hub, real CLI)', () => {
  let ws: Workspace;
  let board: BoardClient;
  let swarm: Swarm | undefined;
  const hosts: ReturnType<typeof host>[] = [];

  before(() => ensureCli());
  afterEach(async () => {
    await swarm?.stop();
    swarm = undefined;
    for (const h of hosts.splice(0)) h.kill();
    killPids(ws.file('pids'));
    await board.close();
    ws.cleanup();
  });

  const setup = async (agents: unknown[]) => {
    ws = workspace();
    writeFileSync(path.join(ws.boardDir, 'agents.json'), JSON.stringify({ idlePollMs: 100, agents }, null, 2));
    board = await connectBoard({ dir: ws.boardDir, client: 'test', hubMode: 'in-process', actor: 'human:test' });
  };
  const show = (id: string) => board.call<{ task: Task; history: TaskHistoryEntry[] }>({ type: 'task.show', taskId: id });
  const status = async (id: string) => (await show(id)).task.status;

  it('an agent reports done through the dreamos CLI; the loop checks its evidence and keeps it', async () => {
    await setup([]);
    const t = await board.call<Task>({ type: 'task.add', title: 'Report through the CLI' });
    swarm = testSwarm(ws, board, { agents: [agent('reporter', 'report', { args: ['--write', 'reported.txt'] })] });
    await swarm.start();
    await waitFor('the task to be done', async () => (await status(t.id)) === 'done');
    const h = await show(t.id);
    assert.equal(h.task.resultSummary, 'reported through the CLI');
    assert.deepEqual(h.task.evidence, [{ kind: 'test', summary: '3 passed' }]);
    const done = h.history.find((e) => e.to === 'done')!;
    assert.equal(done.actor, h.task.assignee, 'the agent itself moved it, with its own identity and lease');
    await waitFor('the cycle to be recorded', async () => (await board.call<TelemetryRow[]>({ type: 'loop.telemetry.list', taskId: t.id, kind: 'cycle' })).length === 1);
    const [cycle] = await board.call<TelemetryRow[]>({ type: 'loop.telemetry.list', taskId: t.id, kind: 'cycle' });
    assert.equal(cycle!.outcome, 'done');
    assert.match(String(cycle!.detail.detail), /reporter reported it done/);
  });

  it('a loop host killed mid-task: its lease expires and another agent, on another host, finishes the task', async () => {
    const pids = path.join('PIDS');
    await setup([agent('sleeper', 'sleep', { args: ['--pidfile', pids] }), agent('finisher', 'write', { args: ['--write', 'finished.txt'] })]);
    const first = host(ws, ['sleeper']);
    hosts.push(first);
    const t = await board.call<Task>({ type: 'task.add', title: 'Long job' });
    await waitFor('the sleeper to be running it', async () => (await status(t.id)) === 'running' && existsSync(ws.file('PIDS')), 60_000);
    first.kill();
    await first.exited;
    const second = host(ws, ['finisher']);
    hosts.push(second);
    await waitFor('the task to be done', async () => (await status(t.id)) === 'done', 60_000);
    const h = await show(t.id);
    assert.ok(h.history.some((e) => /lease of agt_\w+ expired \(attempt 1 of 3\)/.test(e.reason)), h.history.map((e) => e.reason).join(' | '));
    const finisher = await board.call<{ id: string }>({ type: 'agent.show', agent: 'finisher' });
    assert.equal(h.task.assignee, finisher.id);
    assert.equal(h.task.attempts, 2);
    killPids(ws.file('PIDS'));
  });

  it('a loop host killed after each step: the next host resumes from the recovery point and never redoes a finished step', async () => {
    const check = { name: 'count-checks', command: process.execPath, args: ['-e', "require('fs').appendFileSync('checks-run', 'check\\n')"] };
    await setup([agent('writer', 'write', { args: ['--write', 'out.txt', '--counter', 'counter'], checks: [check], timeouts: { leaseMs: 20_000, noOutputMs: 60_000, taskMs: 60_000 } })]);
    writeFileSync(ws.file('.gitignore'), '.dreamos/\ncounter\nchecks-run\n');
    const t = await board.call<Task>({ type: 'task.add', title: 'Write out.txt' });
    // Host 1 dies right after the agent's run is recorded; host 2 right after the checks are.
    const one = host(ws, ['writer'], 'executed');
    hosts.push(one);
    await one.exited;
    assert.ok(one.messages.some((m) => m.type === 'step' && m.step === 'executed'), one.stderr());
    const cp1 = await board.call<{ step: string } | null>({ type: 'loop.checkpoint.get', agentId: 'writer' });
    assert.equal(cp1?.step, 'executed');
    const two = host(ws, ['writer'], 'checked');
    hosts.push(two);
    await two.exited;
    assert.equal((await board.call<{ step: string } | null>({ type: 'loop.checkpoint.get', agentId: 'writer' }))?.step, 'checked');
    assert.equal(await status(t.id), 'running', 'still held by the lease the crashed hosts kept renewing');
    const three = host(ws, ['writer']);
    hosts.push(three);
    await waitFor('the task to be done', async () => (await status(t.id)) === 'done', 60_000);
    assert.deepEqual(ws.lines('counter').length, 1, 'the agent ran exactly once');
    assert.deepEqual(ws.lines('checks-run').length, 1, 'the checks ran exactly once');
    const h = await show(t.id);
    assert.equal(h.task.attempts, 1, 'one claim, carried across three hosts');
    assert.ok(h.task.evidence.some((e) => e.kind === 'check' && /count-checks: passed/.test(e.summary)));
    assert.ok(h.task.evidence.some((e) => e.kind === 'diff' && /out\.txt/.test(e.summary)));
    await waitFor('the recoveries to be recorded', async () => (await board.call<TelemetryRow[]>({ type: 'loop.telemetry.list', taskId: t.id, kind: 'recovery' })).length === 2);
    const rec = await board.call<TelemetryRow[]>({ type: 'loop.telemetry.list', taskId: t.id, kind: 'recovery' });
    assert.deepEqual(rec.map((r) => `${r.outcome}@${r.detail.step}`), ['resumed@executed', 'resumed@checked']);
    assert.equal(new Set(rec.map((r) => r.loopId)).size, 2, 'two different loop hosts resumed');
  });

  it('one swarm per board; `swarm stop` on the board stops a swarm running in another process, which releases its task', async () => {
    await setup([agent('sleeper', 'sleep', { args: ['--pidfile', 'PIDS'] })]);
    const h = host(ws, ['sleeper']);
    hosts.push(h);
    const t = await board.call<Task>({ type: 'task.add', title: 'Long job' });
    await waitFor('the task to run', async () => (await status(t.id)) === 'running', 60_000);
    // A second swarm on the same board would fight over the same agents: it is refused.
    const second = testSwarm(ws, board, { agents: [agent('sleeper', 'sleep')] });
    const refused = await second.start();
    assert.deepEqual(refused.started, []);
    assert.match(refused.refused[0]!.reason, /another swarm \(loop_\S+, pid \d+\) already runs on this board/);
    await board.call({ type: 'swarm.set', desired: 'stopped', reason: 'dreamos swarm stop' });
    assert.equal(await h.exited, 0, h.stderr());
    assert.ok(h.messages.some((m) => m.type === 'stopped'));
    const shown = await show(t.id);
    assert.equal(shown.task.status, 'ready');
    assert.match(shown.history[shown.history.length - 1]!.reason, /the swarm was stopped/);
    killPids(ws.file('PIDS'));
    assert.ok(readFileSync(path.join(ws.boardDir, 'logs', 'sleeper.log'), 'utf8').includes('still working'));
  });
});
