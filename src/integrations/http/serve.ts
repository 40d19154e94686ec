/**
 * `dreamos serve`: the gateway with everything on it — the REST API (/api/v1, /openapi.json,
 * /api/docs), the dashboard (one-time link) and MCP over HTTP (/mcp) — until Ctrl+C. Token
 * connections go to the board's hub like any client's; the person's connection (the caller's)
 * serves the dashboard and /api/v1/health.
 */
import { readFileSync } from 'node:fs';
import { DreamError } from '../../core/errors';
import { mcpHttpHandler } from '../mcp/http';
import { PHONE_PATH, phonePage } from '../phone/phonePage';
import { untilInterrupted } from '../untilInterrupted';
import type { BoardLink } from './dashboardHost';
import { checkBinding, startGateway, type GatewayOptions } from './gateway';

export interface ServeOptions {
  dir: string;
  workspace: string;
  port?: number;
  host?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureTunnel?: boolean;
  publicUrl?: string;
  dashboard?: boolean;
  /** Requests per minute per token and per address (defaults: gateway.ts DEFAULT_LIMITS). */
  ratePerToken?: number;
  ratePerAddress?: number;
  out?: (s: string) => void;
  signal?: AbortSignal;
  /** Extra mounts and pages (tests; the phone page). */
  mounts?: GatewayOptions['mounts'];
  staticPages?: GatewayOptions['staticPages'];
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new DreamError('invalid_input', `Cannot read the TLS ${what} ${file} (${(err as Error).message}). Give a PEM file you can read.`, { field: what === 'certificate' ? 'tls-cert' : 'tls-key' });
  }
}

/** What can be refused before reaching the board: TLS half given, a public URL that is not https, an exposed address without TLS. */
export function checkServeOptions(o: Pick<ServeOptions, 'host' | 'tlsCert' | 'tlsKey' | 'insecureTunnel' | 'publicUrl' | 'ratePerToken' | 'ratePerAddress'>): void {
  if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new DreamError('invalid_input', 'TLS needs both --tls-cert and --tls-key (PEM files).', { field: o.tlsCert ? 'tls-key' : 'tls-cert' });
  if (o.publicUrl && !/^https:\/\//.test(o.publicUrl)) throw new DreamError('invalid_input', `--public-url is the https address a tunnel gives you (https://…), got "${o.publicUrl}".`, { field: 'public-url' });
  checkBinding(o.host ?? '127.0.0.1', Boolean(o.tlsCert), o.insecureTunnel === true);
  for (const [k, v] of [['rate-per-token', o.ratePerToken], ['rate-per-address', o.ratePerAddress]] as const) {
    if (v !== undefined && (v < 1 || v > 1e9)) throw new DreamError('invalid_input', `--${k} is requests per minute, 1 or more; got ${v}.`, { field: k });
  }
}

/** The phone page, when its bundle is built (a build without it serves everything else). */
function phone(out: (s: string) => void): Record<string, ReturnType<typeof phonePage>> {
  try {
    return { [PHONE_PATH]: phonePage() };
  } catch (err) {
    out(`  (no phone page: ${(err as Error).message})`);
    return {};
  }
}

export async function runServeCommand(connection: BoardLink, o: ServeOptions): Promise<number> {
  const out = o.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  checkServeOptions(o);
  const pages = { ...phone(out), ...o.staticPages };
  const server = await startGateway({
    connection,
    dir: o.dir,
    workspace: o.workspace,
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.host ? { host: o.host } : {}),
    ...(o.tlsCert && o.tlsKey ? { tls: { cert: readPem(o.tlsCert, 'certificate'), key: readPem(o.tlsKey, 'key') } } : {}),
    ...(o.insecureTunnel ? { insecureTunnel: true } : {}),
    ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
    dashboard: o.dashboard === false ? false : { boardDir: o.dir },
    mounts: { '/mcp': mcpHttpHandler({ workspace: { root: o.workspace, boardDir: o.dir } }), ...o.mounts },
    staticPages: pages,
    rateLimits: {
      ...(o.ratePerToken !== undefined ? { perToken: { points: o.ratePerToken, seconds: 60 } } : {}),
      ...(o.ratePerAddress !== undefined ? { perAddress: { points: o.ratePerAddress, seconds: 60 } } : {}),
    },
    log: (level, message) => {
      if (level !== 'info') process.stderr.write(`${level}: ${message}\n`);
    },
  });
  const base = o.publicUrl?.replace(/\/$/, '') ?? server.origin;
  out(`Dream.OS is serving ${o.dir} at ${server.origin}${o.publicUrl ? ` (reached as ${base})` : ''}`);
  if (server.url) out(`  dashboard: ${server.url.replace(server.origin, base)}   (a one-time link: open it once, in your browser)`);
  out(`  API:       ${base}/api/v1   reference: ${base}/api/docs   OpenAPI: ${base}/openapi.json`);
  out(`  MCP:       ${base}/mcp   (streamable HTTP)`);
  for (const p of Object.keys(pages)) out(`  page:      ${base}${p}${p === PHONE_PATH ? '   (Needs You, proposals, approve / reject from a phone; sign in with a token)' : ''}`);
  out('  Requests carry a token: `dreamos token create <name> --scope read|agent|operator|admin` (shown once).');
  out('Press Ctrl+C to stop.');
  await untilInterrupted(o.signal);
  await server.close();
  return 0;
}
