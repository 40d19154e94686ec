/**
 * The recovery ladder of one agent's loop: what the loop does when a run fails, stalls or drifts.
 *
 * An incident (no output, repeated output, a crash, a claim without evidence) climbs one rung per
 * incident already recorded on the task (./watch `rungFor`): nudge the agent, restart its run, hand
 * the task to another agent, then ask a person. Failures the classifier (./classify) names take their
 * own strategy: back off and rerun, fail and requeue, reassign, or ask a person. Every rung is written
 * to the board (mail, transitions, telemetry), so the person sees what the loop decided and why.
 */
import type { Task } from '../board/boardModel';
import type { CommandInput } from '../commands';
import type { ResultOf } from '../port';
import type { TelemetryKind, TelemetryRow } from './loopCommands';
import { backoffMs, type Classified } from './classify';
import type { SavedOutcome } from './runEvidence';
import { codeOf, sleep } from './lease';
import { rungFor, type IncidentKind, type Rung } from './watch';

/** How one claimed task ended. */
export type Ending = 'done' | 'failed' | 'retried' | 'released' | 'reassigned' | 'blocked' | 'reopened' | 'lost' | 'error';
/** What the loop does next with a task: run it again with this feedback, or stop with an ending. */
export type Step = { next: 'rerun'; feedback: string } | { end: Ending; detail?: string };

/** What of the task's recovery point the ladder reads and updates (the loop's checkpoint data). */
export interface FailureData {
  outcome?: SavedOutcome;
  retries: number;
  feedback: string[];
}

/** What the ladder needs from the loop it serves. */
export interface LadderContext {
  /** The agent's id and name. */
  id: string;
  name: string;
  /** A board command, sent as the agent. */
  call<C extends CommandInput>(command: C): Promise<ResultOf<C>>;
  log(line: string): void;
  telemetry(kind: TelemetryKind, outcome: string, taskId: string, detail?: Record<string, unknown>): Promise<void>;
  /** After the loop moved a task (tests crash a host here). */
  transitioned(taskId: string): void | Promise<void>;
  /** Agent ids that could take over a task this agent gives up. */
  candidates?: (task: Task, exclude: string) => string[];
  /** Fires when the loop stops: waits in the ladder end early. */
  stopSignal(): AbortSignal;
  maxBackoffRetries: number;
  backoffBaseMs?: number;
  /** What the loop shows about itself: its last incident and error, and that the agent's tool is broken. */
  noteIncident(text: string): void;
  noteError(reason: string): void;
  toolBroken(reason: string): Promise<void>;
}

export class RecoveryLadder {
  constructor(private readonly x: LadderContext) {}

  /** The rung the next incident on this task takes: one up per incident already recorded. */
  async nextRung(taskId: string): Promise<Rung> {
    const rows = await this.x.call({ type: 'loop.telemetry.list', taskId, kind: 'incident', limit: 1_000 }).catch(() => [] as TelemetryRow[]);
    return rungFor(rows.length);
  }

  async recordIncident(taskId: string, kind: IncidentKind, rung: Rung, reason: string): Promise<void> {
    this.x.noteIncident(`${kind}: ${reason}`);
    this.x.log(`incident on ${taskId}: ${kind} → ${rung}: ${reason}`);
    await this.x.telemetry('incident', kind, taskId, { rung, reason: reason.slice(0, 1_000) });
  }

  async nudge(task: Task, reason: string): Promise<void> {
    await this.x
      .call({
        type: 'mail.send',
        from: 'loop',
        to: { kind: 'agent', id: this.x.id },
        subject: `Nudge on task ${task.id}: ${reason.slice(0, 150)}`,
        body: `${reason}\n\nIf you are stuck, say so: \`dreamos mail send --to human --subject "..."\`. If you are done, report it with evidence: \`dreamos task done ${task.id} --summary "..." --evidence kind:summary\`.`,
        priority: 'high',
      })
      .catch((err) => this.x.log(`nudge not sent: ${(err as Error).message}`));
  }

  /** Walks the ladder for a stall or drift incident; the rung comes from the task's incident count. */
  async escalate(task: Task, token: number, kind: IncidentKind, rung: Rung | undefined, reason: string, evidence: Task['evidence']): Promise<Step> {
    if (!rung) {
      rung = await this.nextRung(task.id);
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

  /** A run that did not succeed, classified: the classifier's strategy decides the next step. */
  async onFailure(task: Task, token: number, c: Classified, data: FailureData): Promise<Step> {
    this.x.noteError(c.reason);
    this.x.log(`task ${task.id}: ${c.class} failure → ${c.strategy}: ${c.reason}`);
    const tail = data.outcome?.tail ? [{ kind: 'log' as const, summary: `last output: ${data.outcome.tail.trim().split('\n').slice(-1)[0]?.slice(0, 1_800) || '(none)'}`, data: { tail: data.outcome.tail.slice(-1_500) } }] : [];
    const exit = data.outcome?.status === 'exited' ? [{ kind: 'exit_code' as const, summary: `exit status ${data.outcome.exitCode ?? data.outcome.signal}`, data: { exitCode: data.outcome.exitCode, signal: data.outcome.signal } }] : [];
    switch (c.strategy) {
      case 'backoff': {
        if (data.retries >= this.x.maxBackoffRetries) return this.reassign(task, token, `${c.reason} (still failing after ${data.retries} retries)`, [...exit, ...tail]);
        data.retries++;
        const wait = backoffMs(data.retries - 1, this.x.backoffBaseMs);
        await this.x.telemetry('retry', 'backoff', task.id, { reason: c.reason, waitMs: wait, class: c.class });
        await sleep(wait, this.x.stopSignal());
        return { next: 'rerun', feedback: '' };
      }
      case 'reassign':
        // The agent cannot work at all until someone fixes its tool: say so where people look.
        if (c.class === 'tool') await this.x.toolBroken(c.reason);
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
  async failAndRetry(task: Task, token: number, reason: string, evidence: Task['evidence']): Promise<Step> {
    const failed = await this.x.call({ type: 'task.fail', taskId: task.id, token, reason: reason.slice(0, 1_990), evidence: evidence.slice(0, 100) });
    await this.x.transitioned(task.id);
    if (failed.attempts < failed.maxAttempts) {
      const wait = backoffMs(failed.attempts - 1, this.x.backoffBaseMs);
      await sleep(wait, this.x.stopSignal());
      await this.x.call({ type: 'task.retry', taskId: task.id, reason: `retry ${failed.attempts + 1} of ${failed.maxAttempts} after: ${reason}`.slice(0, 1_990) });
      await this.x.telemetry('retry', 'requeued', task.id, { reason: reason.slice(0, 500), waitMs: wait, attempt: failed.attempts });
      return { end: 'failed', detail: `${reason} (requeued for attempt ${failed.attempts + 1} of ${failed.maxAttempts})` };
    }
    await this.mailHuman(task, `Task "${task.title}" failed ${failed.attempts} times`, `${reason}\n\nIt used all ${failed.maxAttempts} attempts. Look at the evidence on the task, then retry it (Dream.OS: Retry Task) or change it.`);
    return { end: 'failed', detail: reason };
  }

  async reassign(task: Task, token: number, reason: string, evidence: Task['evidence']): Promise<Step> {
    const other = this.x.candidates?.(task, this.x.id)[0];
    if (!other) return this.askHuman(task, token, `${reason} No other agent can take it.`, evidence);
    await this.x.call({ type: 'task.assign', taskId: task.id, agentId: other });
    await this.x.transitioned(task.id);
    return { end: 'reassigned', detail: `to ${other}: ${reason}` };
  }

  async askHuman(task: Task, token: number, reason: string, evidence: Task['evidence'] = []): Promise<Step> {
    await this.mailHuman(task, `Task "${task.title}" needs you`, `${reason}\n\n${evidence.length ? `Evidence:\n${evidence.map((e) => `- ${e.kind}: ${e.summary}`).join('\n')}\n\n` : ''}The task is blocked until you decide: unblock or retry it, reassign it, or cancel it.`);
    await this.x.call({ type: 'task.block', taskId: task.id, token, reason: `needs a person: ${reason}`.slice(0, 1_990) });
    await this.x.transitioned(task.id);
    return { end: 'blocked', detail: reason };
  }

  /**
   * The agent marked a task done or review but its claim does not hold (files out of scope, no
   * evidence of work): the task is reopened and the incident climbs the ladder.
   */
  async reopen(t: Task, kind: IncidentKind, reason: string): Promise<Step> {
    const rung = await this.nextRung(t.id);
    await this.recordIncident(t.id, kind, rung, reason);
    await this.x.call({ type: 'task.reopen', taskId: t.id, reason: `reopened by the loop: ${reason}`.slice(0, 1_990) });
    if (rung === 'nudge' || rung === 'restart') {
      await this.nudge(t, reason);
      return { end: 'reopened', detail: reason };
    }
    if (rung === 'reassign') {
      const other = this.x.candidates?.(t, this.x.id)[0];
      if (other) {
        await this.x.call({ type: 'task.assign', taskId: t.id, agentId: other });
        return { end: 'reassigned', detail: reason };
      }
    }
    await this.mailHuman(t, `Task "${t.title}" needs you`, `${reason}\n\nThe task is blocked until you decide.`);
    await this.x.call({ type: 'task.block', taskId: t.id, reason: `needs a person: ${reason}`.slice(0, 1_990) });
    return { end: 'blocked', detail: reason };
  }

  private async mailHuman(task: Task, subject: string, body: string): Promise<void> {
    await this.x.call({ type: 'mail.send', from: this.x.id, to: { kind: 'human' }, subject: subject.slice(0, 200), body: `Task ${task.id} (${this.x.name}):\n${body}`, priority: 'high', requiresAck: true, taskId: task.id });
  }

  /** Swarm stopped or the loop failed: hand the task back so another run can take it. */
  async giveBack(task: Task, token: number, reason: string): Promise<Ending> {
    try {
      await this.x.call({ type: 'task.release', taskId: task.id, token, reason });
      return 'released';
    } catch (err) {
      if (codeOf(err) === 'stale_token' || codeOf(err) === 'invalid_transition') return 'lost';
      throw err;
    }
  }
}
