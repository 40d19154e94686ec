import assert from 'node:assert/strict';
import { parseSwarmConfig } from '../../../src/core/loop/agentsConfig';

/** The message agents.json validation gives for `raw` (fails the test when it is accepted). */
export function configError(raw: unknown): string {
  try {
    parseSwarmConfig(raw);
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('expected the config to be refused');
}
