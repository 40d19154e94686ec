/**
 * One connection from a client process to the hub. Knows nothing about reconnecting: when the
 * connection goes, outstanding calls fail with HubGone and the owner (connect.ts) decides what next.
 */
import net from 'node:net';
import { DreamError } from '../errors';
import type { BoardEvent } from '../events/eventLog';
import { CLIENT_MAX_FRAME, encodeFrame, FrameReader, HUB_MAX_FRAME, parseHubFrame, PROTOCOL_VERSION, type HelloResult, type HubFrame } from './frames';

/** The connection to the hub is gone (or never came up); the request may be retried elsewhere. */
export class HubGone extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubGone';
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class HubConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subs = new Map<number, (e: BoardEvent) => void>();
  private readonly closeListeners = new Set<(why: Error) => void>();
  private gone: Error | undefined;
  hello: HelloResult | undefined;

  private constructor(private readonly sock: net.Socket) {
    const reader = new FrameReader(CLIENT_MAX_FRAME, (line) => this.onFrame(line), () => this.fail(new HubGone('the hub sent an oversized frame')));
    sock.on('data', (chunk: Buffer) => reader.push(chunk));
    sock.on('error', (err) => this.fail(new HubGone(`hub connection error: ${err.message}`)));
    sock.on('close', () => this.fail(new HubGone('the hub closed the connection')));
  }

  /** Connects and greets; rejects with HubGone (nobody there) or DreamError('unauthorized'). */
  static connect(socketPath: string, token: string, client: string, timeoutMs = 5_000): Promise<HubConnection> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(socketPath);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new HubGone('the hub did not answer in time'));
      }, timeoutMs);
      const early = (err: Error) => {
        clearTimeout(timer);
        reject(new HubGone(`no hub at ${socketPath}: ${err.message}`));
      };
      sock.once('error', early);
      sock.once('connect', () => {
        sock.off('error', early);
        const conn = new HubConnection(sock);
        conn
          .request<HelloResult>({ op: 'hello', token, client, protocolVersion: PROTOCOL_VERSION })
          .then((hello) => {
            clearTimeout(timer);
            if (hello.protocolVersion !== PROTOCOL_VERSION) {
              conn.close();
              reject(new DreamError('unavailable', `The board's hub speaks protocol ${hello.protocolVersion}, this program ${PROTOCOL_VERSION}: update Dream.OS everywhere (or stop the old hub).`));
              return;
            }
            conn.hello = hello;
            resolve(conn);
          })
          .catch((err: unknown) => {
            clearTimeout(timer);
            conn.close();
            reject(err);
          });
      });
    });
  }

  get isOpen(): boolean {
    return this.gone === undefined;
  }

  call(command: unknown, requestId: string, actor?: string): Promise<unknown> {
    return this.request({ op: 'call', requestId, command, ...(actor !== undefined ? { actor } : {}) });
  }

  /** Events arrive through onEvent from right after the hub accepted the subscription. */
  async subscribe(afterSeq: number, onEvent: (e: BoardEvent) => void): Promise<number> {
    const id = this.nextId; // the subscribe frame's id, which the hub uses as the subscription's
    this.subs.set(id, onEvent);
    try {
      await this.request({ op: 'subscribe', afterSeq });
    } catch (err) {
      this.subs.delete(id);
      throw err;
    }
    return id;
  }

  unsubscribe(sub: number): void {
    if (!this.subs.delete(sub) || this.gone) return;
    this.request({ op: 'unsubscribe', sub }).catch(() => undefined);
  }

  onClose(listener: (why: Error) => void): void {
    if (this.gone) queueMicrotask(() => listener(this.gone!));
    else this.closeListeners.add(listener);
  }

  close(): void {
    this.fail(new HubGone('closed'));
    this.sock.destroy();
  }

  private request<T>(body: Record<string, unknown>): Promise<T> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    const frame = encodeFrame({ id, ...body });
    // The hub skips an oversized frame without knowing its id: it must never be sent.
    if (frame.length > HUB_MAX_FRAME / 4 && Buffer.byteLength(frame) > HUB_MAX_FRAME) {
      return Promise.reject(new DreamError('invalid_input', `The request is larger than ${HUB_MAX_FRAME / 1024 / 1024} MiB; split it (e.g. import a big task file in parts).`));
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.sock.write(frame);
    });
  }

  private onFrame(line: string): void {
    let frame: HubFrame;
    try {
      frame = parseHubFrame(JSON.parse(line));
    } catch {
      this.fail(new HubGone('the hub sent a malformed frame'));
      this.sock.destroy();
      return;
    }
    if ('op' in frame) {
      this.subs.get(frame.sub as number)?.(frame.event as unknown as BoardEvent);
      return;
    }
    const p = typeof frame.id === 'number' ? this.pending.get(frame.id) : undefined;
    if (!p) return;
    this.pending.delete(frame.id as number);
    if (frame.ok) p.resolve(frame.result);
    else p.reject(new DreamError(frame.error.code, frame.error.message, frame.error.details));
  }

  private fail(why: Error): void {
    if (this.gone) return;
    this.gone = why;
    for (const p of this.pending.values()) p.reject(why);
    this.pending.clear();
    this.subs.clear();
    for (const l of this.closeListeners) l(why);
    this.closeListeners.clear();
  }
}
