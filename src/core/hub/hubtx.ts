/**
 * The hub's Tx over its sql.js database. Like SqlJsTx (statement cache, onWrite for the journal),
 * with two differences that matter at the hub's rates:
 * - rows are built from sql.js's value arrays with column names read once per statement;
 *   getAsObject() asks sqlite for every column name of every row, which made reads of a few
 *   hundred rows cost several times their query;
 * - a write made through get()/all() (`UPDATE ... RETURNING`) is recorded too.
 */
import type { Database, SqlValue, Statement } from 'sql.js';
import type { Row, SqlParams, Tx } from '../store/sqlite';

interface Cached {
  stmt: Statement;
  names: string[] | undefined;
  read: boolean;
}

function isReadOnly(sql: string): boolean {
  const s = sql.trimStart().slice(0, 8).toLowerCase();
  if (s.startsWith('with')) return !/\b(insert|update|delete|replace)\b/i.test(sql);
  return s.startsWith('select') || s.startsWith('explain') || (s.startsWith('pragma') && !sql.includes('='));
}

export class HubTx implements Tx {
  private readonly cache = new Map<string, Cached>();
  onWrite: ((sql: string, params: SqlParams) => void) | undefined;

  constructor(readonly db: Database) {}

  private prepared(sql: string): Cached {
    let c = this.cache.get(sql);
    if (!c) {
      c = { stmt: this.db.prepare(sql), names: undefined, read: isReadOnly(sql) };
      this.cache.set(sql, c);
    }
    return c;
  }

  run(sql: string, params: SqlParams = []): void {
    const { stmt } = this.prepared(sql);
    try {
      stmt.bind(params as SqlValue[]);
      stmt.step();
    } finally {
      stmt.reset();
    }
    this.onWrite?.(sql, params);
  }

  all<T = Row>(sql: string, params: SqlParams = []): T[] {
    const c = this.prepared(sql);
    const rows: T[] = [];
    try {
      c.stmt.bind(params as SqlValue[]);
      while (c.stmt.step()) rows.push(this.row(c) as T);
    } finally {
      c.stmt.reset();
    }
    if (!c.read) this.onWrite?.(sql, params);
    return rows;
  }

  get<T = Row>(sql: string, params: SqlParams = []): T | undefined {
    const c = this.prepared(sql);
    let row: T | undefined;
    try {
      c.stmt.bind(params as SqlValue[]);
      if (c.stmt.step()) row = this.row(c) as T;
    } finally {
      c.stmt.reset();
    }
    if (!c.read) this.onWrite?.(sql, params);
    return row;
  }

  private row(c: Cached): Row {
    const names = (c.names ??= c.stmt.getColumnNames());
    const values = c.stmt.get();
    const o: Row = {};
    for (let i = 0; i < names.length; i++) o[names[i]!] = values[i]!;
    return o;
  }

  changes(): number {
    return this.db.getRowsModified();
  }

  /** Statements must be freed before export()/close(). */
  clearCache(): void {
    for (const c of this.cache.values()) c.stmt.free();
    this.cache.clear();
  }
}
