import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task } from '../../src/core/board/boardModel';
import { selectedTasks, summary } from '../../src/extension/views/taskBulkText';

const task = (id: string, title: string, status: Task['status'] = 'ready') => ({ id, title, status }) as Task;
const a = task('tsk_00000000000a', 'Fix the parser');
const b = task('tsk_00000000000b', 'Write the docs');
const c = task('tsk_00000000000c', 'A title long enough to be cut short in a message about it, really long');
const node = (t: Task) => ({ kind: 'task', task: t });

describe('bulk task actions: which tasks, and what the person is told', () => {
  it('acts on the selection only when it holds the clicked item and several tasks', () => {
    const board = { current: { tasks: [{ ...a, status: 'running' as const }, b, c] } };
    const picked = selectedTasks(board, node(a), [node(a), node(b), node(c)])!;
    assert.deepEqual(picked.map((t) => t.id), [a.id, b.id, c.id]);
    assert.equal(picked[0]!.status, 'running', 'fresh from the board, not the tree node');
    assert.equal(selectedTasks(board, node(a), [node(a)]), undefined, 'one selected: the single path');
    assert.equal(selectedTasks(board, node(a), undefined), undefined, 'palette or keyboard: no selection');
    assert.equal(selectedTasks(board, node(a), [node(b), node(c)]), undefined, 'clicked outside the selection: that one task');
    assert.equal(selectedTasks(board, node(a), [node(a), { kind: 'group' }]), undefined, 'groups are not tasks');
  });

  it('says what happened in one sentence', () => {
    assert.equal(summary('cancel', { done: [a, b, c], failed: [] }), 'Cancelled 3 tasks.');
    assert.equal(summary('done', { done: [a], failed: [] }), 'Marked done 1 task.');
    assert.equal(summary('cancel', { done: [a, b], failed: [{ task: c, why: 'it is done' }] }), '2 cancelled, 1 could not be: “A title long enough to be cut short in a message about it, …”: it is done.');
    assert.equal(summary('retry', { done: [], failed: [{ task: a, why: 'it is ready' }] }), 'No task was retried: “Fix the parser”: it is ready.');
  });
});
