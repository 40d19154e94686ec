import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEmptyFilter, MAX_FILTER_LENGTH, matchesFilter, normalizeQuery, parseFilter, taskMatcher, type FilterableTask } from '../../src/protocol/taskFilter';

const names = new Map([
  ['agt_000000000001', 'claude-1'],
  ['agt_000000000002', 'codex-2'],
]);
const nameOf = (id: string) => names.get(id);

const task = (over: Partial<FilterableTask> = {}): FilterableTask => ({ id: 'tsk_0123456789ab', title: 'Fix the login flow', status: 'ready', tags: [], assignee: null, ...over });
const matches = (query: string, t: FilterableTask) => matchesFilter(t, parseFilter(query), nameOf);

describe('task filter: parsing', () => {
  it('splits keys from free text, lower-cased', () => {
    assert.deepEqual(parseFilter('tag:UI owner:Claude-1 status:ready Login  Flow'), {
      query: 'tag:UI owner:Claude-1 status:ready Login Flow',
      tags: ['ui'],
      owners: ['claude-1'],
      statuses: ['ready'],
      text: ['login', 'flow'],
    });
  });

  it('knows aliases: @name, assignee:, is:, tags:', () => {
    const f = parseFilter('@codex assignee:claude is:done tags:api');
    assert.deepEqual([f.owners, f.statuses, f.tags], [['codex', 'claude'], ['done'], ['api']]);
  });

  it('keeps quoted words whole, also after a key', () => {
    const f = parseFilter('tag:"needs design" "login flow" x');
    assert.deepEqual(f.tags, ['needs design']);
    assert.deepEqual(f.text, ['login flow', 'x']);
  });

  it('an unknown key is plain text; a key with nothing after it yet is no condition', () => {
    const f = parseFilter('scope:src/auth tag:');
    assert.deepEqual(f.text, ['scope:src/auth']);
    assert.deepEqual(f.tags, []);
  });

  it('an empty or blank query filters nothing; a long one is cut', () => {
    assert.ok(isEmptyFilter(parseFilter('   ')));
    assert.ok(isEmptyFilter(parseFilter('tag: owner:')));
    assert.equal(taskMatcher('  ', nameOf), undefined);
    assert.equal(normalizeQuery('x'.repeat(500)).length, MAX_FILTER_LENGTH);
    assert.equal(normalizeQuery('  a \n\t b  '), 'a b');
  });
});

describe('task filter: matching', () => {
  it('free text matches the title, id, tags, status and the owner by name, every word required', () => {
    const t = task({ tags: ['frontend'], assignee: 'agt_000000000001', status: 'running' });
    assert.ok(matches('login', t));
    assert.ok(matches('LOGIN fix', t));
    assert.ok(matches('0123456789', t), 'by id');
    assert.ok(matches('front', t), 'by tag');
    assert.ok(matches('claude', t), 'by the owner name');
    assert.ok(matches('runn', t), 'by status');
    assert.ok(!matches('login parser', t), 'every word must match');
  });

  it('owner: matches names, never ids; owner:none is unassigned', () => {
    const mine = task({ assignee: 'agt_000000000001' });
    assert.ok(matches('owner:claude', mine));
    assert.ok(matches('@claude-1', mine));
    assert.ok(!matches('owner:codex', mine));
    assert.ok(!matches('owner:agt_', mine), 'a known agent is found by its name, not its id');
    assert.ok(matches('owner:none', task()));
    assert.ok(!matches('owner:none', mine));
    // An agent the lookup does not know (retired, not loaded yet) is still found by what there is.
    assert.ok(matches('owner:agt_00000000000', task({ assignee: 'agt_00000000000f' })));
  });

  it('tag: and status: match by prefix; several of one key are alternatives, different keys all hold', () => {
    const t = task({ tags: ['scope:src/auth', 'UI'], status: 'running' });
    assert.ok(matches('tag:scope', t));
    assert.ok(matches('tag:ui', t));
    assert.ok(!matches('tag:api', t));
    assert.ok(matches('tag:api tag:ui', t), 'either tag');
    assert.ok(matches('status:run', t));
    assert.ok(matches('status:ready status:running', t));
    assert.ok(!matches('status:running tag:api', t), 'both keys must hold');
    assert.ok(!matches('status:done', t));
  });

  it('taskMatcher parses once and filters many', () => {
    const list = [task({ id: 'tsk_000000000001', title: 'Parser' }), task({ id: 'tsk_000000000002', title: 'Lexer', tags: ['parser'] }), task({ id: 'tsk_000000000003', title: 'Docs' })];
    const m = taskMatcher('parser', nameOf)!;
    assert.deepEqual(list.filter(m).map((t) => t.id), ['tsk_000000000001', 'tsk_000000000002']);
  });
});
