/**
 * How every process reaches a board: `connectBoard` finds the board's hub and talks to it, or
 * becomes the hub itself (hubMode 'in-process', what an editor window does), or starts a detached
 * hub process ('spawn', what the CLI does). When the hub dies, the client takes over or
 * reconnects; calls in flight are retried with the same request id (the hub remembers ids, so a
 * call is never applied twice) and subscriptions resume after the last event seen.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandInput } from '../commands';
import { DreamError } from '../errors';
import type { BoardPort, ResultOf } from '../port';
import type { BoardEvent } from '../events/eventLog';
import { ensureBoardFolder } from './boardFolder';
import { HubConnection, HubGone } from './client';
import { readDescriptor } from './descriptor';
import type { Disposable, EngineOptions } from './engine';
import type { Durability } from './journal';
import { heldElsewhereMessage, inspectLock, isForeign, isOwnerAlive, tryAcquireLock } from './lock';
import type { HubRuntime } from './runtime';

/**
 * The hub itself (engine, store, sql.js, the command schemas) loads only when this process becomes
 * the hub: a client (the `dreamos` CLI on every report, an editor window that is not the hub) never
 * evaluates it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, inside the same bundle
export const loadRuntime = (): typeof HubRuntime => (require('./runtime') as typeof import('./runtime')).HubRuntime;

export type HubMode = 'in-process' | 'spawn' | 'never';
export type Role = 'hub' | 'client';
export type { Disposable } from './engine';
export type Event<T> = (listener: (e: T) => void) => Disposable;

export interface ConnectOptions {
  dir: string;
  /** Who this process is, for the hub's logs and as the default actor ('cli:123', 'vscode-window:456'). */
  client: string;
  hubMode: HubMode;
  /** Default actor of calls (an agent id, 'human:<name>'); defaults to `client`. */
  actor?: string;
  /**
   * durability and stallMs override the board's durability / stallSeconds (board.config) if this
   * process becomes the hub. Hosts leave them unset so that the board's own config applies
   * wherever the hub runs.
   */
  durability?: Durability;
  stallMs?: number;
  /** An agent's credential (DREAMOS_AGENT_TOKEN) presented instead of the person's token from hub.json. */
  credential?: string;
  /** Connect to this socket instead of the one hub.json names (a sandboxed agent cannot read hub.json). */
  socketPath?: string;
  /** Engine settings used if this process becomes the hub (executor, migrate, persistence, ...). */
  engine?: EngineOptions;
  /** How 'spawn' starts a hub; default `node <dir of this bundle>/cli.js hub --dir <dir>`. */
  spawn?: { command: string; args: string[]; env?: NodeJS.ProcessEnv };
  /** How long a call waits for a reachable hub before failing with 'unavailable' (default 20 s). */
  connectTimeoutMs?: number;
  /**
   * How long a call waits for the hub's answer once it has been sent to a hub (default 30 s; 0 =
   * no limit), on top of the time it took to reach one. A call that runs out fails with
   * 'unavailable' and is not retried any more; it may still be applied by the hub, so a caller
   * that repeats it passes the same `requestId` (the hub applies one request id once).
   */
  callTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface CallOpts {
  actor?: string;
  /** This call's answer timeout (see ConnectOptions.callTimeoutMs). */
  timeoutMs?: number;
  /** Makes a repeated call safe: the hub applies a request id once and answers again with its result. */
  requestId?: string;
}

/** A connection to a board: the typed port, plus subscriptions and the hub role. */
export interface BoardClient extends BoardPort {
  readonly role: Role;
  readonly onDidChangeRole: Event<Role>;
  /** The result type follows from the command. */
  call<C extends CommandInput>(command: C, opts?: CallOpts): Promise<ResultOf<C>>;
  /** A command not known statically (parsed from argv, a test's hostile input): validated by the hub, result unknown. */
  call<T = unknown>(command: unknown, opts?: CallOpts): Promise<T>;
  subscribe(afterSeq: number, onEvent: (event: BoardEvent) => void): Disposable;
  close(): Promise<void>;
}

interface PendingCall {
  requestId: string;
  command: unknown;
  actor: string;
  sent: boolean;
  timeoutMs: number;
  timer?: NodeJS.Timeout;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

const DEFAULT_CALL_TIMEOUT_MS = 30_000;

interface SubState {
  cursor: number;
  onEvent: (e: BoardEvent) => void;
  disposed: boolean;
  local?: Disposable;
  remote?: { conn: HubConnection; id: number };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isRetryable(err: unknown): boolean {
  return err instanceof HubGone || (err instanceof DreamError && (err.details as { retryable?: boolean } | undefined)?.retryable === true);
}

/** The engine options a hub in this process runs with (durability, the stall override, the log). */
export function engineOptions(o: { durability?: Durability; stallMs?: number; engine?: EngineOptions; log?: (msg: string) => void }): EngineOptions {
  return {
    ...(o.durability ? { durability: o.durability } : {}),
    // stallMs overrides the board's stallSeconds (board.config) for this hub; without it upkeep reads the board's.
    ...(o.stallMs !== undefined ? { upkeepCommands: [{ type: 'lease.expireDue', stallMs: o.stallMs }, { type: 'board.retain' }] } : {}),
    ...(o.log ? { log: o.log } : {}),
    ...o.engine,
  };
}

class Board implements BoardClient {
  role: Role = 'client';
  private runtime: HubRuntime | undefined;
  private conn: HubConnection | undefined;
  private readonly calls = new Map<string, PendingCall>();
  private readonly subs = new Set<SubState>();
  private readonly roleListeners = new Set<(r: Role) => void>();
  private establishing: Promise<void> | undefined;
  private closed = false;
  private lastSpawn = 0;
  private spawned: ChildProcess | undefined;
  private everConnected = false;
  private spawnError: string | undefined;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: ConnectOptions) {
    this.log = opts.log ?? (() => undefined);
  }

  readonly onDidChangeRole: Event<Role> = (listener) => {
    this.roleListeners.add(listener);
    return { dispose: () => this.roleListeners.delete(listener) };
  };

  /** Resolves once a hub is reachable (or this process is it). */
  start(): Promise<void> {
    this.ensureTransport();
    return this.establishing ?? Promise.resolve();
  }

  call<C extends CommandInput>(command: C, opts?: CallOpts): Promise<ResultOf<C>>;
  call<T = unknown>(command: unknown, opts?: CallOpts): Promise<T>;
  call<T = unknown>(command: unknown, o: CallOpts = {}): Promise<T> {
    if (this.closed) return Promise.reject(new DreamError('unavailable', 'This board connection is closed.'));
    const requestId = o.requestId ?? randomUUID();
    if (this.calls.has(requestId)) return Promise.reject(new DreamError('conflict', `A call with request id ${requestId} is still waiting for its answer; wait for it instead of sending it again.`));
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = o.timeoutMs ?? this.opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
      const p: PendingCall = { requestId, command, actor: o.actor ?? this.opts.actor ?? this.opts.client, sent: false, timeoutMs, resolve: resolve as (v: unknown) => void, reject };
      this.calls.set(p.requestId, p);
      this.dispatch(p);
    });
  }

  /** Takes `p` out of the waiting calls; false if it already ended (answered, failed, timed out). */
  private settle(p: PendingCall): boolean {
    if (this.calls.get(p.requestId) !== p) return false;
    this.calls.delete(p.requestId);
    clearTimeout(p.timer);
    return true;
  }

  /** Starts the answer timeout the first time `p` goes to a hub. */
  private armTimeout(p: PendingCall): void {
    if (p.timer || p.timeoutMs <= 0) return;
    p.timer = setTimeout(() => {
      if (!this.settle(p)) return;
      const type = (p.command as { type?: unknown } | null)?.type;
      p.reject(
        new DreamError(
          'unavailable',
          `The board's hub did not answer ${typeof type === 'string' ? `"${type}" ` : ''}within ${Math.round(p.timeoutMs / 100) / 10} s: it may be stuck (a hung disk, a stopped process) or overloaded. ` +
            `The call may still be applied; to repeat it safely, pass the same request id (${p.requestId}). ` +
            `Check the hub with \`dreamos hub status\`; if it stays stuck, stop it (\`dreamos hub stop\`, or close the editor window that hosts it) and try again.`,
          { requestId: p.requestId, timeoutMs: p.timeoutMs },
        ),
      );
    }, p.timeoutMs);
  }

  subscribe(afterSeq: number, onEvent: (event: BoardEvent) => void): Disposable {
    const sub: SubState = { cursor: afterSeq, onEvent, disposed: false };
    this.subs.add(sub);
    this.attach(sub);
    return {
      dispose: () => {
        sub.disposed = true;
        this.subs.delete(sub);
        sub.local?.dispose();
        if (sub.remote) sub.remote.conn.unsubscribe(sub.remote.id);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.subs) s.disposed = true;
    this.subs.clear();
    const conn = this.conn;
    this.conn = undefined;
    conn?.close();
    const rt = this.runtime;
    this.runtime = undefined;
    if (rt) await rt.close(); // answers the calls it has committed before it goes
    for (const p of this.calls.values()) if (!p.sent && this.settle(p)) p.reject(new DreamError('unavailable', 'The board connection was closed.'));
    await this.establishing?.catch(() => undefined);
  }

  private dispatch(p: PendingCall): void {
    const done = (v: unknown) => {
      if (this.settle(p)) p.resolve(v);
    };
    const failed = (err: unknown) => {
      if (this.calls.get(p.requestId) !== p) return; // timed out already: not retried any more
      if (isRetryable(err) && !this.closed) {
        p.sent = false;
        this.ensureTransport();
        return;
      }
      this.settle(p);
      p.reject(this.closed && isRetryable(err) ? new DreamError('unavailable', 'The board connection was closed before the hub answered.') : err);
    };
    if (this.runtime?.isRunning) {
      p.sent = true;
      this.armTimeout(p);
      this.runtime.engine.call(p.command, { actor: p.actor, requestId: p.requestId }).then(done, failed);
    } else if (this.conn?.isOpen) {
      p.sent = true;
      this.armTimeout(p);
      this.conn.call(p.command, p.requestId, p.actor).then(done, failed);
    } else {
      p.sent = false;
      this.ensureTransport();
    }
  }

  private attach(sub: SubState): void {
    if (sub.disposed) return;
    const deliver = (e: BoardEvent) => {
      if (sub.disposed || e.seq <= sub.cursor) return;
      sub.cursor = e.seq;
      try {
        sub.onEvent(e);
      } catch (err) {
        this.log(`an event listener threw: ${(err as Error).message}`);
      }
    };
    if (this.runtime?.isRunning) {
      sub.local = this.runtime.engine.subscribe(sub.cursor, deliver);
    } else if (this.conn?.isOpen) {
      const conn = this.conn;
      conn.subscribe(sub.cursor, deliver).then(
        (id) => {
          if (sub.disposed) conn.unsubscribe(id);
          else sub.remote = { conn, id };
        },
        () => undefined, // the connection died: re-attached on the next one
      );
    } else {
      this.ensureTransport();
    }
  }

  private onTransport(): void {
    for (const s of this.subs) {
      s.local = undefined;
      s.remote = undefined;
      this.attach(s);
    }
    for (const p of this.calls.values()) if (!p.sent) this.dispatch(p);
  }

  private setRole(r: Role): void {
    if (this.role === r) return;
    this.role = r;
    for (const l of this.roleListeners) l(r);
  }

  private ensureTransport(): void {
    if (this.establishing || this.closed) return;
    if (this.runtime?.isRunning || this.conn?.isOpen) return;
    this.establishing = this.establish().finally(() => (this.establishing = undefined));
    this.establishing.catch((err: unknown) => {
      for (const p of this.calls.values()) {
        if (p.sent) continue;
        if (this.settle(p)) p.reject(err);
      }
    });
  }

  private async establish(): Promise<void> {
    const { dir, hubMode } = this.opts;
    const timeout = this.opts.connectTimeoutMs ?? 20_000;
    let started = Date.now();
    let delay = 5;
    let lastError = 'no hub is running';
    while (!this.closed) {
      // An agent holds its own credential and may be sandboxed away from hub.json: it is given the socket.
      const given = this.opts.socketPath;
      const desc = given ? undefined : readDescriptor(dir);
      const target = given ? { socketPath: given } : desc && isOwnerAlive({ pid: desc.pid, hostname: os.hostname(), startedAt: 0, nonce: '' }) ? desc : undefined;
      if (target) {
        try {
          const conn = await HubConnection.connect(target.socketPath, this.opts.credential ?? desc?.token ?? '', this.opts.client);
          if (this.closed) {
            conn.close();
            return;
          }
          this.useConnection(conn);
          return;
        } catch (err) {
          // Nobody there, or a stale descriptor whose socket path a new hub reuses with a new token.
          lastError = (err as Error).message;
          if (this.opts.credential && err instanceof DreamError && err.code === 'unauthorized') throw err; // revoked: final
        }
      }
      if (given) {
        // Someone else runs this hub; all an agent can do is wait for it to come back.
        if (Date.now() - started > timeout) throw new DreamError('unavailable', `The board's hub at ${given} is not answering (${lastError}). Your run may be over; stop working.`);
        await sleep(delay);
        delay = Math.min(delay * 2, 250);
        continue;
      }
      const lock = inspectLock(dir);
      if (lock.state === 'alive' && isForeign(lock.info)) {
        // Another machine's hub: its socket cannot be reached from here, waiting cannot help.
        const err = new DreamError('unavailable', heldElsewhereMessage(dir, lock.info), { host: lock.info.hostname, pid: lock.info.pid, since: lock.info.startedAt });
        for (const p of [...this.calls.values()]) if (!p.sent && this.settle(p)) p.reject(err);
        if (this.subs.size === 0) throw err;
      }
      if (lock.state !== 'alive') {
        // 'never' on first contact: nobody holds the board and nobody here may start a hub.
        if (hubMode === 'never' && !this.everConnected && this.subs.size === 0) {
          throw new DreamError('unavailable', `No Dream.OS hub is running for ${dir}. Start one with \`dreamos hub\` or open the folder in the editor.`);
        }
        if (hubMode === 'in-process') {
          const held = tryAcquireLock(dir);
          if (held) {
            await this.becomeHub(held);
            return;
          }
        } else if (hubMode === 'spawn' && (!this.spawned || Date.now() - this.lastSpawn > 10_000)) {
          // One start at a time: the hub we started is still starting until it exits or takes the lock.
          this.lastSpawn = Date.now();
          this.spawnHub();
        }
      }
      if (Date.now() - started > timeout) {
        const err = new DreamError('unavailable', `No Dream.OS hub is reachable for ${dir} (${this.spawnError ?? lastError}).${hubMode === 'never' ? ' Start one with `dreamos hub`.' : ''}`);
        const waiting = [...this.calls.values()].filter((p) => !p.sent);
        for (const p of waiting) if (this.settle(p)) p.reject(err);
        // Subscribers keep waiting for a hub; with nothing waiting, reconnect lazily on the next call.
        if (this.subs.size === 0) throw err;
        started = Date.now();
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 250);
    }
  }

  private useConnection(conn: HubConnection): void {
    this.conn = conn;
    this.everConnected = true;
    conn.onClose(() => {
      if (this.conn !== conn) return;
      this.conn = undefined;
      if (!this.closed) this.ensureTransport();
    });
    this.setRole('client');
    this.onTransport();
  }

  private async becomeHub(lock: NonNullable<ReturnType<typeof tryAcquireLock>>): Promise<void> {
    const rt = await loadRuntime().start(this.opts.dir, lock, engineOptions(this.opts));
    if (this.closed) {
      await rt.close();
      return;
    }
    this.runtime = rt;
    this.everConnected = true;
    rt.onStopped(() => {
      if (this.runtime !== rt) return;
      this.runtime = undefined;
      this.setRole('client');
      if (!this.closed) {
        for (const p of this.calls.values()) p.sent = false;
        this.ensureTransport();
      }
    });
    this.setRole('hub');
    this.onTransport();
  }

  private spawnHub(): void {
    const s = this.opts.spawn ?? { command: process.execPath, args: [path.join(__dirname, 'cli.js'), 'hub', '--dir', this.opts.dir] };
    if (!this.opts.spawn && !existsSync(s.args[0]!)) {
      this.spawnError = `cannot start a hub: ${s.args[0]} not found`;
      this.log(this.spawnError);
      return;
    }
    try {
      // Required here: a client that finds its hub running (every CLI call but the first) never loads child_process.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a Node built-in, loaded on first use
      const { spawn } = require('node:child_process') as typeof import('node:child_process');
      const child = spawn(s.command, s.args, { detached: true, stdio: 'ignore', env: s.env ?? process.env, windowsHide: true });
      this.spawned = child;
      const forget = () => {
        if (this.spawned === child) this.spawned = undefined;
      };
      child.on('error', (err) => {
        this.log(`starting a hub failed: ${err.message}`);
        forget();
      });
      child.on('exit', forget);
      child.unref();
    } catch (err) {
      this.log(`starting a hub failed: ${(err as Error).message}`);
    }
  }
}

/** Connects to the board in `dir` (creating the folder), per `hubMode`. */
export async function connectBoard(opts: ConnectOptions): Promise<BoardClient> {
  // A sandboxed agent cannot see the board folder and never creates one.
  if (!opts.socketPath) ensureBoardFolder(opts.dir);
  const board = new Board(opts);
  try {
    await board.start();
  } catch (err) {
    await board.close();
    throw err;
  }
  return board;
}
