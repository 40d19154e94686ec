/**
 * The zod-free half of the wire protocol (framing, constants, and the check of what the hub sends):
 * all a client needs, so the `dreamos` CLI and an editor window that is not the hub reach the hub
 * without loading zod. The hub's validation of client frames is in wire.ts.
 */
import { ERROR_CODES, type ErrorCode } from '../errors';

/** Bumped on any incompatible change to frames or hub behaviour. */
export const PROTOCOL_VERSION = 1;

/** Largest frame a client may send. Responses may be larger (a full task list), see CLIENT_MAX_FRAME. */
export const HUB_MAX_FRAME = 4 * 1024 * 1024;
export const CLIENT_MAX_FRAME = 512 * 1024 * 1024;

export interface HelloResult {
  protocolVersion: number;
  hubPid: number;
  startedAt: number;
}

type FrameId = number | string;

/** What the hub sends: an answer to frame `id` (null: a frame the hub could not read) or an event of subscription `sub`. */
export type HubFrame =
  | { id: FrameId | null; ok: true; result: unknown }
  | { id: FrameId | null; ok: false; error: { code: ErrorCode; message: string; details?: unknown } }
  | { op: 'event'; sub: FrameId; event: { seq: number; [k: string]: unknown } };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFrameId = (v: unknown): v is FrameId => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'string' && v.length >= 1 && v.length <= 100);
const CODES: ReadonlySet<unknown> = new Set(ERROR_CODES);

/** Checks a parsed frame from the hub (the same rules as wire.ts's HubFrame schema); throws on a malformed one. */
export function parseHubFrame(v: unknown): HubFrame {
  if (isObject(v)) {
    if ((v.id === null || isFrameId(v.id)) && v.ok === true) return { id: v.id, ok: true, result: v.result };
    if ((v.id === null || isFrameId(v.id)) && v.ok === false && isObject(v.error) && CODES.has(v.error.code) && typeof v.error.message === 'string') {
      const e = v.error;
      return { id: v.id, ok: false, error: { code: e.code as ErrorCode, message: e.message as string, ...(e.details !== undefined ? { details: e.details } : {}) } };
    }
    if (v.op === 'event' && isFrameId(v.sub) && isObject(v.event) && Number.isSafeInteger(v.event.seq)) return { op: 'event', sub: v.sub, event: v.event as { seq: number } };
  }
  throw new Error('malformed hub frame');
}

export function encodeFrame(frame: unknown): string {
  return JSON.stringify(frame) + '\n';
}

/**
 * Splits a byte stream into lines without ever holding more than `max` bytes of one frame: an
 * oversized frame is skipped up to its newline and reported once, so one bad client message costs
 * an error reply, not the hub's memory.
 */
export class FrameReader {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;

  constructor(
    private readonly max: number,
    private readonly onFrame: (line: string) => void,
    private readonly onOversize: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.append(chunk.subarray(start));
        return;
      }
      this.append(chunk.subarray(start, nl));
      start = nl + 1;
      if (this.skipping) {
        this.skipping = false;
      } else if (this.size > 0) {
        const line = this.parts.length === 1 ? this.parts[0]!.toString('utf8') : Buffer.concat(this.parts, this.size).toString('utf8');
        this.parts = [];
        this.size = 0;
        this.onFrame(line);
      }
    }
  }

  private append(b: Buffer): void {
    if (b.length === 0 || this.skipping) return;
    if (this.size + b.length > this.max) {
      this.parts = [];
      this.size = 0;
      this.skipping = true;
      this.onOversize();
      return;
    }
    this.parts.push(b);
    this.size += b.length;
  }
}
