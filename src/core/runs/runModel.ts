/**
 * A run's events: what an agent CLI's machine-readable output says it did, in one typed shape
 * whatever the CLI (src/integrations/agents parses each protocol into these). They are the agent's
 * activity for stall and drift detection and, kept compactly on the board, the run's transcript.
 */
import { z } from 'zod';

const Short = (n: number) => z.string().max(n);

export const Tokens = z
  .object({
    input: z.number().int().min(0).max(1e12),
    output: z.number().int().min(0).max(1e12),
    /** Input tokens served from the provider's prompt cache (part of, or beside, input as the CLI reports). */
    cached: z.number().int().min(0).max(1e12).default(0),
  })
  .strict();
export type Tokens = z.infer<typeof Tokens>;

export const RunEvent = z.discriminatedUnion('t', [
  /** The CLI's session (Claude Code session_id, Codex thread_id): what a later run resumes. */
  z.object({ t: z.literal('session'), id: Short(200) }).strict(),
  z.object({ t: z.literal('message'), text: Short(4_000) }).strict(),
  /** A tool call: its name and what it acts on (a file, a command), when the CLI says. */
  z.object({ t: z.literal('tool'), name: Short(120), target: Short(1_000).optional(), id: Short(200).optional() }).strict(),
  /** A tool call ended; failed ones keep a line of why. */
  z.object({ t: z.literal('tool_done'), id: Short(200).optional(), ok: z.boolean(), detail: Short(1_000).optional() }).strict(),
  z.object({ t: z.literal('edit'), file: Short(1_000) }).strict(),
  z.object({ t: z.literal('warning'), message: Short(2_000) }).strict(),
  /** Something went wrong: the CLI said so, or its output could not be read (malformed, truncated). */
  z.object({ t: z.literal('error'), message: Short(2_000) }).strict(),
  /** Tokens of one turn, and its cost: the CLI's own figure, or an estimate from a price table. */
  z
    .object({
      t: z.literal('usage'),
      tokens: Tokens,
      costUsd: z.number().min(0).max(1e6).optional(),
      estimated: z.boolean().default(false),
      /** The session's total so far, not this turn's (Codex: a resumed thread's usage counts its earlier runs too). */
      cumulative: z.boolean().default(false),
    })
    .strict(),
  /** The run's end as the CLI reports it; `tokens`/`costUsd` here are the whole run's totals. */
  z
    .object({
      t: z.literal('result'),
      ok: z.boolean(),
      text: Short(4_000).default(''),
      turns: z.number().int().min(0).max(1e6).optional(),
      tokens: Tokens.optional(),
      costUsd: z.number().min(0).max(1e6).optional(),
      estimated: z.boolean().default(false),
    })
    .strict(),
]);
export type RunEvent = z.infer<typeof RunEvent>;
export type RunEventInput = z.input<typeof RunEvent>;

export const RunStatus = z.enum(['running', 'succeeded', 'failed', 'stopped']);
export type RunStatus = z.infer<typeof RunStatus>;

export interface RunUsage {
  runs: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
  /** Part of the cost is an estimate from a price table (the CLI gave no cost of its own). */
  costEstimated: boolean;
}

export interface RunRecord extends RunUsage {
  id: number;
  taskId: string;
  agentId: string;
  run: number;
  protocol: string;
  sessionId: string | null;
  /** The session this run resumed, if it did. */
  resumed: string | null;
  status: RunStatus;
  error: string | null;
  startedAt: number;
  endedAt: number | null;
  /** Events left out of the transcript to keep it within its bound. */
  dropped: number;
  events?: RunEvent[];
}

/** A transcript is kept within this many bytes of JSON; the first events and the newest stay. */
export const TRANSCRIPT_MAX_BYTES = 64 * 1024;
export const TRANSCRIPT_HEAD = 20;

/** One line per event, for a person (the agent's log, the outcome's tail, task details). */
export function describeEvent(e: RunEvent): string {
  switch (e.t) {
    case 'session':
      return `session ${e.id}`;
    case 'message':
      return e.text;
    case 'tool':
      return `→ ${e.name}${e.target ? ` ${e.target}` : ''}`;
    case 'tool_done':
      return e.ok ? '' : `✗ tool failed${e.detail ? `: ${e.detail}` : ''}`;
    case 'edit':
      return `edited ${e.file}`;
    case 'warning':
      return `warning: ${e.message}`;
    case 'error':
      return `error: ${e.message}`;
    case 'usage':
      return '';
    case 'result':
      return e.ok ? (e.text ? e.text : 'finished') : `failed: ${e.text || 'no reason given'}`;
  }
}

/** "3 runs, 1,200 in / 340 out tokens (200 cached), $0.0123 (estimate)". */
export function formatUsage(u: RunUsage): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const cost = u.costUsd > 0 || u.runs ? `, $${u.costUsd.toFixed(u.costUsd < 0.01 ? 6 : 4)}${u.costEstimated ? ' (estimate)' : ''}` : '';
  return `${u.runs} run${u.runs === 1 ? '' : 's'}, ${n(u.inputTokens)} in / ${n(u.outputTokens)} out tokens${u.cachedTokens ? ` (${n(u.cachedTokens)} cached)` : ''}${cost}`;
}

/** Human-readable output; `--json` prints the raw result instead. */
