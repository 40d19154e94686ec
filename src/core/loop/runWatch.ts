/**
 * What watches one run of an agent while it goes (the loop's `execute` starts and stops them):
 * - RunWatch: its output and its events, for stalls (silence with no tool call in flight) and
 *   drift (the same line, or the same tool call on the same target, again and again). Each
 *   incident walks the recovery ladder: a nudge first, then the run is stopped with the rung.
 * - BudgetGuard: the run's figures as the board records them, against the budget; crossing it
 *   stops the run.
 */
import type { Task } from '../board/boardModel';
import type { RunRecorder } from '../runs/recorder';
import type { Breach } from './budget';
import type { BudgetMeter } from './budgetMeter';
import type { RunEvent } from '../runs/runModel';
import type { RecoveryLadder } from './ladder';
import { OutputWatch, type IncidentKind, type Rung } from './watch';

export interface Incident {
  kind: IncidentKind;
  rung: Rung;
  reason: string;
}

export interface RunWatchOptions {
  now: () => number;
  repeatLimit: number;
  /** Silence this long, with no tool call in flight, is a stall. */
  noOutputMs: number;
  agentName: string;
  ladder: RecoveryLadder;
  task: Task;
  /** Aborted with 'incident' when the ladder says the run must stop. */
  ctrl: AbortController;
}

export class RunWatch {
  private readonly lines: OutputWatch;
  /** Preset agents: the same tool call on the same target again and again is a loop. */
  private readonly tools: OutputWatch;
  /** A tool call in flight is work, not silence. */
  private readonly openTools = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  /** Set once the run was stopped for a stall or drift. */
  incident: Incident | undefined;
  /** The agent named its session in this run. */
  sawSession = false;

  constructor(private readonly o: RunWatchOptions) {
    this.lines = new OutputWatch(o.now, o.repeatLimit);
    this.tools = new OutputWatch(o.now, o.repeatLimit);
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), Math.min(1_000, Math.max(100, Math.floor(this.o.noOutputMs / 4))));
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  output(text: string): void {
    this.lines.feed(text);
  }

  event(e: RunEvent): void {
    this.lines.touch();
    if (e.t === 'tool') {
      this.tools.feed(`${e.name} ${e.target ?? ''}\n`);
      if (e.id) this.openTools.add(e.id);
    } else if (e.t === 'tool_done' && e.id) this.openTools.delete(e.id);
    else if (e.t === 'session') this.sawSession = true;
  }

  private async check(): Promise<void> {
    const { ctrl, ladder, task, agentName } = this.o;
    if (this.checking || this.incident || ctrl.signal.aborted) return;
    const { lines, tools } = this;
    const kind: IncidentKind | undefined = lines.repeating || tools.repeating ? 'repeated-output' : lines.silentFor() > this.o.noOutputMs && !this.openTools.size ? 'no-output' : undefined;
    if (!kind) return;
    this.checking = true;
    try {
      const rung = await ladder.nextRung(task.id);
      const reason =
        kind === 'repeated-output' && tools.repeating
          ? `${agentName} made the same tool call ${tools.maxRepeats} times in a row: ${tools.repeatedLine.slice(0, 120)}`
          : kind === 'repeated-output'
            ? `${agentName} printed the same line ${lines.maxRepeats} times in a row: "${lines.repeatedLine.slice(0, 120)}"`
            : `${agentName} printed nothing for ${Math.round(lines.silentFor() / 1000)} s`;
      await ladder.recordIncident(task.id, kind, rung, reason);
      if (rung === 'nudge') {
        await ladder.nudge(task, reason);
        lines.reset();
        tools.reset();
      } else {
        this.incident = { kind, rung, reason };
        ctrl.abort('incident');
      }
    } finally {
      this.checking = false;
    }
  }
}

/** Checks the budget whenever the recorder has new usage (one check at a time); a breach aborts the run with 'budget'. */
export class BudgetGuard {
  breach: Breach | undefined;
  private checking = false;

  constructor(meter: BudgetMeter, recorder: RunRecorder | undefined, taskId: string, ctrl: AbortController, log: (line: string) => void) {
    if (!recorder || !meter.active) return;
    recorder.onUsage = () => {
      if (this.checking || this.breach || ctrl.signal.aborted) return;
      this.checking = true;
      void meter
        .breach(taskId)
        .then((b) => {
          if (!b || ctrl.signal.aborted) return;
          this.breach = b;
          log(`task ${taskId}: stopping the run, over budget: ${b.message}`);
          ctrl.abort('budget');
        })
        .catch((err: unknown) => log(`budget not checked: ${(err as Error).message}`))
        .finally(() => (this.checking = false));
    };
  }
}
