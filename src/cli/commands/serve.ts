/** `dreamos serve`: the board over HTTP — the REST API, its docs, the dashboard and MCP — on one server. */
import { int, lazy, str, withClient, workspaceRoot, type Sub } from '../kit';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a module of this bundle (hono, the MCP handler), evaluated on first use
const serve = lazy(() => require('../../integrations/http/serve') as typeof import('../../integrations/http/serve'));

export const commands: Record<string, Sub> = {
  serve: {
    usage:
      'serve [--port N] [--host H --tls-cert F --tls-key F | --insecure-tunnel --public-url URL] [--no-dashboard] [--rate-per-token N] [--rate-per-address N]   the REST API (/api/v1, /api/docs, /openapi.json), the dashboard and MCP (/mcp) on one server; 127.0.0.1 unless told otherwise',
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'insecure-tunnel': { type: 'boolean' },
      'public-url': { type: 'string' },
      'no-dashboard': { type: 'boolean' },
      'rate-per-token': { type: 'string' },
      'rate-per-address': { type: 'string' },
    },
    run: (_p, v, env, io) => {
      const o = {
        dir: env.dir,
        workspace: workspaceRoot(env),
        ...(int(v, 'port') !== undefined ? { port: int(v, 'port')! } : {}),
        ...(str(v, 'host') ? { host: str(v, 'host')! } : {}),
        ...(str(v, 'tls-cert') ? { tlsCert: str(v, 'tls-cert')! } : {}),
        ...(str(v, 'tls-key') ? { tlsKey: str(v, 'tls-key')! } : {}),
        ...(v['insecure-tunnel'] === true ? { insecureTunnel: true } : {}),
        ...(str(v, 'public-url') ? { publicUrl: str(v, 'public-url')! } : {}),
        dashboard: v['no-dashboard'] !== true,
        ...(int(v, 'rate-per-token') !== undefined ? { ratePerToken: int(v, 'rate-per-token')! } : {}),
        ...(int(v, 'rate-per-address') !== undefined ? { ratePerAddress: int(v, 'rate-per-address')! } : {}),
        out: io.out,
      };
      // Refused before a hub is reached (or started) for nothing.
      serve().checkServeOptions(o);
      return withClient(env, (client) => serve().runServeCommand(client, o));
    },
  },
};
