/**
 * Discord signs every request to an interactions endpoint with the application's Ed25519 key:
 * `X-Signature-Ed25519` is the hex signature of `X-Signature-Timestamp` + the raw body, exactly as
 * sent (so the body is verified before it is parsed). On top of that: a timestamp older or newer
 * than five minutes is stale, and a signature seen before within that window is a replay.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { DreamError } from '../../core/errors';

/** The DER header of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
export const SIGNATURE_WINDOW_MS = 5 * 60_000;

export function publicKeyFromHex(hex: string): KeyObject {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new DreamError('invalid_input', 'The Discord public key must be the 64-character hex Public Key from the Developer Portal (your app → General Information).');
  }
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]), format: 'der', type: 'spki' });
}

export type SignatureVerdict = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'forged' | 'replayed' };

/** Remembers signatures it accepted until they would be stale anyway. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly windowMs = SIGNATURE_WINDOW_MS,
    private readonly maxEntries = 100_000,
  ) {}

  /** True when `signature` is new (and records it); false for a replay. */
  admit(signature: string, now: number): boolean {
    for (const [sig, expires] of this.seen) {
      if (expires > now && this.seen.size <= this.maxEntries) break; // insertion order: the rest are newer
      this.seen.delete(sig);
    }
    const key = signature.toLowerCase();
    if (this.seen.has(key)) return false;
    // Both sides of the window: a timestamp up to 5 min in the future is accepted too.
    this.seen.set(key, now + 2 * this.windowMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

export interface SignedRequest {
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: Buffer;
}

export class InteractionVerifier {
  private readonly key: KeyObject;
  private readonly replays: ReplayGuard;

  constructor(
    publicKeyHex: string,
    private readonly clock: () => number = Date.now,
    private readonly windowMs = SIGNATURE_WINDOW_MS,
  ) {
    this.key = publicKeyFromHex(publicKeyHex);
    this.replays = new ReplayGuard(windowMs);
  }

  check(req: SignedRequest): SignatureVerdict {
    const { signature, timestamp, rawBody } = req;
    if (!signature || !timestamp) return { ok: false, reason: 'missing' };
    if (!/^[0-9a-fA-F]{128}$/.test(signature) || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed' };
    const now = this.clock();
    if (Math.abs(now - Number(timestamp) * 1000) > this.windowMs) return { ok: false, reason: 'stale' };
    const valid = verify(null, Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]), this.key, Buffer.from(signature, 'hex'));
    if (!valid) return { ok: false, reason: 'forged' };
    // Only verified signatures are remembered, so forged floods cannot fill the memory.
    if (!this.replays.admit(signature, now)) return { ok: false, reason: 'replayed' };
    return { ok: true };
  }
}
