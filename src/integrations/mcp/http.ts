/**
 * MCP over streamable HTTP, for the gateway to mount at /mcp after it has authenticated the
 * request's token: the gateway hands over a board connection presenting that token (so the hub's
 * policy applies to every tool call) and who the token is (`credential.whoami`). Stateless: each
 * POST gets a fresh server and transport, answered as JSON (no session to keep, no stream left
 * open); a claim's lease token comes back in the result and later reports pass it as "token".
 */
import type { ServerResponse } from 'node:http';
import type { MountHandler } from '../http/gateway';

export type { MountHandler };

function refuse(res: ServerResponse, status: number, message: string, allow?: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(allow ? { allow } : {}) });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/**
 * The /mcp handler. `workspace` (the folder the board belongs to and its board folder) lets
 * propose_change diff against the workspace and proposal_approve apply there; without it those
 * two tools answer that they cannot.
 */
export function mcpHttpHandler(o: { workspace?: { root: string; boardDir: string }; version?: string } = {}): MountHandler {
  return async (req, res, ctx) => {
    // Stateless: there is no session to stream server notifications on, or to end.
    if (req.method !== 'POST') return refuse(res, 405, 'This MCP endpoint is stateless: send JSON-RPC requests with POST.', 'POST');
    // Deferred so that a gateway that never serves /mcp never loads the MCP SDK.
    /* eslint-disable @typescript-eslint/no-require-imports -- the SDK and the tools, evaluated on the first MCP request */
    const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js') as typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js');
    const { createMcpServer } = require('./mcpServer') as typeof import('./mcpServer');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const identity = { agentId: ctx.whoami.agentId ?? undefined, taskId: ctx.whoami.taskId ?? undefined };
    const server = createMcpServer({ board: ctx.board, identity, ...(o.workspace ? { workspace: o.workspace } : {}), ...(o.version ? { version: o.version } : {}) });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
}
