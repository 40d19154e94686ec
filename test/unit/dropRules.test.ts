import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionTo } from '../../src/core/board/actions';
import type { TaskStatus } from '../../src/core/board/boardModel';
import { COLUMNS } from '../../src/protocol/boardColumns';
import { dropRules, dropTarget } from '../../src/extension/dashboard/dropRules';

const col = (title: string) => COLUMNS.findIndex((c) => c.title === title);

describe('dashboard drop rules come from the action table', () => {
  it('every allowed drop is the action the tree does for a drop on that status', () => {
    const rules = dropRules();
    for (const [from, list] of Object.entries(rules) as [TaskStatus, NonNullable<(typeof rules)[TaskStatus]>][]) {
      assert.equal(list.length, COLUMNS.length);
      list.forEach((r, i) => {
        const target = dropTarget(from, i);
        assert.equal(r.ok, target !== undefined, `${from} → ${COLUMNS[i]!.title}`);
        if (target) assert.ok(actionTo(from, target.to), 'the action table has it');
        else assert.ok(!r.ok && r.why.length > 10, 'a refusal says why');
      });
    }
  });

  it('the usual moves', () => {
    assert.deepEqual(dropTarget('ready', col('Done')), { to: 'done', label: 'Mark Done' });
    assert.deepEqual(dropTarget('ready', col('Needs attention')), { to: 'blocked', label: 'Block' });
    assert.deepEqual(dropTarget('running', col('Ready')), { to: 'ready', label: 'Release' });
    assert.deepEqual(dropTarget('failed', col('Ready')), { to: 'ready', label: 'Retry' });
    assert.deepEqual(dropTarget('done', col('Ready')), { to: 'ready', label: 'Reopen' });
    assert.equal(dropTarget('ready', col('Ready')), undefined, 'already there');
    assert.equal(dropTarget('ready', col('In progress')), undefined, 'agents claim tasks');
    assert.equal(dropTarget('done', col('Review')), undefined);
  });

  it('a refused drop says why and what is possible instead', () => {
    const why = (from: TaskStatus, title: string) => {
      const r = dropRules()[from]![col(title)]!;
      assert.equal(r.ok, false);
      return r.ok ? '' : r.why;
    };
    assert.match(why('done', 'In progress'), /A done task cannot be moved to In progress\. Agents move tasks there.*From done: Reopen → Ready\./);
    assert.match(why('ready', 'Ready'), /in Ready already/);
  });
});
