/**
 * `dreamos mcp`: the board's MCP server on stdio (src/integrations/mcp). It reaches the board as
 * every `dreamos` command does — an agent's run credential (DREAMOS_AGENT_TOKEN) when it has one, so
 * the hub's policy decides — and acts as the run's agent, task and lease from the environment. The
 * MCP SDK loads only here, on first use.
 */
import { connect, lazy, str, workspaceRoot, type Sub } from '../kit';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a module of this bundle (with the MCP SDK), evaluated on first use
const stdio = lazy(() => require('../../integrations/mcp/stdio') as typeof import('../../integrations/mcp/stdio'));

export const commands: Record<string, Sub> = {
  mcp: {
    usage: 'mcp   the board\'s MCP server on stdin/stdout (tools: claim, report with evidence, mail, ask the person, propose; resources: the board, a task)',
    run: async (_p, v, env, io) => {
      const { serveStdio, identityFromEnv } = stdio();
      // With a credential but no DREAMOS_AGENT_ID, the default actor ("human:cli") is not this caller: the
      // hub then takes the connection's own name, and the credential says which agent it is.
      const agentOnlyByToken = process.env.DREAMOS_AGENT_TOKEN && !process.env.DREAMOS_AGENT_ID && !str(v, 'as');
      const board = await connect(agentOnlyByToken ? { ...env, actor: `cli:${process.pid}` } : env);
      try {
        await serveStdio({ board, identity: identityFromEnv(), workspace: { root: workspaceRoot(env), boardDir: env.dir }, log: io.err });
      } finally {
        await board.close();
      }
      return 0;
    },
  },
};
