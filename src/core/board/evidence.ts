/**
 * What counts as evidence of work — the one definition every report path uses (the loop's
 * verdict, `task.done` from an agent through the CLI, the editor's tools, the API): a passing
 * check or test, or a change (a diff, a file). Notes, logs, links and exit codes are kept as
 * context, but an agent's own words never finish a task.
 */
import { DreamError } from '../errors';
import type { Evidence } from './boardModel';

export const WORK_EVIDENCE_KINDS: readonly Evidence['kind'][] = ['check', 'test', 'diff', 'file'];

const FAILED = /\b(fail(ed|ing|ure|s)?|error(s)?|not ok)\b/i;

function exitCodeOf(e: Evidence): number | undefined {
  const d = e.data as { exitCode?: unknown; ok?: unknown } | undefined;
  if (d && typeof d === 'object' && d.ok === false) return 1;
  return d && typeof d === 'object' && typeof d.exitCode === 'number' ? d.exitCode : undefined;
}

export function isWorkEvidence(e: Evidence): boolean {
  if (!WORK_EVIDENCE_KINDS.includes(e.kind)) return false;
  if (e.kind === 'check' || e.kind === 'test') {
    const code = exitCodeOf(e);
    return code === undefined ? !FAILED.test(e.summary.replace(/\b0 fail(ed|ures?|s)?\b/gi, '')) : code === 0;
  }
  return true;
}

export const hasWorkEvidence = (list: readonly Evidence[]): boolean => list.some(isWorkEvidence);

/** Refuses an agent's "done" that carries no evidence of work; a person may finish a task by hand. */
export function assertWorkEvidence(taskId: string, evidence: readonly Evidence[]): void {
  if (hasWorkEvidence(evidence)) return;
  throw new DreamError(
    'invalid_input',
    `Task ${taskId} cannot be marked done on your word alone: give evidence of work — a passing check or test (--evidence test:"42 passed"), ` +
      `or the change you made (--evidence diff:"src/http.ts: retry added"). A note is not enough; if you could not do it, report it as failed or blocked.`,
    { taskId, accepted: WORK_EVIDENCE_KINDS },
  );
}
