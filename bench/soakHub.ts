/**
 * The soak's hub process (bench/soak.ts bundles it with esbuild so that a restart is quick): the
 * same runHub that `dreamos hub` runs, detached, with engine settings from the argument.
 *
 * Where the soak cannot mount a small tmpfs for the board (not root), it simulates the full disk
 * here instead: while the file named by SOAK_ENOSPC_FLAG exists, the journal's write fails with
 * ENOSPC, as a full disk would make it.
 */
import fs from 'node:fs';
import { runHub } from '../src/core/hub/standalone';

const flag = process.env.SOAK_ENOSPC_FLAG;
if (flag) {
  const writev = fs.writev;
  (fs as { writev: unknown }).writev = (fd: number, bufs: NodeJS.ArrayBufferView[], cb: (err: NodeJS.ErrnoException | null, n?: number) => void) => {
    if (fs.existsSync(flag)) {
      const err: NodeJS.ErrnoException = new Error('ENOSPC: no space left on device, write (simulated by the soak)');
      err.code = 'ENOSPC';
      process.nextTick(cb, err);
      return;
    }
    return writev(fd, bufs, cb);
  };
}

const arg = JSON.parse(process.argv[2] ?? '{}') as { dir: string; idleMs?: number; [k: string]: unknown };
const { dir, idleMs = 120_000, ...engine } = arg;
const log = process.env.SOAK_HUB_LOG ? (m: string) => fs.appendFileSync(process.env.SOAK_HUB_LOG!, `${new Date().toISOString()} [hub ${process.pid}] ${m}\n`) : undefined;
runHub(dir, { idleMs, ...engine, ...(log ? { log } : {}) }).then(
  () => process.exit(0),
  (err: Error) => {
    log?.(`exit: ${err.message}`);
    process.exit(4);
  },
);
