/**
 * The loop of one agent: claim → prompt → execute → evidence → transition, again and again.
 *
 * Each step that finishes is written to the board as the agent's recovery point (fenced by the
 * lease token), so a loop host that dies and comes back resumes at the step it was on and never
 * redoes one that finished. Failures are classified (./classify) into a retry strategy; stalls and
 * drift (./watch) walk the recovery ladder. Telemetry rows record every cycle, retry, recovery and
 * incident.
 */
import path from 'node:path';
import { hasWorkEvidence } from '../board/evidence';
import type { Message, Task, TaskHistoryEntry } from '../board/model';
import { ACTIVE_STATUSES } from '../board/transitions';
import type { CommandInput } from '../commands';
import { DreamError } from '../errors';
import type { ResultOf } from '../port';
import type { Checkpoint, CheckpointStep, TelemetryKind, TelemetryRow } from './boardCommands';
import { backoffMs, classifyError, classifyOutcome, type Classified } from './classify';
import type { AgentConfig } from './config';
import { changedSince, type AgentDriver, type CheckResult, type CheckRunner, type DriverOutcome, type WorkspaceProbe, type WorkspaceSnapshot } from './driver';
import { judge, type SavedOutcome } from './evidence';
import { attribute, type RunEntry, type RunLedger } from './ledger';
import { codeOf, LeaseKeeper, sleep, Waker, type LoopBoard } from './lease';
import { buildPrompt, buildResumePrompt, type Template } from './prompts';
import type { RunRecord } from '../runs/model';
import { RunRecorder } from '../runs/recorder';
import { outOfScope, taskScope } from './scope';
import { OutputWatch, rungFor, tailOf, type IncidentKind, type Rung } from './watch';

export type LoopState = 'starting' | 'idle' | 'held-back' | 'working' | 'stopping' | 'stopped' | 'error';

/** The swarm's say over claims: the concurrency cap and the machine-pressure watch. */
export interface ClaimGate {
  /** Resolves with a release function once this agent may work, or null when stopping. */
  acquire(agent: string, signal: AbortSignal, onHeld: (reason: string) => void, opts?: { urgent?: boolean }): Promise<(() => void) | null>;
}

export interface LoopHooks {
  /** After a recovery point is saved or the task transitioned (tests crash a host here). */
  afterStep?(step: CheckpointStep | 'transitioned', taskId: string): void | Promise<void>;
}

export interface AgentLoopOptions {
  board: LoopBoard;
  agent: { id: string; name: string; config: AgentConfig };
  driver: AgentDriver;
  checks: CheckRunner;
  workspace: WorkspaceProbe;
  workspaceRoot: string;
  boardDir: string;
  template: Template;
  rules: () => Promise<string>;
  loopId: string;
  gate?: ClaimGate;
  /** Runs of the other agents in this workspace, so their changes are not taken for this agent's. */
  ledger?: RunLedger;
  /** Agent ids that could take over a task this agent gives up. */
  candidates?: (task: Task, exclude: string) => string[];
  waker?: Waker;
  idlePollMs?: number;
  /** Lines about the loop (incidents, decisions) for the agent's log. */
  log?: (line: string) => void;
  /** What the agent printed, for the agent's log. */
  output?: (text: string) => void;
  hooks?: LoopHooks;
  now?: () => number;
  backoffBaseMs?: number;
  repeatLimit?: number;
  /** Stop calling it a working loop when it has not beaten for this long (the swarm's watchdog reads lastBeatAt). */
  maxRunsPerLease?: number;
}

type Ending = 'done' | 'failed' | 'retried' | 'released' | 'reassigned' | 'blocked' | 'reopened' | 'lost' | 'error';
type Step = { next: 'rerun'; feedback: string } | { end: Ending; detail?: string };

interface CpData {
  baseline: WorkspaceSnapshot | null;
  evidenceAtClaim: number;
  claimedAt: number;
  runs: number;
  retries: number;
  feedback: string[];
  pid?: number;
  outcome?: SavedOutcome;
  checks?: CheckResult[];
  /** The agent CLI's session (preset agents): a rerun of this task resumes it. */
  session?: string;
}

interface ExecResult {
  outcome: DriverOutcome;
  stop?: 'stop' | 'lost';
  incident?: { kind: IncidentKind; rung: Rung; reason: string };
}

const STOP = 'stop';

export class AgentLoop {
  state: LoopState = 'starting';
  taskId: string | undefined;
  heldBack = '';
  lastIncident = '';
  lastError = '';
  cycles = 0;
  lastBeatAt: number;
  private stopSignal: AbortSignal = new AbortController().signal;
  private run_: RunEntry | undefined;
  private draining = false;
  private lastIdleBeat = 0;
  private readonly now: () => number;
  private readonly cfg: AgentConfig;
  private readonly id: string;
  private readonly name: string;

  constructor(private readonly o: AgentLoopOptions) {
    this.now = o.now ?? Date.now;
    this.cfg = o.agent.config;
    this.id = o.agent.id;
    this.name = o.agent.name;
    this.lastBeatAt = this.now();
  }

  private log(line: string): void {
    this.o.log?.(line);
  }

  private call<C extends CommandInput>(command: C): Promise<ResultOf<C>> {
    return this.o.board.call(command, { actor: this.id });
  }

  /** Stop taking new tasks; the current one finishes. */
  drain(): void {
    this.draining = true;
    this.o.waker?.wake();
  }

  /** Runs until `stop` fires (then gives back any task it holds) or the agent's tool is broken. */
  async run(stop: AbortSignal): Promise<void> {
    this.stopSignal = stop;
    try {
      await this.call({ type: 'agent.lifecycle', agent: this.id, action: 'start', reason: `loop ${this.o.loopId}` });
      await this.resume().catch((err: unknown) => this.log(`could not resume from the recovery point: ${DreamError.from(err).message}`));
      while (!stop.aborted && !this.draining && this.state !== 'error') {
        this.lastBeatAt = this.now();
        await this.idleBeat();
        const release = this.o.gate ? await this.o.gate.acquire(this.name, stop, (why) => this.setHeld(why)) : () => undefined;
        this.heldBack = '';
        if (!release) break;
        let claim: { task: Task; lease: { token: number } } | null = null;
        try {
          claim = await this.call({ type: 'task.claimNext', agentId: this.id, leaseMs: this.cfg.timeouts.leaseMs });
        } catch (err) {
          release();
          this.lastError = (err as Error).message;
          this.log(`claiming failed: ${this.lastError}`);
          await sleep(backoffMs(1, this.o.backoffBaseMs), stop);
          continue;
        }
        if (!claim) {
          release();
          this.state = 'idle';
          await (this.o.waker?.wait(this.o.idlePollMs ?? 2_000, stop) ?? sleep(this.o.idlePollMs ?? 2_000, stop));
          continue;
        }
        try {
          await this.work(claim.task, claim.lease.token, null);
        } finally {
          release();
        }
      }
    } catch (err) {
      this.state = 'error';
      this.lastError = DreamError.from(err).message;
      this.log(`the loop stopped on an error: ${this.lastError}`);
    } finally {
      if (this.state !== 'error') {
        this.state = 'stopped';
        await this.call({ type: 'agent.lifecycle', agent: this.id, action: 'stop', reason: stop.aborted ? 'swarm stopped' : 'loop ended' }).catch(() => undefined);
      }
    }
  }

  private setHeld(why: string): void {
    this.state = 'held-back';
    this.heldBack = why;
    this.lastBeatAt = this.now();
    void this.idleBeat();
  }

  private async idleBeat(): Promise<void> {
    if (this.now() - this.lastIdleBeat < this.cfg.timeouts.leaseMs / 3) return;
    this.lastIdleBeat = this.now();
    await this.call({ type: 'agent.heartbeat', agent: this.id, leaseMs: this.cfg.timeouts.leaseMs }).catch((err) => this.log(`heartbeat failed: ${(err as Error).message}`));
  }

  private async telemetry(kind: TelemetryKind, outcome: string, taskId: string | undefined, detail: Record<string, unknown> = {}, durationMs?: number): Promise<void> {
    await this.call({ type: 'loop.telemetry.record', loopId: this.o.loopId, agentId: this.id, kind, outcome, detail, ...(taskId ? { taskId } : {}), ...(durationMs !== undefined ? { durationMs: Math.max(0, Math.round(durationMs)) } : {}) }).catch((err) =>
      this.log(`telemetry not recorded: ${(err as Error).message}`),
    );
  }

  /** A loop host that died left a recovery point: pick the task up where it was. */
  private async resume(): Promise<void> {
    const cp = await this.call({ type: 'loop.checkpoint.get', agentId: this.id });
    if (!cp) return;
    let shown: { task: Task } | undefined;
    try {
      shown = await this.call({ type: 'task.show', taskId: cp.taskId });
    } catch (err) {
      if (codeOf(err) !== 'not_found') throw err;
    }
    const t = shown?.task;
    const live = t && ACTIVE_STATUSES.includes(t.status) && t.lease?.token === cp.token && t.assignee === this.id;
    if (live) {
      try {
        await this.call({ type: 'task.renew', taskId: t.id, token: cp.token, leaseMs: this.cfg.timeouts.leaseMs });
        this.log(`resuming task ${t.id} at step "${cp.step}" from the recovery point`);
        await this.telemetry('recovery', 'resumed', t.id, { step: cp.step });
        const release = this.o.gate ? await this.o.gate.acquire(this.name, this.stopSignal, (why) => this.setHeld(why), { urgent: true }) : () => undefined;
        try {
          await this.work(t, cp.token, cp);
        } finally {
          release?.();
        }
        return;
      } catch (err) {
        if (codeOf(err) !== 'stale_token') throw err;
      }
    }
    this.log(`the recovery point for task ${cp.taskId} is stale (the lease moved on); nothing to resume`);
    await this.call({ type: 'loop.checkpoint.clear', agentId: this.id, taskId: cp.taskId }).catch(() => undefined);
    await this.telemetry('recovery', 'stale', cp.taskId, { step: cp.step });
  }

  private async save(task: Task, token: number, step: CheckpointStep, data: CpData): Promise<void> {
    await this.call({ type: 'loop.checkpoint.save', agentId: this.id, taskId: task.id, token, step, data: data as unknown as Record<string, unknown> });
    await this.o.hooks?.afterStep?.(step, task.id);
  }

  /** One claimed task, from wherever its recovery point says, to an ending. */
  private async work(task: Task, token: number, resumed: Checkpoint | null): Promise<void> {
    this.state = 'working';
    this.taskId = task.id;
    const started = this.now();
    this.run_ = this.o.ledger?.begin(task.id, taskScope(task));
    let agentMoved = false;
    const ctrl = new AbortController();
    const onStop = () => ctrl.abort(STOP);
    this.stopSignal.addEventListener('abort', onStop, { once: true });
    // Stopped while the claim was in flight: the abort came before the listener (the task goes back).
    if (this.stopSignal.aborted) onStop();
    const lease = new LeaseKeeper(
      this.o.board,
      this.id,
      task.id,
      token,
      this.cfg.timeouts.leaseMs,
      () => {
        // Refused renewal: the agent may have reported through the CLI, or someone took the task.
        void this.lastEntry(task.id).then((h) => {
          if (h && h.actor === this.id) agentMoved = true;
          else ctrl.abort('lost');
        });
      },
      (l) => this.log(l),
      this.now,
    ).start();
    const beat = setInterval(() => (this.lastBeatAt = lease.lastRenewAt), 500);
    beat.unref?.();
    let ending: Ending = 'error';
    let detail = '';
    let data: CpData | undefined;
    try {
      if (resumed) data = resumed.data as unknown as CpData;
      else {
        data = { baseline: await this.snapshot(), evidenceAtClaim: task.evidence.length, claimedAt: this.now(), runs: 0, retries: 0, feedback: [] };
        const prev = await this.previousSession(task);
        if (prev) Object.assign(data, { session: prev.id, feedback: prev.feedback ? [prev.feedback] : [] });
        await this.save(task, token, 'claimed', data);
      }
      const r = await this.advance(task, token, resumed?.step ?? 'claimed', data, ctrl, () => agentMoved);
      ending = 'end' in r ? r.end : 'error';
      detail = 'end' in r ? (r.detail ?? '') : '';
    } catch (err) {
      const c = classifyError(err);
      detail = c.reason;
      if (codeOf(err) !== 'stale_token') {
        this.lastError = c.reason;
        this.log(`task ${task.id}: ${c.class} error → ${c.strategy}: ${c.reason}`);
      }
      if (codeOf(err) === 'stale_token') {
        // The lease moved on. If the agent moved the task itself (through the CLI), check its claim.
        const last = data ? await this.lastEntry(task.id) : undefined;
        const s = last?.actor === this.id && data ? await this.afterAgentMoved(task, data).catch(() => undefined) : undefined;
        ending = s && 'end' in s ? s.end : 'lost';
        if (ending === 'lost') this.log(`task ${task.id}: ${c.reason}`);
        if (s && 'end' in s) detail = s.detail ?? '';
      } else if (c.strategy === 'backoff' || c.strategy === 'drop') ending = await this.giveBack(task, token, `the loop hit an error: ${c.reason}`).catch(() => 'error' as const);
      else {
        // Not something a rerun fixes (bad request, a task folder outside the workspace): a person decides.
        const s = await this.askHuman(task, token, `The loop could not carry out the task: ${c.reason}`).catch(() => ({ end: 'error' as const }));
        ending = 'end' in s ? s.end : 'error';
      }
    } finally {
      clearInterval(beat);
      lease.stop();
      if (this.run_) this.o.ledger?.end(this.run_);
      this.run_ = undefined;
      this.stopSignal.removeEventListener('abort', onStop);
      this.taskId = undefined;
      if ((this.state as LoopState) !== 'error') this.state = this.stopSignal.aborted ? 'stopping' : 'idle';
    }
    this.cycles++;
    await this.call({ type: 'loop.checkpoint.clear', agentId: this.id, taskId: task.id }).catch(() => undefined);
    await this.telemetry('cycle', ending, task.id, { detail: detail.slice(0, 500), runs: data?.runs ?? 0 }, this.now() - (data?.claimedAt ?? started));
    this.log(`task ${task.id} ended: ${ending}${detail ? ` (${detail.slice(0, 200)})` : ''}`);
  }

  private async snapshot(): Promise<WorkspaceSnapshot | null> {
    try {
      return await this.o.workspace.snapshot(this.o.workspaceRoot);
    } catch (err) {
      this.log(`could not list changed files: ${(err as Error).message}`);
      return null;
    }
  }

  private async lastEntry(taskId: string): Promise<TaskHistoryEntry | undefined> {
    try {
      const shown = await this.call({ type: 'task.show', taskId });
      return shown.history[shown.history.length - 1];
    } catch {
      return undefined;
    }
  }

  private async advance(task: Task, token: number, from: CheckpointStep, data: CpData, ctrl: AbortController, agentMoved: () => boolean): Promise<Step> {
    let step = from;
    for (;;) {
      if (ctrl.signal.aborted) return ctrl.signal.reason === 'lost' ? { end: 'lost' } : { end: await this.giveBack(task, token, 'the swarm was stopped') };
      if (step === 'claimed' || step === 'executing') {
        if (step === 'executing') {
          // The host died while the agent ran: that run did not finish, so it runs again.
          if (data.pid !== undefined) this.o.driver.cleanup?.(data.pid);
          this.log(`the run of task ${task.id} was interrupted; running it again`);
        }
        if ((data.runs ?? 0) >= (this.o.maxRunsPerLease ?? 6)) return this.askHuman(task, token, `${this.name} ran task ${task.id} ${data.runs} times without finishing it.`);
        const r = await this.execute(task, token, data, ctrl);
        if (r.stop === 'lost') return agentMoved() ? this.afterAgentMoved(task, data) : { end: 'lost' };
        if (r.stop === STOP) return { end: await this.giveBack(task, token, 'the swarm was stopped') };
        if (r.incident) {
          const s = await this.escalate(task, token, r.incident.kind, r.incident.rung, r.incident.reason, []);
          if ('next' in s) {
            data.feedback = [...data.feedback, s.feedback].slice(-5);
            step = 'claimed';
            continue;
          }
          return s;
        }
        data.outcome = { ...r.outcome, tail: tailOf(r.outcome.tail) };
        delete data.pid;
        await this.save(task, token, 'executed', data);
        step = 'executed';
        continue;
      }
      const current = await this.call({ type: 'task.show', taskId: task.id });
      if (!(ACTIVE_STATUSES.includes(current.task.status) && current.task.lease?.token === token)) {
        return agentMoved() || (await this.lastEntry(task.id))?.actor === this.id ? this.afterAgentMoved(current.task, data) : { end: 'lost' };
      }
      task = current.task;
      const outcome = data.outcome!;
      if (step === 'executed') {
        const success = ((outcome.status === 'exited' && outcome.exitCode === 0 && !outcome.signal) || outcome.status === 'reported') && !outcome.streamError;
        if (!success) {
          // Exit 0 with a broken output stream: the run's end is unknown, so it is a failed attempt.
          const cls: Classified = outcome.streamError
            ? { class: 'task', strategy: 'fail-retry', reason: `${this.name}'s run did not finish cleanly: ${outcome.streamError}` }
            : classifyOutcome(outcome as DriverOutcome, this.name, 'command' in this.cfg ? this.cfg.command : undefined);
          const s = await this.onFailure(task, token, cls, data);
          if ('next' in s) {
            step = 'claimed';
            continue;
          }
          return s;
        }
        data.checks = [];
        for (const check of this.cfg.checks) data.checks.push(await this.o.checks.run(check, this.cwdOf(task), ctrl.signal));
        if (ctrl.signal.aborted) continue;
        await this.save(task, token, 'checked', data);
        step = 'checked';
        continue;
      }
      // step === 'checked': judge the evidence, then transition.
      const changed = this.ownChanges(changedSince(data.baseline, await this.snapshot()), task);
      const verdict = judge({ agentName: this.name, outcome, checks: data.checks ?? [], changed, scope: taskScope(task) });
      if (verdict.kind === 'done') {
        await this.call({ type: 'task.done', taskId: task.id, token, summary: verdict.summary, evidence: verdict.evidence });
        await this.o.hooks?.afterStep?.('transitioned', task.id);
        return { end: 'done' };
      }
      if (verdict.kind === 'checks-failed') return this.failAndRetry(task, token, verdict.reason, verdict.evidence);
      const s = await this.escalate(task, token, verdict.incident, undefined, verdict.reason, verdict.evidence);
      if ('next' in s) {
        data.feedback = [...data.feedback, s.feedback].slice(-5);
        step = 'claimed';
        continue;
      }
      return s;
    }
  }

  /** The changed files that are this run's (mine and stray), leaving out what overlapping runs did. */
  private ownChanges(changed: string[] | null, task: Task): string[] | null {
    if (!changed || !this.run_ || !this.o.ledger) return changed;
    const a = attribute(changed, taskScope(task), this.o.ledger.overlapping(this.run_));
    if (a.others.length) this.log(`not counting ${a.others.length} file(s) other agents changed meanwhile: ${a.others.slice(0, 5).join(', ')}`);
    return [...a.mine, ...a.stray];
  }

  private cwdOf(task: Task): string {
    const dirTag = task.tags.find((t) => t.startsWith('dir:'))?.slice(4);
    const rel = dirTag ?? ('cwd' in this.cfg ? this.cfg.cwd : '.');
    const abs = path.resolve(this.o.workspaceRoot, rel);
    const inside = path.relative(this.o.workspaceRoot, abs);
    if (inside.startsWith('..') || path.isAbsolute(inside)) {
      throw new DreamError('invalid_input', `Task ${task.id} asks to run in ${rel}, which is outside the workspace ${this.o.workspaceRoot}. Fix its dir: tag or the agent's cwd.`);
    }
    return abs;
  }

  private async promptFor(task: Task, run: number, feedback: string[]): Promise<string> {
    const deps = await Promise.all(
      task.dependsOn.map((id) =>
        this.call({ type: 'task.show', taskId: id }).then(
          (s) => ({ id, title: s.task.title, summary: s.task.resultSummary }),
          () => ({ id, title: '(not found)', summary: null }),
        ),
      ),
    );
    const messages = await this.call({ type: 'mail.inbox', recipient: this.id, limit: 10 }).catch(() => [] as Message[]);
    return buildPrompt(
      {
        task,
        agent: { id: this.id, name: this.name },
        attempt: task.attempts,
        cwd: this.cwdOf(task),
        scope: taskScope(task),
        dependencies: deps,
        messages: messages.reverse(),
        rules: await this.o.rules().catch(() => ''),
        feedback: run > 1 || feedback.length ? feedback : [],
      },
      this.o.template,
      this.cfg.maxPromptChars,
    );
  }

  /** One run of the driver, watched for stalls and drift while it goes. */
  private async execute(task: Task, token: number, data: CpData, outer: AbortController): Promise<ExecResult> {
    task = (await this.call({ type: 'task.show', taskId: task.id })).task;
    if (task.status === 'claimed') task = await this.call({ type: 'task.start', taskId: task.id, token });
    data.runs = (data.runs ?? 0) + 1;
    const preset = this.cfg.driver === 'command' ? this.cfg.preset : undefined;
    const resume = preset ? data.session : undefined;
    const prompt = resume ? await this.resumePromptFor(task, data.feedback) : await this.promptFor(task, data.runs, data.feedback);
    await this.save(task, token, 'executing', data);
    const ctrl = new AbortController();
    const forward = () => ctrl.abort(outer.signal.reason);
    outer.signal.addEventListener('abort', forward, { once: true });
    // Stopped while this run was being set up: the abort came before the listener, so pass it on now.
    if (outer.signal.aborted) forward();
    const watch = new OutputWatch(this.now, this.o.repeatLimit ?? 20);
    // Preset agents: the same tool call on the same target again and again is a loop; a tool call in flight is work, not silence.
    const toolWatch = new OutputWatch(this.now, this.o.repeatLimit ?? 20);
    const openTools = new Set<string>();
    let sawSession = false;
    let incident: ExecResult['incident'];
    let checking = false;
    const noOutputMs = this.cfg.timeouts.noOutputMs;
    const timer = setInterval(async () => {
      if (checking || incident || ctrl.signal.aborted) return;
      const kind: IncidentKind | undefined = watch.repeating || toolWatch.repeating ? 'repeated-output' : watch.silentFor() > noOutputMs && !openTools.size ? 'no-output' : undefined;
      if (!kind) return;
      checking = true;
      try {
        const rung = rungFor(await this.incidentsFor(task.id));
        const reason =
          kind === 'repeated-output' && toolWatch.repeating
            ? `${this.name} made the same tool call ${toolWatch.maxRepeats} times in a row: ${toolWatch.repeatedLine.slice(0, 120)}`
            : kind === 'repeated-output'
            ? `${this.name} printed the same line ${watch.maxRepeats} times in a row: "${watch.repeatedLine.slice(0, 120)}"`
            : `${this.name} printed nothing for ${Math.round(watch.silentFor() / 1000)} s`;
        await this.recordIncident(task.id, kind, rung, reason);
        if (rung === 'nudge') {
          await this.nudge(task, reason);
          watch.reset();
          toolWatch.reset();
        } else {
          incident = { kind, rung, reason };
          ctrl.abort('incident');
        }
      } finally {
        checking = false;
      }
    }, Math.min(1_000, Math.max(100, Math.floor(noOutputMs / 4))));
    timer.unref?.();
    let outcome: DriverOutcome;
    const t0 = this.now();
    // The agent process reports with a credential of its own, scoped to this agent and this task.
    const credential = await this.call({
      type: 'credential.issue',
      agent: this.id,
      taskId: task.id,
      label: `run ${data.runs} of ${task.id} by ${this.name}`,
      ttlMs: Math.min(this.cfg.timeouts.taskMs + 600_000, 30 * 24 * 3_600_000),
    });
    // The run's transcript, tokens and cost go to the board as it runs (preset agents report them).
    const recorder = preset
      ? new RunRecorder((c) => this.call(c), { taskId: task.id, agentId: this.id, run: data.runs, protocol: preset.kind, resumed: resume }, (l) => this.log(l))
      : undefined;
    if (resume) this.log(`task ${task.id}: resuming ${preset!.kind} session ${resume}`);
    try {
      outcome = await this.o.driver.execute(
        {
          taskId: task.id,
          agentId: this.id,
          agentName: this.name,
          leaseToken: token,
          prompt,
          cwd: this.cwdOf(task),
          workspaceRoot: this.o.workspaceRoot,
          boardDir: this.o.boardDir,
          run: data.runs,
          timeoutMs: this.cfg.timeouts.taskMs,
          task,
          agent: this.cfg,
          credential: credential.token,
          ...(resume ? { resume } : {}),
        },
        ctrl.signal,
        {
          output: (text) => {
            watch.feed(text);
            this.o.output?.(text);
          },
          note: (line) => this.log(line),
          started: (pid) => {
            data.pid = pid;
            void this.save(task, token, 'executing', data).catch(() => undefined);
          },
          waitForReport: (signal) => this.waitForReport(task.id, token, signal),
          event: (e) => {
            watch.touch();
            if (e.t === 'tool') {
              toolWatch.feed(`${e.name} ${e.target ?? ''}\n`);
              if (e.id) openTools.add(e.id);
            } else if (e.t === 'tool_done' && e.id) openTools.delete(e.id);
            else if (e.t === 'session') sawSession = true;
            if (e.t === 'session' && e.id !== data.session) {
              data.session = e.id;
              void this.save(task, token, 'executing', data).catch(() => undefined);
            }
            recorder?.add(e);
          },
        },
      );
    } catch (err) {
      // A driver that throws is a broken tool, not a broken task.
      outcome = { status: 'spawn-error', message: (err as Error).message, errno: codeOf(err) ?? 'EDRIVER', tail: '', durationMs: this.now() - t0 };
    } finally {
      clearInterval(timer);
      outer.signal.removeEventListener('abort', forward);

      // If this fails (hub gone), the credential still expires with its ttl.
      await this.call({ type: 'credential.revoke', credentialId: credential.id }).catch((err) => this.log(`could not revoke the run's credential: ${(err as Error).message}`));
    }
    const succeeded = outcome.status === 'exited' && outcome.exitCode === 0 && !outcome.signal && !outcome.streamError;
    await recorder?.close(ctrl.signal.aborted ? 'stopped' : succeeded ? 'succeeded' : 'failed', outcome.streamError ?? (outcome.status !== 'exited' ? outcome.message : undefined));
    if (resume && !succeeded && !sawSession) {
      // The session could not be resumed (gone, or the CLI failed before it started): the next run starts afresh.
      this.log(`task ${task.id}: session ${resume} did not resume; the next run starts a new one`);
      delete data.session;
    }
    if (incident) return { outcome, incident };
    if (outer.signal.aborted) return { outcome, stop: outer.signal.reason === 'lost' ? 'lost' : STOP };
    if (outcome.status === 'timeout') {
      const cls = classifyOutcome(outcome, this.name);
      if (cls.strategy === 'ladder') {
        const rung = rungFor(await this.incidentsFor(task.id));
        await this.recordIncident(task.id, 'timeout', rung, cls.reason);
        return { outcome, incident: { kind: 'timeout', rung, reason: cls.reason } };
      }
    }
    return { outcome };
  }

  /** The session an earlier run of this agent on this task left (preset agents), and why that run did not finish it. */
  private async previousSession(task: Task): Promise<{ id: string; feedback: string } | undefined> {
    if (this.cfg.driver !== 'command' || !this.cfg.preset) return undefined;
    const runs = await this.call({ type: 'run.list', taskId: task.id, agentId: this.id, limit: 10 }).catch(() => [] as RunRecord[]);
    // The newest run only: one whose resume failed left no session, and the next run starts afresh.
    const last = runs[0];
    if (!last?.sessionId) return undefined;
    const shown = await this.call({ type: 'task.show', taskId: task.id }).catch(() => undefined);
    const why = [...(shown?.history ?? [])].reverse().find((h) => h.reason && h.to !== 'claimed' && h.to !== 'running')?.reason;
    return { id: last.sessionId, feedback: why ?? last.error ?? '' };
  }

  private async resumePromptFor(task: Task, feedback: string[]): Promise<string> {
    const messages = await this.call({ type: 'mail.inbox', recipient: this.id, limit: 10 }).catch(() => [] as Message[]);
    return buildResumePrompt({ task, agentName: this.name, attempt: task.attempts, feedback, messages: messages.reverse() }, this.cfg.maxPromptChars);
  }

  /** For hand-over drivers: resolves once the task left claimed/running (the agent reported). */
  private async waitForReport(taskId: string, token: number, signal: AbortSignal): Promise<Task['status']> {
    for (;;) {
      if (signal.aborted) throw new DreamError('conflict', 'stopped waiting for the report');
      const t = await this.call({ type: 'task.show', taskId }).catch(() => undefined);
      if (t && !(ACTIVE_STATUSES.includes(t.task.status) && t.task.lease?.token === token)) return t.task.status;
      await (this.o.waker?.wait(1_000, signal) ?? sleep(1_000, signal));
    }
  }

  private async incidentsFor(taskId: string): Promise<number> {
    const rows = await this.call({ type: 'loop.telemetry.list', taskId, kind: 'incident', limit: 1_000 }).catch(() => [] as TelemetryRow[]);
    return rows.length;
  }

  private async recordIncident(taskId: string, kind: IncidentKind, rung: Rung, reason: string): Promise<void> {
    this.lastIncident = `${kind}: ${reason}`;
    this.log(`incident on ${taskId}: ${kind} → ${rung}: ${reason}`);
    await this.telemetry('incident', kind, taskId, { rung, reason: reason.slice(0, 1_000) });
  }

  private async nudge(task: Task, reason: string): Promise<void> {
    await this.call({
      type: 'mail.send',
      from: 'loop',
      to: { kind: 'agent', id: this.id },
      subject: `Nudge on task ${task.id}: ${reason.slice(0, 150)}`,
      body: `${reason}\n\nIf you are stuck, say so: \`dreamos mail send --to human --subject "..."\`. If you are done, report it with evidence: \`dreamos task done ${task.id} --summary "..." --evidence kind:summary\`.`,
      priority: 'high',
    }).catch((err) => this.log(`nudge not sent: ${(err as Error).message}`));
  }

  /** Walks the ladder for a stall or drift incident; the rung comes from the task's incident count. */
  private async escalate(task: Task, token: number, kind: IncidentKind, rung: Rung | undefined, reason: string, evidence: Task['evidence']): Promise<Step> {
    if (!rung) {
      rung = rungFor(await this.incidentsFor(task.id));
      await this.recordIncident(task.id, kind, rung, reason);
    }
    switch (rung) {
      case 'nudge':
        await this.nudge(task, reason);
        return { next: 'rerun', feedback: `Your last attempt was stopped or refused: ${reason}` };
      case 'restart':
        return { next: 'rerun', feedback: `Restarted after: ${reason}` };
      case 'reassign':
        return this.reassign(task, token, reason, evidence);
      case 'ask-human':
        return this.askHuman(task, token, reason, evidence);
    }
  }

  private async onFailure(task: Task, token: number, c: Classified, data: CpData): Promise<Step> {
    this.lastError = c.reason;
    this.log(`task ${task.id}: ${c.class} failure → ${c.strategy}: ${c.reason}`);
    const tail = data.outcome?.tail ? [{ kind: 'log' as const, summary: `last output: ${data.outcome.tail.trim().split('\n').slice(-1)[0]?.slice(0, 1_800) || '(none)'}`, data: { tail: data.outcome.tail.slice(-1_500) } }] : [];
    const exit = data.outcome?.status === 'exited' ? [{ kind: 'exit_code' as const, summary: `exit status ${data.outcome.exitCode ?? data.outcome.signal}`, data: { exitCode: data.outcome.exitCode, signal: data.outcome.signal } }] : [];
    switch (c.strategy) {
      case 'backoff': {
        if (data.retries >= this.cfg.maxBackoffRetries) return this.reassign(task, token, `${c.reason} (still failing after ${data.retries} retries)`, [...exit, ...tail]);
        data.retries++;
        const wait = backoffMs(data.retries - 1, this.o.backoffBaseMs);
        await this.telemetry('retry', 'backoff', task.id, { reason: c.reason, waitMs: wait, class: c.class });
        await sleep(wait, this.stopSignal);
        return { next: 'rerun', feedback: '' };
      }
      case 'reassign':
        if (c.class === 'tool') {
          // The agent cannot work at all until someone fixes its tool: say so where people look.
          this.state = 'error';
          await this.call({ type: 'agent.lifecycle', agent: this.id, action: 'error', reason: c.reason.slice(0, 1_900) }).catch(() => undefined);
        }
        return this.reassign(task, token, c.reason, [...exit, ...tail]);
      case 'ladder': {
        const s = await this.escalate(task, token, 'crashed', undefined, c.reason, [...exit, ...tail]);
        if ('next' in s) data.feedback = [...data.feedback, s.feedback].slice(-5);
        return s;
      }
      case 'fail-retry':
        return this.failAndRetry(task, token, c.reason, [...exit, ...tail]);
      case 'ask-human':
        return this.askHuman(task, token, c.reason, [...exit, ...tail]);
      case 'drop':
        return { end: 'lost', detail: c.reason };
    }
  }

  /** The work failed: record it, and put it back on the board while attempts remain. */
  private async failAndRetry(task: Task, token: number, reason: string, evidence: Task['evidence']): Promise<Step> {
    const failed = await this.call({ type: 'task.fail', taskId: task.id, token, reason: reason.slice(0, 1_990), evidence: evidence.slice(0, 100) });
    await this.o.hooks?.afterStep?.('transitioned', task.id);
    if (failed.attempts < failed.maxAttempts) {
      const wait = backoffMs(failed.attempts - 1, this.o.backoffBaseMs);
      await sleep(wait, this.stopSignal);
      await this.call({ type: 'task.retry', taskId: task.id, reason: `retry ${failed.attempts + 1} of ${failed.maxAttempts} after: ${reason}`.slice(0, 1_990) });
      await this.telemetry('retry', 'requeued', task.id, { reason: reason.slice(0, 500), waitMs: wait, attempt: failed.attempts });
      return { end: 'failed', detail: `${reason} (requeued for attempt ${failed.attempts + 1} of ${failed.maxAttempts})` };
    }
    await this.mailHuman(task, `Task "${task.title}" failed ${failed.attempts} times`, `${reason}\n\nIt used all ${failed.maxAttempts} attempts. Look at the evidence on the task, then retry it (Dream.OS: Retry Task) or change it.`);
    return { end: 'failed', detail: reason };
  }

  private async reassign(task: Task, token: number, reason: string, evidence: Task['evidence']): Promise<Step> {
    const other = this.o.candidates?.(task, this.id)[0];
    if (!other) return this.askHuman(task, token, `${reason} No other agent can take it.`, evidence);
    await this.call({ type: 'task.assign', taskId: task.id, agentId: other });
    await this.o.hooks?.afterStep?.('transitioned', task.id);
    return { end: 'reassigned', detail: `to ${other}: ${reason}` };
  }

  private async askHuman(task: Task, token: number, reason: string, evidence: Task['evidence'] = []): Promise<Step> {
    await this.mailHuman(task, `Task "${task.title}" needs you`, `${reason}\n\n${evidence.length ? `Evidence:\n${evidence.map((e) => `- ${e.kind}: ${e.summary}`).join('\n')}\n\n` : ''}The task is blocked until you decide: unblock or retry it, reassign it, or cancel it.`);
    await this.call({ type: 'task.block', taskId: task.id, token, reason: `needs a person: ${reason}`.slice(0, 1_990) });
    await this.o.hooks?.afterStep?.('transitioned', task.id);
    return { end: 'blocked', detail: reason };
  }

  private async mailHuman(task: Task, subject: string, body: string): Promise<void> {
    await this.call({ type: 'mail.send', from: this.id, to: { kind: 'human' }, subject: subject.slice(0, 200), body: `Task ${task.id} (${this.name}):\n${body}`, priority: 'high', requiresAck: true });
  }

  /** Swarm stopped or the loop failed: hand the task back so another run can take it. */
  private async giveBack(task: Task, token: number, reason: string): Promise<Ending> {
    try {
      await this.call({ type: 'task.release', taskId: task.id, token, reason });
      return 'released';
    } catch (err) {
      if (codeOf(err) === 'stale_token' || codeOf(err) === 'invalid_transition') return 'lost';
      throw err;
    }
  }

  /** The agent moved the task itself (through the CLI). Check its claim the way the loop checks its own. */
  private async afterAgentMoved(task: Task, data: CpData): Promise<Step> {
    const shown = await this.call({ type: 'task.show', taskId: task.id });
    const t = shown.task;
    if (t.status === 'failed' || t.status === 'blocked') {
      if (t.status === 'failed' && t.attempts < t.maxAttempts) {
        await this.call({ type: 'task.retry', taskId: t.id, reason: `retry after ${this.name} reported failure` });
        await this.telemetry('retry', 'requeued', t.id, { reason: t.resultSummary ?? '' });
      }
      return { end: t.status === 'failed' ? 'failed' : 'blocked', detail: `${this.name} reported it ${t.status}` };
    }
    if (t.status !== 'done' && t.status !== 'review') return { end: 'lost' };
    const changed = this.ownChanges(changedSince(data.baseline, await this.snapshot()), t) ?? [];
    const scope = taskScope(t);
    const outside = outOfScope(changed, scope);
    const reported = t.evidence.slice(data.evidenceAtClaim);
    const hasWork = hasWorkEvidence(reported) || changed.some((f) => !f.startsWith('.dreamos/'));
    if (!outside.length && hasWork) return { end: 'done', detail: `${this.name} reported it ${t.status}` };
    const kind: IncidentKind = outside.length ? 'out-of-scope' : 'ack-without-evidence';
    const reason = outside.length ? `${this.name} marked the task ${t.status} but changed files outside its scope: ${outside.slice(0, 10).join(', ')}` : `${this.name} marked the task ${t.status} without evidence of work`;
    const rung = rungFor(await this.incidentsFor(t.id));
    await this.recordIncident(t.id, kind, rung, reason);
    await this.call({ type: 'task.reopen', taskId: t.id, reason: `reopened by the loop: ${reason}`.slice(0, 1_990) });
    if (rung === 'nudge' || rung === 'restart') {
      await this.nudge(t, reason);
      return { end: 'reopened', detail: reason };
    }
    if (rung === 'reassign') {
      const other = this.o.candidates?.(t, this.id)[0];
      if (other) {
        await this.call({ type: 'task.assign', taskId: t.id, agentId: other });
        return { end: 'reassigned', detail: reason };
      }
    }
    await this.mailHuman(t, `Task "${t.title}" needs you`, `${reason}\n\nThe task is blocked until you decide.`);
    await this.call({ type: 'task.block', taskId: t.id, reason: `needs a person: ${reason}`.slice(0, 1_990) });
    return { end: 'blocked', detail: reason };
  }
}
