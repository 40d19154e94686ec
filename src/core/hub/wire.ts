/**
 * The hub's wire protocol: newline-delimited JSON over a Unix socket / Windows named pipe.
 * Every frame a client sends is validated with zod at the hub; nothing a client sends can crash it.
 */
import { z } from 'zod';
import { DreamError, ERROR_CODES } from '../errors';

/** Bumped on any incompatible change to frames or hub behaviour. */
export const PROTOCOL_VERSION = 1;

/** Largest frame a client may send. Responses may be larger (a full task list), see CLIENT_MAX_FRAME. */
export const HUB_MAX_FRAME = 4 * 1024 * 1024;
export const CLIENT_MAX_FRAME = 512 * 1024 * 1024;

const FrameId = z.union([z.number().int().nonnegative(), z.string().min(1).max(100)]);

export const ClientFrame = z.discriminatedUnion('op', [
  z.object({ id: FrameId, op: z.literal('hello'), token: z.string().max(200), client: z.string().min(1).max(200), protocolVersion: z.number().int().optional() }),
  z.object({ id: FrameId, op: z.literal('call'), requestId: z.string().min(8).max(100), command: z.unknown(), actor: z.string().min(1).max(200).optional() }),
  z.object({ id: FrameId, op: z.literal('subscribe'), afterSeq: z.number().int().nonnegative() }),
  z.object({ id: FrameId, op: z.literal('unsubscribe'), sub: FrameId }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

const WireError = z.object({ code: z.enum(ERROR_CODES), message: z.string(), details: z.unknown().optional() });

export const HubFrame = z.union([
  z.object({ id: FrameId.nullable(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: FrameId.nullable(), ok: z.literal(false), error: WireError }),
  z.object({ op: z.literal('event'), sub: FrameId, event: z.object({ seq: z.number().int() }).passthrough() }),
]);
export type HubFrame = z.infer<typeof HubFrame>;

export interface HelloResult {
  protocolVersion: number;
  hubPid: number;
  startedAt: number;
}

export function encodeFrame(frame: unknown): string {
  return JSON.stringify(frame) + '\n';
}

export function errorFrame(id: string | number | null, err: unknown): string {
  return encodeFrame({ id, ok: false, error: DreamError.from(err).toJSON() });
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
