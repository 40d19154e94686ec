// Every process group the harness starts (code-server, npm installs) is killed when the test
// process ends, however it ends: a failed or timed-out test must not leave servers behind.
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';

const liveGroups = new Set<number>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const killAll = () => { for (const pgid of liveGroups) { try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ } } liveGroups.clear(); };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAll();
      // A host with its own handler (scripts/start.mjs) decides how to exit; otherwise die as the signal would.
      if (process.listenerCount(sig) === 1) process.exit(128 + (os.constants.signals[sig] ?? 1));
    });
  }
}

/** Tracks a child spawned with `detached: true` (so it leads its own process group). */
export function trackGroup(child: ChildProcess): void {
  hookExit();
  if (child.pid) liveGroups.add(child.pid);
}

export function untrackGroup(child: ChildProcess): void {
  if (child.pid) liveGroups.delete(child.pid);
}

/** SIGTERM to the whole group, a grace period, then SIGKILL for whatever is left in it. */
export async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  const pgid = child.pid;
  if (!pgid || !liveGroups.has(pgid)) return;
  const exited = child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));
  try { process.kill(-pgid, 'SIGTERM'); } catch { /* already gone */ }
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  // Children (extension host, watchers) may outlive the leader's own exit: sweep the group.
  try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
  liveGroups.delete(pgid);
}
