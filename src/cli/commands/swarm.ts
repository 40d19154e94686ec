/** `dreamos swarm start|stop|status`: the agents of .dreamos/agents.json, run by this process. */
import { lazy, list, type Sub } from '../kit';

/* eslint-disable @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use */
const swarmHost = lazy(() => require('../../integrations/drivers/swarmHost') as typeof import('../../integrations/drivers/swarmHost'));
/* eslint-enable @typescript-eslint/no-require-imports */
type SwarmHost = typeof import('../../integrations/drivers/swarmHost');
const swarmStart: SwarmHost['swarmStart'] = (...a) => swarmHost().swarmStart(...a);
const swarmStop: SwarmHost['swarmStop'] = (...a) => swarmHost().swarmStop(...a);
const swarmStatus: SwarmHost['swarmStatus'] = (...a) => swarmHost().swarmStatus(...a);

export const commands: Record<string, Sub> = {
  'swarm start': {
    usage: 'swarm start [--agent name]...   run .dreamos/agents.json here until Ctrl+C or `dreamos swarm stop`',
    options: { agent: { type: 'string', multiple: true } },
    run: (_p, v, env, io) => swarmStart({ dir: env.dir, agents: list(v, 'agent'), json: env.json, io }),
  },
  'swarm stop': { usage: 'swarm stop   every swarm on this board releases its tasks and stops', run: (_p, _v, env, io) => swarmStop({ dir: env.dir, json: env.json, io }) },
  'swarm status': { usage: 'swarm status   desired state, agents, telemetry', run: (_p, _v, env, io) => swarmStatus({ dir: env.dir, json: env.json, io }) },
};
