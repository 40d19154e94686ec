import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import initSqlJs, { type Database, type SqlJsStatic, type SqlValue } from 'sql.js';

export type SqlParam = SqlValue;
export type SqlParams = readonly SqlParam[];
export type Row = Record<string, SqlValue>;

/**
 * The only way domain code touches the database. The hub's implementation records every write
 * (sql + bound params) so it can be journalled and replayed exactly: ids and timestamps are
 * already in the params, so replay is deterministic.
 */
export interface Tx {
  run(sql: string, params?: SqlParams): void;
  all<T = Row>(sql: string, params?: SqlParams): T[];
  get<T = Row>(sql: string, params?: SqlParams): T | undefined;
  /** Rows changed by the last run(). */
  changes(): number;
}

let sqlJs: Promise<SqlJsStatic> | undefined;

/** Finds sql-wasm.wasm: beside the bundle (dist/) when packaged, else in node_modules. */
export function resolveWasmPath(): string {
  const beside = path.join(__dirname, 'sql-wasm.wasm');
  if (existsSync(beside)) return beside;
  return require.resolve('sql.js/dist/sql-wasm.wasm');
}

export function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= initSqlJs({ wasmBinary: toArrayBuffer(readFileSync(resolveWasmPath())) });
  return sqlJs;
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/**
 * A Tx over a sql.js Database with a statement cache (preparing is a large share of the cost of a
 * small statement in sql.js). `onWrite` sees every write, for the journal.
 */
export class SqlJsTx implements Tx {
  private readonly cache = new Map<string, ReturnType<Database['prepare']>>();
  onWrite: ((sql: string, params: SqlParams) => void) | undefined;

  constructor(readonly db: Database) {}

  private stmt(sql: string) {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  run(sql: string, params: SqlParams = []): void {
    const s = this.stmt(sql);
    try {
      s.bind(params as SqlValue[]);
      s.step();
    } finally {
      s.reset();
    }
    this.onWrite?.(sql, params);
  }

  all<T = Row>(sql: string, params: SqlParams = []): T[] {
    const s = this.stmt(sql);
    const rows: T[] = [];
    try {
      s.bind(params as SqlValue[]);
      while (s.step()) rows.push(s.getAsObject() as T);
    } finally {
      s.reset();
    }
    return rows;
  }

  get<T = Row>(sql: string, params: SqlParams = []): T | undefined {
    const s = this.stmt(sql);
    try {
      s.bind(params as SqlValue[]);
      return s.step() ? (s.getAsObject() as T) : undefined;
    } finally {
      s.reset();
    }
  }

  changes(): number {
    return this.db.getRowsModified();
  }

  /** Statements must be freed before export()/close(): sql.js cannot export with live statements. */
  clearCache(): void {
    for (const s of this.cache.values()) s.free();
    this.cache.clear();
  }
}
