/**
 * The one typed board port. Every host, integration and loop reaches the board through `call`,
 * whose result type follows from the command: `call({ type: 'task.show', taskId })` is a
 * `Promise<{ task: Task; history: …; … }>`, with no cast. Today it is served by the hub (the
 * in-process engine, or a client of it over the socket); the port is what would let a server
 * database carry a board shared by several machines without touching the handlers.
 */
import type { CommandInput, CommandResult } from './commands';

export interface PortCallOptions {
  /** Who the call is for (an agent id, 'human:<name>'); the hub may refuse it for the credential held. */
  actor?: string;
  /** This call's answer timeout once sent (see connectBoard's callTimeoutMs). */
  timeoutMs?: number;
  /** Makes a repeated call safe: the hub applies a request id once. */
  requestId?: string;
}

export type ResultOf<C extends CommandInput> = CommandResult<C['type']>;

export interface BoardPort {
  call<C extends CommandInput>(command: C, opts?: PortCallOptions): Promise<ResultOf<C>>;
}
