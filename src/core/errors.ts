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
