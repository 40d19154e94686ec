/** `dreamos dashboard`: the live dashboard in a browser tab. */
import { int, lazy, withClient, type Sub } from '../kit';

/* eslint-disable @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use */
const dashboardServer = lazy(() => require('../../integrations/http/dashboardServer') as typeof import('../../integrations/http/dashboardServer'));
/* eslint-enable @typescript-eslint/no-require-imports */
const runDashboardCommand: typeof import('../../integrations/http/dashboardServer')['runDashboardCommand'] = (...a) => dashboardServer().runDashboardCommand(...a);

export const commands: Record<string, Sub> = {
  dashboard: {
    usage: 'dashboard [--port N]   serve the live dashboard in a browser tab (127.0.0.1 only)',
    options: { port: { type: 'string' } },
    run: (_p, v, env, io) => withClient(env, (client) => runDashboardCommand(client, { port: int(v, 'port'), boardDir: env.dir, out: io.out })),
  },
};
