/**
 * The dashboard in a browser tab: an HTTP + WebSocket server on 127.0.0.1 that serves the same UI
 * bundle as the VS Code webview and speaks the same protocol (src/protocol/dashboard.ts) over a
 * WebSocket, backed by one board connection. The page's first `state` also comes over plain HTTP
 * (`/state`, preloaded by the page's HTML while its script loads, so a 10k-task board is on screen
 * without waiting for the socket); the socket then resumes from that state's seq.
 *
 * Who may talk to it: whoever holds the one-time link. `/?token=…` is exchanged once for an
 * HttpOnly, SameSite=Strict session cookie and a redirect to `/`, so the token never stays in the
 * address bar or history. Every request must name this server in its Host header (a DNS-rebinding
 * page cannot), and a WebSocket upgrade must also come from this server's own Origin with the cookie.
 */
import { untilInterrupted } from '../untilInterrupted';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { DreamError } from '../../core/errors';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../protocol/dashboard';
import { DashboardHost, type BoardLink } from './dashboardHost';

export interface DashboardServerOptions {
  connection: BoardLink;
  /** 0 or absent: a free port. */
  port?: number;
  /** The folder holding dashboard.js and dashboard.css (dist/webview). */
  assetsDir?: string;
  /** Shown in the UI's header. */
  boardDir?: string;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface DashboardServer {
  /** The one-time login link. */
  readonly url: string;
  readonly port: number;
  readonly origin: string;
  /** Mints another one-time link (for a second browser, or after the first was used). */
  loginUrl(): string;
  close(): Promise<void>;
}

const ASSETS: Record<string, string> = {
  '/assets/dashboard.js': 'application/javascript; charset=utf-8',
  '/assets/dashboard.css': 'text/css; charset=utf-8',
  '/assets/dashboard.js.map': 'application/json; charset=utf-8',
  '/assets/dashboard.css.map': 'application/json; charset=utf-8',
};
/** The first `state`, over HTTP (see DASHBOARD_HTML's preload). */
const STATE_PATH = '/state';
const MAX_SESSIONS = 64;
const MAX_OPEN_TOKENS = 16;
/** A client this far behind is dropped; it reconnects and gets a fresh state instead of a backlog. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/** dist/webview beside the bundled CLI, or the built one when running from the sources. */
export function defaultAssetsDir(): string {
  const candidates = [path.join(__dirname, 'webview'), path.resolve(__dirname, '../../../dist/webview')];
  return candidates.find((d) => existsSync(path.join(d, 'dashboard.js'))) ?? candidates[0]!;
}

const secret = () => randomBytes(32).toString('base64url');
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startDashboardServer(opts: DashboardServerOptions): Promise<DashboardServer> {
  const assetsDir = opts.assetsDir ?? defaultAssetsDir();
  if (!existsSync(path.join(assetsDir, 'dashboard.js'))) {
    throw new DreamError('unavailable', `The dashboard files are missing from ${assetsDir}. Build them with "npm run build" (or reinstall Dream.OS), then try again.`);
  }
  const log = opts.log ?? (() => undefined);
  const host = new DashboardHost({ open: async () => opts.connection, boardDir: opts.boardDir ?? '', log });
  host.warm(); // the first state is ready by the time someone opens the link
  const tokens = new Set<string>();
  const sessions: string[] = [];
  let port = 0;
  const cookieName = () => `dreamos_dashboard_${port}`; // cookies ignore ports: one name per server

  const allowedHost = (req: IncomingMessage) => {
    const h = (req.headers.host ?? '').toLowerCase();
    return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
  };
  const sessionOf = (req: IncomingMessage): boolean => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === cookieName()) return sessions.some((s) => sameSecret(s, v.join('=')));
    }
    return false;
  };
  const redeem = (token: string): boolean => {
    for (const t of tokens) {
      if (sameSecret(t, token)) {
        tokens.delete(t); // one-time: the link is dead once used
        return true;
      }
    }
    return false;
  };
  const mintToken = () => {
    const t = secret();
    tokens.add(t);
    while (tokens.size > MAX_OPEN_TOKENS) tokens.delete(tokens.values().next().value!);
    return t;
  };

  const headers = (req: IncomingMessage, type: string): Record<string, string> => ({
    'Content-Type': type,
    // Only a checked Host goes into the policy: anything else could smuggle in directives.
    'Content-Security-Policy': [
      `default-src 'none'`,
      `script-src 'self'`,
      `style-src 'self'`,
      `img-src 'self' data:`,
      `font-src 'self'`,
      `connect-src 'self' ws://${allowedHost(req) ? req.headers.host : `127.0.0.1:${port}`}`,
      `base-uri 'none'`,
      `form-action 'none'`,
      `frame-ancestors 'none'`,
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });
  const reply = (req: IncomingMessage, res: ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8', extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...headers(req, type), ...extra });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHost(req)) return reply(req, res, 403, page('Forbidden', 'This dashboard answers only to 127.0.0.1 and localhost on its own port.'));
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(req, res, 405, page('Method not allowed', 'The dashboard only serves pages.'), undefined, { Allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (url.pathname === '/favicon.ico') return reply(req, res, 204, '');
    const token = url.searchParams.get('token');
    if (url.pathname === '/' && token !== null) {
      if (!redeem(token)) return reply(req, res, 401, page('This link was already used', 'Each dashboard link works once. Run "dreamos dashboard" again for a new one.'));
      const s = secret();
      sessions.push(s);
      while (sessions.length > MAX_SESSIONS) sessions.shift();
      return reply(req, res, 303, '', 'text/plain; charset=utf-8', { Location: '/', 'Set-Cookie': `${cookieName()}=${s}; HttpOnly; SameSite=Strict; Path=/` });
    }
    if (url.pathname !== '/' && url.pathname !== STATE_PATH && !(url.pathname in ASSETS)) return reply(req, res, 404, page('Not found', 'There is nothing here.'));
    if (!sessionOf(req)) return reply(req, res, 401, page('Sign-in needed', 'Open the one-time link printed by "dreamos dashboard" on this machine.'));
    if (url.pathname === '/') return reply(req, res, 200, DASHBOARD_HTML);
    if (url.pathname === STATE_PATH) {
      // The page preloads its first state while its script loads; the WebSocket then resumes from it.
      try {
        return reply(req, res, 200, host.serialize(await host.state()), 'application/json; charset=utf-8');
      } catch (err) {
        const e = DreamError.from(err);
        return reply(req, res, 503, JSON.stringify({ type: 'error', error: { code: e.code, message: `The dashboard could not read the board: ${e.message}` } }), 'application/json; charset=utf-8');
      }
    }
    const file = path.join(assetsDir, url.pathname.slice('/assets/'.length));
    try {
      const body = await readFile(file);
      res.writeHead(200, headers(req, ASSETS[url.pathname]!));
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      reply(req, res, 404, page('Not found', `${url.pathname} is not built. Run "npm run build".`));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log('error', `Dashboard request failed: ${DreamError.from(err).message}`);
      if (!res.headersSent) reply(req, res, 500, page('Something went wrong', 'See the dashboard log.'));
      else res.destroy();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (!allowedHost(req)) return refuse('403 Forbidden');
    if (req.headers.origin !== `http://${req.headers.host}`) return refuse('403 Forbidden'); // a page from another origin
    if (!sessionOf(req)) return refuse('401 Unauthorized');
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') return refuse('404 Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  function serveSocket(ws: WebSocket): void {
    let alive = true;
    const client = host.attach((m) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return ws.close(1013, 'too far behind; reconnect for a fresh state');
      ws.send(host.serialize(m));
    });
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, 30_000);
    ws.on('pong', () => (alive = true));
    ws.on('message', (data, isBinary) => {
      void client.receive(isBinary ? null : data.toString());
    });
    ws.on('error', (err) => log('warn', `Dashboard socket error: ${err.message}`));
    ws.on('close', () => {
      clearInterval(ping);
      client.detach();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new DreamError('unavailable', `Port ${opts.port} is already in use. Pick another with --port, or leave it out to use a free one.`) : err),
    );
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  const origin = `http://127.0.0.1:${port}`;
  log('info', `Dashboard listening on ${origin}`);

  return {
    url: `${origin}/?token=${mintToken()}`,
    port,
    origin,
    loginUrl: () => `${origin}/?token=${mintToken()}`,
    async close() {
      host.dispose();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * `dreamos dashboard`: serves the dashboard until Ctrl+C (or `signal` aborts) and prints the link.
 * The caller owns the connection and closes it afterwards.
 */
export async function runDashboardCommand(
  connection: BoardLink,
  opts: { port?: number; assetsDir?: string; boardDir?: string; out?: (s: string) => void; signal?: AbortSignal } = {},
): Promise<number> {
  const out = opts.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const server = await startDashboardServer({ connection, ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.assetsDir ? { assetsDir: opts.assetsDir } : {}), ...(opts.boardDir ? { boardDir: opts.boardDir } : {}) });
  out(`Dream.OS dashboard: ${server.url}`);
  out('Open this link in a browser on this machine. It works once; press Ctrl+C to stop the dashboard.');
  await untilInterrupted(opts.signal);
  await server.close();
  return 0;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function page(title: string, text: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>${escape(title)} · Dream.OS</title></head><body><h1>${escape(title)}</h1><p>${escape(text)}</p></body></html>`;
}

const DASHBOARD_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="color-scheme" content="light dark">
<link rel="preload" href="${STATE_PATH}" as="fetch" crossorigin>
<link rel="stylesheet" href="/assets/dashboard.css">
<title>Dream.OS Dashboard</title>
</head>
<body>
<div id="app" role="main" aria-busy="true">Loading the board…</div>
<script src="/assets/dashboard.js"></script>
</body>
</html>`;
