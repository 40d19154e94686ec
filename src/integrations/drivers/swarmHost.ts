/**
 * A swarm outside the editor: the `dreamos swarm start|stop|status` commands and the test hosts.
 * Composes the core swarm with the command driver, the process check runner, git and the agent
 * log files. Agents that need the editor (language-model, chat-window) are refused here, with
 * the reason.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DreamError } from '../../core/errors';
import { connectBoard, type HubMode } from '../../core/hub/connect';
import { describeHost, type TelemetryStats } from '../../core/loop/loopCommands';
import { loadSwarmConfig, type AgentConfig } from '../../core/loop/agentsConfig';
import type { BudgetLimit, Spent } from '../../core/loop/budget';
import { budgetView } from '../../core/loop/budgetMeter';
import { formatUsage } from '../../core/runs/runModel';
import type { DriverFactory } from '../../core/loop/driver';
import type { LoopHooks } from '../../core/loop/loop';
import type { PressureGauge } from '../../core/loop/gate';
import { Swarm, type StartReport, type SwarmBoard } from '../../core/loop/swarm';
import { agentLogs } from './agentLog';
import { ProcessCheckRunner } from './processChecks';
import { CommandDriver } from './commandDriver';
import { GitWorkspace } from './git';
import { workspaceWorktrees } from '../git/worktreeHost';

/** dist/cli.js: beside this bundle when built, else the repository's build (tests under tsx). */
export function defaultCliPath(): string {
  const candidates = [path.join(__dirname, 'cli.js'), path.resolve(__dirname, '../../../dist/cli.js')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new DreamError('unavailable', `The dreamos CLI bundle was not found (looked at ${candidates.join(', ')}). Build it with \`npm run build\`.`);
  return found;
}

/** Command agents run here; the others need an editor. */
export function headlessDrivers(opts: { cliPath: string; killGraceMs?: number }): DriverFactory {
  return (cfg: AgentConfig) =>
    cfg.driver === 'command'
      ? new CommandDriver(cfg, { cliPath: opts.cliPath, ...(opts.killGraceMs !== undefined ? { killGraceMs: opts.killGraceMs } : {}) })
      : { unavailable: `${cfg.name} uses the ${cfg.driver} driver, which needs VS Code or Cursor: start the swarm from the editor (Dream.OS: Start Swarm).` };
}

export interface HeadlessSwarmOptions {
  /** The board folder (.dreamos); the workspace is its parent. */
  dir: string;
  /** An open board connection; otherwise one is made with `hubMode` (default 'spawn'). */
  board?: SwarmBoard & { close?(): Promise<void> | void };
  hubMode?: HubMode;
  /** Only these agents (config names or instance names). */
  agents?: readonly string[];
  /** The person started it from a terminal: trusted unless said otherwise. */
  trusted?: boolean;
  cliPath?: string;
  drivers?: DriverFactory;
  gauge?: PressureGauge;
  hooks?: LoopHooks;
  log?: (line: string) => void;
  backoffBaseMs?: number;
  killGraceMs?: number;
}

export interface HeadlessSwarm {
  swarm: Swarm;
  report: StartReport;
  /** Stops the swarm gracefully and closes the connection it opened. */
  close(opts?: { drainMs?: number; everywhere?: boolean }): Promise<void>;
}

export async function startHeadlessSwarm(o: HeadlessSwarmOptions): Promise<HeadlessSwarm> {
  const config = await loadSwarmConfig(o.dir);
  const own = !o.board;
  const board = o.board ?? (await connectBoard({ dir: o.dir, client: `swarm:${process.pid}`, hubMode: o.hubMode ?? 'spawn', actor: 'swarm' }));
  try {
    const drivers = o.drivers ?? headlessDrivers({ cliPath: o.cliPath ?? defaultCliPath(), ...(o.killGraceMs !== undefined ? { killGraceMs: o.killGraceMs } : {}) });
    // A worktree per task and the merge queue (issue 14): in a git repository with a commit; otherwise the shared folder.
    const worktrees = workspaceWorktrees({ workspaceRoot: path.dirname(o.dir), boardDir: o.dir, board, holder: `swarm:${process.pid}`, ...(o.log ? { log: o.log } : {}) });
    const swarm = new Swarm({
      board,
      worktrees: worktrees.manager,
      config,
      workspaceRoot: path.dirname(o.dir),
      boardDir: o.dir,
      trusted: o.trusted ?? true,
      drivers,
      checks: new ProcessCheckRunner(),
      workspace: new GitWorkspace(),
      agentLog: agentLogs(path.join(o.dir, 'logs')),
      ...(o.gauge ? { gauge: o.gauge } : {}),
      ...(o.hooks ? { hooks: o.hooks } : {}),
      ...(o.log ? { log: o.log } : {}),
      ...(o.backoffBaseMs !== undefined ? { backoffBaseMs: o.backoffBaseMs } : {}),
    });
    const report = await swarm.start(o.agents);
    const stopQueue = worktrees.runQueue(); // the merge queue lands approved worktree changes
    return {
      swarm,
      report,
      close: async (c = {}) => {
        await stopQueue();
        await swarm.stop(c);
        if (own) await board.close?.();
      },
    };
  } catch (err) {
    if (own) await board.close?.();
    throw err;
  }
}

export interface SwarmCliIo {
  out(s: string): void;
  err(s: string): void;
}

function formatStats(s: TelemetryStats): string {
  return `${s.cycles} cycles, ${s.done} done, ${s.failed} failed, success ${(s.successRate * 100).toFixed(0)}%, avg ${(s.avgCycleMs / 1000).toFixed(1)} s, ${s.retries} retries, ${s.recoveries} recoveries, ${s.incidents} incidents`;
}

/**
 * `dreamos swarm start [--agent name]...`: runs the swarm in the foreground until Ctrl+C or
 * `dreamos swarm stop`. Returns the process exit code; errors are DreamErrors for the CLI to print.
 */
export async function swarmStart(o: { dir: string; agents?: string[]; json?: boolean; io: SwarmCliIo; signals?: boolean }): Promise<number> {
  const host = await startHeadlessSwarm({ dir: o.dir, ...(o.agents?.length ? { agents: o.agents } : {}), log: (l) => !o.json && o.io.err(l) });
  const { report } = host;
  if (o.json) o.io.out(JSON.stringify({ event: 'started', ...report, loopId: host.swarm.loopId }));
  else {
    for (const r of report.refused) o.io.err(`not started: ${r.name}: ${r.reason}`);
    o.io.out(report.started.length ? `Swarm ${host.swarm.loopId} running: ${report.started.join(', ')}. Ctrl+C or \`dreamos swarm stop\` stops it.` : 'No agent could be started.');
  }
  if (!report.started.length) {
    await host.close({ everywhere: false });
    return 4;
  }
  const stopOnSignal = () => void host.close();
  if (o.signals !== false) for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, stopOnSignal);
  await host.swarm.stopped;
  await host.close();
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, stopOnSignal);
  if (o.json) o.io.out(JSON.stringify({ event: 'stopped', loopId: host.swarm.loopId }));
  else o.io.out('Swarm stopped; tasks in hand were released.');
  return 0;
}

/** `dreamos swarm stop`: asks every swarm on this board to stop gracefully. */
export async function swarmStop(o: { dir: string; json?: boolean; io: SwarmCliIo; reason?: string }): Promise<number> {
  const board = await connectBoard({ dir: o.dir, client: `cli:${process.pid}`, hubMode: 'spawn', actor: 'human:cli' });
  try {
    const s = await board.call({ type: 'swarm.set', desired: 'stopped', reason: o.reason ?? 'dreamos swarm stop' });
    const where = s.host && s.live ? ` (${s.host.loopId}, pid ${s.host.pid} on ${s.host.hostname})` : '';
    o.io.out(o.json ? JSON.stringify(s) : where ? `Asked the swarm${where} to stop: running agents release their tasks within a few seconds.` : 'No swarm host is running on this board; it is marked stopped.');
    return 0;
  } finally {
    await board.close();
  }
}

const describeSpend = (d: { limit: BudgetLimit; spent: Spent }) =>
  `$${d.spent.usd.toFixed(4)}${d.spent.estimated ? ' (estimate)' : ''}${d.limit.usd !== undefined ? ` of $${d.limit.usd}` : ''}, ${d.spent.tokens.toLocaleString('en-US')} tokens${d.limit.tokens !== undefined ? ` of ${d.limit.tokens.toLocaleString('en-US')}` : ''}`;

/** `dreamos swarm status`: the desired state, each agent, and the telemetry. */
export async function swarmStatus(o: { dir: string; json?: boolean; io: SwarmCliIo }): Promise<number> {
  const board = await connectBoard({ dir: o.dir, client: `cli:${process.pid}`, hubMode: 'spawn', actor: 'human:cli' });
  try {
    const [state, agents, telemetry, usage] = await Promise.all([
      board.call({ type: 'swarm.state' }),
      board.call({ type: 'agent.list' }),
      board.call({ type: 'loop.telemetry.summary' }),
      // Tokens and cost of the agents' runs (preset agents report them), in total and per agent and task.
      board.call({ type: 'run.usage' }),
    ]);
    // Budgets from agents.json with today's spending (none when the file is missing or not valid).
    const budgets = await loadSwarmConfig(o.dir).then((cfg) => budgetView((c) => board.call(c), cfg), () => undefined);
    if (o.json) {
      o.io.out(JSON.stringify({ state, agents, telemetry, usage, ...(budgets ? { budgets } : {}) }));
      return 0;
    }
    const byId = new Map(telemetry.agents.map((a) => [a.agentId, a]));
    o.io.out(`swarm: ${state.desired}${state.reason ? ` (${state.reason})` : ''}`);
    const h = state.host;
    if (h) o.io.out(`  ${state.live ? 'held by' : 'last held by (gone)'} ${h.loopId}, pid ${h.pid}, ${describeHost(h, Date.now())}`);
    else o.io.out('  no swarm host is running: `dreamos swarm start` or Dream.OS: Start Swarm');
    const stopped = Object.entries(state.agents ?? {}).filter(([, d]) => d.desired === 'stopped');
    if (stopped.length) o.io.out(`  stopped with agent stop: ${stopped.map(([n, d]) => `${n} (by ${d.by})`).join(', ')}`);
    const usageOf = new Map(usage.agents.map((u) => [u.agentId, u]));
    for (const a of agents) {
      const t = byId.get(a.id);
      const u = usageOf.get(a.id);
      o.io.out(`  ${a.name.padEnd(20)} ${a.status.padEnd(8)} ${a.currentTask ?? '-'}${a.statusReason ? `  ${a.statusReason}` : ''}${t ? `\n    ${formatStats(t)}` : ''}${u ? `\n    ${formatUsage(u)}` : ''}`);
    }
    o.io.out(`total: ${formatStats(telemetry.total)}`);
    if (usage.total.runs) o.io.out(`usage: ${formatUsage(usage.total)}`);
    if (budgets?.swarmDay) o.io.out(`budget today (UTC): ${describeSpend(budgets.swarmDay)}`);
    for (const a of budgets?.agents ?? []) if (a.agentDay) o.io.out(`  ${a.name} today: ${describeSpend(a.agentDay)}`);
    return 0;
  } finally {
    await board.close();
  }
}
