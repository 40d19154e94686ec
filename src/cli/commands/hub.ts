/** `dreamos hub [stop|status|unlock]`: the process that owns the board, in the foreground or found on disk. */
import { readDescriptor } from '../../core/hub/descriptor';
import { inspectLock, isForeign, unlockBoard } from '../../core/hub/lock';
import { int, lazy, type Sub } from '../kit';

/* eslint-disable @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use */
const standalone = lazy(() => require('../../core/hub/standalone') as typeof import('../../core/hub/standalone'));
/* eslint-enable @typescript-eslint/no-require-imports */
type Standalone = typeof import('../../core/hub/standalone');
const runHub: Standalone['runHub'] = (...a) => standalone().runHub(...a);
const stopHub: Standalone['stopHub'] = (...a) => standalone().stopHub(...a);
/* eslint-disable-next-line @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use */
const webhookSender = () => (require('../../integrations/webhooks/fetchSender') as typeof import('../../integrations/webhooks/fetchSender')).fetchWebhookSender();

export const commands: Record<string, Sub> = {
  hub: {
    usage: 'hub [--idle-minutes N]   run the hub in the foreground',
    options: { 'idle-minutes': { type: 'string' } },
    run: async (_p, v, env) => {
      const idle = int(v, 'idle-minutes');
      // This process owns the board, so it delivers the board's webhooks (src/core/webhooks).
      await runHub(env.dir, { ...(idle !== undefined ? { idleMs: idle * 60_000 } : {}), webhooks: { sender: webhookSender() } });
      return 0;
    },
  },
  'hub stop': {
    usage: 'hub stop   stop the background hub of this board (an editor-hosted hub stops with its window)',
    run: async (_p, _v, env, io) => {
      const stopped = await stopHub(env.dir);
      io.out(env.json ? JSON.stringify({ stopped }) : stopped ? 'Hub stopped.' : 'No hub was running.');
      return 0;
    },
  },
  'hub status': {
    usage: 'hub status   who owns this board right now',
    run: async (_p, _v, env, io) => {
      const lock = inspectLock(env.dir);
      const desc = readDescriptor(env.dir);
      const status = {
        dir: env.dir,
        state: lock.state,
        pid: lock.state === 'free' ? null : lock.info.pid,
        host: lock.state === 'free' ? null : lock.info.hostname,
        standalone: desc?.standalone ?? false,
        socket: lock.state === 'alive' ? (desc?.socketPath ?? null) : null,
        startedAt: desc?.startedAt ?? null,
      };
      io.out(
        env.json
          ? JSON.stringify(status)
          : lock.state === 'alive' && isForeign(lock.info)
            ? `Hub running on another machine: host "${status.host}", pid ${status.pid}, since ${new Date(lock.info.startedAt).toISOString()}. Stop it there, or run \`dreamos hub unlock --force\` if that machine is gone.`
            : lock.state === 'alive'
            ? `Hub running: pid ${status.pid} (${status.standalone ? 'dreamos hub' : 'an editor window'}), socket ${status.socket}`
            : lock.state === 'dead'
              ? `No live hub (pid ${status.pid} is gone; the next client takes over).`
              : 'No hub running.',
      );
      return 0;
    },
  },
  'hub unlock': {
    usage: 'hub unlock [--force]   remove the lock of a hub that is gone (--force: one held by another machine that is gone)',
    options: { force: { type: 'boolean' } },
    run: async (_p, v, env, io) => {
      const r = unlockBoard(env.dir, { force: v.force === true });
      io.out(env.json ? JSON.stringify(r) : r.message);
      return 0;
    },
  },
};
