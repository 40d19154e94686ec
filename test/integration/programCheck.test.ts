/**
 * Start Swarm checks the agents' programs first: an agent whose program is not on PATH (or not an
 * executable file) is not started, and the report says which and what to do; the agents whose
 * programs are there start. Real programs (node, a script made executable or not), a real swarm on
 * the real domain, and the real `dreamos swarm start`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, before, describe, it } from 'node:test';
import type { Task } from '../../src/core/board/boardModel';
import { findProgram } from '../../src/core/loop/programs';
import type { Swarm } from '../../src/core/loop/swarm';
import { agent, CLI, ensureCli, memoryLoopBoard, testSwarm, waitFor, workspace, type Workspace } from './fixtures/agents/harness';

describe("the swarm checks its agents' programs before starting them", () => {
  let ws: Workspace;
  let b: Awaited<ReturnType<typeof memoryLoopBoard>>;
  let swarm: Swarm | undefined;
  before(() => ensureCli());
  afterEach(async () => {
    await swarm?.stop();
    swarm = undefined;
    b?.close();
    ws?.cleanup();
  });

  it('finds real programs on PATH and by path, and says why one cannot run', () => {
    ws = workspace();
    const cwd = ws.root;
    assert.deepEqual(findProgram('node', { cwd, PATH: path.dirname(process.execPath) }), { ok: true, path: path.join(path.dirname(process.execPath), 'node') });
    assert.equal(findProgram(process.execPath, { cwd, PATH: '' }).ok, true);
    assert.deepEqual(findProgram('no-such-agent-cli-xyz', { cwd, PATH: process.env.PATH }), { ok: false, problem: '"no-such-agent-cli-xyz" is not on PATH' });
    writeFileSync(ws.file('plain.sh'), '#!/bin/sh\n');
    chmodSync(ws.file('plain.sh'), 0o644);
    assert.deepEqual(findProgram('./plain.sh', { cwd, PATH: '' }), { ok: false, problem: `${ws.file('plain.sh')} is not executable (chmod +x "${ws.file('plain.sh')}")` });
    chmodSync(ws.file('plain.sh'), 0o755);
    assert.equal(findProgram('./plain.sh', { cwd, PATH: '' }).ok, true);
    mkdirSync(ws.file('tools'));
    assert.deepEqual(findProgram('./tools', { cwd, PATH: '' }), { ok: false, problem: `${ws.file('tools')} is a folder, not a program` });
    assert.deepEqual(findProgram('./gone.sh', { cwd, PATH: '' }), { ok: false, problem: `${ws.file('gone.sh')} does not exist` });
    // A PATH entry that is a non-executable file of that name does not count.
    mkdirSync(ws.file('bin'));
    writeFileSync(ws.file('bin/fake-cli'), 'not a program', { mode: 0o644 });
    assert.equal(findProgram('fake-cli', { cwd, PATH: ws.file('bin') }).ok, false);
  });

  it('an agent whose program is missing is not started (a preset one says how to install its CLI); the rest start and work', async () => {
    ws = workspace();
    b = await memoryLoopBoard();
    const emptyBin = ws.file('empty-bin');
    mkdirSync(emptyBin);
    swarm = testSwarm(ws, b.board, {
      agents: [
        agent('writer', 'write', { args: ['--write', 'notes/a.md'] }),
        { name: 'ghost', driver: 'command', command: 'no-such-agent-cli-xyz' },
        { name: 'claude-1', preset: 'claude', env: { PATH: emptyBin } },
      ],
    });
    const report = await swarm.start();
    assert.deepEqual(report.started, ['writer']);
    const byName = Object.fromEntries(report.refused.map((r) => [r.name, r]));
    assert.deepEqual(Object.keys(byName).sort(), ['claude-1', 'ghost']);
    assert.equal(byName.ghost!.program, '"no-such-agent-cli-xyz" is not on PATH');
    assert.equal(byName.ghost!.reason, 'its program is missing: "no-such-agent-cli-xyz" is not on PATH. Install it, or fix "command" of ghost in agents.json (a program on PATH or a full path), then start the swarm again.');
    assert.match(byName['claude-1']!.reason, /^its program is missing: "claude" is not on PATH\. Install Claude Code \(npm install -g @anthropic-ai\/claude-code\), or set "command" of claude-1 in agents\.json to its full path/);
    // The missing ones never became board agents, so they claim nothing; the present one works.
    const names = b.run<{ name: string }[]>({ type: 'agent.list' }).map((a) => a.name);
    assert.ok(names.includes('writer') && !names.includes('ghost') && !names.includes('claude-1'), names.join(','));
    const t = b.run<Task>({ type: 'task.add', title: 'Write the notes', description: 'Scope: notes/**' });
    await waitFor('the writer to do the task', () => b.run<{ task: Task }>({ type: 'task.show', taskId: t.id }).task.status === 'done');
    assert.equal(b.run<{ task: Task }>({ type: 'task.show', taskId: t.id }).task.assignee !== null, true);
    const status = swarm.status().agents.find((a) => a.name === 'ghost');
    assert.equal(status?.state, 'refused');
  });

  it('`dreamos swarm start` says which programs are missing and exits 4 when none can start', () => {
    ws = workspace();
    writeFileSync(path.join(ws.boardDir, 'agents.json'), JSON.stringify({ agents: [{ name: 'ghost', driver: 'command', command: 'no-such-agent-cli-xyz' }] }));
    const env: NodeJS.ProcessEnv = { ...process.env, DREAMOS_COMPILE_CACHE: 'off' };
    for (const k of ['DREAMOS_DIR', 'DREAMOS_AGENT_TOKEN', 'DREAMOS_AGENT_ID', 'NODE_TEST_CONTEXT']) delete env[k];
    const r = spawnSync(process.execPath, [CLI, 'swarm', 'start'], { cwd: ws.root, env, encoding: 'utf8', timeout: 60_000 });
    spawnSync(process.execPath, [CLI, 'hub', 'stop'], { cwd: ws.root, env });
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, /not started: ghost: its program is missing: "no-such-agent-cli-xyz" is not on PATH\. Install it, or fix "command" of ghost in agents\.json/);
    assert.match(r.stdout, /No agent could be started/);
  });
});
