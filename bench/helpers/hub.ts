/** The bench's hub process: runHub with the engine settings given as JSON; prints its stats on exit. */
import { runHub } from '../../src/core/hub/standalone';
import type { HubRuntime } from '../../src/core/hub/runtime';
import { benchExecutor } from './claimLimit';

const { dir, ...engine } = JSON.parse(process.argv[2]!) as { dir: string; [k: string]: unknown };
let hub: HubRuntime | undefined;
runHub(dir, { idleMs: 0, upkeepCommands: [], executor: benchExecutor, ...engine, onReady: (h) => (hub = h) }).then(
  () => {
    process.send?.({ type: 'stats', stats: hub?.engine.stats() });
    setTimeout(() => process.exit(0), 50);
  },
  (err: Error) => {
    process.stderr.write(`bench hub failed: ${err.message}\n`);
    process.exit(1);
  },
);
