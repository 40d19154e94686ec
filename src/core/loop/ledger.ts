/**
 * Who changed what, when agents share a workspace. `git status` before and after a run shows what
 * changed during it, but another agent working at the same time changes files too. The ledger
 * remembers each run's time window and scope; a file changed during my run is:
 *   mine     inside my scope (or, with no scope, claimed by no overlapping run);
 *   others'  inside the scope of a run that overlapped mine, or any file while an unscoped run
 *            overlapped (ambiguous, so neither credit nor blame);
 *   stray    outside my scope and nobody else's: drift.
 * Runs in other processes are not seen; scopes are how agents share one workspace safely.
 */
import { inScope } from './scope';

export interface RunEntry {
  taskId: string;
  scope: readonly string[];
  start: number;
  end?: number;
}

export class RunLedger {
  private runs = new Set<RunEntry>();

  constructor(private readonly now: () => number = Date.now) {}

  begin(taskId: string, scope: readonly string[]): RunEntry {
    const e: RunEntry = { taskId, scope, start: this.now() };
    this.runs.add(e);
    return e;
  }

  end(e: RunEntry): void {
    e.end = this.now();
    this.prune();
  }

  /** Runs of other tasks whose window overlapped [e.start, now]. */
  overlapping(e: RunEntry): RunEntry[] {
    return [...this.runs].filter((r) => r !== e && r.taskId !== e.taskId && r.start <= this.now() && (r.end === undefined || r.end >= e.start));
  }

  /** Drops finished runs no running one overlaps any more. */
  private prune(): void {
    const active = [...this.runs].filter((r) => r.end === undefined);
    const oldest = Math.min(...active.map((r) => r.start), Infinity);
    for (const r of this.runs) if (r.end !== undefined && r.end < oldest) this.runs.delete(r);
  }
}

export function attribute(changed: readonly string[], scope: readonly string[], others: readonly RunEntry[]): { mine: string[]; others: string[]; stray: string[] } {
  const out = { mine: [] as string[], others: [] as string[], stray: [] as string[] };
  const unscopedOther = others.some((o) => o.scope.length === 0);
  for (const f of changed) {
    const theirs = unscopedOther || others.some((o) => inScope(f, o.scope));
    if (scope.length ? inScope(f, scope) : !theirs) out.mine.push(f);
    else if (theirs) out.others.push(f);
    else out.stray.push(f);
  }
  return out;
}
