/**
 * Opening a board: load the last image, replay the journal records it does not hold yet (up to a
 * torn tail), migrate, and fold the result into a fresh image so that new journal records always
 * follow an image with the schema they were written against.
 */
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from 'sql.js';
import { DreamError } from '../errors';
import { migrate as defaultMigrate } from '../store/migrations';
import { loadSqlJs, type Tx } from '../store/sqlite';
import { ensureBoardFolder } from './boardFolder';
import { atomicWriteFile } from './fsutil';
import { HubTx } from './hubtx';
import { deleteSegments, listSegments, scanJournal, type Durability, type JournalScan } from './journal';

/** The hub's own tables, kept in the board image beside the domain's. */
const HUB_SCHEMA = [
  // journal_seq: the last journal record this image contains.
  'CREATE TABLE IF NOT EXISTS hub_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)',
  // request id -> result, written in the request's own transaction: a retry is answered, not re-applied.
  'CREATE TABLE IF NOT EXISTS hub_requests (id TEXT PRIMARY KEY, result TEXT NOT NULL, at INTEGER NOT NULL)',
  'CREATE INDEX IF NOT EXISTS hub_requests_at ON hub_requests(at)',
  // What the person must be told about the board's own storage (a damaged journal), kept in the
  // image with the recovery that found it and delivered as mail once the hub runs (engine.ts).
  'CREATE TABLE IF NOT EXISTS hub_notices (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, sent_at INTEGER)',
];

export function imagePath(dir: string): string {
  return path.join(dir, 'board.sqlite');
}

export interface Recovered {
  db: Database;
  tx: HubTx;
  /** The last journal sequence number in the database. */
  lsn: number;
  eventsOn: boolean;
  nextSegment: number;
  imageBytes: number;
}

/** Temp files a crash can leave: the image's is only ever written by the lock holder (us); others' after a minute. */
function removeLeftovers(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.tmp')) continue;
    const file = path.join(dir, name);
    try {
      if (name === 'board.sqlite.tmp' || Date.now() - statSync(file).mtimeMs > 60_000) unlinkSync(file);
    } catch {
      /* gone already */
    }
  }
}

/** What recovery needs of the engine's options (declared here, so recovery does not import the engine). */
export interface RecoveryOptions {
  log?: (msg: string) => void;
  migrate?: (tx: Tx) => void;
  durability?: Durability;
}

export async function recoverBoard(dir: string, opts: RecoveryOptions): Promise<Recovered> {
  ensureBoardFolder(dir);
  removeLeftovers(dir);
  const log = opts.log ?? (() => undefined);
  const SQL = await loadSqlJs();
  const file = imagePath(dir);
  const hadImage = existsSync(file);
  const bytes = hadImage ? readFileSync(file) : undefined;
  let imageBytes = bytes?.length ?? 0;
  const db = bytes ? new SQL.Database(bytes) : new SQL.Database();
  const tx = new HubTx(db);
  // Schema version + total changes tell whether recovery changed anything that needs saving.
  const probe = () => `${tx.get<{ schema_version: number }>('PRAGMA schema_version')?.schema_version}/${tx.get<{ n: number }>('SELECT total_changes() AS n')?.n}`;
  let before: string;
  try {
    before = probe();
  } catch (err) {
    db.close();
    throw new DreamError('internal', `The board image ${file} cannot be read (${(err as Error).message}). Move it aside to start an empty board.`);
  }
  connectionPragmas(db);
  for (const s of HUB_SCHEMA) tx.run(s);
  const imageSeq = tx.get<{ value: number }>("SELECT value FROM hub_meta WHERE key = 'journal_seq'")?.value ?? 0;

  const scan = scanJournal(dir, imageSeq);
  // A torn last record is what a crash mid-append leaves. Anything else (a gap, damage before the
  // end) may be lost acknowledged data: keep the files for a person to look at, and tell them.
  const damaged = scan.stopped?.damaged === true || scan.skipped !== undefined;
  const stamp = Date.now();
  if (damaged) log(`journal: damaged at ${scan.stopped?.file ?? scan.skipped![0]!.file}:${scan.stopped?.offset ?? scan.skipped![0]!.offset} (${scan.stopped?.reason ?? scan.skipped![0]!.reason}); the journal is kept as *.${stamp}.damaged`);
  else if (scan.stopped) log(`journal: dropped a torn tail at ${scan.stopped.file}:${scan.stopped.offset}`);
  for (const rec of scan.records) {
    tx.run('BEGIN');
    try {
      for (const [sql, params] of rec.writes) tx.run(sql, params);
      tx.run('COMMIT');
    } catch (err) {
      tx.run('ROLLBACK');
      db.close();
      throw new DreamError('internal', `Journal record ${rec.seq} of the board in ${dir} could not be replayed: ${(err as Error).message}`);
    }
  }
  const lsn = scan.records.length ? scan.records[scan.records.length - 1]!.seq : imageSeq;
  if (damaged) {
    const n = damageNotice(dir, scan, lsn, stamp);
    tx.run('INSERT INTO hub_notices (at, subject, body) VALUES (?, ?, ?)', [stamp, n.subject, n.body]);
  }

  tx.run('BEGIN');
  try {
    (opts.migrate ?? defaultMigrate)(tx);
    tx.run('COMMIT');
  } catch (err) {
    tx.run('ROLLBACK');
    db.close();
    throw err;
  }
  connectionPragmas(db);
  const eventsOn = tx.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'events'") !== undefined;

  // Journal records are only valid on the schema they were written against: fold everything
  // (replayed records, migrations) into a fresh image before writing new records.
  const durability = opts.durability ?? 'full';
  if (!hadImage || scan.records.length > 0 || scan.segments.length > 0 || probe() !== before) {
    const image = exportImage(db, tx, lsn);
    imageBytes = image.length;
    await atomicWriteFile(file, image, { durable: durability === 'full', mode: 0o600 });
    // Never deleted: every segment read goes aside whole, for the person (and whoever helps them).
    if (damaged) for (const seg of scan.segments) await rename(seg.file, `${seg.file}.${stamp}.damaged`);
    else await deleteSegments(scan.segments);
  }
  const nextSegment = (listSegments(dir).at(-1)?.index ?? scan.segments.at(-1)?.index ?? 0) + 1;
  return { db, tx, lsn, eventsOn, nextSegment, imageBytes };
}

/** What happened to the journal, what is on the board now, where the rest is, what to do. */
function damageNotice(dir: string, scan: JournalScan, lsn: number, stamp: number): { subject: string; body: string } {
  const at = scan.stopped?.damaged ? scan.stopped : { ...scan.skipped![0]!, unapplied: 0 };
  const what =
    at.reason === 'gap'
      ? 'records are missing from it'
      : at.reason === 'torn'
        ? 'a journal file ends in the middle of a record, although later files exist'
        : 'a record there fails its checksum (its bytes were changed)';
  const lost = scan.stopped?.damaged === true;
  const kept = scan.segments.map((s) => `${path.basename(s.file)}.${stamp}.damaged`).join(', ');
  const outcome = lost
    ? `The board was opened with every change up to #${lsn}. ${at.unapplied > 0 ? `${at.unapplied} later change(s) were found intact but cannot be applied without the damaged ones, so they are not on the board` : 'Changes saved after that point may be missing from the board'}.`
    : 'No change was lost: the damaged bytes held only changes the board already had, and every later one was applied.';
  return {
    subject: lost ? 'The board journal was damaged: recent changes may be missing' : 'The board journal was damaged (nothing was lost)',
    body: [
      `When the hub opened the board in ${dir} it found its journal damaged at byte ${at.offset} of ${path.basename(at.file)}: ${what}.`,
      outcome,
      `Nothing was deleted: the journal files were moved aside in that folder as ${kept}.`,
      lost
        ? 'What to do: look over the tasks, mail and proposals changed most recently and redo what is missing; keep the .damaged files until you are sure nothing else is, then delete them.'
        : 'What to do: nothing on the board; delete the .damaged files when you no longer need them.',
      'Damage like this comes from the disk or from another program writing into the board folder (a sync tool such as Dropbox or OneDrive, a backup restore): check the disk, and keep the board folder out of sync tools.',
    ].join('\n\n'),
  };
}

/**
 * The image records which journal record it contains up to (hub_meta.journal_seq), so recovery
 * replays only newer ones. Statements must be freed before export, and export reopens the
 * connection, which resets per-connection pragmas.
 */
export function exportImage(db: Database, tx: HubTx, seq: number): Uint8Array {
  tx.run("INSERT INTO hub_meta (key, value) VALUES ('journal_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [seq]);
  tx.clearCache();
  const image = db.export();
  connectionPragmas(db);
  return image;
}

/**
 * Per-connection settings, lost at every export (it reopens the connection). The database lives
 * in sql.js's in-memory file system and dies with the process, so its own rollback journal need
 * not be a file and no other connection can exist: MEMORY journal and EXCLUSIVE locking save a
 * file-system round trip per transaction. Durability is the hub's journal's job.
 */
function connectionPragmas(db: Database): void {
  db.run('PRAGMA foreign_keys = ON');
  db.run('PRAGMA journal_mode = MEMORY');
  db.run('PRAGMA locking_mode = EXCLUSIVE');
}
