/**
 * The append-only journal: each committed transaction is one record holding the SQL writes it
 * made (statement + bound params, as recorded by SqlJsTx.onWrite). Ids and timestamps are already
 * in the params, so replaying the records onto the last image rebuilds exactly the same database.
 *
 * Record: [u32 LE payload length][u32 LE crc32(payload)][payload = JSON {s: seq, w: [[sql, params]...]}]
 * A record that is short or fails its crc is a torn tail from a crash mid-append; everything from
 * there on is dropped (it was never acknowledged: acks wait for the fsync that covers the record).
 *
 * The journal is split into segments `board.journal.<n>`; a checkpoint starts a new segment and,
 * once the image that folds the old ones in is durable, deletes them.
 */
import { closeSync, fdatasync, openSync, readdirSync, readFileSync, writev } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import type { SqlParam, SqlParams } from '../store/sqlite';
import { fsyncDir } from './fsutil';

export type Write = readonly [sql: string, params: SqlParams];
export interface JournalRecord {
  seq: number;
  writes: Write[];
}

const HEADER = 8;
const MAX_RECORD = 1024 * 1024 * 1024;

const crc32: (b: Uint8Array) => number = typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (b) => zlib.crc32(b) : crc32Fallback;

let table: Uint32Array | undefined;
/** For Node < 20.15, which lacks zlib.crc32. */
function crc32Fallback(b: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** JSON cannot carry blobs, non-finite numbers or bigints as themselves: they are tagged. */
function encodeParams(params: SqlParams): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < params.length; i++) {
    const v = params[i] as unknown;
    if (v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) continue;
    out ??= [...params];
    if (typeof v === 'number') out[i] = { $f: String(v) };
    else if (v instanceof Uint8Array) out[i] = { $b: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    else if (typeof v === 'bigint') out[i] = { $i: v.toString() };
    else if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else out[i] = null;
  }
  return out ?? (params as unknown[]);
}

function decodeParams(params: unknown[]): SqlParam[] {
  return params.map((v) => {
    if (v === null || typeof v !== 'object') return v as SqlParam;
    const o = v as { $f?: string; $b?: string; $i?: string };
    if (o.$b !== undefined) return new Uint8Array(Buffer.from(o.$b, 'base64'));
    if (o.$f !== undefined) return Number(o.$f);
    if (o.$i !== undefined) return BigInt(o.$i) as unknown as SqlParam;
    return null;
  });
}

export function encodeRecord(seq: number, writes: readonly Write[]): Buffer {
  const payload = Buffer.from(JSON.stringify({ s: seq, w: writes.map(([sql, p]) => [sql, encodeParams(p)]) }), 'utf8');
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

export interface Segment {
  index: number;
  file: string;
}

const SEGMENT = /^board\.journal\.(\d+)$/;

export function segmentFile(dir: string, index: number): string {
  return path.join(dir, `board.journal.${String(index).padStart(10, '0')}`);
}

export function listSegments(dir: string): Segment[] {
  return readdirSync(dir)
    .map((name) => SEGMENT.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ index: Number(m[1]), file: path.join(dir, m[0]) }))
    .sort((a, b) => a.index - b.index);
}

export interface JournalScan {
  records: JournalRecord[];
  segments: Segment[];
  /** Why reading stopped early, if it did: a torn tail is normal after a crash, a gap is not. */
  stopped?: { file: string; offset: number; reason: 'torn' | 'gap' };
}

/** Reads the records after `afterSeq`, in order, stopping at the first torn record or gap. */
export function scanJournal(dir: string, afterSeq: number): JournalScan {
  const segments = listSegments(dir);
  const records: JournalRecord[] = [];
  let expected = afterSeq + 1;
  for (const seg of segments) {
    const buf = readFileSync(seg.file);
    let off = 0;
    while (off < buf.length) {
      const stop = (reason: 'torn' | 'gap'): JournalScan => ({ records, segments, stopped: { file: seg.file, offset: off, reason } });
      if (off + HEADER > buf.length) return stop('torn');
      const len = buf.readUInt32LE(off);
      if (len > MAX_RECORD || off + HEADER + len > buf.length) return stop('torn');
      const payload = buf.subarray(off + HEADER, off + HEADER + len);
      if (crc32(payload) !== buf.readUInt32LE(off + 4)) return stop('torn');
      let rec: { s: number; w: [string, unknown[]][] };
      try {
        rec = JSON.parse(payload.toString('utf8')) as typeof rec;
      } catch {
        return stop('torn');
      }
      if (rec.s > afterSeq) {
        if (rec.s !== expected) return stop('gap');
        records.push({ seq: rec.s, writes: rec.w.map(([sql, p]) => [sql, decodeParams(p)] as const) });
        expected++;
      }
      off += HEADER + len;
    }
  }
  return { records, segments };
}

export type Durability = 'full' | 'process';

/**
 * One open segment. `append` writes a batch of records and, with durability 'full', fdatasyncs it
 * (and, once per segment, the folder, so the new file's name survives a power loss too). With
 * 'normal' the data is in the OS page cache when append resolves: it survives kill -9, not a power cut.
 */
export class JournalSegment {
  private readonly fd: number;
  private dirSynced = false;
  bytes = 0;

  constructor(
    readonly dir: string,
    readonly index: number,
    private readonly durability: Durability,
  ) {
    this.fd = openSync(segmentFile(dir, index), 'a', 0o600);
  }

  async append(bufs: Buffer[]): Promise<void> {
    const total = bufs.reduce((n, b) => n + b.length, 0);
    const written = await new Promise<number>((resolve, reject) => writev(this.fd, bufs, (err, n) => (err ? reject(err) : resolve(n))));
    // A short write would leave a hole that hides every later record: treat it as a failed disk.
    if (written !== total) throw new Error(`journal write was short (${written} of ${total} bytes)`);
    this.bytes += total;
    if (this.durability === 'full') {
      await new Promise<void>((resolve, reject) => fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
      if (!this.dirSynced) {
        await fsyncDir(this.dir);
        this.dirSynced = true;
      }
    }
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

export async function deleteSegments(segments: readonly Segment[]): Promise<void> {
  for (const s of segments) await unlink(s.file).catch(() => undefined);
}
