/**
 * The loop of one agent: claim → prompt → execute → evidence → transition, again and again.
 *
 * Each step that finishes is written to the board as the agent's recovery point (fenced by the
 * lease token), so a loop host that dies and comes back resumes at the step it was on and never
 * redoes one that finished. Failures are classified (./classify) into a retry strategy; stalls and
 * drift (./watch) walk the recovery ladder (./ladder). Telemetry rows record every cycle, retry, recovery and
 * incident.
 */
import path from 'node:path';
import { hasWorkEvidence } from '../board/evidence';
import type { Message, Task, TaskHistoryEntry } from '../board/boardModel';
import { ACTIVE_STATUSES } from '../board/transitions';
import type { CommandInput } from '../commands';
import { DreamError } from '../errors';
import type { ResultOf } from '../port';
import type { Checkpoint, CheckpointStep, TelemetryKind } from './loopCommands';
import { backoffMs, classifyError, classifyOutcome, type Classified } from './classify';
import type { AgentConfig } from './agentsConfig';
import { changedSince, type AgentDriver, type CheckResult, type CheckRunner, type DriverOutcome, type WorkspaceProbe, type WorkspaceSnapshot } from './driver';
import { judge, type SavedOutcome } from './runEvidence';
import { RecoveryLadder, type Ending, type Step } from './ladder';
import { attribute, type RunEntry, type RunLedger } from './ledger';
import { codeOf, LeaseKeeper, sleep, Waker, type LoopBoard } from './lease';
import { buildPrompt, buildResumePrompt, type Template } from './agentPrompts';
import type { RunRecord } from '../runs/runModel';
import type { Proposal } from '../proposals/proposalModel'; // worktree runs end in a branch proposal
import { RunRecorder } from '../runs/recorder';
import type { Breach, Budget } from './budget';
import { BudgetMeter } from './budgetMeter';
import { outOfScope, taskScope } from './scope';
import { BudgetGuard, RunWatch, type Incident } from './runWatch';
import { tailOf, type IncidentKind } from './watch';
import type { WorktreeManager } from '../worktrees/manager';
import { TaskSeat } from '../worktrees/seat';

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
  /** A worktree per task (src/core/worktrees); without it every task runs in the workspace folder. */
  worktrees?: WorktreeManager;
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
  /** What this agent may spend (agents.json "budget", resolved by budgetFor): checked before and while it runs. */
  budget?: Budget;
}

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
  incident?: Incident;
  /** The run did not start, or was stopped, because a budget was reached. */
  budget?: { breach: Breach; runId?: number | undefined };
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
  private readonly ladder: RecoveryLadder;
  private readonly meter: BudgetMeter;
  /** Where the current task is done: its worktree, or the workspace folder. */
  private readonly seat: TaskSeat;

  constructor(private readonly o: AgentLoopOptions) {
    this.now = o.now ?? Date.now;
    this.cfg = o.agent.config;
    this.id = o.agent.id;
    this.name = o.agent.name;
    this.lastBeatAt = this.now();
    this.seat = new TaskSeat(o.worktrees, o.board, (l) => this.log(l)); // the task's worktree
    this.meter = new BudgetMeter((command) => this.call(command), o.budget, { id: this.id, name: this.name }, this.now);
    this.ladder = new RecoveryLadder({
      id: this.id,
      name: this.name,
      call: (command) => this.call(command),
      log: (line) => this.log(line),
      telemetry: (kind, outcome, taskId, detail) => this.telemetry(kind, outcome, taskId, detail),
      transitioned: async (taskId) => {
        await o.hooks?.afterStep?.('transitioned', taskId);
      },
      ...(o.candidates ? { candidates: o.candidates } : {}),
      stopSignal: () => this.stopSignal,
      maxBackoffRetries: this.cfg.maxBackoffRetries,
      ...(o.backoffBaseMs !== undefined ? { backoffBaseMs: o.backoffBaseMs } : {}),
      noteIncident: (text) => (this.lastIncident = text),
      noteError: (reason) => (this.lastError = reason),
      toolBroken: async (reason) => {
        this.state = 'error';
        await this.call({ type: 'agent.lifecycle', agent: this.id, action: 'error', reason: reason.slice(0, 1_900) }).catch(() => undefined);
      },
    });
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
        // The day's budget (this agent's, the swarm's) is spent: take no task until it is raised or the UTC day turns.
        const over = await this.meter.breach().catch(() => undefined);
        if (over) {
          release();
          if (this.heldBack !== `over budget: ${over.message}`) this.log(`holding back: over budget: ${over.message}`);
          this.setHeld(`over budget: ${over.message}`);
          await (this.o.waker?.wait(Math.max(this.o.idlePollMs ?? 2_000, 10_000), stop) ?? sleep(10_000, stop));
          continue;
        }
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
      // The task's worktree: made (or reused on a rerun, a resume, a revision) before the run; held back on overlap.
      const seated = await this.seat.take(task, { resumed: !!resumed, token });
      if (resumed) data = resumed.data as unknown as CpData;
      else {
        data = { baseline: await this.snapshot(), evidenceAtClaim: task.evidence.length, claimedAt: this.now(), runs: 0, retries: 0, feedback: [] };
        const prev = await this.previousSession(task);
        if (prev) Object.assign(data, { session: prev.id, feedback: prev.feedback ? [prev.feedback] : [] });
        await this.save(task, token, 'claimed', data);
      }
      const r: Step =
        seated.kind === 'held' // worktree overlap
          ? { end: await this.ladder.giveBack(task, token, seated.reason), detail: seated.reason }
          : seated.kind === 'needs-person'
            ? await this.ladder.askHuman(task, token, seated.reason)
            : await this.advance(task, token, resumed?.step ?? 'claimed', data, ctrl, () => agentMoved);
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
      } else if (c.strategy === 'backoff' || c.strategy === 'drop') ending = await this.ladder.giveBack(task, token, `the loop hit an error: ${c.reason}`).catch(() => 'error' as const);
      else {
        // Not something a rerun fixes (bad request, a task folder outside the workspace): a person decides.
        const s = await this.ladder.askHuman(task, token, `The loop could not carry out the task: ${c.reason}`).catch(() => ({ end: 'error' as const }));
        ending = 'end' in s ? s.end : 'error';
      }
    } finally {
      clearInterval(beat);
      lease.stop();
      if (this.run_) this.o.ledger?.end(this.run_);
      this.run_ = undefined;
      this.seat.leave(); // the worktree stays; the loop is done with it
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
      return await this.o.workspace.snapshot(this.seat.current?.worktree.path ?? this.o.workspaceRoot); // the task's worktree, if any
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
      if (ctrl.signal.aborted) return ctrl.signal.reason === 'lost' ? { end: 'lost' } : { end: await this.ladder.giveBack(task, token, 'the swarm was stopped') };
      if (step === 'claimed' || step === 'executing') {
        if (step === 'executing') {
          // The host died while the agent ran: that run did not finish, so it runs again.
          if (data.pid !== undefined) this.o.driver.cleanup?.(data.pid);
          this.log(`the run of task ${task.id} was interrupted; running it again`);
        }
        if ((data.runs ?? 0) >= (this.o.maxRunsPerLease ?? 6)) return this.ladder.askHuman(task, token, `${this.name} ran task ${task.id} ${data.runs} times without finishing it.`);
        const r = await this.execute(task, token, data, ctrl);
        if (r.stop === 'lost') return agentMoved() ? this.afterAgentMoved(task, data) : { end: 'lost' };
        if (r.budget) {
          await this.meter.report(task, token, r.budget.breach, r.budget.runId);
          return { end: 'blocked', detail: `over budget: ${r.budget.breach.message}` };
        }
        if (r.stop === STOP) return { end: await this.ladder.giveBack(task, token, 'the swarm was stopped') };
        if (r.incident) {
          const s = await this.ladder.escalate(task, token, r.incident.kind, r.incident.rung, r.incident.reason, []);
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
          const s = await this.ladder.onFailure(task, token, cls, data);
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
      // In a worktree, what the task changed since its base (committed by the agent or not) is its own.
      const changed = (await this.seat.changed()) ?? this.ownChanges(changedSince(data.baseline, await this.snapshot()), task);
      const verdict = judge({ agentName: this.name, outcome, checks: data.checks ?? [], changed, scope: taskScope(task) });
      if (verdict.kind === 'done') {
        // In a worktree: the work is committed on the task's branch and proposed; the task waits in review.
        const proposal = await this.seat.propose(task, { agentId: this.id, agentName: this.name, summary: verdict.summary, run: data.runs });
        if (proposal) await this.call({ type: 'task.review', taskId: task.id, token, summary: verdict.summary, evidence: [...verdict.evidence, proposalEvidence(proposal)].slice(0, 100) });
        else await this.call({ type: 'task.done', taskId: task.id, token, summary: verdict.summary, evidence: verdict.evidence });
        await this.o.hooks?.afterStep?.('transitioned', task.id);
        return { end: 'done' };
      }
      if (verdict.kind === 'checks-failed') return this.ladder.failAndRetry(task, token, verdict.reason, verdict.evidence);
      const s = await this.ladder.escalate(task, token, verdict.incident, undefined, verdict.reason, verdict.evidence);
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
    const root = this.seat.current?.worktree.path ?? this.o.workspaceRoot; // the task's worktree, if any
    const abs = path.resolve(root, rel);
    const inside = path.relative(root, abs);
    if (inside.startsWith('..') || path.isAbsolute(inside)) {
      throw new DreamError('invalid_input', `Task ${task.id} asks to run in ${rel}, which is outside the workspace ${this.o.workspaceRoot}. Fix its dir: tag or the agent's cwd.`);
    }
    return abs;
  }

  /** A preset agent whose CLI was handed the board's MCP server ("mcp": true). */
  private usesMcp(): boolean {
    return this.cfg.driver === 'command' && this.cfg.preset?.mcp === true;
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
        mcp: this.usesMcp(),
      },
      this.o.template,
      this.cfg.maxPromptChars,
    );
  }

  /** One run of the driver, watched for stalls and drift while it goes. */
  private async execute(task: Task, token: number, data: CpData, outer: AbortController): Promise<ExecResult> {
    task = (await this.call({ type: 'task.show', taskId: task.id })).task;
    if (task.status === 'claimed') task = await this.call({ type: 'task.start', taskId: task.id, token });
    const before = await this.meter.breach(task.id);
    if (before) return { outcome: { status: 'aborted', message: `over budget: ${before.message}`, tail: '', durationMs: 0 }, budget: { breach: before } };
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
    const watch = new RunWatch({ now: this.now, repeatLimit: this.o.repeatLimit ?? 20, noOutputMs: this.cfg.timeouts.noOutputMs, agentName: this.name, ladder: this.ladder, task, ctrl });
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
    // The run's transcript, tokens and cost go to the board as it runs (preset agents and the editor's model report them).
    const protocol = preset?.kind ?? (this.cfg.driver === 'language-model' ? 'vscode-lm' : undefined);
    const recorder = protocol
      ? new RunRecorder((c) => this.call(c), { taskId: task.id, agentId: this.id, run: data.runs, protocol, resumed: resume }, (l) => this.log(l))
      : undefined;
    // The run's figures, as the board records them, against the budget: crossing it stops the run.
    const budget = new BudgetGuard(this.meter, recorder, task.id, ctrl, (l) => this.log(l));
    if (resume) this.log(`task ${task.id}: resuming ${preset!.kind} session ${resume}`);
    watch.start();
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
          ...(this.seat.current ? { env: this.seat.current.env } : {}), // the worktree's branch and port block
        },
        ctrl.signal,
        {
          output: (text) => {
            watch.output(text);
            this.o.output?.(text);
          },
          note: (line) => this.log(line),
          started: (pid) => {
            data.pid = pid;
            void this.save(task, token, 'executing', data).catch(() => undefined);
          },
          waitForReport: (signal) => this.waitForReport(task.id, token, signal),
          event: (e) => {
            watch.event(e);
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
      watch.stop();
      outer.signal.removeEventListener('abort', forward);

      // If this fails (hub gone), the credential still expires with its ttl.
      await this.call({ type: 'credential.revoke', credentialId: credential.id }).catch((err) => this.log(`could not revoke the run's credential: ${(err as Error).message}`));
    }
    const succeeded = outcome.status === 'exited' && outcome.exitCode === 0 && !outcome.signal && !outcome.streamError;
    await recorder?.close(ctrl.signal.aborted ? 'stopped' : succeeded ? 'succeeded' : 'failed', outcome.streamError ?? (outcome.status !== 'exited' ? outcome.message : undefined));
    if (resume && !succeeded && !watch.sawSession) {
      // The session could not be resumed (gone, or the CLI failed before it started): the next run starts afresh.
      this.log(`task ${task.id}: session ${resume} did not resume; the next run starts a new one`);
      delete data.session;
    }
    if (budget.breach) return { outcome, budget: { breach: budget.breach, runId: await recorder?.id } };
    if (watch.incident) return { outcome, incident: watch.incident };
    if (outer.signal.aborted) return { outcome, stop: outer.signal.reason === 'lost' ? 'lost' : STOP };
    if (outcome.status === 'timeout') {
      const cls = classifyOutcome(outcome, this.name);
      if (cls.strategy === 'ladder') {
        const rung = await this.ladder.nextRung(task.id);
        await this.ladder.recordIncident(task.id, 'timeout', rung, cls.reason);
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
    return buildResumePrompt({ task, agentName: this.name, attempt: task.attempts, feedback, messages: messages.reverse(), mcp: this.usesMcp() }, this.cfg.maxPromptChars);
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
    const changed = (await this.seat.changed()) ?? this.ownChanges(changedSince(data.baseline, await this.snapshot()), t) ?? []; // worktree: since its base
    const scope = taskScope(t);
    const outside = outOfScope(changed, scope);
    const reported = t.evidence.slice(data.evidenceAtClaim);
    const hasWork = hasWorkEvidence(reported) || changed.some((f) => !f.startsWith('.dreamos/'));
    if (!outside.length && hasWork) {
      // The agent reported done in its worktree (the board put the task in review): commit and propose its work.
      const proposal = await this.seat.propose(t, { agentId: this.id, agentName: this.name, summary: t.resultSummary ?? t.title, run: data.runs });
      if (!proposal && t.status === 'review' && this.seat.current) await this.call({ type: 'task.done', taskId: t.id, summary: t.resultSummary ?? 'done', evidence: [] });
      return { end: 'done', detail: `${this.name} reported it ${t.status}${proposal ? `; proposal ${proposal.id} revision ${proposal.git?.revision ?? 1}` : ''}` };
    }
    const kind: IncidentKind = outside.length ? 'out-of-scope' : 'ack-without-evidence';
    const reason = outside.length ? `${this.name} marked the task ${t.status} but changed files outside its scope: ${outside.slice(0, 10).join(', ')}` : `${this.name} marked the task ${t.status} without evidence of work`;
    return this.ladder.reopen(t, kind, reason);
  }
}

/** The task's branch proposal as evidence on the task (worktree runs). */
function proposalEvidence(p: Proposal): Task['evidence'][number] {
  return { kind: 'diff', summary: `proposal ${p.id} revision ${p.git?.revision ?? 1}: ${p.files.length} file(s) on ${p.git?.branch ?? ''}`.slice(0, 2_000), data: { proposalId: p.id, branch: p.git?.branch, base: p.git?.baseCommit, head: p.git?.headCommit } };
}
