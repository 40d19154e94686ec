/**
 * The dashboard in a browser tab: the gateway (gateway.ts) with only its dashboard part — an HTTP +
 * WebSocket server on 127.0.0.1 that serves the same UI bundle as the VS Code webview and speaks
 * the same protocol, behind a one-time login link (see dashboardRoutes.ts). `dreamos serve` is the
 * same server with the API as well.
 */
import { untilInterrupted } from '../untilInterrupted';
import type { BoardLink } from './dashboardHost';
import { startGateway } from './gateway';

export { defaultAssetsDir } from './dashboardRoutes';

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

export async function startDashboardServer(opts: DashboardServerOptions): Promise<DashboardServer> {
  const g = await startGateway({
    connection: opts.connection,
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    dashboard: { ...(opts.assetsDir ? { assetsDir: opts.assetsDir } : {}), ...(opts.boardDir ? { boardDir: opts.boardDir } : {}) },
    ...(opts.log ? { log: opts.log } : {}),
  });
  return { url: g.url!, port: g.port, origin: g.origin, loginUrl: () => g.loginUrl(), close: () => g.close() };
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
