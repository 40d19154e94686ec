/**
 * The agent loop with real child processes as agents (test/integration/fixtures/agents/agent.mjs)
 * on the real domain (in-memory sql.js, each command in its own transaction). Timing is never
 * asserted: every wait polls the board for the state it expects.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { CommandInput } from '../../src/core/commands';
import type { Agent, Message, Task } from '../../src/core/board/boardModel';
import type { TelemetryRow } from '../../src/core/loop/loopCommands';
import { parseSwarmConfig } from '../../src/core/loop/agentsConfig';
import type { Swarm } from '../../src/core/loop/swarm';
import { agent, ensureCli, killPids, memoryLoopBoard, testSwarm, waitFor, workspace, type Workspace } from './fixtures/agents/harness';

type MemBoard = Awaited<ReturnType<typeof memoryLoopBoard>>;

describe('agent loop (real agent processes, in-memory board)', () => {
  let ws: Workspace;
  let b: MemBoard;
  let swarm: Swarm | undefined;
  const cleanups: (() => void)[] = [];

  before(() => ensureCli());
  afterEach(async () => {
    await swarm?.stop();
    swarm = undefined;
    b?.close();
    for (const c of cleanups.splice(0)) c();
    ws?.cleanup();
  });
  after(() => undefined);

  const setup = async () => {
    ws = workspace();
    b = await memoryLoopBoard();
  };
  const task = (t: { title: string; [k: string]: unknown }) => b.run<Task>({ type: 'task.add', ...t } as never);
  const show = (id: string) => b.run<{ task: Task; history: { to: string; actor: string; reason: string }[] }>({ type: 'task.show', taskId: id });
  const status = (id: string) => show(id).task.status;
  const incidents = (taskId: string) => b.run<TelemetryRow[]>({ type: 'loop.telemetry.list', taskId, kind: 'incident' });
  const agentByName = (name: string) => b.run<Agent>({ type: 'agent.show', agent: name });
  const humanMail = () => b.run<Message[]>({ type: 'mail.inbox', recipient: 'human' });

  it('claims, runs the agent, and marks the task done with evidence: exit code, changed files, log', async () => {
    await setup();
    const t = task({ title: 'Write the notes', description: 'Scope: notes/**' });
    swarm = testSwarm(ws, b.board, { agents: [agent('writer', 'write', { args: ['--write', 'notes/a.md', '--counter', ws.file('counter')] })] });
    const report = await swarm.start();
    assert.deepEqual(report, { started: ['writer'], refused: [] });
    await waitFor('the task to be done', () => status(t.id) === 'done');
    const done = show(t.id).task;
    const kinds = done.evidence.map((e) => e.kind);
    assert.ok(kinds.includes('exit_code') && kinds.includes('diff') && kinds.includes('log'), kinds.join(','));
    assert.match(done.evidence.find((e) => e.kind === 'diff')!.summary, /notes\/a\.md/);
    assert.equal(ws.lines('counter').length, 1, 'the agent ran once');
    assert.match(ws.read('notes/a.md'), /written by writer/);
    // The prompt reached the agent (stdin and file) and the log has its output.
    const log = readFileSync(path.join(ws.boardDir, 'logs', 'writer.log'), 'utf8');
    assert.match(log, /read a prompt of \d+ characters/);
    assert.match(log, /started pid \d+/);
    assert.match(readFileSync(path.join(ws.boardDir, 'runs', 'writer', `${t.id}.md`), 'utf8'), /# Task .*Write the notes/);
    const summary = b.run<{ agents: { name: string; cycles: number; done: number; successRate: number }[] }>({ type: 'loop.telemetry.summary' });
    assert.deepEqual(summary.agents.map((a) => [a.name, a.cycles, a.done, a.successRate]), [['writer', 1, 1, 1]]);
    // No recovery point is left behind once the task is finished.
    assert.equal(b.run({ type: 'loop.checkpoint.get', agentId: 'writer' }), null);
  });

  it('retries a task whose work failed, and finishes it on the next attempt', async () => {
    await setup();
    const t = task({ title: 'Fix the flaky test' });
    swarm = testSwarm(ws, b.board, { agents: [agent('fixer', 'flaky', { args: ['--marker', ws.file('marker'), '--write', 'fixed.txt', '--counter', ws.file('counter')] })] });
    await swarm.start();
    await waitFor('the task to be done', () => status(t.id) === 'done');
    const h = show(t.id);
    assert.deepEqual(
      h.history.map((e) => e.to),
      ['ready', 'claimed', 'running', 'failed', 'ready', 'claimed', 'running', 'done'],
    );
    assert.match(h.history.find((e) => e.to === 'failed')!.reason, /exited with status 1.*1 test failed/);
    assert.equal(h.task.attempts, 2);
    assert.equal(ws.lines('counter').length, 2);
    const rows = b.run<TelemetryRow[]>({ type: 'loop.telemetry.list', taskId: t.id });
    assert.deepEqual(rows.map((r) => `${r.kind}:${r.outcome}`), ['retry:requeued', 'cycle:failed', 'cycle:done']);
  });

  it('backs off and retries on the same agent when it asks to try again later (exit 75)', async () => {
    await setup();
    const t = task({ title: 'Call the rate-limited API' });
    swarm = testSwarm(ws, b.board, { agents: [agent('caller', 'tempfail', { args: ['--marker', ws.file('marker'), '--write', 'api.txt', '--counter', ws.file('counter')] })] });
    await swarm.start();
    await waitFor('the task to be done', () => status(t.id) === 'done');
    assert.equal(show(t.id).task.attempts, 1, 'one claim: the retry happened under the same lease');
    assert.equal(ws.lines('counter').length, 2);
    assert.deepEqual(b.run<TelemetryRow[]>({ type: 'loop.telemetry.list', taskId: t.id, kind: 'retry' }).map((r) => r.outcome), ['backoff']);
  });

  it('an agent process killed mid-task: the task goes to another agent, which finishes it', async () => {
    await setup();
    const pids = ws.file('pids');
    const sleeper = agent('sleeper', 'sleep', { args: ['--pidfile', pids, '--counter', ws.file('counter')] });
    const finisher = agent('finisher', 'write', { args: ['--write', 'finished.txt'] });
    // The task is reserved for the sleeper; the finisher only gets it by reassignment.
    swarm = testSwarm(ws, b.board, { agents: [sleeper, finisher] });
    await swarm.start();
    const sleeperId = agentByName('sleeper').id;
    const t = task({ title: 'Long job', assignee: sleeperId });
    cleanups.push(() => killPids(pids));
    const pid = Number(await waitFor('the sleeper to start', () => existsSync(pids) && readFileSync(pids, 'utf8').trim()));
    await waitFor('some output', () => status(t.id) === 'running');
    process.kill(pid, 'SIGKILL');
    await waitFor('the task to be done', () => status(t.id) === 'done', 30_000);
    const h = show(t.id);
    assert.equal(h.task.assignee, agentByName('finisher').id);
    assert.ok(h.history.some((e) => /reassigned to .* by /.test(e.reason)), 'reassigned');
    const cycle = b.run<TelemetryRow[]>({ type: 'loop.telemetry.list', taskId: t.id, kind: 'cycle' });
    assert.deepEqual(cycle.map((r) => r.outcome), ['reassigned', 'done']);
    assert.match(String(cycle[0]!.detail.detail), /killed by SIGKILL/);
  });

  it('a stalled agent (no output) is nudged, restarted, then its task reassigned to an agent that finishes it', async () => {
    await setup();
    const pids = ws.file('pids');
    cleanups.push(() => killPids(pids));
    const quiet = agent('quiet', 'silent', { args: ['--pidfile', pids, '--counter', ws.file('counter')], timeouts: { leaseMs: 1_500, noOutputMs: 700, taskMs: 60_000 } });
    swarm = testSwarm(ws, b.board, { agents: [quiet, agent('helper', 'write', { args: ['--write', 'helped.txt'] })] });
    await swarm.start();
    const t = task({ title: 'Quiet job', assignee: agentByName('quiet').id });
    await waitFor('the task to be done', () => status(t.id) === 'done', 40_000);
    assert.deepEqual(incidents(t.id).map((r) => `${r.outcome}:${r.detail.rung}`), ['no-output:nudge', 'no-output:restart', 'no-output:reassign']);
    const nudges = b.run<Message[]>({ type: 'mail.inbox', recipient: 'quiet' });
    assert.ok(nudges.some((m) => /^Nudge on task/.test(m.subject)), 'the agent was nudged by mail');
    assert.equal(ws.lines('counter').length, 2, 'the quiet agent ran twice: once, then restarted');
    assert.equal(show(t.id).task.assignee, agentByName('helper').id);
  });

  it('a loop whose heartbeats stop (a hung board call) is restarted, and the new loop carries on', async () => {
    await setup();
    const pids = ws.file('pids');
    cleanups.push(() => killPids(pids));
    let hungToken: number | undefined;
    // The first lease's renewals never answer, as if the loop host were wedged.
    const board = {
      call: <C extends CommandInput>(command: C, o?: { actor?: string }) => {
        const c = command as { type: string; token?: number };
        if (c.type === 'task.renew') {
          hungToken ??= c.token;
          if (c.token === hungToken) return new Promise<never>(() => undefined);
        }
        return b.board.call(command, o);
      },
    };
    const t = task({ title: 'Long job' });
    swarm = testSwarm(ws, board, { agents: [agent('sleeper', 'sleep', { args: ['--pidfile', pids, '--counter', ws.file('counter')] })] }, { stallMs: 1_000 });
    await swarm.start();
    await waitFor('the loop to be restarted and the agent to run again', () => ws.lines('counter').length >= 2 && status(t.id) === 'running', 30_000);
    const rows = b.run<TelemetryRow[]>({ type: 'loop.telemetry.list', kind: 'incident' });
    assert.equal(rows[0]!.outcome, 'no-heartbeat');
    assert.equal(rows[0]!.detail.rung, 'restart');
    assert.match(swarm.status().agents[0]!.lastIncident ?? '', /no-heartbeat: no heartbeat: sleeper renewed no lease for \d+ s/);
  });

  it('a drifting agent (claims done, no evidence) is nudged, restarted, and then handed to the person', async () => {
    await setup();
    const t = task({ title: 'Implement the parser' });
    swarm = testSwarm(ws, b.board, { agents: [agent('liar', 'liar', { args: ['--counter', ws.file('counter')] })] });
    await swarm.start();
    await waitFor('the task to be blocked', () => status(t.id) === 'blocked');
    assert.deepEqual(incidents(t.id).map((r) => `${r.outcome}:${r.detail.rung}`), ['ack-without-evidence:nudge', 'ack-without-evidence:restart', 'ack-without-evidence:reassign']);
    assert.equal(ws.lines('counter').length, 3);
    const mail = humanMail();
    assert.equal(mail.length, 1);
    assert.match(mail[0]!.subject, /Implement the parser.*needs you/);
    assert.match(mail[0]!.body, /said it was done .* but left no evidence/);
    assert.match(mail[0]!.body, /No other agent can take it/);
    assert.notEqual(show(t.id).task.status, 'done', 'never done without evidence');
  });

  it('detects an agent repeating itself and files changed outside the task scope', async () => {
    await setup();
    // Both tasks are scoped: with agents side by side in one workspace, scopes say whose change is whose.
    const looping = task({ title: 'Think', tags: ['loop', 'scope:thoughts'], requires: ['loop'] });
    const scoped = task({ title: 'Touch the parser only', tags: ['scope:src/parser'], requires: ['scope'] });
    swarm = testSwarm(ws, b.board, {
      agents: [
        agent('thinker', 'repeat', { capabilities: ['loop'], timeouts: { leaseMs: 1_500, noOutputMs: 60_000, taskMs: 60_000 } }),
        agent('sprawler', 'outside', { capabilities: ['scope'], args: ['--write', 'src/parser/a.ts', '--write', 'src/lexer/b.ts'] }),
      ],
    }, { repeatLimit: 30 });
    await swarm.start();
    await waitFor('an incident on each', () => incidents(looping.id).length >= 1 && incidents(scoped.id).length >= 1);
    assert.equal(incidents(looping.id)[0]!.outcome, 'repeated-output');
    assert.match(String(incidents(looping.id)[0]!.detail.reason), /printed the same line \d+ times in a row: "Thinking about the task..."/);
    assert.equal(incidents(scoped.id)[0]!.outcome, 'out-of-scope');
    assert.match(String(incidents(scoped.id)[0]!.detail.reason), /outside the task's scope \(src\/parser\): src\/lexer\/b\.ts/);
    await swarm.stop();
    swarm = undefined;
    assert.notEqual(status(scoped.id), 'done');
  });

  it('bad agent output gets a clear error, and nothing is lost', async () => {
    await setup();
    const t = task({ title: 'Count TODOs', maxAttempts: 1 });
    swarm = testSwarm(ws, b.board, { agents: [agent('garbler', 'garbage', { args: ['--write', 'out.txt'] })] });
    await swarm.start();
    await waitFor('the task to reach the person', () => status(t.id) === 'blocked', 30_000);
    const first = incidents(t.id)[0]!;
    assert.equal(first.outcome, 'bad-output');
    assert.match(String(first.detail.reason), /its DREAMOS_RESULT line is not JSON/);
    // The output is kept, and the task is still on the board with the person asked.
    assert.match(readFileSync(path.join(ws.boardDir, 'logs', 'garbler.log'), 'utf8'), /half a json/);
    assert.equal(humanMail().length, 1);
  });

  it('an agent program that vanishes after the start is a tool error: the agent is marked error, the task goes to the person', async () => {
    // (A program missing at the start is not started at all: test/integration/programCheck.test.ts.)
    await setup();
    const program = ws.file('ghost-cli');
    writeFileSync(program, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    swarm = testSwarm(ws, b.board, { agents: [{ name: 'ghost', driver: 'command', command: program, timeouts: { leaseMs: 1_500 } }] });
    assert.deepEqual((await swarm.start()).started, ['ghost']);
    rmSync(program);
    const t = task({ title: 'Anything' });
    await waitFor('the task to be blocked', () => status(t.id) === 'blocked');
    const ghost = agentByName('ghost');
    assert.equal(ghost.status, 'error');
    assert.match(ghost.statusReason, /ghost-cli" was not found\. Install it, or fix "command" of ghost in agents\.json/);
    assert.equal(humanMail().length, 1);
  });

  it('bad agent configuration: a clear error naming the agent and the field, and nothing started', async () => {
    await setup();
    assert.throws(
      () => parseSwarmConfig({ agents: [{ name: 'ok', driver: 'command', command: 'node' }, { name: 'broken', driver: 'command', args: ['{{nope}}'], timeouts: { leaseMs: 10 } }, { name: 'x', driver: 'telepathy' }] }),
      (err: Error) => {
        assert.match(err.message, /agents\[1\] \(broken\)\.command: /);
        assert.match(err.message, /agents\[1\] \(broken\)\.args\[0\]: unknown placeholder \{\{nope\}\}/);
        assert.match(err.message, /agents\[1\] \(broken\)\.timeouts\.leaseMs: /);
        assert.match(err.message, /agents\[2\] \(x\)(\.driver)?: /);
        assert.match(err.message, /no agent was started/);
        return true;
      },
    );
    assert.throws(() => parseSwarmConfig({ agents: [{ name: 'a', driver: 'command', command: 'x', maxConcurrent: 2 }, { name: 'a-2', driver: 'command', command: 'y' }] }), /"a-2" is already used by agents\[0\] \(a\)/);
    assert.equal(b.run<Agent[]>({ type: 'agent.list' }).length, 0);
  });

  it('an untrusted workspace runs no commands and says why', async () => {
    await setup();
    const t = task({ title: 'Anything' });
    swarm = testSwarm(ws, b.board, { agents: [agent('writer', 'write', { args: ['--counter', ws.file('counter')] })] }, { trusted: false });
    const report = await swarm.start();
    assert.deepEqual(report.started, []);
    assert.match(report.refused[0]!.reason, /not trusted, so Dream\.OS runs no agent commands/);
    assert.equal(swarm.status().agents[0]!.state, 'refused');
    assert.equal(status(t.id), 'ready');
    assert.equal(ws.read('counter'), '');
  });

  it('stops gracefully: the running agent is stopped and its task released, not lost', async () => {
    await setup();
    const pids = ws.file('pids');
    cleanups.push(() => killPids(pids));
    const t = task({ title: 'Long job' });
    swarm = testSwarm(ws, b.board, { agents: [agent('sleeper', 'sleep', { args: ['--pidfile', pids] })] });
    await swarm.start();
    await waitFor('the task to run', () => status(t.id) === 'running' && existsSync(pids));
    const pid = Number(readFileSync(pids, 'utf8').trim());
    await swarm.stop();
    const h = show(t.id);
    assert.equal(h.task.status, 'ready');
    assert.match(h.history[h.history.length - 1]!.reason, /the swarm was stopped/);
    assert.equal(agentByName('sleeper').status, 'offline');
    await waitFor('the agent process to be gone', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    assert.equal(b.run<{ desired: string }>({ type: 'swarm.state' }).desired, 'stopped');
  });

  it('holds back new claims under CPU or memory pressure and caps concurrent agents', async () => {
    await setup();
    let pressure = true;
    const gauge = () => (pressure ? { ok: false, reason: 'holding back new tasks: CPU load 9.00 per core is above 2', loadPerCpu: 9, freeMemMb: 10 } : { ok: true, reason: '', loadPerCpu: 0, freeMemMb: 1_000 });
    const a = task({ title: 'A' });
    const c = task({ title: 'B' });
    const pids = ws.file('pids');
    cleanups.push(() => killPids(pids));
    swarm = testSwarm(ws, b.board, { maxConcurrent: 1, agents: [agent('one', 'sleep', { args: ['--pidfile', pids] }), agent('two', 'sleep', { args: ['--pidfile', pids] })] }, { gauge });
    await swarm.start();
    await waitFor('both agents held back', () => swarm!.status().agents.every((s) => s.state === 'held-back' && /CPU load/.test(s.heldBack ?? '')));
    assert.equal(status(a.id), 'ready');
    pressure = false;
    await waitFor('one task running', () => [a.id, c.id].some((id) => status(id) === 'running'));
    await waitFor('the other agent waiting for a slot', () => swarm!.status().agents.some((s) => /free slot: 1 of 1/.test(s.heldBack ?? '')));
    assert.equal([a.id, c.id].filter((id) => status(id) === 'running' || status(id) === 'claimed').length, 1, 'only one agent works at a time');
  });
});
