import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyOutcome } from '../../src/core/loop/classify';

describe('classifying a failed start', () => {
  it('a full disk is transient: back off and retry, the agent is not retired as a broken tool', () => {
    for (const errno of ['ENOSPC', 'EDQUOT']) {
      const c = classifyOutcome({ status: 'spawn-error', errno, message: `${errno}: no space left on device, write`, tail: '', durationMs: 3 }, 'coder', 'claude');
      assert.deepEqual([c.class, c.strategy], ['transient', 'backoff']);
      assert.match(c.reason, /short of disk space/);
    }
  });

  it('a missing program is still the tool\'s fault', () => {
    const c = classifyOutcome({ status: 'spawn-error', errno: 'ENOENT', tail: '', durationMs: 1 }, 'coder', 'claude');
    assert.deepEqual([c.class, c.strategy], ['tool', 'reassign']);
  });
});
