/**
 * Evidence: what a run leaves behind that a person can check. A task is done only when there is
 * evidence of work (board/evidence.ts says what counts): a passing check, files changed within the
 * task's scope, or a test result or change the agent reported (a DREAMOS_RESULT line, the language
 * model's report, `dreamos task done --evidence`). An exit status of 0, notes and words like "done"
 * are recorded, but are not enough.
 */
import { hasWorkEvidence } from '../board/evidence';
import type { Evidence } from '../board/boardModel';
import type { CheckResult, DriverOutcome } from './driver';
import { formatIssues } from '../errors';
import { outOfScope } from './scope';
import { AgentResult, cleanText, parseResult, soundsDone, type IncidentKind } from './watch';

/** What the loop keeps of an outcome in its recovery point (the tail is capped). */
export type SavedOutcome = Omit<DriverOutcome, 'result'> & { result?: unknown };

export type Verdict =
  | { kind: 'done'; summary: string; evidence: Evidence[] }
  | { kind: 'checks-failed'; reason: string; evidence: Evidence[] }
  | { kind: 'drift'; incident: IncidentKind; reason: string; evidence: Evidence[] };

const clip = (s: string, n = 1_900) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const lastLine = (tail: string) => cleanText(tail).trim().split('\n').filter((l) => l.trim() && !l.startsWith('DREAMOS_RESULT')).slice(-1)[0]?.trim() ?? '';

/** The most telling line of a failed check's output: a "not ok" line, an error, a failure count. */
export function tellingLine(tail: string): string {
  const lines = cleanText(tail).split('\n').map((l) => l.trim()).filter(Boolean);
  for (const re of [/^not ok\b/i, /\b(error|expected|assert)/i, /\bfail/i]) {
    const hit = lines.find((l) => re.test(l));
    if (hit) return hit.slice(0, 300);
  }
  return lines[lines.length - 1]?.slice(0, 300) ?? '';
}

export interface JudgeInput {
  agentName: string;
  outcome: SavedOutcome;
  checks: CheckResult[];
  /** Files the run changed (workspace-relative), or null outside version control. */
  changed: string[] | null;
  scope: string[];
}

/** A structured result from the output or from the driver itself. */
function agentResult(outcome: SavedOutcome): { result?: AgentResult; error?: string } {
  if (outcome.result !== undefined) {
    const r = AgentResult.safeParse(outcome.result);
    return r.success ? { result: r.data } : { error: `its report is not a valid result: ${formatIssues(r.error.issues, 'result').join('; ')}` };
  }
  const parsed = parseResult(outcome.tail);
  if (!parsed) return {};
  return 'error' in parsed ? { error: parsed.error } : { result: parsed.result };
}

export function judge(input: JudgeInput): Verdict {
  const { outcome, checks, changed, scope, agentName } = input;
  const evidence: Evidence[] = [];
  if (outcome.status === 'exited') evidence.push({ kind: 'exit_code', summary: `${agentName} exited with status ${outcome.exitCode} after ${secs(outcome.durationMs)}`, data: { exitCode: outcome.exitCode } });
  for (const c of checks) {
    evidence.push({ kind: 'check', summary: clip(`${c.name}: ${c.ok ? 'passed' : 'FAILED'} (exit ${c.exitCode ?? c.error ?? '?'}, ${secs(c.durationMs)})${c.ok ? '' : ` ${tellingLine(c.tail)}`}`), data: { exitCode: c.exitCode, tail: clip(c.tail, 1_500) } });
  }
  const inScope = changed ? changed.filter((f) => !f.startsWith('.dreamos/')) : [];
  if (inScope.length) evidence.push({ kind: 'diff', summary: clip(`${inScope.length} file(s) changed: ${inScope.slice(0, 20).join(', ')}${inScope.length > 20 ? ', …' : ''}`), data: { files: inScope.slice(0, 500) } });
  const { result, error } = agentResult(outcome);
  if (result) evidence.push(...result.evidence);
  const tail = cleanText(outcome.tail).trim();
  if (tail) evidence.push({ kind: 'log', summary: clip(`last output: ${lastLine(outcome.tail) || '(blank)'}`), data: { tail: clip(tail, 1_500) } });

  if (error) return { kind: 'drift', incident: 'bad-output', reason: `${agentName} finished, but ${error}`, evidence };
  const failed = checks.filter((c) => !c.ok);
  if (failed.length) return { kind: 'checks-failed', reason: `Check ${failed.map((c) => c.name).join(', ')} failed after ${agentName}'s run: ${tellingLine(failed[0]!.tail) || failed[0]!.error || `exit ${failed[0]!.exitCode}`}`, evidence };
  const outside = outOfScope(inScope, scope);
  if (outside.length) {
    return { kind: 'drift', incident: 'out-of-scope', reason: `${agentName} changed files outside the task's scope (${scope.join(', ')}): ${outside.slice(0, 10).join(', ')}`, evidence };
  }
  const hasWork = checks.some((c) => c.ok) || inScope.length > 0 || hasWorkEvidence(result?.evidence ?? []);
  if (!hasWork) {
    const ack = soundsDone(tail);
    return {
      kind: 'drift',
      incident: ack ? 'ack-without-evidence' : 'no-evidence',
      reason: ack
        ? `${agentName} said it was done ("${clip(lastLine(outcome.tail), 120)}") but left no evidence: no file changed, no check ran, nothing reported.`
        : `${agentName} exited 0 but left no evidence of work: no file changed, no check ran, nothing reported.`,
      evidence,
    };
  }
  const summary = result?.summary ?? (lastLine(outcome.tail) ? `${agentName}: ${lastLine(outcome.tail)}` : `${agentName} finished the task`);
  return { kind: 'done', summary: clip(summary, 19_000), evidence: evidence.slice(0, 100) };
}
