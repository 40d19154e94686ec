/**
 * `npm run bench` (agent): Dream.OS's own overhead per task with an instant agent. The agent is a
 * tiny program that speaks Claude Code's stream-json (init, one tool call, a result with usage and
 * cost), writes one file and exits, run through the `claude` preset by a real swarm on a real hub
 * (in this process), in a real git repo: claim → credential → prompt → spawn → parse → transcript →
 * evidence (changed files) → done. Measured per task from the loop's own cycle telemetry (claim to
 * done), against spawning the same program bare with the same stdin, in the same run.
 *
 *   overhead per task = cycle − the bare spawn's median: what Dream.OS adds around the agent.
 *
 * Env: BENCH_AGENT_TASKS=40  BENCH_RESULTS=<file>
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectBoard } from '../src/core/hub/connect';
import type { Task } from '../src/core/board/boardModel';
import type { TelemetryRow } from '../src/core/loop/loopCommands';
import { parseSwarmConfig } from '../src/core/loop/agentsConfig';
import { Swarm } from '../src/core/loop/swarm';
import { agentLogs } from '../src/integrations/drivers/agentLog';
import { ProcessCheckRunner } from '../src/integrations/drivers/processChecks';
import { GitWorkspace } from '../src/integrations/drivers/git';
import { headlessDrivers } from '../src/integrations/drivers/swarmHost';

const TASKS = Number(process.env.BENCH_AGENT_TASKS ?? 40);
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

interface Figure {
  bench: string;
  name: string;
  value: number;
  unit: string;
  target?: number;
  atLeast?: boolean;
  note?: string;
}
const figure = (f: Figure) => {
  if (process.env.BENCH_RESULTS) appendFileSync(process.env.BENCH_RESULTS, `${JSON.stringify(f)}\n`);
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

/** The instant agent: Claude Code's stream-json shape, one file written, exit 0. */
const AGENT = `#!${process.execPath}
const fs = require('fs');
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  const id = process.env.DREAMOS_TASK_ID || 'bare';
  const s = 'bench-' + process.pid;
  const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
  out({ type: 'system', subtype: 'init', session_id: s, model: 'claude-sonnet-4-5' });
  out({ type: 'assistant', message: { id: 'm1', model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', id: 't1', name: 'Write', input: { file_path: 'out/' + id + '.txt', content: 'x' } }], usage: { input_tokens: 10, output_tokens: 1 } }, session_id: s });
  fs.mkdirSync('out', { recursive: true });
  fs.writeFileSync('out/' + id + '.txt', String(input.length));
  out({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 't1', is_error: false, content: 'ok' }] }, session_id: s });
  out({ type: 'result', subtype: 'success', is_error: false, result: 'wrote it', num_turns: 1, session_id: s, total_cost_usd: 0.0001, usage: { input_tokens: 10, output_tokens: 2 } });
});
`;

function bareSpawn(exe: string, cwd: string, stdin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(exe, ['-p', '--output-format', 'stream-json', '--verbose'], { cwd, stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdout.on('data', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`bare agent exited ${code}`))));
    child.stdin.end(stdin);
  });
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  const root = mkdtempSync(path.join(os.tmpdir(), 'dreamos-bench-agent-'));
  try {
    const boardDir = path.join(root, '.dreamos');
    mkdirSync(boardDir);
    writeFileSync(path.join(root, '.gitignore'), '.dreamos/\n');
    execFileSync('git', ['init', '-q'], { cwd: root });
    const exe = path.join(root, 'instant-agent');
    writeFileSync(exe, AGENT);
    chmodSync(exe, 0o755);

    // Baseline: the same program, spawned bare with a prompt-sized stdin.
    const prompt = 'x'.repeat(4_000);
    for (let i = 0; i < 3; i++) await bareSpawn(exe, root, prompt);
    const bare: number[] = [];
    for (let i = 0; i < TASKS; i++) bare.push(await bareSpawn(exe, root, prompt));
    rmSync(path.join(root, 'out'), { recursive: true, force: true });

    const board = await connectBoard({ dir: boardDir, client: 'bench', hubMode: 'in-process', actor: 'human:bench' });
    const config = parseSwarmConfig({ idlePollMs: 100, agents: [{ name: 'instant', preset: 'claude', command: exe, timeouts: { leaseMs: 30_000, noOutputMs: 60_000, taskMs: 60_000 } }] });
    const swarm = new Swarm({
      board,
      config,
      workspaceRoot: root,
      boardDir,
      trusted: true,
      drivers: headlessDrivers({ cliPath: CLI }),
      checks: new ProcessCheckRunner(),
      workspace: new GitWorkspace(),
      agentLog: agentLogs(path.join(boardDir, 'logs')),
      gauge: () => ({ ok: true, reason: '', loadPerCpu: 0, freeMemMb: 1_000 }),
      desiredPollMs: 300,
    });
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i++) ids.push((await board.call<Task>({ type: 'task.add', title: `instant ${i}` })).id);
    const t0 = performance.now();
    await swarm.start();
    for (;;) {
      const done = await board.call<Task[]>({ type: 'task.list', status: ['done'] });
      if (done.length >= TASKS) break;
      const stuck = await board.call<Task[]>({ type: 'task.list', status: ['blocked', 'failed'] });
      if (stuck.length) throw new Error(`a task did not finish: ${stuck[0]!.id} ${stuck[0]!.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const wall = performance.now() - t0;
    await swarm.stop();
    const cycles = (await board.call<TelemetryRow[]>({ type: 'loop.telemetry.list', kind: 'cycle', limit: 10_000 })).filter((r) => r.outcome === 'done').map((r) => r.durationMs ?? NaN);
    await board.close();

    const bareP50 = pct(bare, 50);
    const overhead = cycles.map((c) => c - bareP50);
    const row = (label: string, xs: number[]) => `${label.padEnd(34)} p50 ${pct(xs, 50).toFixed(1).padStart(7)} ms   p99 ${pct(xs, 99).toFixed(1).padStart(7)} ms`;
    console.log(`${TASKS} tasks, one agent, one at a time; ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(2)}`);
    console.log(row('bare spawn of the instant agent', bare));
    console.log(row('Dream.OS cycle (claim → done)', cycles));
    console.log(row("Dream.OS's own overhead per task", overhead));
    console.log(`ratio cycle/bare (p50): ${(pct(cycles, 50) / bareP50).toFixed(2)}x; ${(TASKS / (wall / 1000)).toFixed(1)} tasks/s end to end`);
    figure({ bench: 'agent', name: 'bare spawn, p50', value: bareP50, unit: 'ms' });
    figure({ bench: 'agent', name: 'Dream.OS overhead per task, p50', value: pct(overhead, 50), unit: 'ms', note: `cycle p50 ${pct(cycles, 50).toFixed(0)} ms` });
    figure({ bench: 'agent', name: 'Dream.OS overhead per task, p99', value: pct(overhead, 99), unit: 'ms', note: `cycle p99 ${pct(cycles, 99).toFixed(0)} ms` });
    figure({ bench: 'agent', name: 'cycle / bare spawn, p50', value: pct(cycles, 50) / bareP50, unit: 'x' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
