/**
 * What every `dreamos` command file shares: the shape of a command (`Sub`), the option readers, the
 * output formatters and the one way to reach the board (`withClient`: connect, use, close).
 *
 * What a client call needs (argv, the hub connection, the answer) is all that loads up front: agents
 * run `dreamos` on every report, so the hub (engine, sql.js, the command schemas; see connect.ts),
 * zod, the swarm, the dashboard, Discord and the proposal machinery load only in the commands that
 * use them. Each is a module of this same bundle, evaluated on its first require (`lazy` below); a
 * command file imports statically only types and what this file imports.
 */
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { CommandInput } from '../core/commands';
import { DreamError } from '../core/errors';
import { connectBoard, type BoardClient } from '../core/hub/connect';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}
export interface Env {
  dir: string;
  actor: string;
  json: boolean;
}
/** One subcommand: `build` returns the board command to send (printed by `print`), or `run` does it all. */
export interface Sub {
  usage: string;
  options?: Options;
  /** Returns the command to send, or runs itself (hub, events --follow). */
  build?: (pos: string[], v: Values, env: Env) => CommandInput;
  run?: (pos: string[], v: Values, env: Env, io: Io) => Promise<number>;
  print?: (result: unknown) => string;
}

/** A module of this bundle, evaluated on the first call. */
export const lazy = <M>(load: () => M): (() => M) => {
  let m: M | undefined;
  return () => (m ??= load());
};

/* eslint-disable @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use */
const format = lazy(() => require('./format') as typeof import('./format'));
/* eslint-enable @typescript-eslint/no-require-imports */
type Format = typeof import('./format');
export const formatAgent: Format['formatAgent'] = (...a) => format().formatAgent(...a);
export const formatEvent: Format['formatEvent'] = (...a) => format().formatEvent(...a);
export const formatMessage: Format['formatMessage'] = (...a) => format().formatMessage(...a);
export const formatTask: Format['formatTask'] = (...a) => format().formatTask(...a);
export const formatTaskDetails: Format['formatTaskDetails'] = (...a) => format().formatTaskDetails(...a);

export const str = (v: Values, k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
export const list = (v: Values, k: string) => (Array.isArray(v[k]) ? (v[k] as string[]) : []);
export const int = (v: Values, k: string) => {
  const s = str(v, k);
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new DreamError('invalid_input', `--${k} must be a whole number, got "${s}".`);
  return Number(s);
};
export function need(pos: string[], i: number, what: string): string {
  const v = pos[i];
  if (v === undefined) throw new DreamError('invalid_input', `Missing ${what}.`);
  return v;
}
export const tokenOf = (v: Values) => int(v, 'token') ?? (process.env.DREAMOS_LEASE_TOKEN ? Number(process.env.DREAMOS_LEASE_TOKEN) : undefined);
export const agentOf = (v: Values) => str(v, 'agent') ?? process.env.DREAMOS_AGENT_ID;
export function evidence(v: Values) {
  return list(v, 'evidence').map((e) => {
    const m = /^([a-z_]+):(.+)$/s.exec(e);
    if (!m) throw new DreamError('invalid_input', `--evidence takes kind:summary (e.g. test:"42 passed"), got "${e}".`);
    return { kind: m[1] as 'note', summary: m[2]! };
  });
}
export const listOf = <T>(f: (x: T) => string) => (r: unknown) => ((r as T[]).length ? (r as T[]).map(f).join('\n') : '(none)');
export const tokenOpt = { token: { type: 'string' } } as const;

/** The workspace a board belongs to: the folder that holds its board directory. */
export function workspaceRoot(env: Env): string {
  return path.dirname(env.dir);
}

/**
 * The person's CLI presents the hub token from hub.json; an agent's presents the credential it was
 * given at spawn (DREAMOS_AGENT_TOKEN), and a sandboxed agent also gets the socket it may reach.
 */
export function connect(env: Env): Promise<BoardClient> {
  const credential = process.env.DREAMOS_AGENT_TOKEN;
  const socketPath = process.env.DREAMOS_HUB_SOCKET;
  return connectBoard({
    dir: env.dir,
    client: `cli:${process.pid}`,
    hubMode: socketPath ? 'never' : 'spawn',
    actor: env.actor,
    ...(credential ? { credential } : {}),
    ...(socketPath ? { socketPath } : {}),
  });
}

/** Connects to the board, runs `use` and closes the connection however `use` ends. */
export async function withClient<T>(env: Env, use: (client: BoardClient) => Promise<T>): Promise<T> {
  const client = await connect(env);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}
