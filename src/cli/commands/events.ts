/** `dreamos events`: the board's event log, once or followed live. */
import type { BoardEvent } from '../../core/events/eventLog';
import { formatEvent, int, lazy, withClient, type Sub } from '../kit';

/* eslint-disable @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use */
const interrupt = lazy(() => require('../../integrations/untilInterrupted') as typeof import('../../integrations/untilInterrupted'));
/* eslint-enable @typescript-eslint/no-require-imports */
const untilInterrupted: typeof import('../../integrations/untilInterrupted')['untilInterrupted'] = (...a) => interrupt().untilInterrupted(...a);

export const commands: Record<string, Sub> = {
  events: {
    usage: 'events [--after N] [--follow]',
    options: { after: { type: 'string' }, follow: { type: 'boolean' } },
    run: (_p, v, env, io) => {
      const after = int(v, 'after') ?? 0;
      const show = (e: BoardEvent) => io.out(env.json ? JSON.stringify(e) : formatEvent(e));
      return withClient(env, async (client) => {
        if (!v.follow) {
          for (const e of await client.call({ type: 'events.since', afterSeq: after, limit: 10_000 })) show(e);
          return 0;
        }
        const sub = client.subscribe(after, show);
        await untilInterrupted();
        sub.dispose();
        return 0;
      });
    },
  },
};
