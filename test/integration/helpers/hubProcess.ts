/**
 * A standalone hub process for tests and the bench: `node --import tsx hubProcess.ts '{"dir":...}'`.
 * The same runHub the `dreamos hub` command calls, with engine settings from the argument.
 */
import { runHub } from '../../../src/core/hub/standalone';

const arg = JSON.parse(process.argv[2] ?? '{}') as { dir: string; idleMs?: number; [k: string]: unknown };
const { dir, idleMs = 60_000, ...engine } = arg;
runHub(dir, { idleMs, ...engine, log: process.env.HUB_LOG ? (m) => process.stderr.write(`[hub ${process.pid}] ${m}\n`) : undefined }).then(
  () => process.exit(0),
  (err: Error) => {
    if (process.env.HUB_LOG) process.stderr.write(`[hub ${process.pid}] ${err.message}\n`);
    process.exit(4);
  },
);
