// TEMPORARY SHIM written by the lead so the extension and CLI build while the hub is being written.
// helper-2 (the hub engineer): replace this whole file with the real connectBoard/runHub; keep the
// exported names and option names (dir, client, hubMode, actor?, durability?, stallMs?; runHub(dir, {idleMs?})).
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { executeCommand, READ_ONLY, type CommandInput } from '../commands';
import { DreamError } from '../errors';
import { readEventsSince, type BoardEvent } from '../events/events';
import { migrate } from '../store/migrations';
import { loadSqlJs, SqlJsTx } from '../store/sqlite';

export interface ConnectOptions {
  dir: string;
  client: string;
  hubMode: 'in-process' | 'spawn' | 'never';
  actor?: string;
  durability?: 'full' | 'process';
  stallMs?: number;
}

export async function connectBoard(opts: ConnectOptions) {
  const SQL = await loadSqlJs();
  mkdirSync(opts.dir, { recursive: true });
  const file = path.join(opts.dir, 'board.sqlite');
  const db = existsSync(file) ? new SQL.Database(readFileSync(file)) : new SQL.Database();
  let tx = new SqlJsTx(db);
  migrate(tx);
  const subs = new Set<{ after: number; cb: (e: BoardEvent) => void }>();
  const save = () => {
    tx.clearCache();
    writeFileSync(`${file}.tmp`, db.export());
    renameSync(`${file}.tmp`, file);
    tx = new SqlJsTx(db);
    migrate(tx);
  };
  save();
  const push = () => {
    for (const s of subs) {
      for (const e of readEventsSince(tx, s.after)) {
        s.after = e.seq;
        s.cb(e);
      }
    }
  };
  return {
    role: 'hub' as const,
    async call(command: CommandInput): Promise<unknown> {
      tx.run('BEGIN');
      try {
        const r = executeCommand({ tx, now: Date.now(), actor: opts.actor ?? 'human' }, command);
        tx.run('COMMIT');
        if (!READ_ONLY.has(command.type)) save();
        push();
        return r;
      } catch (err) {
        tx.run('ROLLBACK');
        throw DreamError.from(err);
      }
    },
    subscribe(afterSeq: number, cb: (e: BoardEvent) => void) {
      const s = { after: afterSeq, cb };
      subs.add(s);
      push();
      return { dispose: () => subs.delete(s) };
    },
    async close() {
      db.close();
    },
  };
}

export async function runHub(_dir: string, _opts: { idleMs?: number } = {}): Promise<void> {
  throw new DreamError('unavailable', 'The hub is not built yet.');
}
