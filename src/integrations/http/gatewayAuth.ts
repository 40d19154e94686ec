/**
 * Who is calling the gateway: a named token (Authorization: Bearer, or a session cookie bound to
 * one), and the board connection that token's requests run on — one per token, kept in a small
 * cache, made with the token as its credential so that the hub itself decides what each request
 * may do (src/core/auth/policy.ts). Nothing here re-implements a scope check.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { WhoAmI } from '../../core/auth/tokens';
import { DreamError } from '../../core/errors';
import { connectBoard, type BoardClient } from '../../core/hub/connect';
import type { CallerAuth } from '../api/app';
import { httpProblem, ProblemError } from '../api/problem';
import { sameSecret, secret } from './dashboardRoutes';

export interface RateLimit {
  /** Requests allowed per window. */
  points: number;
  /** The window, in seconds. */
  seconds: number;
}

export interface TokenAuthOptions {
  dir: string;
  perToken: RateLimit;
  /** At most this many token connections stay open (least recently used closes first). */
  maxConnections?: number;
  cookieName: () => string;
  secureCookie: () => boolean;
  /** How a token's connection is made (tests may count them); default connectBoard to the board's hub. */
  connect?: (token: string) => Promise<BoardClient>;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

const MAX_SESSIONS = 256;
const keyOf = (token: string) => createHash('sha256').update(token).digest('base64url');
const TOKEN_SHAPE = /^[\w.~+/=-]{8,200}$/;

/** Throws a 429 problem with Retry-After when `key` has used up its points. */
export async function consume(limiter: RateLimiterMemory, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
    throw new ProblemError(httpProblem('rate_limited', `Too many requests ${what}: wait ${seconds} s (Retry-After) and slow down.`), { 'Retry-After': String(seconds) });
  }
}

export class TokenAuth {
  private readonly conns = new Map<string, { token: string; ready: Promise<{ board: BoardClient; whoami: WhoAmI }> }>();
  private readonly sessions = new Map<string, string>();
  private readonly limiter: RateLimiterMemory;
  private closed = false;

  constructor(private readonly o: TokenAuthOptions) {
    this.limiter = new RateLimiterMemory({ points: o.perToken.points, duration: o.perToken.seconds });
  }

  /** The token a request presents: its Bearer header, else its session cookie. `viaCookie` says which. */
  tokenOf(req: IncomingMessage): { token: string; viaCookie: boolean } | undefined {
    const h = req.headers.authorization;
    if (typeof h === 'string' && /^bearer\s+/i.test(h)) return { token: h.replace(/^bearer\s+/i, '').trim(), viaCookie: false };
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k !== this.o.cookieName()) continue;
      const sid = v.join('=');
      for (const [s, token] of this.sessions) if (sameSecret(s, sid)) return { token, viaCookie: true };
    }
    return undefined;
  }

  /** The caller of `req`, connected as its token; 401 without a usable token, 429 over its limit. */
  async authenticate(req: IncomingMessage): Promise<CallerAuth> {
    const t = this.tokenOf(req);
    if (!t) throw new ProblemError(httpProblem('unauthenticated', 'Send a token: "Authorization: Bearer <token>". Make one with `dreamos token create <name> --scope read|agent|operator|admin`.'), { 'WWW-Authenticate': 'Bearer' });
    if (t.viaCookie && req.method !== 'GET' && req.method !== 'HEAD' && !req.headers.origin) {
      throw new ProblemError(httpProblem('forbidden_origin', 'A request that changes the board with a session cookie must carry this server\'s Origin header.'));
    }
    await consume(this.limiter, keyOf(t.token), 'for this token');
    const c = await this.connection(t.token);
    return { token: t.token, ...c };
  }

  /** The connection for `token`, made once and reused. A token the hub refuses is 401. */
  async connection(token: string): Promise<{ board: BoardClient; whoami: WhoAmI }> {
    if (this.closed) throw new DreamError('unavailable', 'The server is stopping.');
    if (!TOKEN_SHAPE.test(token)) throw new ProblemError(httpProblem('unauthenticated', 'That is not a Dream.OS token (they look like dost_…).'), { 'WWW-Authenticate': 'Bearer' });
    const key = keyOf(token);
    let entry = this.conns.get(key);
    if (entry) {
      this.conns.delete(key); // most recently used last
      this.conns.set(key, entry);
    } else {
      const ready = this.open(token);
      entry = { token, ready };
      this.conns.set(key, entry);
      ready.catch(() => {
        if (this.conns.get(key)?.ready === ready) this.conns.delete(key);
      });
      while (this.conns.size > (this.o.maxConnections ?? 64)) {
        const [oldKey, old] = this.conns.entries().next().value!;
        this.conns.delete(oldKey);
        void old.ready.then((c) => c.board.close(), () => undefined);
      }
    }
    return entry.ready;
  }

  private async open(token: string): Promise<{ board: BoardClient; whoami: WhoAmI }> {
    let board: BoardClient;
    try {
      board = this.o.connect ? await this.o.connect(token) : await connectBoard({ dir: this.o.dir, client: 'api', hubMode: 'never', credential: token, connectTimeoutMs: 5_000 });
    } catch (err) {
      if (err instanceof DreamError && err.code === 'unauthorized') {
        throw new ProblemError(httpProblem('unauthenticated', 'This token is wrong, revoked or expired. Ask the person for a new one (`dreamos token create <name> --scope …`).'), { 'WWW-Authenticate': 'Bearer' });
      }
      throw err;
    }
    try {
      return { board, whoami: await board.call({ type: 'credential.whoami' }) };
    } catch (err) {
      await board.close();
      throw err;
    }
  }

  /** A token the hub no longer accepts: close its connection and its sessions. */
  forget(token: string): void {
    const key = keyOf(token);
    const entry = this.conns.get(key);
    this.conns.delete(key);
    void entry?.ready.then((c) => c.board.close(), () => undefined);
    for (const [s, t] of this.sessions) if (t === token) this.sessions.delete(s);
  }

  /** POST /session: checks the token with the hub, then binds a new cookie to it. */
  async openSession(token: string): Promise<{ whoami: WhoAmI; cookie: string }> {
    const { whoami } = await this.connection(token);
    const s = secret();
    this.sessions.set(s, token);
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return { whoami, cookie: `${this.o.cookieName()}=${s}; HttpOnly; SameSite=Strict; Path=/${this.o.secureCookie() ? '; Secure' : ''}` };
  }

  closeSession(req: IncomingMessage): string {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k !== this.o.cookieName()) continue;
      for (const s of this.sessions.keys()) if (sameSecret(s, v.join('='))) this.sessions.delete(s);
    }
    return `${this.o.cookieName()}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.conns.values()];
    this.conns.clear();
    this.sessions.clear();
    await Promise.all(all.map((e) => e.ready.then((c) => c.board.close(), () => undefined)));
  }
}
