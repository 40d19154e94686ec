/**
 * The soak (bench/soak.ts, `npm run soak` runs it over 10,000 tasks), short: a few hundred tasks
 * through a swarm of scripted agents that crash, kill -9 themselves, hang, stall and print
 * garbage, while the hub is killed with -9 and the board's disk fills up for a moment. Asserts the
 * invariants, never timing: every task ends done, or failed or blocked with a reason; nothing is
 * stuck or lost; every acknowledged write is on the board recovered after the last kill; every
 * injected stall and hang is detected; the final image passes integrity_check.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReport, runSoak } from '../../bench/soak';

describe('soak (short)', () => {
  it('400 tasks through crashes, hangs, stalls, bad output, hub kill -9s and a full disk: nothing stuck, nothing lost', { timeout: 240_000 }, async () => {
    const lines: string[] = [];
    const r = await runSoak({ tasks: 400, agents: 12, maxConcurrent: 10, hubKills: 3, diskFullMs: 2_000, sampleMs: 5_000, deadlineMs: 180_000, log: (l) => lines.push(l) });
    const text = formatReport(r);
    if (process.env.SOAK_REPORT || r.failures.length) console.log(`${lines.join('\n')}\n${text}`);
    assert.deepEqual(r.failures, [], text);
    assert.equal(r.tasks, 400);
    assert.deepEqual(r.stuck, []);
    assert.deepEqual(r.lost, []);
    assert.deepEqual(r.endedWithoutReason, []);
    assert.equal(r.duplicates, 0);
    assert.deepEqual(r.acked.lost, []);
    assert.ok(r.acked.checked >= 400);
    assert.equal(r.integrity, 'ok');
    assert.equal(r.stalls.detected, r.stalls.injected);
    assert.equal(r.hangs.detected, r.hangs.injected);
    assert.ok(r.hubKills >= 3, `${r.hubKills} hub kills`);
    assert.equal(r.hubRecoveries, r.hubKills);
    assert.ok(r.disk.fullForMs > 0, 'the disk was full for a moment');
    const done = r.byStatus.done ?? 0;
    assert.equal(done + (r.byStatus.failed ?? 0) + (r.byStatus.blocked ?? 0) + (r.byStatus.cancelled ?? 0) + r.waitingOnFailedDependency, 400);
  });
});
