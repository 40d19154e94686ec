/**
 * The hub's listening side: one local socket (Unix socket / named pipe), NDJSON frames, a token
 * check on the first frame, commands forwarded to the engine, events pushed to subscribers.
 */
import { timingSafeEqual } from 'node:crypto';
import { chmod, unlink } from 'node:fs/promises';
import net from 'node:net';
import { resolveCredential } from '../auth/credentials';
import { PERSON, type Principal } from '../auth/principal';
import { DreamError } from '../errors';
import { parseJson } from '../json';
import type { Disposable, HubEngine } from './engine';
import { ClientFrame, encodeFrame, errorFrame, FrameReader, HUB_MAX_FRAME, PROTOCOL_VERSION, type HelloResult } from './wire';

/** A subscriber this far behind is dropped; it reconnects and resumes from its last seq. */
const MAX_BUFFERED = 64 * 1024 * 1024;

export interface ServerOptions {
  socketPath: string;
  token: string;
  startedAt: number;
  log?: (msg: string) => void;
  /** Told whenever the number of open connections changes (for the idle exit). */
  onConnections?: (n: number) => void;
}

function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // timingSafeEqual needs equal lengths; comparing b with itself keeps the time independent of `given`.
  return a.length === b.length ? timingSafeEqual(a, b) : (timingSafeEqual(b, b), false);
}

export class HubServer {
  private readonly conns = new Set<net.Socket>();
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    private readonly engine: HubEngine,
    private readonly opts: ServerOptions,
  ) {}

  static async listen(engine: HubEngine, opts: ServerOptions): Promise<HubServer> {
    // We hold the board's lock, so a socket file at our path is a dead hub's.
    if (process.platform !== 'win32') await unlink(opts.socketPath).catch(() => undefined);
    const server = net.createServer();
    const hub = new HubServer(server, engine, opts);
    server.on('connection', (s) => hub.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => opts.log?.(`hub socket error: ${err.message}`));
    if (process.platform !== 'win32') await chmod(opts.socketPath, 0o600).catch(() => undefined);
    return hub;
  }

  get connections(): number {
    return this.conns.size;
  }

  private accept(sock: net.Socket): void {
    if (this.closed) {
      sock.destroy();
      return;
    }
    this.conns.add(sock);
    this.opts.onConnections?.(this.conns.size);
    let client: string | undefined;
    let principal: Principal = PERSON;
    let refused = false;
    const subs = new Map<string | number, Disposable>();
    const send = (text: string) => {
      if (sock.destroyed) return;
      sock.write(text);
      if (sock.writableLength > MAX_BUFFERED) {
        this.opts.log?.(`dropping ${client ?? 'a client'}: it does not read its events`);
        sock.destroy();
      }
    };
    const reader = new FrameReader(
      HUB_MAX_FRAME,
      (line) => {
        try {
          handle(line);
        } catch (err) {
          send(errorFrame(null, err));
        }
      },
      () => malformed(null, new DreamError('invalid_input', `Frame larger than ${HUB_MAX_FRAME} bytes; it was skipped.`)),
    );
    // A greeted client gets an error and may go on; a stranger is hung up on.
    const malformed = (id: string | number | null, err: DreamError) => {
      if (refused) return;
      send(errorFrame(id, err));
      if (client === undefined) {
        refused = true;
        sock.end();
      }
    };
    const handle = (line: string) => {
      if (refused) return;
      const json = parseJson(line);
      if (!json.ok) {
        malformed(null, new DreamError('invalid_input', `Malformed frame: ${json.problem}.`));
        return;
      }
      const raw = json.value;
      const parsed = ClientFrame.safeParse(raw);
      if (!parsed.success) {
        const id = (raw as { id?: unknown } | null)?.id;
        const safeId = typeof id === 'number' || (typeof id === 'string' && id.length <= 100) ? id : null;
        malformed(safeId, new DreamError('invalid_input', 'Malformed frame.', parsed.error.issues));
        return;
      }
      const f = parsed.data;
      if (client === undefined) {
        // The hub token (hub.json) is the person's; an agent presents the credential it was given at spawn.
        const who = f.op !== 'hello' ? undefined : tokenMatches(f.token, this.opts.token) ? PERSON : this.engine.inspect((tx) => resolveCredential(tx, f.token, Date.now()));
        if (f.op !== 'hello' || !who) {
          refused = true;
          send(errorFrame(f.id, new DreamError('unauthorized', 'Wrong, revoked or expired token: the person\'s token is in hub.json in the board folder; an agent\'s is DREAMOS_AGENT_TOKEN, valid while its run lasts.')));
          sock.end();
          return;
        }
        principal = who;
        if (f.protocolVersion !== undefined && f.protocolVersion !== PROTOCOL_VERSION) {
          refused = true;
          send(errorFrame(f.id, new DreamError('unavailable', `This hub speaks protocol ${PROTOCOL_VERSION}, the client ${f.protocolVersion}: update Dream.OS everywhere.`)));
          sock.end();
          return;
        }
        client = f.client;
        const hello: HelloResult = { protocolVersion: PROTOCOL_VERSION, hubPid: process.pid, startedAt: this.opts.startedAt };
        send(encodeFrame({ id: f.id, ok: true, result: hello }));
        return;
      }
      switch (f.op) {
        case 'hello':
          send(errorFrame(f.id, new DreamError('invalid_input', 'Already greeted.')));
          return;
        case 'call':
          // The connection's own client name is the default actor, not a claim to be someone else.
          if (principal.kind === 'agent' && f.actor !== undefined && f.actor !== principal.agentId && f.actor !== client) {
            send(errorFrame(f.id, new DreamError('unauthorized', `This connection holds agent ${principal.agentId}'s credential; it cannot act as "${f.actor}".`)));
            return;
          }
          this.engine.call(f.command, { actor: principal.kind === 'agent' ? principal.agentId : (f.actor ?? client), principal, requestId: f.requestId }).then(
            (result) => send(encodeFrame({ id: f.id, ok: true, result })),
            (err: unknown) => {
              const e = DreamError.from(err);
              // The hub is going away: say nothing, the client retries the same request on the next hub.
              if ((e.details as { retryable?: boolean } | undefined)?.retryable) sock.destroy();
              else send(errorFrame(f.id, e));
            },
          );
          return;
        case 'subscribe': {
          if (subs.has(f.id)) {
            send(errorFrame(f.id, new DreamError('conflict', `Subscription ${f.id} exists.`)));
            return;
          }
          send(encodeFrame({ id: f.id, ok: true, result: { sub: f.id } }));
          subs.set(f.id, this.engine.subscribe(f.afterSeq, (event) => send(encodeFrame({ op: 'event', sub: f.id, event }))));
          return;
        }
        case 'unsubscribe':
          subs.get(f.sub)?.dispose();
          subs.delete(f.sub);
          send(encodeFrame({ id: f.id, ok: true, result: null }));
          return;
      }
    };
    sock.on('data', (chunk: Buffer) => reader.push(chunk));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      for (const d of subs.values()) d.dispose();
      subs.clear();
      this.conns.delete(sock);
      this.opts.onConnections?.(this.conns.size);
    });
  }

  /** Stops accepting; existing connections stay until `dropAll` (so pending answers still go out). */
  stopListening(): void {
    this.closed = true;
    this.server.close();
  }

  /** Ends every connection after its queued answers are flushed (destroy() would drop them). */
  dropAll(): void {
    for (const s of this.conns) {
      s.end();
      setTimeout(() => s.destroy(), 2_000).unref();
    }
  }
}
