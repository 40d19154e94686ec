/**
 * Every failure that crosses a boundary (hub connection, CLI, API, webview) is a DreamError with a
 * stable code, a message that says what happened and what to do next, and optional details.
 */
export const ERROR_CODES = [
  'invalid_input', // the request or file did not match its schema; details name the fields
  'not_found', // the task / agent / message does not exist
  'conflict', // the thing changed under you (already claimed, duplicate name, ...)
  'stale_token', // a fencing token that is no longer the current lease's
  'invalid_transition', // the transition table does not allow this move
  'cycle', // the dependency would create a cycle
  'vetoed', // a transition hook refused the move
  'unauthorized', // missing or wrong hub token
  'unavailable', // no hub reachable / the board is not initialised
  'internal', // a bug: please report it
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class DreamError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DreamError';
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static from(err: unknown): DreamError {
    if (err instanceof DreamError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new DreamError('internal', `Unexpected error: ${message}`);
  }
}

// ── Validation problems, in the person's words ────────────────────────────────────────────────
// Every zod failure that reaches a person (CLI, editor, API, Discord) is worded here: one line per
// problem, naming the field, listing the allowed values, never zod's raw "Invalid input".

/** A zod 4 issue, structurally (only its type is imported, so this file stays free of zod at run time). */
type Issue = import('zod').z.core.$ZodIssue;
type Segment = PropertyKey;

/** One problem: where (the path inside the value) and what, e.g. `priority` / `must be one of low, normal, high`. */
export interface Problem {
  path: readonly Segment[];
  message: string;
}

/** `tasks[2].priority`; empty for the top level. */
export function fieldPath(path: readonly Segment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i ? '.' : ''}${String(s)}`)).join('');
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const TYPE_NAMES: Record<string, string> = { int: 'a whole number', number: 'a number', string: 'text', boolean: 'true or false', array: 'a list (an array)', object: 'an object', bigint: 'a whole number', null: 'null' };
const typeName = (t: string) => TYPE_NAMES[t] ?? (t === 'nonoptional' ? 'a value' : `a ${t}`);
/** Allowed values, all of them unless there are very many. */
const listed = (values: readonly unknown[], max = 30) => (values.length > max ? `${values.slice(0, max).map(show).join(', ')}, … (${values.length} in all)` : values.map(show).join(', '));
/** zod's own wording; anything else is a message the schema's author wrote, kept as it is. */
const GENERATED = /^(Invalid|Too (small|big)|Unrecognized key)/;

function sizeOf(origin: unknown, n: number | bigint): string {
  if (origin === 'string') return `${n} character${n === 1 ? '' : 's'}`;
  if (origin === 'array' || origin === 'set') return `${n} item${n === 1 ? '' : 's'}`;
  return String(n);
}

/** What a value must be, as a phrase after "must be" (for the branches of a union). */
function expectation(i: Issue): string {
  switch (i.code) {
    case 'invalid_value':
      return i.values.length === 1 ? show(i.values[0]) : `one of ${listed(i.values)}`;
    case 'invalid_type':
      return typeName(i.expected);
    case 'too_small':
      return i.origin === 'number' || i.origin === 'int' || i.origin === 'bigint' ? `${i.inclusive ? 'at least' : 'more than'} ${i.minimum}` : `at least ${sizeOf(i.origin, i.minimum as number)} long`;
    case 'too_big':
      return i.origin === 'number' || i.origin === 'int' || i.origin === 'bigint' ? `${i.inclusive ? 'at most' : 'less than'} ${i.maximum}` : `at most ${sizeOf(i.origin, i.maximum as number)} long`;
    default:
      return describeOne(i).replace(/^must be /, '');
  }
}

/** The message of an issue that needs no look inside (not a union, not unknown keys). */
function describeOne(i: Issue): string {
  if (i.code !== 'custom' && !GENERATED.test(i.message)) return i.message;
  switch (i.code) {
    case 'invalid_value':
      return `must be ${expectation(i)}`;
    case 'invalid_type':
    {
      if (/ received undefined$/.test(i.message)) return `is required (${typeName(i.expected)})`;
      const got = /received (\w+)/.exec(i.message)?.[1];
      return `must be ${typeName(i.expected)}${got && !(i.expected === 'int' && got === 'number') ? `, not ${got === 'string' ? 'text' : got}` : ''}`;
    }
    case 'too_small':
      if ((i.origin === 'string' || i.origin === 'array') && Number(i.minimum) === 1) return 'must not be empty';
      return i.origin === 'string' || i.origin === 'array' || i.origin === 'set' ? `must have at least ${sizeOf(i.origin, i.minimum as number)}` : `must be ${expectation(i)}`;
    case 'too_big':
      return i.origin === 'string' || i.origin === 'array' || i.origin === 'set' ? `must have at most ${sizeOf(i.origin, i.maximum as number)}` : `must be ${expectation(i)}`;
    case 'invalid_format':
      if (i.format === 'regex') return `must match ${(i as { pattern?: string }).pattern ?? 'the expected pattern'}`;
      if (i.format === 'starts_with' || i.format === 'ends_with' || i.format === 'includes') return i.message;
      return `must be a valid ${i.format === 'url' ? 'URL' : i.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(i.divisor)}`;
    default:
      return i.message;
  }
}

/** Flattens one issue into the problems a person fixes, with their full paths. */
export function issueProblems(issue: Issue, prefix: readonly Segment[] = []): Problem[] {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({ path: [...path, k], message: 'is not a field here: remove it or check its spelling' }));
    case 'invalid_key':
      return issue.issues.flatMap((inner) => issueProblems(inner, path)).map((p) => ({ ...p, message: `this key ${p.message}` }));
    case 'invalid_element':
      return issue.issues.flatMap((inner) => issueProblems(inner, path));
    case 'invalid_union': {
      const u = issue as Issue & { options?: unknown[]; discriminator?: string };
      if (!issue.errors.length) {
        const options = u.options?.length ? `must be one of ${listed(u.options)}` : 'matches none of the allowed forms';
        return [{ path, message: issue.message.startsWith('Invalid') ? options : issue.message }];
      }
      // A branch whose type matched (its problems are deeper than the value itself) says what is wrong.
      const typed = issue.errors.filter((b) => b.length && !b.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
      if (typed.length) {
        const best = typed.reduce((a, b) => (b.length < a.length ? b : a));
        return best.flatMap((i) => issueProblems(i, path));
      }
      const phrases = [...new Set(issue.errors.map((b) => (b[0] ? expectation(b[0]) : '')).filter(Boolean))];
      return [{ path, message: `must be ${phrases.join(', or ')}` }];
    }
    default:
      return [{ path, message: describeOne(issue) }];
  }
}

/** Where the first problem is (its path inside the value), to open a file there. */
export function firstProblemPath(issues: readonly Issue[]): readonly Segment[] | undefined {
  return issues[0] ? issueProblems(issues[0])[0]?.path : undefined;
}

/** One line per problem: `tasks[0].priority: must be one of low, normal, high, critical, or a whole number`. */
export function formatIssues(issues: readonly Issue[], top = '(top level)'): string[] {
  return issues.flatMap((i) => issueProblems(i)).map((p) => `${fieldPath(p.path) || top}: ${p.message}`);
}

/** "Invalid <what>:" and the problems, one per line (at most `max`, then how many more). */
export function describeIssues(what: string, issues: readonly Issue[], max = 20): string {
  const lines = formatIssues(issues);
  const shown = lines.slice(0, max).map((l) => `  ${l}`);
  if (lines.length > max) shown.push(`  … and ${lines.length - max} more`);
  return `${what}:\n${shown.join('\n')}`;
}

/** An invalid_input DreamError whose message lists the problems; its details are zod's issues (the API names the first one's field). */
export function invalidInput(what: string, issues: readonly Issue[], next = ''): DreamError {
  return new DreamError('invalid_input', `${describeIssues(what, issues)}${next ? `\n${next}` : ''}`, issues);
}
