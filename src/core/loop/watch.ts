/**
 * Stall and drift detection, and the recovery ladder.
 *
 * Signals: no heartbeat from a loop, no output from a running agent for too long, the same output
 * repeated, "done" claimed without evidence, files changed outside the task's scope. Each is an
 * incident; the incidents recorded for a task pick the rung: nudge (tell the agent), restart (run
 * it again, fresh), reassign (another agent), ask the person (mail + block the task).
 */
import { z } from 'zod';
import { formatIssues } from '../errors';
import { Evidence } from '../board/boardModel';

export const LADDER = ['nudge', 'restart', 'reassign', 'ask-human'] as const;
export type Rung = (typeof LADDER)[number];

export type IncidentKind = 'no-heartbeat' | 'no-output' | 'repeated-output' | 'ack-without-evidence' | 'no-evidence' | 'out-of-scope' | 'bad-output' | 'timeout' | 'crashed';

export function rungFor(previousIncidents: number): Rung {
  return LADDER[Math.min(previousIncidents, LADDER.length - 1)]!;
}

/**
 * Watches a running agent's output: when it last said something, and whether it keeps saying the
 * same thing (a looping agent). Lines are compared trimmed; blank lines are ignored.
 */
export class OutputWatch {
  lastOutputAt: number;
  private partial = '';
  private lastLine = '';
  private repeats = 0;
  /** The longest run of one identical line since the last reset. */
  maxRepeats = 0;
  repeatedLine = '';

  constructor(
    private readonly now: () => number,
    private readonly repeatLimit = 20,
  ) {
    this.lastOutputAt = now();
  }

  feed(text: string): void {
    this.lastOutputAt = this.now();
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.trim();
      if (!line) continue;
      if (line === this.lastLine) this.repeats++;
      else {
        this.lastLine = line;
        this.repeats = 1;
      }
      if (this.repeats > this.maxRepeats) {
        this.maxRepeats = this.repeats;
        this.repeatedLine = line;
      }
    }
  }

  /** Activity that is not a line of output (a parsed run event). */
  touch(): void {
    this.lastOutputAt = this.now();
  }

  get repeating(): boolean {
    return this.maxRepeats >= this.repeatLimit;
  }

  silentFor(): number {
    return this.now() - this.lastOutputAt;
  }

  /** After a nudge the agent gets a fresh window. */
  reset(): void {
    this.lastOutputAt = this.now();
    this.repeats = 0;
    this.maxRepeats = 0;
    this.lastLine = '';
    this.repeatedLine = '';
  }
}

/** Words an agent uses to say it finished; with no evidence behind them they are drift. */
const ACK_RE = /\b(done|complete[d]?|finished|fixed|implemented|resolved|success(?:fully)?|all set|task accomplished)\b|✅/i;
export function soundsDone(text: string): boolean {
  return ACK_RE.test(text);
}

/**
 * The structured result a command agent may print as its last line:
 *   DREAMOS_RESULT {"summary": "...", "evidence": [{"kind": "test", "summary": "12 passed"}]}
 */
export const RESULT_PREFIX = 'DREAMOS_RESULT';
export const AgentResult = z
  .object({
    summary: z.string().trim().min(1, 'say what was done').max(20_000),
    evidence: z.array(Evidence).max(50).default([]),
  })
  .strict();
export type AgentResult = z.infer<typeof AgentResult>;

/** The last DREAMOS_RESULT line in the output: a result, an error saying what is wrong, or none. */
export function parseResult(tail: string): { result: AgentResult } | { error: string } | null {
  const lines = tail.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith(RESULT_PREFIX)) continue;
    const json = line.slice(RESULT_PREFIX.length).trim();
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (err) {
      return { error: `its ${RESULT_PREFIX} line is not JSON (${(err as Error).message}): ${json.slice(0, 120)}` };
    }
    const parsed = AgentResult.safeParse(raw);
    if (!parsed.success) return { error: `its ${RESULT_PREFIX} line is not a valid result: ${formatIssues(parsed.error.issues, 'result').join('; ')}` };
    return { result: parsed.data };
  }
  return null;
}

/** Strips terminal control sequences and unprintable bytes so evidence and mail stay readable. */
export function cleanText(text: string): string {
  // Control characters are exactly what this removes.
  /* eslint-disable no-control-regex */
  return text
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '')
    .replace(/\uFFFD+/g, '�');
  /* eslint-enable no-control-regex */
}

export function tailOf(text: string, max = 4_000): string {
  const t = cleanText(text);
  return t.length <= max ? t : `…${t.slice(t.length - max + 1)}`;
}
