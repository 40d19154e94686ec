import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actorName, nameLookup, namesIn, plural } from '../../src/protocol/names';

const agents = [
  { id: 'agt_6316b473b32f', name: 'claude-1' },
  { id: 'agt_000000000001', name: 'codex-2' },
];
const name = nameLookup(agents);

describe('names, not ids', () => {
  it('an actor reads as the agent name, "you" for the person, and as given otherwise', () => {
    assert.equal(actorName('agt_6316b473b32f', name), 'claude-1');
    assert.equal(actorName('human', name), 'you');
    assert.equal(actorName('hub', name), 'hub');
    assert.equal(actorName('', name), '');
    assert.equal(actorName('agt_ffffffffffff', name), 'agt_ffffffffffff', 'an unknown agent keeps its id: better than nothing');
  });

  it('ids inside a sentence become names; a swarm host id becomes "the swarm on <host>"', () => {
    assert.equal(namesIn('claimed by agt_6316b473b32f', name), 'claimed by claude-1');
    assert.equal(namesIn('handed from agt_6316b473b32f to agt_000000000001', name), 'handed from claude-1 to codex-2');
    assert.equal(namesIn('started by loop_vm_12345_a1b2c3', name), 'started by the swarm on vm');
    assert.equal(namesIn('started by loop_build-box.local_9_ffffff', name), 'started by the swarm on build-box.local');
    assert.equal(namesIn('nothing to name here', name), 'nothing to name here');
  });

  it('counts agree with their noun', () => {
    assert.equal(plural(1, 'task'), '1 task');
    assert.equal(plural(0, 'task'), '0 tasks');
    assert.equal(plural(2, 'agent'), '2 agents');
    assert.equal(plural(1, 'reply', 'replies'), '1 reply');
    assert.equal(plural(3, 'reply', 'replies'), '3 replies');
    assert.equal(plural(10_000, 'task', 'tasks', (n) => n.toLocaleString('en-US')), '10,000 tasks');
  });
});
