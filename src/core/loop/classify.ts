/**
 * What went wrong, and what to do about it. Every failure of a run is put in one of five classes,
 * each with its retry strategy:
 *   transient  the world hiccuped (board briefly away, EAGAIN, exit 75)  -> back off, same agent
 *   tool       the agent's program is missing or broken (ENOENT, 126/127) -> another agent; the agent is marked error
 *   agent      the agent misbehaved (crashed, timed out, stalled, drifted, bad output) -> the recovery ladder
 *   task       the work itself failed (non-zero exit, a failing check)   -> fail it; retry while attempts remain
 *   permanent  nothing a retry can fix (lost lease, bad request)         -> stop; drop or ask the person
 */
import type { DriverOutcome } from './driver';

export type FailureClass = 'transient' | 'tool' | 'agent' | 'task' | 'permanent';
export type Strategy = 'backoff' | 'reassign' | 'ladder' | 'fail-retry' | 'drop' | 'ask-human';

export interface Classified {
  class: FailureClass;
  strategy: Strategy;
  /** One line for a person: what happened. */
  reason: string;
}

/** Exit status 75 is sysexits' EX_TEMPFAIL: "try again later". */
export const EXIT_TEMPFAIL = 75;
// A full disk (writing the prompt, the log) passes: back off and try again, don't retire the agent.
const TRANSIENT_ERRNO = new Set(['EAGAIN', 'EMFILE', 'ENFILE', 'ENOMEM', 'EBUSY', 'ETXTBSY', 'ENOSPC', 'EDQUOT']);
const TOOL_ERRNO = new Set(['ENOENT', 'EACCES', 'ENOEXEC', 'EPERM', 'ENOTDIR']);

const tailLine = (tail: string) => {
  const last = tail.trim().split('\n').slice(-1)[0] ?? '';
  return last ? ` Last output: "${last.slice(0, 200)}".` : '';
};

/** Classifies a driver outcome that is not a success (status other than exit 0 / reported). */
export function classifyOutcome(o: DriverOutcome, agentName: string, command?: string): Classified {
  switch (o.status) {
    case 'spawn-error':
      if (o.errno && TRANSIENT_ERRNO.has(o.errno)) return { class: 'transient', strategy: 'backoff', reason: `${agentName} could not start (${o.errno}): the system is short of ${o.errno === 'ENOSPC' || o.errno === 'EDQUOT' ? 'disk space' : 'resources'}.` };
      return {
        class: 'tool',
        strategy: 'reassign',
        reason:
          o.errno === 'ENOENT'
            ? `${agentName}'s program "${command ?? '?'}" was not found. Install it, or fix "command" of ${agentName} in agents.json.`
            : `${agentName}'s program "${command ?? '?'}" could not be started: ${o.message ?? o.errno ?? 'unknown error'}.`,
      };
    case 'unavailable':
      return { class: 'tool', strategy: 'reassign', reason: o.message ?? `${agentName} cannot run here.` };
    case 'timeout':
      return { class: 'agent', strategy: 'ladder', reason: `${agentName} ran out of time (${Math.round(o.durationMs / 1000)} s) and was stopped.${tailLine(o.tail)}` };
    case 'aborted':
      return { class: 'permanent', strategy: 'drop', reason: `${agentName}'s run was stopped.` };
    case 'reported':
      return { class: 'task', strategy: 'drop', reason: `${agentName} reported the task ${o.reportedStatus ?? 'finished'}.` };
    case 'exited':
      if (o.signal) return { class: 'agent', strategy: 'reassign', reason: `${agentName}'s process was killed by ${o.signal} before it finished.${tailLine(o.tail)}` };
      if (o.exitCode === EXIT_TEMPFAIL) return { class: 'transient', strategy: 'backoff', reason: `${agentName} asked to try again later (exit ${EXIT_TEMPFAIL}).${tailLine(o.tail)}` };
      if (o.exitCode === 126 || o.exitCode === 127) {
        return { class: 'tool', strategy: 'reassign', reason: `${agentName}'s program or something it runs was not found or not executable (exit ${o.exitCode}).${tailLine(o.tail)}` };
      }
      return { class: 'task', strategy: 'fail-retry', reason: `${agentName} exited with status ${o.exitCode}.${tailLine(o.tail)}` };
  }
}

/** Classifies an error thrown by a board call or by the loop's own steps. */
export function classifyError(err: unknown): Classified {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'unavailable':
      return { class: 'transient', strategy: 'backoff', reason: `The board is not reachable right now: ${message}` };
    case 'stale_token':
      return { class: 'permanent', strategy: 'drop', reason: `The lease was lost: ${message}` };
    case 'not_found':
    case 'invalid_transition':
    case 'conflict':
      return { class: 'permanent', strategy: 'drop', reason: message };
    case 'invalid_input':
      return { class: 'agent', strategy: 'ladder', reason: message };
    default:
      if (code && TRANSIENT_ERRNO.has(code)) return { class: 'transient', strategy: 'backoff', reason: message };
      if (code && TOOL_ERRNO.has(code)) return { class: 'tool', strategy: 'reassign', reason: message };
      return { class: 'permanent', strategy: 'ask-human', reason: message };
  }
}

/** Exponential back-off with jitter: 0.5 s, 1 s, 2 s, ... capped. */
export function backoffMs(retry: number, baseMs = 500, maxMs = 30_000, random = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry));
  return Math.round(raw / 2 + (random() * raw) / 2);
}
