/**
 * Every error the API answers is one shape, RFC 9457 problem details (application/problem+json),
 * carrying the CLI's error code (src/core/errors.ts) so a program can branch on it the same way a
 * script branches on `dreamos`'s exit code. STATUS_OF is the one mapping from codes to statuses.
 */
import { z } from 'zod';
import { DreamError, ERROR_CODES, type ErrorCode } from '../../core/errors';

export const PROBLEM_TYPE_BASE = 'https://dreamos.dev/problems/';

/** Codes the HTTP layer adds to the board's own: no usable token, too many requests, a body too big, a wrong Host or Origin. */
export const HTTP_CODES = ['unauthenticated', 'rate_limited', 'too_large', 'forbidden_origin'] as const;
export type ProblemCode = ErrorCode | (typeof HTTP_CODES)[number];

/** The HTTP status of each code. `unauthorized` is a live token the policy refused (403); no usable token is `unauthenticated` (401). */
export const STATUS_OF: Record<ProblemCode, number> = {
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  stale_token: 409,
  invalid_transition: 409,
  cycle: 409,
  vetoed: 409,
  unauthorized: 403,
  unavailable: 503,
  internal: 500,
  unauthenticated: 401,
  rate_limited: 429,
  too_large: 413,
  forbidden_origin: 403,
};

const TITLE_OF: Record<ProblemCode, string> = {
  invalid_input: 'The request did not match its schema',
  not_found: 'Not found',
  conflict: 'Conflict',
  stale_token: 'Stale lease token',
  invalid_transition: 'Transition not allowed',
  cycle: 'Dependency cycle',
  vetoed: 'Vetoed',
  unauthorized: 'Not allowed for this token',
  unavailable: 'The board is unavailable',
  internal: 'Internal error',
  unauthenticated: 'A token is needed',
  rate_limited: 'Too many requests',
  too_large: 'Request body too large',
  forbidden_origin: 'Host or Origin not allowed',
};

export const Problem = z
  .object({
    type: z.string().describe('A URI naming the kind of problem: https://dreamos.dev/problems/<code>'),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().describe('What happened and what to do next'),
    code: z.enum([...ERROR_CODES, ...HTTP_CODES]).describe('The CLI error code (exit codes: 2 invalid_input, 3 not_found, 4 refused, 5 unavailable, 6 unauthorized)'),
    field: z.string().optional().describe('The request field at fault, when one is'),
    instance: z.string().optional(),
    details: z.unknown().optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof Problem>;

/** The field a DreamError names: its details' `field`, or the path of the first zod issue. */
function fieldOf(details: unknown): string | undefined {
  if (details && typeof details === 'object' && !Array.isArray(details) && typeof (details as { field?: unknown }).field === 'string') return (details as { field: string }).field;
  if (Array.isArray(details)) {
    const p = (details[0] as { path?: unknown } | undefined)?.path;
    if (Array.isArray(p) && p.length) return p.map(String).join('.');
  }
  return undefined;
}

export function problemOf(err: unknown, instance?: string): Problem {
  const e = DreamError.from(err);
  const field = fieldOf(e.details);
  return {
    type: `${PROBLEM_TYPE_BASE}${e.code}`,
    title: TITLE_OF[e.code],
    status: STATUS_OF[e.code],
    // An internal error's message is for the log, not for whoever sent the request.
    detail: e.code === 'internal' ? 'Something went wrong inside Dream.OS. See the server log; please report it.' : e.message,
    code: e.code,
    ...(field ? { field } : {}),
    ...(instance ? { instance } : {}),
    ...(e.details !== undefined && e.code !== 'internal' ? { details: e.details } : {}),
  };
}

/** A problem the HTTP layer itself raises (no token, rate limit, wrong Host, body too large). */
export function httpProblem(code: ProblemCode, detail: string, instance?: string): Problem {
  return { type: `${PROBLEM_TYPE_BASE}${code}`, title: TITLE_OF[code], status: STATUS_OF[code], detail, code, ...(instance ? { instance } : {}) };
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Thrown by the HTTP layer to answer with this problem (and these headers, e.g. Retry-After). */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail);
  }
}

/** A hub refusal of a dead credential (revoked, expired, unknown) — not a policy refusal of a live one. */
export function isDeadCredential(err: unknown): boolean {
  if (!(err instanceof DreamError) || err.code !== 'unauthorized') return false;
  const d = err.details as { command?: unknown } | undefined;
  return !d || d.command === undefined;
}
