/**
 * BENCH_CLAIM_LIMIT=n: runs the domain with task.claimNext reading n candidate rows instead of
 * 500, for hub and native alike. A what-if for the domain code, not a change of it: sql.js pays
 * per row materialised, so this one constant dominates the hub's cost per claim.
 */
import { executeCommand, type CommandContext } from '../../src/core/commands';
import type { Row, SqlParams, Tx } from '../../src/core/store/sqlite';

const LIMIT = process.env.BENCH_CLAIM_LIMIT ? Number(process.env.BENCH_CLAIM_LIMIT) : undefined;

class Rewriting implements Tx {
  constructor(private readonly tx: Tx) {}
  private fix(sql: string): string {
    return sql.includes('LIMIT 500') ? sql.replace('LIMIT 500', `LIMIT ${LIMIT}`) : sql;
  }
  run(sql: string, params?: SqlParams): void {
    this.tx.run(sql, params);
  }
  all<T = Row>(sql: string, params?: SqlParams): T[] {
    return this.tx.all<T>(this.fix(sql), params);
  }
  get<T = Row>(sql: string, params?: SqlParams): T | undefined {
    return this.tx.get<T>(sql, params);
  }
  changes(): number {
    return this.tx.changes();
  }
}

export const claimLimit = LIMIT;

export function benchExecutor(ctx: CommandContext, raw: unknown): unknown {
  return executeCommand(LIMIT ? { ...ctx, tx: new Rewriting(ctx.tx) } : ctx, raw);
}
