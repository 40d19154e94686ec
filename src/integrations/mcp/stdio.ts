/**
 * `dreamos mcp`: the board's MCP server on stdin/stdout, for an agent CLI that starts it as a child
 * (Claude Code's --mcp-config, Codex's mcp_servers) or the editor's chat. stdout carries only the
 * protocol; every log line goes to stderr. It ends when the client closes stdin.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { BoardClient } from '../../core/hub/connect';
import { createMcpServer, type McpIdentity } from './mcpServer';

/** This run's identity from the variables Dream.OS gives an agent (src/integrations/drivers/commandDriver.ts). */
export function identityFromEnv(env: NodeJS.ProcessEnv = process.env): McpIdentity {
  const lease = env.DREAMOS_LEASE_TOKEN && /^\d+$/.test(env.DREAMOS_LEASE_TOKEN) ? Number(env.DREAMOS_LEASE_TOKEN) : undefined;
  return { agentId: env.DREAMOS_AGENT_ID || undefined, taskId: env.DREAMOS_TASK_ID || undefined, leaseToken: lease, agentName: env.DREAMOS_AGENT_NAME || undefined };
}

export async function serveStdio(o: { board: BoardClient; identity: McpIdentity; workspace: { root: string; boardDir: string }; log: (s: string) => void }): Promise<void> {
  // A credential names its agent (and perhaps its task) even where the environment does not.
  const identity = { ...o.identity };
  if (!identity.agentId || !identity.taskId) {
    const w = await o.board.call({ type: 'credential.whoami' });
    identity.agentId ??= w.agentId ?? undefined;
    identity.taskId ??= w.taskId ?? undefined;
  }
  const server = createMcpServer({ board: o.board, identity, workspace: o.workspace });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    // The SDK's stdio transport does not notice the client going away: stdin ending is the end.
    process.stdin.once('end', () => void transport.close());
    process.stdin.once('close', () => void transport.close());
  });
  transport.onerror = (err) => o.log(`dreamos mcp: ${err.message}`);
  await server.connect(transport);
  o.log(`dreamos mcp: serving the board ${o.workspace.boardDir} on stdio${identity.agentId ? ` as ${identity.agentId}` : ''}${identity.taskId ? ` (task ${identity.taskId})` : ''}`);
  await closed;
  await server.close().catch(() => undefined);
}
