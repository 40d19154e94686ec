import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { DreamError } from '../../src/core/errors';
import { InteractionVerifier, publicKeyFromHex, ReplayGuard } from '../../src/integrations/discord/signature';
import { appKeys } from '../integration/helpers/fakeDiscordPayloads';

const body = Buffer.from(JSON.stringify({ type: 1, id: '123456789012345678', application_id: '123456789012345679' }));

describe('Discord request signatures (real Ed25519 keys)', () => {
  const keys = appKeys();
  const now = 1_750_000_000_000;
  const ts = String(now / 1000);
  const verifier = () => new InteractionVerifier(keys.publicKeyHex, () => now);

  it('accepts a valid signature over timestamp + raw body', () => {
    assert.deepEqual(verifier().check({ signature: keys.sign(ts, body), timestamp: ts, rawBody: body }), { ok: true });
  });

  it('accepts the key as Discord shows it, in upper case too', () => {
    const v = new InteractionVerifier(keys.publicKeyHex.toUpperCase(), () => now);
    assert.equal(v.check({ signature: keys.sign(ts, body).toUpperCase(), timestamp: ts, rawBody: body }).ok, true);
  });

  it('refuses a signature made with another key', () => {
    const other = appKeys();
    assert.deepEqual(verifier().check({ signature: other.sign(ts, body), timestamp: ts, rawBody: body }), { ok: false, reason: 'forged' });
  });

  it('refuses a body changed after signing, even by one byte or whitespace', () => {
    const sig = keys.sign(ts, body);
    const tampered = Buffer.from(body);
    tampered[tampered.length - 3] ^= 1;
    assert.deepEqual(verifier().check({ signature: sig, timestamp: ts, rawBody: tampered }), { ok: false, reason: 'forged' });
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    assert.deepEqual(verifier().check({ signature: sig, timestamp: ts, rawBody: reformatted }), { ok: false, reason: 'forged' });
  });

  it('refuses a signature moved to another timestamp', () => {
    const sig = keys.sign(ts, body);
    assert.deepEqual(verifier().check({ signature: sig, timestamp: String(now / 1000 - 1), rawBody: body }), { ok: false, reason: 'forged' });
  });

  it('refuses missing and malformed headers', () => {
    const sig = keys.sign(ts, body);
    assert.deepEqual(verifier().check({ signature: undefined, timestamp: ts, rawBody: body }), { ok: false, reason: 'missing' });
    assert.deepEqual(verifier().check({ signature: sig, timestamp: undefined, rawBody: body }), { ok: false, reason: 'missing' });
    assert.deepEqual(verifier().check({ signature: sig.slice(2), timestamp: ts, rawBody: body }), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifier().check({ signature: `zz${sig.slice(2)}`, timestamp: ts, rawBody: body }), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifier().check({ signature: sig, timestamp: `${ts}.5`, rawBody: body }), { ok: false, reason: 'malformed' });
  });

  it('refuses stale timestamps (older or newer than 5 minutes), signed or not', () => {
    for (const offset of [-301, 301, -86_400]) {
      const t = String(now / 1000 + offset);
      assert.deepEqual(verifier().check({ signature: keys.sign(t, body), timestamp: t, rawBody: body }), { ok: false, reason: 'stale' }, `offset ${offset}s`);
    }
    const edge = String(now / 1000 - 299);
    assert.equal(verifier().check({ signature: keys.sign(edge, body), timestamp: edge, rawBody: body }).ok, true);
  });

  it('refuses a replay of an accepted request, but not a new request', () => {
    const v = verifier();
    const sig = keys.sign(ts, body);
    assert.equal(v.check({ signature: sig, timestamp: ts, rawBody: body }).ok, true);
    assert.deepEqual(v.check({ signature: sig, timestamp: ts, rawBody: body }), { ok: false, reason: 'replayed' });
    assert.deepEqual(v.check({ signature: sig.toUpperCase(), timestamp: ts, rawBody: body }), { ok: false, reason: 'replayed' });
    const other = Buffer.from(body.toString().replace('"type":1', '"type":2'));
    assert.equal(v.check({ signature: keys.sign(ts, other), timestamp: ts, rawBody: other }).ok, true);
  });

  it('does not remember forged signatures (a flood cannot fill the memory)', () => {
    const v = verifier();
    const other = appKeys();
    for (let i = 0; i < 50; i++) v.check({ signature: other.sign(ts, `${i}`), timestamp: ts, rawBody: Buffer.from(`${i}`) });
    assert.equal((v as unknown as { replays: ReplayGuard }).replays.size, 0);
  });

  it('forgets replay entries once they could only be stale', () => {
    const g = new ReplayGuard(1_000);
    assert.equal(g.admit('aa', 0), true);
    assert.equal(g.admit('aa', 1_500), false);
    assert.equal(g.admit('bb', 5_000), true);
    assert.equal(g.size, 1, 'the expired entry was dropped');
  });

  it('builds the key from hex and refuses what is not a 32-byte hex key', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const hex = publicKey.export({ format: 'jwk' }).x!;
    const fromJwk = Buffer.from(hex, 'base64url').toString('hex');
    assert.equal(publicKeyFromHex(fromJwk).asymmetricKeyType, 'ed25519');
    for (const bad of ['', 'abc', 'g'.repeat(64), '0'.repeat(66)]) assert.throws(() => publicKeyFromHex(bad), (e: unknown) => e instanceof DreamError && /Public Key/.test(e.message));
  });
});
