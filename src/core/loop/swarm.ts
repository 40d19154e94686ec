/**
 * Swarm control: starts one loop per configured agent (instance), caps how many work at once,
 * holds back new claims while the machine is under CPU or memory pressure, watches the loops'
 * heartbeats, and stops gracefully (the tasks in hand are released, not lost). In an untrusted
 * workspace it runs no commands and says why.
 *
 * The desired state lives on the board (`swarm.set`), so `dreamos swarm stop` in a terminal
 * stops a swarm that an editor window runs, and the other way round. One swarm per board: a host
 * claims the board's swarm in one transaction (`swarm.claim`) before it starts a loop, renews that
 * claim with a heartbeat the board sees, and gives it back when it stops. Each agent's desired
 * state (Start Agent / Stop Agent, `swarm.agent`) is honoured by the holder, wherever it runs.
 */
import type { WorktreeManager } from '../worktrees/manager';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Agent, Task } from '../board/boardModel';
import { DreamError } from '../errors';
import type { BoardEvent } from '../events/eventLog';
import { describeHost, SWARM_TTL_MS, type AgentDesire, type SwarmState } from './loopCommands';
import { budgetFor } from './budget';
import { instanceNames, type AgentConfig, type SwarmConfig } from './agentsConfig';
import type { AgentDriver, CheckRunner, DriverFactory, WorkspaceProbe } from './driver';
import { codeOf, sleep, Waker, type LoopBoard } from './lease';
import { RunLedger } from './ledger';
import { systemGauge, SwarmGate, type PressureGauge, type PressureReading } from './gate';
import { AgentLoop, type LoopHooks, type LoopState } from './loop';
import { checkAgentProgram } from './programs';
import { loadRules, loadTemplate, type Template } from './agentPrompts';

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
  /** A worktree per task (src/core/worktrees); without it every agent works in the workspace folder. */
  worktrees?: WorktreeManager;
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
  /** The board counts this host gone when it renewed its claim for this long (default 20 s); it renews every quarter of it. */
  hostTtlMs?: number;
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
  /** `program`: the agent's program is missing (what is wrong with it); the reason says what to do. */
  refused: { name: string; reason: string; program?: string }[];
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
  /** Agents stopped on the board (Stop Agent), with the reason; the swarm keeps running. */
  private halted = new Map<string, { cfg: AgentConfig; reason: string }>();
  /** Names being started, so two starts (a local Start Agent and the board's) never launch one agent twice. */
  private starting = new Set<string>();
  /** The `at` of each agent's desired state this host has acted on. */
  private seenDesires = new Map<string, number>();
  private lastBeat = 0;
  private ticking: Promise<void> | undefined;
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

  /**
   * Claims the board's swarm (refused, for every agent, when another live host holds it), then
   * starts every enabled agent (or only those named; naming an agent lifts its Stop Agent).
   * Refusals are reported, not thrown.
   */
  async start(only?: readonly string[]): Promise<StartReport> {
    if (this.stopping) throw new DreamError('conflict', 'This swarm is stopping; create a new one to start again.');
    const wanted = this.configured(only);
    const report: StartReport = { started: [], refused: [] };
    if (!this.started) {
      let claim: SwarmState;
      try {
        claim = await this.claim(only?.length ? wanted.map((w) => w.name) : []);
      } catch (err) {
        const e = DreamError.from(err);
        if (e.code !== 'conflict') throw e;
        for (const { name, cfg } of wanted) this.refuse(report, name, cfg, e.message);
        return report;
      }
      for (const [name, d] of Object.entries(claim.agents ?? {})) this.seenDesires.set(name, d.at);
      const desires = claim.agents ?? {};
      await this.launchAll(wanted.filter((w) => !this.heldByBoard(report, w.name, w.cfg, desires[w.name])), report);
      if (report.started.length) {
        this.started = true;
        await this.watchBoard();
        void this.tick(true);
      } else {
        await this.o.board.call({ type: 'swarm.release', loopId: this.loopId, desired: 'stopped', reason: 'no agent could be started' }, { actor: 'swarm' }).catch((err) => this.log(`could not give back the board's swarm: ${(err as Error).message}`));
      }
    } else await this.launchAll(wanted, report);
    for (const name of only ?? []) {
      if (!this.o.config.agents.some((c) => c.name === name || instanceNames(c).includes(name))) {
        report.refused.push({ name, reason: `not in .dreamos/agents.json, so this swarm (${this.loopId}) has no loop for it; add it there and start the swarm again.` });
      }
    }
    return report;
  }

  /** The configured instances that `only` names (every one when it names none). */
  private configured(only?: readonly string[]): { name: string; cfg: AgentConfig }[] {
    const out: { name: string; cfg: AgentConfig }[] = [];
    for (const cfg of this.o.config.agents) {
      for (const name of instanceNames(cfg)) if (!only?.length || only.includes(name) || only.includes(cfg.name)) out.push({ name, cfg });
    }
    return out;
  }

  private refuse(report: StartReport, name: string, cfg: AgentConfig, reason: string, program?: string): void {
    this.refused.set(name, { cfg, reason });
    report.refused.push({ name, reason, ...(program ? { program } : {}) });
    this.log(`${name}: not started: ${reason}`);
  }

  /** An agent stopped on the board (Stop Agent) stays stopped until someone starts it by name. */
  private heldByBoard(report: StartReport, name: string, cfg: AgentConfig, d: AgentDesire | undefined): boolean {
    if (d?.desired !== 'stopped') return false;
    this.refuse(report, name, cfg, `stopped on the board by ${d.by}${d.reason ? ` (${d.reason})` : ''}: start it with Dream.OS: Start Agent, \`dreamos agent start ${name}\`, or name it when starting the swarm.`);
    return true;
  }

  /**
   * The atomic claim: the board refuses it while another host's heartbeat is fresh. A holder on
   * this machine whose process is gone is taken over at once, and only that holder (the board
   * checks it is still the one that was seen).
   */
  private async claim(start: string[]): Promise<SwarmState> {
    const seen = await this.o.board.call({ type: 'swarm.state' });
    const h = seen.host;
    const gone = h && h.loopId !== this.loopId && h.hostname === os.hostname() && h.pid !== process.pid && !pidAlive(h.pid);
    return await this.o.board.call(
      {
        type: 'swarm.claim',
        host: { loopId: this.loopId, pid: process.pid, hostname: os.hostname() },
        ttlMs: this.ttlMs,
        reason: `started by ${this.loopId}`,
        start,
        ...(gone ? { takeOver: h.loopId } : {}),
      },
      { actor: 'swarm' },
    );
  }

  private get ttlMs(): number {
    return this.o.hostTtlMs ?? SWARM_TTL_MS;
  }

  private async launchAll(wanted: { name: string; cfg: AgentConfig }[], report: StartReport): Promise<void> {
    const rules = () => loadRules(this.o.boardDir);
    for (const { name, cfg } of wanted) {
      if (this.running.has(name) || this.starting.has(name)) continue;
      this.starting.add(name);
      try {
        await this.launchOne(name, cfg, rules, report);
      } finally {
        this.starting.delete(name);
      }
    }
  }

  private async launchOne(name: string, cfg: AgentConfig, rules: () => Promise<string>, report: StartReport): Promise<void> {
    const refuse = (n: string, c: AgentConfig, reason: string) => this.refuse(report, n, c, reason);
    if (!cfg.enabled) return refuse(name, cfg, 'disabled in agents.json ("enabled": false)');
    if (!this.o.trusted && (cfg.driver === 'command' || cfg.checks.length > 0)) return refuse(name, cfg, UNTRUSTED_REASON);
    // Its program must be there: otherwise it would claim a task only to block it on ENOENT.
    const missing = checkAgentProgram(cfg, this.o.workspaceRoot);
    if (missing) return this.refuse(report, name, cfg, `its program is missing: ${missing.problem}. ${missing.hint}, then start the swarm again.`, missing.problem);
    const driver = this.o.drivers(cfg);
    if ('unavailable' in driver) return refuse(name, cfg, driver.unavailable);
    let template: Template;
    let agent: Agent;
    try {
      template = await loadTemplate(this.o.boardDir, cfg.prompt);
      agent = await this.ensureAgent(name, cfg);
    } catch (err) {
      return refuse(name, cfg, DreamError.from(err).message);
    }
    if (this.stopping) return refuse(name, cfg, 'the swarm is stopping');
    this.refused.delete(name);
    this.halted.delete(name);
    this.launch({ name, cfg, agent, driver, template, rules });
    report.started.push(name);
  }

  /**
   * Start Agent, in the host that runs the swarm: starts that agent's loop (its Stop Agent must
   * have been lifted on the board first, as `controlAgent` does). Refusals are reported.
   */
  async startAgent(name: string): Promise<StartReport> {
    if (!this.isRunning) throw new DreamError('conflict', `This swarm (${this.loopId}) is not running, so it starts no agent. Start the swarm first.`);
    const report = await this.start([name]);
    void this.tick(true);
    return report;
  }

  /**
   * Stop Agent, in the host that runs the swarm: no new claims for it, its run is stopped and its
   * task released; the other agents go on. Returns false when it was not running here.
   */
  async stopAgent(name: string, reason = 'stopped'): Promise<boolean> {
    const r = this.running.get(name);
    if (!r) return false;
    this.running.delete(name);
    this.halted.set(name, { cfg: r.cfg, reason });
    this.log(`${name}: stopping its loop (${reason})`);
    r.loop.drain();
    r.ctrl.abort('stop');
    await r.done;
    void this.tick(true);
    return true;
  }

  private async ensureAgent(name: string, cfg: AgentConfig): Promise<Agent> {
    let agent: Agent | undefined;
    try {
      agent = await this.o.board.call({ type: 'agent.show', agent: name });
    } catch (err) {
      if (codeOf(err) !== 'not_found') throw err;
    }
    const config = { managedBy: 'swarm', driver: cfg.driver, ...('command' in cfg ? { command: cfg.command } : {}) };
    if (!agent) return await this.o.board.call({ type: 'agent.register', name, capabilities: cfg.capabilities, driver: cfg.driver, config }, { actor: 'swarm' });
    if (agent.status === 'retired') throw new DreamError('conflict', `the board agent ${name} is retired; rename it in agents.json or unretire it.`);
    const same = agent.driver === cfg.driver && JSON.stringify([...agent.capabilities].sort()) === JSON.stringify([...new Set(cfg.capabilities)].sort());
    if (same) return agent;
    return await this.o.board.call({ type: 'agent.update', agent: agent.id, patch: { capabilities: cfg.capabilities, driver: cfg.driver, config } }, { actor: 'swarm' });
  }

  private launch(p: { name: string; cfg: AgentConfig; agent: Agent; driver: AgentDriver; template: Template; rules: () => Promise<string> }, restarts = 0): void {
    const sink = this.o.agentLog?.(p.name);
    const loop = new AgentLoop({
      board: this.o.board,
      agent: { id: p.agent.id, name: p.name, config: p.cfg },
      driver: p.driver,
      checks: this.o.checks,
      workspace: this.o.workspace,
      ...(this.o.worktrees ? { worktrees: this.o.worktrees } : {}),
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
      budget: budgetFor(this.o.config, p.cfg),
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
        const info = await this.o.board.call({ type: 'board.info' });
        this.sub = this.o.board.subscribe(info.latestSeq, (e) => {
          if (e.type.startsWith('task.')) this.waker.wake();
        });
      } catch (err) {
        this.log(`not following board events (${(err as Error).message}); agents poll instead`);
      }
    }
    const poll = setInterval(() => void this.tick(), Math.min(this.o.desiredPollMs ?? 2_000, this.ttlMs / 4));
    const watchdog = setInterval(() => this.watchdog(), Math.min(2_000, Math.max(100, (this.o.stallMs ?? 10_000) / 4)));
    poll.unref?.();
    watchdog.unref?.();
    this.timers.push(poll, watchdog);
  }

  /**
   * Reads the board's swarm record (renewing this host's claim every quarter of its ttl, and at
   * once when `beat`): stops when the board says stop or another host holds the swarm, and
   * honours each agent's desired state.
   */
  private tick(beat = false): Promise<void> {
    if (beat) this.lastBeat = 0;
    if (this.ticking) return this.ticking.then(() => (beat ? this.tick(true) : undefined));
    this.ticking = this.tickOnce().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async tickOnce(): Promise<void> {
    if (this.stopping || !this.started) return;
    let s: SwarmState;
    try {
      if (Date.now() - this.lastBeat >= this.ttlMs / 4) {
        s = await this.o.board.call({ type: 'swarm.heartbeat', loopId: this.loopId, agents: this.hostAgents() }, { actor: 'swarm' });
        this.lastBeat = Date.now();
      } else s = await this.o.board.call({ type: 'swarm.state' });
    } catch (err) {
      if (codeOf(err) === 'conflict') return this.lost((err as Error).message);
      this.log(`could not read the swarm state: ${(err as Error).message}`);
      return;
    }
    if (s.host?.loopId !== this.loopId) return this.lost(s.host ? `the board's swarm is now held by ${s.host.loopId} (pid ${s.host.pid}) ${describeHost(s.host, Date.now())}` : 'the board no longer lists this host as the swarm');
    if (s.desired === 'stopped') {
      this.log(`the board says stop (${s.reason || `by ${s.by}`}): stopping`);
      await this.stop({ reason: s.reason || 'stopped from the board', everywhere: false });
      return;
    }
    await this.honour(s.agents ?? {});
  }

  /** Another host holds the board's swarm now (this one missed its heartbeats): two must never run, so this one stops. */
  private async lost(why: string): Promise<void> {
    this.log(`${why}: stopping this swarm`);
    await this.stop({ reason: `this host lost the board's swarm: ${why}`, everywhere: false });
  }

  /** Stop Agent is kept (the loop stops wherever it runs); Start Agent acts once, on a request made after this host claimed. */
  private async honour(desires: Record<string, AgentDesire>): Promise<void> {
    for (const [name, d] of Object.entries(desires)) {
      if (this.stopping) return;
      const fresh = this.seenDesires.get(name) !== d.at;
      this.seenDesires.set(name, d.at);
      if (d.desired === 'stopped' && this.running.has(name)) await this.stopAgent(name, `stopped on the board by ${d.by}${d.reason ? `: ${d.reason}` : ''}`);
      else if (d.desired === 'running' && fresh && !this.running.has(name) && this.configured([name]).length) {
        this.log(`${name}: started on the board by ${d.by}`);
        await this.start([name]);
        void this.tick(true);
      }
    }
  }

  /** What this host runs, for the board (its heartbeat), so other hosts can say where an agent runs. */
  private hostAgents(): { name: string; state: string; reason?: string }[] {
    const out: { name: string; state: string; reason?: string }[] = [];
    for (const r of this.running.values()) out.push({ name: r.name, state: r.loop.state });
    for (const [name, f] of this.refused) if (!this.running.has(name)) out.push({ name, state: 'refused', reason: f.reason.slice(0, 500) });
    for (const [name, f] of this.halted) if (!this.running.has(name)) out.push({ name, state: 'stopped', reason: f.reason.slice(0, 500) });
    return out.slice(0, 1_000);
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
      // A heartbeat still in flight after this finds the claim given back and stops nothing else.
      if (this.started) await this.o.board.call({ type: 'swarm.release', loopId: this.loopId, reason }, { actor: 'swarm' }).catch((err) => this.log(`could not give back the board's swarm (it lapses ${Math.round(this.ttlMs / 1000)} s after the last heartbeat): ${(err as Error).message}`));
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
    for (const [name, f] of this.refused) if (!this.running.has(name) && !this.halted.has(name)) agents.push({ name, driver: f.cfg.driver, state: 'refused', cycles: 0, reason: f.reason });
    for (const [name, f] of this.halted) if (!this.running.has(name)) agents.push({ name, driver: f.cfg.driver, state: 'stopped', cycles: 0, reason: f.reason });
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

/** Whether a process on this machine is alive (EPERM: it is, under another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Start/Stop Agent for every host; the swarm's own part is startAgent/stopAgent above.
export { controlAgent, type AgentControlOutcome } from './agentControl';
