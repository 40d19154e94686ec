/**
 * The append-only journal: each committed transaction is one record holding the SQL writes it
 * made (statement + bound params, as recorded by SqlJsTx.onWrite). Ids and timestamps are already
 * in the params, so replaying the records onto the last image rebuilds exactly the same database.
 *
 * Record: [u32 LE payload length][u32 LE crc32(payload)][payload = JSON {s: seq, w: [[sql, params]...]}]
 * A record that is short or fails its crc at the very end of the journal is a torn tail from a crash
 * mid-append and is dropped (it was never acknowledged: acks wait for the fsync that covers the
 * record). Bad bytes anywhere else are damage, which recovery keeps aside and reports (recovery.ts).
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
  /**
   * Why reading stopped early, if it did. A torn tail (a bad record at the end of the last
   * segment, nothing intact after it) is what a crash mid-append leaves; it was never acknowledged.
   * Anything else is damage: 'torn' in a sealed segment, 'corrupt' (a bad record with intact ones
   * after it) or 'gap' (records missing). `unapplied` counts the intact records after that point,
   * which cannot be applied without the missing ones.
   */
  stopped?: { file: string; offset: number; reason: 'torn' | 'corrupt' | 'gap'; damaged: boolean; unapplied: number };
  /** Damaged bytes that held only records already applied: skipped, nothing lost. */
  skipped?: { file: string; offset: number; reason: 'torn' | 'corrupt' }[];
}

/** The record at `off` if it is intact (complete, crc matches, parses). */
function recordAt(buf: Buffer, off: number): { rec: { s: number; w: [string, unknown[]][] }; end: number } | undefined {
  if (off < 0 || off + HEADER > buf.length) return undefined;
  const len = buf.readUInt32LE(off);
  if (len > MAX_RECORD || off + HEADER + len > buf.length) return undefined;
  const payload = buf.subarray(off + HEADER, off + HEADER + len);
  if (crc32(payload) !== buf.readUInt32LE(off + 4)) return undefined;
  try {
    const rec = JSON.parse(payload.toString('utf8')) as { s: number; w: [string, unknown[]][] };
    return typeof rec.s === 'number' && Array.isArray(rec.w) ? { rec, end: off + HEADER + len } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The next intact record at or after `from`, found by its payload's opening bytes (`{"s":`, which
 * JSON can only produce at a record's start: inside strings quotes are escaped) and its crc.
 */
const START = Buffer.from('{"s":', 'utf8');
function nextIntact(buf: Buffer, from: number): number | undefined {
  for (let p = buf.indexOf(START, from + HEADER); p !== -1; p = buf.indexOf(START, p + 1)) {
    if (recordAt(buf, p - HEADER)) return p - HEADER;
  }
  return undefined;
}

/**
 * Reads the records after `afterSeq`, in order. Damaged bytes are stepped over when the next
 * intact record shows that they held nothing still needed; reading stops at a torn tail, or where
 * needed records are missing.
 */
export function scanJournal(dir: string, afterSeq: number): JournalScan {
  const segments = listSegments(dir);
  const bufs = segments.map((seg) => readFileSync(seg.file));
  const records: JournalRecord[] = [];
  const skipped: NonNullable<JournalScan['skipped']> = [];
  let expected = afterSeq + 1;
  const countFrom = (i: number, off: number): number => {
    let n = 0;
    for (let j = i; j < bufs.length; j++) {
      for (let o = nextIntactOrHere(bufs[j]!, j === i ? off : 0); o !== undefined; o = nextIntactOrHere(bufs[j]!, recordAt(bufs[j]!, o)!.end)) n++;
    }
    return n;
  };
  const done = (stopped?: JournalScan['stopped']): JournalScan => ({ records, segments, ...(stopped ? { stopped } : {}), ...(skipped.length ? { skipped } : {}) });
  let damage: { i: number; offset: number; reason: 'torn' | 'corrupt' } | undefined;
  for (let i = 0; i < segments.length; i++) {
    const buf = bufs[i]!;
    let off = 0;
    while (off < buf.length) {
      const r = recordAt(buf, off);
      if (!r) {
        // Is anything intact after these bytes, here or in a later segment?
        const here = nextIntact(buf, off + 1);
        const later = here === undefined ? bufs.findIndex((b, j) => j > i && nextIntactOrHere(b, 0) !== undefined) : -1;
        if (here === undefined && later === -1) {
          const last = i === segments.length - 1;
          return done({ file: segments[i]!.file, offset: off, reason: 'torn', damaged: !last, unapplied: 0 });
        }
        // Cut short with more journal after it (torn), or bad bytes between good records (corrupt).
        damage ??= { i, offset: off, reason: here === undefined ? 'torn' : 'corrupt' };
        if (here !== undefined) {
          off = here;
          continue;
        }
        break; // on to the segment that holds the next intact record
      }
      const { rec, end } = r;
      if (rec.s > afterSeq) {
        if (rec.s !== expected) {
          const at = damage ?? { i, offset: off, reason: 'gap' as const };
          return done({ file: segments[at.i]!.file, offset: at.offset, reason: at.reason, damaged: true, unapplied: countFrom(i, off) });
        }
        records.push({ seq: rec.s, writes: rec.w.map(([sql, p]) => [sql, decodeParams(p)] as const) });
        expected++;
      }
      // Damage followed by the very next record needed: the damaged bytes held only older ones.
      if (damage) skipped.push({ file: segments[damage.i]!.file, offset: damage.offset, reason: damage.reason });
      damage = undefined;
      off = end;
    }
  }
  return done();
}

function nextIntactOrHere(buf: Buffer, off: number): number | undefined {
  return recordAt(buf, off) ? off : nextIntact(buf, off);
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
