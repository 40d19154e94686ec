import { executeCommand, type CommandInput } from '../../../src/core/commands';
import type { BoardPort, ResultOf } from '../../../src/core/port';
import type { TransitionHook } from '../../../src/core/board/transitions';
import { migrate } from '../../../src/core/store/migrations';
import { loadSqlJs, SqlJsTx } from '../../../src/core/store/sqlite';

/**
 * The real domain on a real (in-memory) sql.js database, without the hub: each command runs in its
 * own transaction exactly as the hub runs it, so these tests exercise the same code paths.
 */
export async function memoryBoard(opts: { hooks?: TransitionHook[]; clock?: () => number } = {}) {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  const tx = new SqlJsTx(db);
  migrate(tx);
  let now = opts.clock ?? (() => Date.now());
  return {
    tx,
    db,
    setClock(c: () => number) {
      now = c;
    },
    /** The board as the typed port the hosts use, answering asynchronously like a hub. */
    port(defaultActor = 'human:test'): BoardPort {
      return { call: async <C extends CommandInput>(command: C, o?: { actor?: string }) => this.run(command, o?.actor ?? defaultActor) as ResultOf<C> };
    },
    run<T = unknown>(command: CommandInput, actor = 'human:test'): T {
      tx.run('BEGIN');
      try {
        const result = executeCommand({ tx, now: now(), actor, hooks: opts.hooks ?? [] }, command) as T;
        tx.run('COMMIT');
        return result;
      } catch (err) {
        tx.run('ROLLBACK');
        throw err;
      }
    },
  };
}
