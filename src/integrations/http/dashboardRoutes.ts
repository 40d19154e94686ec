/**
 * The dashboard's part of the gateway (gateway.ts): the same UI bundle as the VS Code webview,
 * speaking the same protocol (src/protocol/dashboard.ts) over a WebSocket, backed by the person's
 * board connection. The page's first `state` also comes over plain HTTP (`/state`, preloaded by
 * the page's HTML while its script loads, so a 10k-task board is on screen without waiting for
 * the socket); the socket then resumes from that state's seq.
 *
 * Who may use it: whoever holds the one-time link. `/?token=…` is exchanged once for an HttpOnly,
 * SameSite=Strict session cookie and a redirect to `/`, so the token never stays in the address
 * bar or history. The gateway has already checked the Host header; a WebSocket upgrade must also
 * come from this server's own Origin with the cookie.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { DreamError } from '../../core/errors';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../protocol/dashboard';
import { DashboardHost, type BoardLink } from './dashboardHost';

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

/** dist/webview beside the bundled CLI, or the built one when running from the sources: the first that holds `probe`. */
export function defaultAssetsDir(probe = 'dashboard.js'): string {
  const candidates = [path.join(__dirname, 'webview'), path.resolve(__dirname, '../../../dist/webview')];
  return candidates.find((d) => existsSync(path.join(d, probe))) ?? candidates[0]!;
}

export const secret = () => randomBytes(32).toString('base64url');
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface DashboardPartOptions {
  connection: BoardLink;
  assetsDir?: string;
  boardDir?: string;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** The server's port, once it listens (the cookie's name carries it). */
  port: () => number;
  /** ws: or wss: for a page loaded by this request (its connect-src, its cookie's Secure). */
  wsScheme: (req: IncomingMessage) => 'ws' | 'wss';
  /** The Host header, if it is one this server answers to. */
  checkedHost: (req: IncomingMessage) => string | undefined;
  /** Whether the request's Origin is this server's own page, as loaded through its Host. */
  sameOrigin: (req: IncomingMessage) => boolean;
}

export interface DashboardPart {
  /** Whether `pathname` is the dashboard's. */
  owns(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  /** An upgrade for /ws (Host already checked); false if it is not the dashboard's. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  mintToken(): string;
  dispose(): void;
}

export function dashboardPart(opts: DashboardPartOptions): DashboardPart {
  const assetsDir = opts.assetsDir ?? defaultAssetsDir();
  if (!existsSync(path.join(assetsDir, 'dashboard.js'))) {
    throw new DreamError('unavailable', `The dashboard files are missing from ${assetsDir}. Build them with "npm run build" (or reinstall Dream.OS), then try again.`);
  }
  const log = opts.log;
  const host = new DashboardHost({ open: async () => opts.connection, boardDir: opts.boardDir ?? '', log });
  host.warm(); // the first state is ready by the time someone opens the link
  const tokens = new Set<string>();
  const sessions: string[] = [];
  const cookieName = () => `dreamos_dashboard_${opts.port()}`; // cookies ignore ports: one name per server

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

  const headers = (req: IncomingMessage, type: string): Record<string, string> => ({
    'Content-Type': type,
    // Only a checked Host goes into the policy: anything else could smuggle in directives.
    'Content-Security-Policy': [
      `default-src 'none'`,
      `script-src 'self'`,
      `style-src 'self'`,
      `img-src 'self' data:`,
      `font-src 'self'`,
      `connect-src 'self' ${opts.wsScheme(req)}://${opts.checkedHost(req) ?? `127.0.0.1:${opts.port()}`}`,
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

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(req, res, 405, page('Method not allowed', 'The dashboard only serves pages.'), undefined, { Allow: 'GET, HEAD' });
    if (url.pathname === '/favicon.ico') return reply(req, res, 204, '');
    const token = url.searchParams.get('token');
    if (url.pathname === '/' && token !== null) {
      if (!redeem(token)) return reply(req, res, 401, page('This link was already used', 'Each dashboard link works once. Run "dreamos dashboard" again for a new one.'));
      const s = secret();
      sessions.push(s);
      while (sessions.length > MAX_SESSIONS) sessions.shift();
      const secure = opts.wsScheme(req) === 'wss' ? '; Secure' : '';
      return reply(req, res, 303, '', 'text/plain; charset=utf-8', { Location: '/', 'Set-Cookie': `${cookieName()}=${s}; HttpOnly; SameSite=Strict; Path=/${secure}` });
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

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
      return true;
    };
    if (!opts.sameOrigin(req)) return refuse('403 Forbidden'); // a page from another origin
    if (!sessionOf(req)) return refuse('401 Unauthorized');
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') return refuse('404 Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
    return true;
  }

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

  return {
    owns: (p) => p === '/' || p === STATE_PATH || p === '/favicon.ico' || p in ASSETS || p === '/ws',
    handle,
    upgrade,
    mintToken() {
      const t = secret();
      tokens.add(t);
      while (tokens.size > MAX_OPEN_TOKENS) tokens.delete(tokens.values().next().value!);
      return t;
    },
    dispose() {
      host.dispose();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export function page(title: string, text: string): string {
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
