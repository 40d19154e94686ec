/** `dreamos agent ...`: the agents on the board, and starting or stopping one's loop in the board's swarm. */
import type { Agent } from '../../core/board/boardModel';
import { formatAgent, lazy, list, listOf, need, str, withClient, type Env, type Io, type Sub } from '../kit';

/* eslint-disable @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use */
const control = lazy(() => require('../../core/loop/agentControl') as typeof import('../../core/loop/agentControl'));
/* eslint-enable @typescript-eslint/no-require-imports */
const controlAgent: typeof import('../../core/loop/agentControl')['controlAgent'] = (...a) => control().controlAgent(...a);

/** `agent start|stop`: the agent's loop, through the swarm that holds the board (core controlAgent). */
function agentControl(p: string[], env: Env, io: Io, desired: 'running' | 'stopped'): Promise<number> {
  const name = need(p, 0, 'the agent');
  return withClient(env, async (client) => {
    const r = await controlAgent(client, name, desired, { reason: `dreamos agent ${desired === 'running' ? 'start' : 'stop'}` });
    io.out(env.json ? JSON.stringify(r) : r.message);
    return 0;
  });
}

export const commands: Record<string, Sub> = {
  'agent register': {
    usage: 'agent register <name> [--driver command|language-model|chat-window|manual] [--capability c]...',
    options: { driver: { type: 'string' }, capability: { type: 'string', multiple: true } },
    build: (p, v) => ({ type: 'agent.register', name: need(p, 0, 'the agent name'), ...(str(v, 'driver') ? { driver: str(v, 'driver') as 'manual' } : {}), capabilities: list(v, 'capability') }),
    print: (r) => formatAgent(r as Agent),
  },
  'agent list': { usage: 'agent list [--all]', options: { all: { type: 'boolean' } }, build: (_p, v) => ({ type: 'agent.list', includeRetired: v.all === true }), print: listOf(formatAgent) },
  'agent show': { usage: 'agent show <agent>', build: (p) => ({ type: 'agent.show', agent: need(p, 0, 'the agent') }), print: (r) => formatAgent(r as Agent) },
  'agent heartbeat': { usage: 'agent heartbeat [agent]', build: (p) => ({ type: 'agent.heartbeat', agent: p[0] ?? process.env.DREAMOS_AGENT_ID ?? need([], 0, 'the agent (or DREAMOS_AGENT_ID)') }), print: (r) => formatAgent(r as Agent) },
  'agent start': { usage: 'agent start <agent>   start its loop in the swarm that runs on this board', run: (p, _v, env, io) => agentControl(p, env, io, 'running') },
  'agent stop': { usage: 'agent stop <agent>   stop its loop wherever the board\'s swarm runs it; it stays stopped until agent start', run: (p, _v, env, io) => agentControl(p, env, io, 'stopped') },
  'agent retire': { usage: 'agent retire <agent>', build: (p) => ({ type: 'agent.lifecycle', agent: need(p, 0, 'the agent'), action: 'retire' }), print: (r) => formatAgent(r as Agent) },
};
