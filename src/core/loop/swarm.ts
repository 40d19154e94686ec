/**
 * Swarm control: starts one loop per configured agent (instance), caps how many work at once,
 * holds back new claims while the machine is under CPU or memory pressure, watches the loops'
 * heartbeats, and stops gracefully (the tasks in hand are released, not lost). In an untrusted
 * workspace it runs no commands and says why.
 *
 * The desired state lives on the board (`swarm.set`), so `dreamos swarm stop` in a terminal
 * stops a swarm that an editor window runs, and the other way round.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Agent, Task } from '../board/model';
import { DreamError } from '../errors';
import type { BoardEvent } from '../events/events';
import type { SwarmState } from './boardCommands';
import { instanceNames, type AgentConfig, type SwarmConfig } from './config';
import type { AgentDriver, CheckRunner, DriverFactory, WorkspaceProbe } from './driver';
import { codeOf, sleep, Waker, type LoopBoard } from './lease';
import { RunLedger } from './ledger';
import { AgentLoop, type ClaimGate, type LoopHooks, type LoopState } from './loop';
import { loadRules, loadTemplate, type Template } from './prompts';

export interface PressureReading {
  ok: boolean;
  reason: string;
  loadPerCpu: number;
  freeMemMb: number;
}
export type PressureGauge = () => PressureReading;

/** Reads os.loadavg() and os.freemem() against the configured limits. */
export function systemGauge(limits: SwarmConfig['pressure']): PressureGauge {
  const cpus = Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  return () => {
    const loadPerCpu = os.loadavg()[0]! / cpus;
    const freeMemMb = Math.round(os.freemem() / 1_048_576);
    if (loadPerCpu > limits.maxLoadPerCpu) return { ok: false, reason: `holding back new tasks: CPU load ${loadPerCpu.toFixed(2)} per core is above ${limits.maxLoadPerCpu}`, loadPerCpu, freeMemMb };
    if (freeMemMb < limits.minFreeMemMb) return { ok: false, reason: `holding back new tasks: ${freeMemMb} MB free memory is below ${limits.minFreeMemMb} MB`, loadPerCpu, freeMemMb };
    return { ok: true, reason: '', loadPerCpu, freeMemMb };
  };
}

/** The cap on agents working at once, and the pressure watch, in front of every claim. */
export class SwarmGate implements ClaimGate {
  active = 0;
  /** Only agents waiting for a slot wake on a release (idle agents wake on board events). */
  private readonly slots = new Waker();
  constructor(
    private readonly max: number,
    private readonly gauge: PressureGauge,
    private readonly checkMs = 1_000,
  ) {}

  async acquire(_agent: string, signal: AbortSignal, onHeld: (reason: string) => void, opts: { urgent?: boolean } = {}): Promise<(() => void) | null> {
    for (;;) {
      if (signal.aborted) return null;
      if (!opts.urgent) {
        if (this.active >= this.max) {
          onHeld(`waiting for a free slot: ${this.active} of ${this.max} agents are working`);
          await this.slots.wait(this.checkMs, signal);
          continue;
        }
        const p = this.gauge();
        if (!p.ok) {
          onHeld(p.reason);
          await sleep(this.checkMs, signal);
          continue;
        }
      }
      this.active++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.active--;
        this.slots.wake();
      };
    }
  }
}

export const UNTRUSTED_REASON =
  'This workspace is not trusted, so Dream.OS runs no agent commands or checks in it. Trust the workspace (Manage Workspace Trust) and start the swarm again.';

export interface SwarmBoard extends LoopBoard {
  subscribe?(afterSeq: number, onEvent: (e: BoardEvent) => void): { dispose(): void };
}

export interface AgentLogSink {
  line(text: string): void;
  output(text: string): void;
}

export interface SwarmOptions {
  board: SwarmBoard;
  config: SwarmConfig;
  workspaceRoot: string;
  boardDir: string;
  /** Workspace Trust: false runs no commands (command agents and checks are refused). */
  trusted: boolean;
  drivers: DriverFactory;
  checks: CheckRunner;
  workspace: WorkspaceProbe;
  gauge?: PressureGauge;
  loopId?: string;
  log?: (line: string) => void;
  /** Where each agent's output and loop notes go (the agent's log file). */
  agentLog?: (agentName: string) => AgentLogSink;
  hooks?: LoopHooks;
  /** How often the board's desired state is read (default 2 s). */
  desiredPollMs?: number;
  backoffBaseMs?: number;
  repeatLimit?: number;
  /** A working loop that renewed no lease for this long is restarted (default 3 leases, at least 10 s). */
  stallMs?: number;
}

export interface SwarmAgentStatus {
  name: string;
  agentId?: string;
  driver: AgentConfig['driver'];
  state: LoopState | 'refused';
  taskId?: string;
  heldBack?: string;
  lastIncident?: string;
  lastError?: string;
  cycles: number;
  reason?: string;
}

export interface SwarmStatus {
  running: boolean;
  loopId: string;
  trusted: boolean;
  maxConcurrent: number;
  working: number;
  pressure: PressureReading;
  agents: SwarmAgentStatus[];
}

export interface StartReport {
  started: string[];
  refused: { name: string; reason: string }[];
}

interface Running {
  name: string;
  cfg: AgentConfig;
  agent: Agent;
  driver: AgentDriver;
  template: Template;
  loop: AgentLoop;
  ctrl: AbortController;
  done: Promise<void>;
  restarts: number;
}

export class Swarm {
  readonly loopId: string;
  private readonly waker = new Waker();
  private readonly ledger = new RunLedger();
  private readonly gate: SwarmGate;
  private readonly gauge: PressureGauge;
  private running = new Map<string, Running>();
  private refused = new Map<string, { cfg: AgentConfig; reason: string }>();
  private sub: { dispose(): void } | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | undefined;
  private started = false;
  private stoppedResolve!: () => void;
  /** Resolves when the swarm has stopped (by stop(), or by `dreamos swarm stop` elsewhere). */
  readonly stopped: Promise<void>;

  constructor(private readonly o: SwarmOptions) {
    this.loopId = o.loopId ?? `loop_${os.hostname().slice(0, 20)}_${process.pid}_${randomBytes(3).toString('hex')}`;
    this.gauge = o.gauge ?? systemGauge(o.config.pressure);
    this.gate = new SwarmGate(o.config.maxConcurrent, this.gauge);
    this.stopped = new Promise((r) => (this.stoppedResolve = r));
  }

  private log(line: string): void {
    this.o.log?.(line);
  }

  get isRunning(): boolean {
    return this.started && !this.stopping;
  }

  /** Starts every enabled agent (or only those named). Refusals are reported, not thrown. */
  async start(only?: readonly string[]): Promise<StartReport> {
    if (this.stopping) throw new DreamError('conflict', 'This swarm is stopping; create a new one to start again.');
    const report: StartReport = { started: [], refused: [] };
    const refuse = (name: string, cfg: AgentConfig, reason: string) => {
      this.refused.set(name, { cfg, reason });
      report.refused.push({ name, reason });
      this.log(`${name}: not started: ${reason}`);
    };
    const rules = () => loadRules(this.o.boardDir);
    const other = this.started ? undefined : await this.otherHost();
    for (const cfg of this.o.config.agents) {
      for (const name of instanceNames(cfg)) {
        if (only?.length && !only.includes(name) && !only.includes(cfg.name)) continue;
        if (this.running.has(name)) continue;
        if (other) {
          refuse(name, cfg, other);
          continue;
        }
        if (!cfg.enabled) {
          refuse(name, cfg, 'disabled in agents.json ("enabled": false)');
          continue;
        }
        if (!this.o.trusted && (cfg.driver === 'command' || cfg.checks.length > 0)) {
          refuse(name, cfg, UNTRUSTED_REASON);
          continue;
        }
        const driver = this.o.drivers(cfg);
        if ('unavailable' in driver) {
          refuse(name, cfg, driver.unavailable);
          continue;
        }
        let template: Template;
        let agent: Agent;
        try {
          template = await loadTemplate(this.o.boardDir, cfg.prompt);
          agent = await this.ensureAgent(name, cfg);
        } catch (err) {
          refuse(name, cfg, DreamError.from(err).message);
          continue;
        }
        this.refused.delete(name);
        this.launch({ name, cfg, agent, driver, template, rules });
        report.started.push(name);
      }
    }
    if (!this.started && report.started.length) {
      this.started = true;
      await this.o.board.call({ type: 'swarm.set', desired: 'running', reason: `started by ${this.loopId}`, host: { loopId: this.loopId, pid: process.pid, hostname: os.hostname() } }, { actor: 'swarm' });
      await this.watchBoard();
    }
    return report;
  }

  /** Another live process on this machine already runs a swarm on this board: two would fight over the same agents. */
  private async otherHost(): Promise<string | undefined> {
    const s = (await this.o.board.call({ type: 'swarm.state' })) as SwarmState;
    const h = s.host;
    if (s.desired !== 'running' || !h || h.hostname !== os.hostname() || h.pid === process.pid) return undefined;
    try {
      process.kill(h.pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined; // that host is gone
    }
    return `another swarm (${h.loopId}, pid ${h.pid}) already runs on this board. Stop it first (\`dreamos swarm stop\` or Dream.OS: Stop Swarm), then start again.`;
  }

  private async ensureAgent(name: string, cfg: AgentConfig): Promise<Agent> {
    let agent: Agent | undefined;
    try {
      agent = (await this.o.board.call({ type: 'agent.show', agent: name })) as Agent;
    } catch (err) {
      if (codeOf(err) !== 'not_found') throw err;
    }
    const config = { managedBy: 'swarm', driver: cfg.driver, ...('command' in cfg ? { command: cfg.command } : {}) };
    if (!agent) return (await this.o.board.call({ type: 'agent.register', name, capabilities: cfg.capabilities, driver: cfg.driver, config }, { actor: 'swarm' })) as Agent;
    if (agent.status === 'retired') throw new DreamError('conflict', `the board agent ${name} is retired; rename it in agents.json or unretire it.`);
    const same = agent.driver === cfg.driver && JSON.stringify([...agent.capabilities].sort()) === JSON.stringify([...new Set(cfg.capabilities)].sort());
    if (same) return agent;
    return (await this.o.board.call({ type: 'agent.update', agent: agent.id, patch: { capabilities: cfg.capabilities, driver: cfg.driver, config } }, { actor: 'swarm' })) as Agent;
  }

  private launch(p: { name: string; cfg: AgentConfig; agent: Agent; driver: AgentDriver; template: Template; rules: () => Promise<string> }, restarts = 0): void {
    const sink = this.o.agentLog?.(p.name);
    const loop = new AgentLoop({
      board: this.o.board,
      agent: { id: p.agent.id, name: p.name, config: p.cfg },
      driver: p.driver,
      checks: this.o.checks,
      workspace: this.o.workspace,
      workspaceRoot: this.o.workspaceRoot,
      boardDir: this.o.boardDir,
      template: p.template,
      rules: p.rules,
      loopId: this.loopId,
      gate: this.gate,
      candidates: (task, exclude) => this.candidates(task, exclude),
      ledger: this.ledger,
      waker: this.waker,
      idlePollMs: this.o.config.idlePollMs,
      log: (line) => {
        sink?.line(line);
        this.log(`${p.name}: ${line}`);
      },
      ...(sink ? { output: (t: string) => sink.output(t) } : {}),
      ...(this.o.hooks ? { hooks: this.o.hooks } : {}),
      ...(this.o.backoffBaseMs !== undefined ? { backoffBaseMs: this.o.backoffBaseMs } : {}),
      ...(this.o.repeatLimit !== undefined ? { repeatLimit: this.o.repeatLimit } : {}),
    });
    const ctrl = new AbortController();
    const entry: Running = { ...p, loop, ctrl, restarts, done: Promise.resolve() };
    entry.done = loop.run(ctrl.signal).catch((err) => this.log(`${p.name}: loop failed: ${(err as Error).message}`));
    this.running.set(p.name, entry);
  }

  /** Running agents that could take the task (capabilities cover its needs), idle ones first. */
  candidates(task: Pick<Task, 'requires'>, exclude: string): string[] {
    return [...this.running.values()]
      .filter((r) => r.agent.id !== exclude && r.loop.state !== 'error' && task.requires.every((c) => r.cfg.capabilities.includes(c)))
      .sort((a, b) => Number(a.loop.state === 'working') - Number(b.loop.state === 'working'))
      .map((r) => r.agent.id);
  }

  private async watchBoard(): Promise<void> {
    if (this.o.board.subscribe) {
      try {
        const info = (await this.o.board.call({ type: 'board.info' })) as { latestSeq: number };
        this.sub = this.o.board.subscribe(info.latestSeq, (e) => {
          if (e.type.startsWith('task.')) this.waker.wake();
        });
      } catch (err) {
        this.log(`not following board events (${(err as Error).message}); agents poll instead`);
      }
    }
    const poll = setInterval(() => void this.checkDesired(), this.o.desiredPollMs ?? 2_000);
    const watchdog = setInterval(() => this.watchdog(), Math.min(2_000, Math.max(100, (this.o.stallMs ?? 10_000) / 4)));
    poll.unref?.();
    watchdog.unref?.();
    this.timers.push(poll, watchdog);
  }

  private async checkDesired(): Promise<void> {
    if (this.stopping) return;
    try {
      const s = (await this.o.board.call({ type: 'swarm.state' })) as SwarmState;
      if (s.desired === 'stopped') {
        this.log(`the board says stop (${s.reason || `by ${s.by}`}): stopping`);
        await this.stop({ reason: s.reason || 'stopped from the board', everywhere: false });
      }
    } catch (err) {
      this.log(`could not read the swarm state: ${(err as Error).message}`);
    }
  }

  /**
   * No heartbeat: a loop whose lease renewals stopped (a hung board call, a wedged host) is
   * restarted, and the new loop resumes from the recovery point. After two restarts the agent is
   * marked error and the person is told.
   */
  private watchdog(): void {
    const now = Date.now();
    for (const r of [...this.running.values()]) {
      if (r.loop.state !== 'working') continue;
      const limit = this.o.stallMs ?? Math.max(3 * r.cfg.timeouts.leaseMs, 10_000);
      if (now - r.loop.lastBeatAt < limit) continue;
      const reason = `no heartbeat: ${r.name} renewed no lease for ${Math.round((now - r.loop.lastBeatAt) / 1000)} s`;
      const rung = r.restarts < 2 ? 'restart' : 'ask-human';
      const taskId = r.loop.taskId;
      r.loop.lastIncident = `no-heartbeat: ${reason}`;
      this.log(`${r.name}: ${reason}; ${rung === 'restart' ? 'restarting its loop' : 'giving up on it'}`);
      void this.o.board
        .call({ type: 'loop.telemetry.record', loopId: this.loopId, agentId: r.agent.id, kind: 'incident', outcome: 'no-heartbeat', ...(taskId ? { taskId } : {}), detail: { rung, reason } }, { actor: r.agent.id })
        .catch(() => undefined);
      r.loop.state = 'stopping';
      r.ctrl.abort('restart');
      if (rung === 'restart') {
        void r.done.then(() => {
          if (this.stopping || this.running.get(r.name) !== r) return;
          this.launch({ ...r, rules: () => loadRules(this.o.boardDir) }, r.restarts + 1);
          const fresh = this.running.get(r.name);
          if (fresh) fresh.loop.lastIncident = `no-heartbeat: ${reason}`;
        });
      } else {
        void this.o.board.call({ type: 'agent.lifecycle', agent: r.agent.id, action: 'error', reason }, { actor: 'swarm' }).catch(() => undefined);
        void this.o.board
          .call({ type: 'mail.send', from: r.agent.id, to: { kind: 'human' }, subject: `Agent ${r.name} keeps hanging`, body: `${reason}. Its loop was restarted twice; it is stopped now. Look at .dreamos/logs/${r.name}.log, then start the swarm again.`, priority: 'high', requiresAck: true }, { actor: 'swarm' })
          .catch(() => undefined);
      }
    }
  }

  /**
   * Graceful stop: no new claims, running work may finish for `drainMs`, then the drivers are
   * stopped and the tasks in hand released. `everywhere` (default) also tells other hosts to stop.
   */
  stop(opts: { drainMs?: number; reason?: string; everywhere?: boolean } = {}): Promise<void> {
    this.stopping ??= (async () => {
      const { drainMs = 0, reason = 'stopped', everywhere = true } = opts;
      for (const t of this.timers) clearInterval(t);
      this.timers = [];
      if (everywhere && this.started) await this.o.board.call({ type: 'swarm.set', desired: 'stopped', reason }, { actor: 'swarm' }).catch((err) => this.log(`could not record the stop: ${(err as Error).message}`));
      const loops = [...this.running.values()];
      for (const r of loops) r.loop.drain();
      if (drainMs > 0) await Promise.race([Promise.all(loops.map((r) => r.done)), sleep(drainMs)]);
      for (const r of loops) r.ctrl.abort('stop');
      await Promise.all(loops.map((r) => r.done));
      this.sub?.dispose();
      this.log(`swarm ${this.loopId} stopped (${reason})`);
      this.stoppedResolve();
    })();
    return this.stopping;
  }

  status(): SwarmStatus {
    const agents: SwarmAgentStatus[] = [];
    for (const r of this.running.values()) {
      agents.push({
        name: r.name,
        agentId: r.agent.id,
        driver: r.cfg.driver,
        state: r.loop.state,
        cycles: r.loop.cycles,
        ...(r.loop.taskId ? { taskId: r.loop.taskId } : {}),
        ...(r.loop.heldBack ? { heldBack: r.loop.heldBack } : {}),
        ...(r.loop.lastIncident ? { lastIncident: r.loop.lastIncident } : {}),
        ...(r.loop.lastError ? { lastError: r.loop.lastError } : {}),
      });
    }
    for (const [name, f] of this.refused) agents.push({ name, driver: f.cfg.driver, state: 'refused', cycles: 0, reason: f.reason });
    return {
      running: this.isRunning,
      loopId: this.loopId,
      trusted: this.o.trusted,
      maxConcurrent: this.o.config.maxConcurrent,
      working: this.gate.active,
      pressure: this.gauge(),
      agents: agents.sort((a, b) => a.name.localeCompare(b.name)),
    };
  }
}
