/**
 * One HTTP server for the outside world (issue 16): the browser dashboard, the REST API with its
 * OpenAPI document and reference page, and mount points for MCP over HTTP (/mcp) and the phone
 * page (/phone) — with one set of rules for all of them:
 * - binding: 127.0.0.1 unless told otherwise; another address needs TLS (the user's certificate)
 *   or an explicit `insecureTunnel` (a tunnel in front terminates TLS);
 * - Host: every request must name this server (a DNS-rebinding page cannot); Origin, when a
 *   browser sends one, must be this server's own;
 * - tokens: each API or mount request runs as its named token, on that token's own board
 *   connection, so the hub enforces the scope and records the token's name on every write;
 * - rate limits per address and per token (429 with Retry-After).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { WhoAmI } from '../../core/auth/tokens';
import { DreamError } from '../../core/errors';
import type { BoardClient } from '../../core/hub/connect';
import { buildApiApp } from '../api/app';
import { httpProblem, PROBLEM_CONTENT_TYPE, problemOf, ProblemError, type Problem } from '../api/problem';
import { eventStream } from '../api/sse';
import type { BoardLink } from './dashboardHost';
import { dashboardPart, page, type DashboardPart } from './dashboardRoutes';
import { consume, TokenAuth, type RateLimit } from './gatewayAuth';

/** A handler mounted under a path prefix; it runs after the shared rules, as the caller's token. */
export type MountHandler = (req: IncomingMessage, res: ServerResponse, ctx: { token: string; board: BoardClient; whoami: WhoAmI }) => Promise<void>;
/** A page served without a token (it signs in with POST /api/v1/session); Host, Origin and address limits still apply. */
export type StaticPageHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface GatewayOptions {
  /** The person's board connection: the dashboard and /api/v1/health run on it. */
  connection: BoardLink;
  /** The board folder whose hub token connections go to; without it there is no API (dashboard only). */
  dir?: string;
  /** The workspace the board belongs to (to diff proposals against their base). */
  workspace?: string;
  port?: number;
  /** Default 127.0.0.1. Anything but loopback needs `tls` or `insecureTunnel`. */
  host?: string;
  /** PEM certificate and key (contents, or paths with certFile/keyFile): the server speaks HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer } | { certFile: string; keyFile: string };
  /** Plain HTTP on a non-loopback address, because a tunnel in front of it terminates TLS (documented, never the default). */
  insecureTunnel?: boolean;
  /** The address people reach it by through a tunnel or proxy (its Host and Origin are then accepted too). */
  publicUrl?: string;
  /** The dashboard (one-time login link), on by default. */
  dashboard?: { assetsDir?: string; boardDir?: string } | false;
  mounts?: Record<string, MountHandler>;
  staticPages?: Record<string, StaticPageHandler>;
  rateLimits?: { perAddress?: RateLimit; perToken?: RateLimit };
  maxBodyBytes?: number;
  /** SSE keep-alive comments (default 15 s). */
  ssePingMs?: number;
  version?: string;
  /** How a token's board connection is made (default: connectBoard to `dir`'s hub with the token). */
  connectAs?: (token: string) => Promise<BoardClient>;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface Gateway {
  readonly port: number;
  /** http(s)://host:port */
  readonly origin: string;
  /** The dashboard's one-time login link (undefined without the dashboard). */
  readonly url: string | undefined;
  readonly docsUrl: string;
  loginUrl(): string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const DEFAULT_LIMITS = { perAddress: { points: 1_200, seconds: 60 }, perToken: { points: 600, seconds: 60 } } as const;

/** Refuses an address that would expose the board without TLS, saying what to do instead. */
export function checkBinding(host: string, tls: boolean, insecureTunnel: boolean): void {
  if (LOOPBACK.has(host) || tls || insecureTunnel) return;
  throw new DreamError(
    'invalid_input',
    `Refusing to listen on ${host} without TLS: anyone on that network could read the traffic, tokens included. ` +
      'Give a certificate (--tls-cert cert.pem --tls-key key.pem), or keep the default 127.0.0.1 and put a tunnel in front ' +
      '(cloudflared, tailscale serve, ssh -L); if the tunnel must reach another address, pass --insecure-tunnel and --public-url <its https address>.',
    { field: 'host' },
  );
}

const sendProblem = (res: ServerResponse, p: Problem, headers: Record<string, string> = {}) => {
  if (res.headersSent) return void res.destroy();
  res.writeHead(p.status, { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(JSON.stringify(p));
};

const prefixOf = (table: Record<string, unknown> | undefined, pathname: string) =>
  Object.keys(table ?? {})
    .sort((a, b) => b.length - a.length)
    .find((p) => pathname === p || pathname.startsWith(p.endsWith('/') ? p : `${p}/`));

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const log = opts.log ?? (() => undefined);
  const bindHost = opts.host ?? '127.0.0.1';
  const tlsPair = opts.tls && ('certFile' in opts.tls ? { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) } : opts.tls);
  checkBinding(bindHost, Boolean(tlsPair), opts.insecureTunnel === true);
  const scheme = tlsPair ? 'https' : 'http';
  const publicUrl = opts.publicUrl ? new URL(opts.publicUrl) : undefined;
  let port = 0;

  const hosts = () => {
    // Only the names of the address it listens on: [::1] is not this server when it listens on 127.0.0.1.
    const names = LOOPBACK.has(bindHost) ? (bindHost.includes(':') ? ['[::1]', 'localhost'] : ['127.0.0.1', 'localhost']) : [bindHost.includes(':') ? `[${bindHost}]` : bindHost];
    const list = names.map((n) => `${n}:${port}`);
    if (publicUrl) list.push(publicUrl.host.toLowerCase());
    return list;
  };
  const checkedHost = (req: IncomingMessage) => {
    const h = (req.headers.host ?? '').toLowerCase();
    return hosts().includes(h) ? h : undefined;
  };
  // The public address only with its own scheme (https): http://<tunnel host> is not this server's page.
  const allowedOrigin = (origin: string) =>
    hosts()
      .filter((h) => h !== publicUrl?.host.toLowerCase())
      .some((h) => origin === `${scheme}://${h}`) || (publicUrl !== undefined && origin === publicUrl.origin);

  /** The Origin a page of this server has when it was loaded through `host` (a checked Host). */
  const originFor = (host: string) => (publicUrl && host === publicUrl.host.toLowerCase() ? publicUrl.origin : `${scheme}://${host}`);
  const dashboard: DashboardPart | undefined =
    opts.dashboard === false
      ? undefined
      : dashboardPart({
          connection: opts.connection,
          ...opts.dashboard,
          log,
          port: () => port,
          // Through a TLS tunnel the page is https, so its socket is wss; locally it is what this server speaks.
          wsScheme: (req) => (originFor(checkedHost(req) ?? '').startsWith('https:') ? 'wss' : 'ws'),
          checkedHost,
          sameOrigin: (req) => {
            const host = checkedHost(req);
            return host !== undefined && req.headers.origin === originFor(host);
          },
        });
  const limits = { ...DEFAULT_LIMITS, ...opts.rateLimits };
  const perAddress = new RateLimiterMemory({ points: limits.perAddress.points, duration: limits.perAddress.seconds });
  const auth = opts.dir || opts.connectAs
    ? new TokenAuth({ dir: opts.dir ?? '', perToken: limits.perToken, cookieName: () => `dreamos_api_${port}`, secureCookie: () => Boolean(tlsPair), ...(opts.connectAs ? { connect: opts.connectAs } : {}), log })
    : undefined;
  const streams = new Set<() => void>();

  const api =
    auth &&
    getRequestListener(
      buildApiApp({
        maxBodyBytes: opts.maxBodyBytes ?? 8 * 1024 * 1024,
        log,
        authenticate: (req) => auth.authenticate(req),
        forget: (t) => auth.forget(t),
        services: {
          self: opts.connection,
          workspace: opts.workspace,
          version: opts.version ?? '0.0.0',
          async openSession(c, token) {
            const origin = c.req.header('origin');
            if (!origin || !allowedOrigin(origin)) throw new ProblemError(httpProblem('forbidden_origin', 'A session is opened only from a page of this server (same-origin Origin header).'));
            const s = await auth.openSession(token);
            c.header('Set-Cookie', s.cookie);
            return s.whoami;
          },
          closeSession(c) {
            c.header('Set-Cookie', auth.closeSession(c.env.incoming as IncomingMessage));
          },
          streamEvents: (c, board, after) =>
            eventStream(c, board, after, {
              pingMs: opts.ssePingMs ?? 15_000,
              track: (stop) => {
                streams.add(stop);
                return () => streams.delete(stop);
              },
            }),
        },
      }).fetch,
    );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const staticPage = prefixOf(opts.staticPages, url.pathname);
    const mount = prefixOf(opts.mounts, url.pathname);
    const isApi = Boolean(api) && (url.pathname.startsWith('/api/') || url.pathname === '/openapi.json');
    const outward = staticPage !== undefined || mount !== undefined || isApi;
    if (!checkedHost(req)) {
      const detail = `This server answers only to ${hosts().join(', ')}.`;
      if (outward) return sendProblem(res, httpProblem('forbidden_origin', detail, url.pathname));
      res.writeHead(403, { 'Content-Type': 'text/html; charset=utf-8' });
      return void res.end(page('Forbidden', detail));
    }
    if (!outward) {
      if (dashboard) return dashboard.handle(req, res, url);
      return sendProblem(res, httpProblem('not_found', `Nothing at ${url.pathname}. The API is under /api/v1 (see /api/docs).`, url.pathname));
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigin(origin)) return sendProblem(res, httpProblem('forbidden_origin', `Requests from pages of ${origin} are refused: only this server's own pages may call it from a browser.`, url.pathname));
    try {
      await consume(perAddress, req.socket.remoteAddress ?? '?', 'from this address');
      if (staticPage !== undefined) return await opts.staticPages![staticPage]!(req, res);
      if (mount !== undefined) {
        if (!auth) throw new DreamError('unavailable', 'This server has no board folder to check tokens against.');
        const caller = await auth.authenticate(req);
        return await opts.mounts![mount]!(req, res, caller);
      }
      return await api!(req, res);
    } catch (err) {
      if (err instanceof ProblemError) return sendProblem(res, { ...err.problem, instance: url.pathname }, err.headers);
      const p = problemOf(err, url.pathname);
      if (p.status >= 500) log('error', `${req.method} ${url.pathname} failed: ${DreamError.from(err).message}`);
      sendProblem(res, p);
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      log('error', `Request failed: ${DreamError.from(err).message}`);
      if (!res.headersSent) sendProblem(res, problemOf(err));
      else res.destroy();
    });
  };
  const server: Server = tlsPair ? createHttpsServer(tlsPair, listener) : createServer(listener);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!checkedHost(req) || !dashboard) {
      socket.end(`HTTP/1.1 ${checkedHost(req) ? '404 Not Found' : '403 Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return void socket.destroy();
    }
    dashboard.upgrade(req, socket, head);
  });
  // A request node's parser cannot read (a bad request line, a body without its length): one problem, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') {
      const body = JSON.stringify(httpProblem('invalid_input', `This is not an HTTP request the server can read (${err.code ?? err.message}). Send a Content-Length with a body.`));
      return void socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new DreamError('unavailable', `Port ${opts.port} is already in use. Pick another with --port, or leave it out to use a free one.`) : err),
    );
    server.listen(opts.port ?? 0, bindHost.replace(/^\[|\]$/g, ''), () => resolve());
  });
  port = (server.address() as { port: number }).port;
  const origin = `${scheme}://${hosts()[0]}`;
  log('info', `Listening on ${origin}`);
  const loginUrl = () => {
    if (!dashboard) throw new DreamError('unavailable', 'This server has no dashboard.');
    return `${origin}/?token=${dashboard.mintToken()}`;
  };

  return {
    port,
    origin,
    url: dashboard ? loginUrl() : undefined,
    docsUrl: `${origin}/api/docs`,
    loginUrl,
    async close() {
      for (const stop of [...streams]) stop();
      dashboard?.dispose();
      await auth?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
