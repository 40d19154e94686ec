/**
 * The loop's side of a run on the board: opens the run, sends its events in batches (at most every
 * `flushMs`, or sooner when many are waiting), closes it. Board trouble is logged, never fails the
 * run: the transcript is a record of the work, not the work.
 */
import type { RunEvent, RunStatus, RunUsage } from './runModel';

type Call = (command: { type: 'run.start'; taskId: string; agentId: string; run: number; protocol: string; resumed?: string } | { type: 'run.append'; runId: number; events: RunEvent[] } | { type: 'run.end'; runId: number; status: Exclude<RunStatus, 'running'>; error?: string }) => Promise<unknown>;

export class RunRecorder {
  private runId: Promise<number | undefined>;
  private pending: RunEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** The run's tokens and cost so far, each time an append that carried usage was recorded (budgets meter it). */
  onUsage: ((usage: RunUsage) => void) | undefined;

  constructor(
    private readonly call: Call,
    start: { taskId: string; agentId: string; run: number; protocol: string; resumed?: string | undefined },
    private readonly log: (line: string) => void,
    private readonly flushMs = 1_000,
  ) {
    const { resumed, ...rest } = start;
    this.runId = call({ type: 'run.start', ...rest, ...(resumed ? { resumed } : {}) }).then(
      (r) => (r as { id: number }).id,
      (err: unknown) => {
        this.log(`the run was not recorded on the board: ${(err as Error).message}`);
        return undefined;
      },
    );
  }

  /** The run's id on the board (undefined if it could not be recorded). */
  get id(): Promise<number | undefined> {
    return this.runId;
  }

  add(e: RunEvent): void {
    this.pending.push(e);
    if (this.pending.length >= 200) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref?.();
    }
  }

  /** Sends what is waiting; appends stay in order. */
  flush(): Promise<unknown> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.pending.splice(0);
    if (events.length) {
      this.chain = this.chain.then(async () => {
        const id = await this.runId;
        if (id === undefined) return;
        for (let i = 0; i < events.length; i += 500) {
          const batch = events.slice(i, i + 500);
          const r = await this.call({ type: 'run.append', runId: id, events: batch }).catch((err: unknown) => this.log(`run events not recorded: ${(err as Error).message}`));
          const usage = (r as { usage?: RunUsage } | undefined)?.usage;
          if (usage && batch.some((e) => e.t === 'usage' || e.t === 'result')) this.onUsage?.(usage);
        }
      });
    }
    return this.chain;
  }

  async close(status: Exclude<RunStatus, 'running'>, error?: string): Promise<void> {
    await this.flush();
    const id = await this.runId;
    if (id === undefined) return;
    await this.call({ type: 'run.end', runId: id, status, ...(error ? { error: error.slice(0, 2_000) } : {}) }).catch((err: unknown) => this.log(`the run's end was not recorded: ${(err as Error).message}`));
  }
}
