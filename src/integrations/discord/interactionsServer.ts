/**
 * The HTTP interactions endpoint, for setups without a gateway connection: Discord POSTs each
 * interaction to a public URL (put a tunnel or reverse proxy with TLS in front of this server,
 * which listens on 127.0.0.1 by default). Every request is verified against the application's
 * Ed25519 key over the raw body before anything is parsed; bad, missing, stale and replayed
 * signatures get 401, which is also what Discord's own endpoint check expects.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { DreamError } from '../../core/errors';
import type { DiscordLog, Respond } from './dispatcher';
import type { InteractionResponse } from './payloads';
import { InteractionVerifier } from './signature';

export interface InteractionsEndpointOptions {
  /** The application's Public Key (hex). */
  publicKey: string;
  dispatcher: { dispatch(raw: unknown, respond: Respond): Promise<void> };
  host?: string;
  /** 0: a free port. */
  port?: number;
  path?: string;
  log?: DiscordLog;
  clock?: () => number;
  maxBodyBytes?: number;
}

export interface InteractionsEndpoint {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

export async function startInteractionsEndpoint(opts: InteractionsEndpointOptions): Promise<InteractionsEndpoint> {
  const verifier = new InteractionVerifier(opts.publicKey, opts.clock);
  const route = opts.path ?? '/interactions';
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const log = opts.log ?? (() => undefined);

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.headersSent) return;
    res.writeHead(status, { ...JSON_TYPE, ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== route) return send(res, 404, { error: 'not found' });
    if (req.method !== 'POST') return send(res, 405, { error: 'use POST' }, { Allow: 'POST' });
    const raw = await readBody(req, maxBody);
    if (raw === undefined) return send(res, 413, { error: 'body too large' });

    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const verdict = verifier.check({ signature: header('x-signature-ed25519'), timestamp: header('x-signature-timestamp'), rawBody: raw });
    if (!verdict.ok) {
      log('warn', `Refused a Discord interaction: ${verdict.reason} signature.`);
      return send(res, 401, { error: `invalid request signature (${verdict.reason})` });
    }

    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(res, 400, { error: 'the body is not JSON' });
    }
    const respond: Respond = async (r: InteractionResponse) => send(res, 200, r);
    try {
      await opts.dispatcher.dispatch(body, respond);
    } catch (err) {
      const e = DreamError.from(err);
      if (e.code !== 'invalid_input') log('error', `A Discord interaction failed: ${e.message}`);
      return send(res, e.code === 'invalid_input' ? 400 : 500, { error: e.message });
    }
    if (!res.headersSent) send(res, 500, { error: 'no answer was produced' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log('error', `The Discord interactions endpoint failed: ${(err as Error).message}`);
      send(res, 500, { error: 'internal error' });
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new DreamError('unavailable', `Port ${opts.port} is already in use. Set another port for the Discord interactions endpoint in the settings.`) : err),
    );
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${route}`;
  log('info', `Discord interactions endpoint listening on ${url}`);
  return {
    url,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The raw bytes, as signed; undefined when larger than `max`. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
