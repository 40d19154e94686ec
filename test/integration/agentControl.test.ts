/**
 * Start Agent / Stop Agent (issue 12, "Trust") start and stop the agent's loop: at once in the
 * host whose swarm runs it, through the board (the agent's desired state, honoured by the swarm's
 * holder) from any other host — the `dreamos agent stop` CLI here — or they say plainly that no
 * swarm runs it and what to do. Real swarms, real agent processes (fixtures/agents/agent.mjs), a
 * real board. Timing is never asserted: every wait polls for the state it expects.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, before, describe, it } from 'node:test';
import type { CommandInput } from '../../src/core/commands';
import type { Agent, Task } from '../../src/core/board/boardModel';
import { connectBoard, type BoardClient } from '../../src/core/hub/connect';
import type { SwarmState } from '../../src/core/loop/loopCommands';
import { controlAgent, type Swarm } from '../../src/core/loop/swarm';
import { agent, CLI, ensureCli, killPids, LOOP_HOST, memoryLoopBoard, ROOT, testSwarm, waitFor, workspace, type Workspace } from './fixtures/agents/harness';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pidsIn = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n').filter(Boolean).map(Number);

describe('Start Agent / Stop Agent in the host that runs the swarm (in-memory board)', () => {
  let ws: Workspace;
  let b: Awaited<ReturnType<typeof memoryLoopBoard>>;
  const swarms: Swarm[] = [];

  before(() => ensureCli());
  afterEach(async () => {
    for (const s of swarms.splice(0)) await s.stop({ everywhere: false });
    b?.close();
    killPids(ws.file('pids'));
    ws?.cleanup();
  });

  it('stops and starts that agent loop at once, leaves the others running, and with no swarm says what to do', async () => {
    ws = workspace();
    b = await memoryLoopBoard();
    const pids = ws.file('pids');
    const config = { agents: [agent('sleeper', 'sleep', { capabilities: ['long'], args: ['--pidfile', pids] }), agent('writer', 'write', { args: ['--write', 'w.txt'] })] };
    const make = () => {
      const s = testSwarm(ws, b.board, config);
      swarms.push(s);
      return s;
    };
    const status = (id: string) => b.run<{ task: Task }>({ type: 'task.show', taskId: id }).task.status;
    const agentState = (s: Swarm, name: string) => s.status().agents.find((a) => a.name === name);
    const swarm = make();
    assert.deepEqual((await swarm.start()).started, ['sleeper', 'writer']);
    const t = b.run<Task>({ type: 'task.add', title: 'Long job', requires: ['long'] });
    await waitFor('the sleeper to run the task', () => status(t.id) === 'running' && pidsIn(pids).length === 1);
    const [first] = pidsIn(pids);

    const stopped = await controlAgent(b.board, 'sleeper', 'stopped', { reason: 'Stop Agent in the editor', local: swarm });
    assert.equal(stopped.where, 'here');
    assert.match(stopped.message, /^Stopped sleeper's loop in this window's swarm; a task it held went back to ready\. It stays stopped until Start Agent\.$/);
    // Done by the time the command returns: no waiting for a poll.
    assert.equal(agentState(swarm, 'sleeper')?.state, 'stopped');
    assert.equal(status(t.id), 'ready');
    assert.match(b.run<{ history: { reason: string }[] }>({ type: 'task.show', taskId: t.id }).history.at(-1)!.reason, /stopped/);
    assert.equal(b.run<Agent>({ type: 'agent.show', agent: 'sleeper' }).status, 'offline');
    await waitFor('the agent process to be gone', () => !alive(first!));
    assert.equal(agentState(swarm, 'writer')?.state === 'idle' || agentState(swarm, 'writer')?.state === 'starting', true, 'the other agent runs on');
    assert.equal(swarm.isRunning, true);

    const started = await controlAgent(b.board, 'sleeper', 'running', { reason: 'Start Agent in the editor', local: swarm });
    assert.equal(started.where, 'here');
    assert.equal(started.message, "Started sleeper's loop in this window's swarm.");
    await waitFor('the sleeper to run the task again', () => status(t.id) === 'running' && pidsIn(pids).length === 2);

    // No swarm on the board: a Stop is kept (a later swarm leaves the agent out), a Start says how to start one.
    await swarm.stop();
    const noStop = await controlAgent(b.board, 'sleeper', 'stopped', { reason: 'dreamos agent stop' });
    assert.equal(noStop.where, 'nowhere');
    assert.match(noStop.message, /No swarm runs on this board, so no loop runs sleeper\. It stays stopped/);
    const later = make();
    const report = await later.start();
    assert.deepEqual(report.started, ['writer']);
    assert.match(report.refused.find((r) => r.name === 'sleeper')!.reason, /stopped on the board by human:test \(dreamos agent stop\): start it with Dream.OS: Start Agent, `dreamos agent start sleeper`/);
    await later.stop();
    await assert.rejects(controlAgent(b.board, 'sleeper', 'running', { reason: 'dreamos agent start' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'conflict');
      assert.match(err.message, /No swarm runs on this board, so nothing was started for sleeper\. Start one .*`dreamos swarm start --agent sleeper`/);
      return true;
    });
    assert.deepEqual((await make().start()).started, ['sleeper', 'writer'], 'the Start lifted the Stop for the next swarm');
  });
});

describe('Stop Agent while the agent is between steps (in-memory board)', () => {
  let ws: Workspace;
  let b: Awaited<ReturnType<typeof memoryLoopBoard>>;
  let swarm: Swarm | undefined;

  before(() => ensureCli());
  afterEach(async () => {
    await swarm?.stop({ everywhere: false });
    b?.close();
    killPids(ws.file('pids'));
    ws?.cleanup();
  });

  it('a Stop that lands while the agent claims a task still stops its loop, runs nothing, and gives the task back', async () => {
    ws = workspace();
    b = await memoryLoopBoard();
    const t = b.run<Task>({ type: 'task.add', title: 'Long job' });
    let stopping: Promise<unknown> | undefined;
    // The claim answers only once the Stop has reached the loop, as when the person clicks during a claim.
    const board = {
      call: async <C extends CommandInput>(command: C, o?: { actor?: string }) => {
        if (command.type === 'task.claimNext' && !stopping) {
          stopping = controlAgent(b.board, 'sleeper', 'stopped', { reason: 'Stop Agent in the editor', local: swarm });
          await waitFor('the stop to reach the loop', () => swarm!.status().agents.find((a) => a.name === 'sleeper')?.state === 'stopped');
        }
        return b.board.call(command, o);
      },
    };
    swarm = testSwarm(ws, board, { agents: [agent('sleeper', 'sleep', { args: ['--pidfile', ws.file('pids'), '--counter', ws.file('counter')] })] });
    assert.deepEqual((await swarm.start()).started, ['sleeper']);
    await waitFor('the claim', () => stopping);
    const r = (await Promise.race([stopping, new Promise((resolve) => setTimeout(resolve, 20_000, 'still waiting'))])) as { where?: string } | string;
    assert.notEqual(r, 'still waiting', 'Stop Agent returned');
    assert.equal((r as { where: string }).where, 'here');
    assert.equal(b.run<{ task: Task }>({ type: 'task.show', taskId: t.id }).task.status, 'ready');
    assert.equal(ws.lines('counter').length, 0, 'the agent never ran');
  });
});

describe('Start Agent / Stop Agent from another process (real hub, `dreamos agent` CLI, a swarm host process)', () => {
  let ws: Workspace;
  let board: BoardClient;
  let hostProc: ReturnType<typeof spawn> | undefined;

  before(() => ensureCli());
  afterEach(async () => {
    try {
      process.kill(-hostProc!.pid!, 'SIGKILL');
    } catch {
      // gone
    }
    killPids(ws.file('PIDS'));
    await board.close();
    ws.cleanup();
  });

  const cli = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const env = { ...process.env };
      for (const k of ['DREAMOS_AGENT_ID', 'DREAMOS_LEASE_TOKEN', 'DREAMOS_TASK_ID', 'DREAMOS_AGENT_TOKEN', 'DREAMOS_HUB_SOCKET']) delete env[k];
      execFile(process.execPath, [CLI, ...args, '--dir', ws.boardDir], { cwd: ws.root, env }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });

  it('`dreamos agent stop` stops the loop in the swarm process that runs it, which goes on with its other agents; `agent start` starts it again', async () => {
    ws = workspace();
    writeFileSync(
      path.join(ws.boardDir, 'agents.json'),
      JSON.stringify({ idlePollMs: 100, agents: [agent('sleeper', 'sleep', { capabilities: ['long'], args: ['--pidfile', 'PIDS'] }), agent('writer', 'write', { args: ['--write', 'w.txt'] })] }, null, 2),
    );
    board = await connectBoard({ dir: ws.boardDir, client: 'test', hubMode: 'in-process', actor: 'human:test' });
    const status = async (id: string) => (await board.call<{ task: Task }>({ type: 'task.show', taskId: id })).task.status;
    const hostAgent = async (name: string) => (await board.call<SwarmState>({ type: 'swarm.state' })).host?.agents?.find((a) => a.name === name);

    hostProc = spawn(process.execPath, ['--import', 'tsx', LOOP_HOST, '--dir', ws.boardDir], { cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'ignore'] });
    const t = await board.call<Task>({ type: 'task.add', title: 'Long job', requires: ['long'] });
    await waitFor('the sleeper to run the task', async () => (await status(t.id)) === 'running' && pidsIn(ws.file('PIDS')).length === 1, 60_000);
    const [first] = pidsIn(ws.file('PIDS'));

    const stop = await cli('agent', 'stop', 'sleeper');
    assert.equal(stop.code, 0, stop.stderr);
    await waitFor('the task to be released', async () => (await status(t.id)) === 'ready', 30_000);
    await waitFor('the agent process to be gone', () => !alive(first!));
    assert.match(stop.stdout, new RegExp(`sleeper runs in swarm loop_\\S+ \\(pid ${hostProc.pid}, another editor window or \`dreamos swarm start\` process on this machine; on \\S+ since .*\\): that swarm stops its loop within a few seconds and releases its task`));
    await waitFor('the host to report the agent stopped', async () => (await hostAgent('sleeper'))?.state === 'stopped');
    assert.equal((await board.call<Agent>({ type: 'agent.show', agent: 'sleeper' })).status, 'offline');
    const s = await board.call<SwarmState>({ type: 'swarm.state' });
    assert.equal(s.live, true, 'the swarm host still runs');
    assert.equal(s.host?.pid, hostProc.pid);
    assert.ok(['idle', 'starting', 'working'].includes((await hostAgent('writer'))!.state), 'its other agent runs on');
    assert.equal(await status(t.id), 'ready', 'nobody took it: only the stopped agent can');

    const start = await cli('agent', 'start', 'sleeper');
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, new RegExp(`Asked swarm loop_\\S+ \\(pid ${hostProc.pid},.*\\) to start sleeper`));
    await waitFor('the sleeper to run the task again', async () => (await status(t.id)) === 'running' && pidsIn(ws.file('PIDS')).length === 2, 30_000);
    assert.equal((await hostAgent('sleeper'))?.state === 'working' || (await hostAgent('sleeper'))?.state === 'starting', true);
  });
});
