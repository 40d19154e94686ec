/**
 * The same board domain code on native SQLite (better-sqlite3): WAL, synchronous=FULL, one
 * BEGIN IMMEDIATE transaction per command, each process with its own connection.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { benchExecutor } from './claimLimit';
import { migrate } from '../../src/core/store/migrations';
import type { Row, SqlParams, Tx } from '../../src/core/store/sqlite';

export class NativeTx implements Tx {
  private readonly cache = new Map<string, BetterSqlite3.Statement>();
  private last = 0;
  constructor(readonly db: BetterSqlite3.Database) {}
  private stmt(sql: string) {
    let s = this.cache.get(sql);
    if (!s) this.cache.set(sql, (s = this.db.prepare(sql)));
    return s;
  }
  run(sql: string, params: SqlParams = []): void {
    this.last = this.stmt(sql).run(...(params as unknown[])).changes;
  }
  all<T = Row>(sql: string, params: SqlParams = []): T[] {
    return this.stmt(sql).all(...(params as unknown[])) as T[];
  }
  get<T = Row>(sql: string, params: SqlParams = []): T | undefined {
    return this.stmt(sql).get(...(params as unknown[])) as T | undefined;
  }
  changes(): number {
    return this.last;
  }
}

export function openNative(file: string): { db: BetterSqlite3.Database; tx: NativeTx; exec: (cmd: unknown, actor: string) => unknown } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 30000');
  db.pragma('foreign_keys = ON');
  const tx = new NativeTx(db);
  const exec = (cmd: unknown, actor: string) => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const r = benchExecutor({ tx, now: Date.now(), actor }, cmd);
      db.exec('COMMIT');
      return r;
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  };
  return { db, tx, exec };
}

export function migrateNative(file: string): void {
  const { db, tx } = openNative(file);
  db.exec('BEGIN IMMEDIATE');
  migrate(tx);
  db.exec('COMMIT');
  db.close();
}
