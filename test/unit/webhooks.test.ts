/** The webhook rules on their own: which events are news, the retry decision, signing, Retry-After. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BoardEvent } from '../../src/core/events/eventLog';
import { classify, decide, sign, verify, DEFAULT_RETRY } from '../../src/core/webhooks/rules';
import { parseRetryAfter } from '../../src/integrations/webhooks/fetchSender';

const ev = (type: BoardEvent['type'], payload: Record<string, unknown>, subject = 'tsk_000000000001'): BoardEvent => ({ seq: 1, type, at: 0, actor: 'agt_1', subject, payload });

describe('webhook rules', () => {
  it('names the six kinds of news and nothing else', () => {
    assert.equal(classify(ev('task.transitioned', { from: 'running', to: 'blocked' })), 'blocked');
    assert.equal(classify(ev('task.transitioned', { from: 'running', to: 'failed' })), 'failed');
    assert.equal(classify(ev('task.transitioned', { from: 'review', to: 'done' })), 'done');
    assert.equal(classify(ev('task.transitioned', { from: 'ready', to: 'claimed' })), undefined);
    assert.equal(classify(ev('mail.sent', { from: 'agt_1', to: { kind: 'human' } })), 'needs-input');
    assert.equal(classify(ev('mail.sent', { from: 'hub', to: { kind: 'human' } })), 'needs-input');
    assert.equal(classify(ev('mail.sent', { from: 'human:cli', to: { kind: 'human' } })), undefined, "the person's own note");
    assert.equal(classify(ev('mail.sent', { from: 'agt_1', to: { kind: 'agent', id: 'agt_2' } })), undefined);
    assert.equal(classify(ev('proposal.submitted', { title: 'x' }, 'prp_000000000001')), 'proposal-ready');
    assert.equal(classify(ev('proposal.transitioned', { from: 'rejected', to: 'pending', detail: 'revision 2' }, 'prp_000000000001')), 'proposal-ready');
    assert.equal(classify(ev('proposal.transitioned', { from: 'validating', to: 'pending', detail: 'checks failed' }, 'prp_000000000001')), undefined);
    assert.equal(classify(ev('budget.exceeded', { scope: 'task', unit: 'usd', limit: 1, spent: 2 })), 'over-budget');
    assert.equal(classify(ev('agent.heartbeat', {})), undefined);
  });

  it('retries what may get better, with doubling waits up to the cap, and gives up at the bound', () => {
    const p = { maxAttempts: 4, baseMs: 100, capMs: 250 };
    assert.deepEqual(decide(1, { status: 204 }, 0, p), { outcome: 'delivered' });
    assert.deepEqual(decide(1, { status: 500 }, 1_000, p), { outcome: 'retry', retryAt: 1_100, why: 'HTTP 500' });
    assert.equal((decide(2, { status: null, error: 'ECONNREFUSED' }, 1_000, p) as { retryAt: number }).retryAt, 1_200);
    assert.equal((decide(3, { status: 502 }, 1_000, p) as { retryAt: number }).retryAt, 1_250, 'capped');
    assert.equal((decide(1, { status: 429, retryAfterMs: 200 }, 1_000, p) as { retryAt: number }).retryAt, 1_200, 'Retry-After, not the backoff');
    assert.equal((decide(1, { status: 429, retryAfterMs: 9_999 }, 1_000, p) as { retryAt: number }).retryAt, 1_250, 'Retry-After is capped too');
    assert.match((decide(4, { status: 500 }, 0, p) as { why: string }).why, /gave up after 4 attempts/);
    for (const s of [301, 400, 401, 404, 410]) assert.equal(decide(1, { status: s }, 0, p).outcome, 'failed', `${s} is not retried`);
    for (const s of [408, 425, 429]) assert.equal(decide(1, { status: s }, 0, p).outcome, 'retry', `${s} is retried`);
    assert.equal(DEFAULT_RETRY.maxAttempts, 8);
  });

  it('signs <timestamp>.<body> and verifies in constant time, refusing stale timestamps', () => {
    const sig = sign('s3cret', 1_700_000_000, '{"a":1}');
    assert.match(sig, /^sha256=[0-9a-f]{64}$/);
    assert.equal(verify('s3cret', { signature: sig, timestamp: '1700000000' }, '{"a":1}', 1_700_000_010), true);
    assert.equal(verify('other', { signature: sig, timestamp: '1700000000' }, '{"a":1}', 1_700_000_010), false);
    assert.equal(verify('s3cret', { signature: sig, timestamp: '1700000001' }, '{"a":1}', 1_700_000_010), false, 'the timestamp is signed');
    assert.equal(verify('s3cret', { signature: sig, timestamp: '1700000000' }, '{"a":1}', 1_700_001_000), false, 'too old: a replay');
  });

  it('reads Retry-After as seconds or as a date', () => {
    assert.equal(parseRetryAfter('3'), 3_000);
    assert.equal(parseRetryAfter(new Date(61_000).toUTCString(), 1_000), 60_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });
});
