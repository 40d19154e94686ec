/**
 * The hub's wire protocol: newline-delimited JSON over a Unix socket / Windows named pipe.
 * Every frame a client sends is validated with zod at the hub; nothing a client sends can crash it.
 */
import { z } from 'zod';
import { DreamError, ERROR_CODES } from '../errors';
import { encodeFrame } from './frames';

export { CLIENT_MAX_FRAME, encodeFrame, FrameReader, HUB_MAX_FRAME, PROTOCOL_VERSION, type HelloResult } from './frames';

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

export function errorFrame(id: string | number | null, err: unknown): string {
  return encodeFrame({ id, ok: false, error: DreamError.from(err).toJSON() });
}
