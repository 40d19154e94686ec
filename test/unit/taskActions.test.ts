import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { actionsFor, actionTo, canDo, commandForAction, TASK_ACTION_NAMES, taskContextValue } from '../../src/core/board/actions';
import { TASK_STATUSES, type Agent, type Task, type TaskStatus } from '../../src/core/board/boardModel';
import { canTransition } from '../../src/core/board/transitions';
import { memoryBoard } from './helpers/memoryBoard';

type Claim = { task: Task; lease: { token: number } };
const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
  contributes: { menus: Record<string, { command: string; when?: string }[]> };
};

/** Evaluates the two when-clause shapes the menus use: `view == X && viewItem =~ /re/` and `viewItem == v`. */
function shownFor(view: string, contextValue: string): string[] {
  return manifest.contributes.menus['view/item/context']!
    .filter((m) => {
      const when = m.when ?? '';
      if (!when.includes(`view == ${view}`)) return false;
      const re = /viewItem =~ \/(.+?)\/(?:\s|$)/.exec(when);
      if (re) return new RegExp(re[1]!).test(contextValue);
      const eq = /viewItem == (\S+)/.exec(when);
      return eq ? eq[1] === contextValue : false;
    })
    .map((m) => m.command);
}

/** A real board with one task in the given status, made the way it gets there in use. */
async function taskIn(status: TaskStatus) {
  const b = await memoryBoard();
  const agent = b.run<Agent>({ type: 'agent.register', name: 'w' });
  const dep = b.run<Task>({ type: 'task.add', title: 'dependency' });
  const t = b.run<Task>({ type: 'task.add', title: 'subject', ...(status === 'waiting' ? { dependsOn: [dep.id] } : {}) });
  if (status === 'waiting' || status === 'ready') return { b, t };
  if (status === 'done' || status === 'cancelled' || status === 'blocked') {
    if (status === 'done') b.run({ type: 'task.done', taskId: t.id, summary: 'by hand' });
    if (status === 'cancelled') b.run({ type: 'task.cancel', taskId: t.id });
    if (status === 'blocked') b.run({ type: 'task.block', taskId: t.id, reason: 'waiting on a decision' });
    return { b, t };
  }
  const { lease } = b.run<Claim>({ type: 'task.claim', taskId: t.id, agentId: agent.id });
  if (status === 'running' || status === 'review') b.run({ type: 'task.start', taskId: t.id, token: lease.token }, agent.id);
  if (status === 'review') b.run({ type: 'task.review', taskId: t.id, token: lease.token, summary: 'look', evidence: [{ kind: 'diff', summary: '1 file' }] }, agent.id);
  if (status === 'failed') b.run({ type: 'task.fail', taskId: t.id, token: lease.token, reason: 'tests red' }, agent.id);
  return { b, t };
}

describe('one table of task actions, derived from the transition table', () => {
  it('offers an action only where the transition table allows its move', () => {
    for (const s of TASK_STATUSES) {
      for (const a of actionsFor(s)) {
        const move = { done: 'done', block: 'blocked', release: 'ready', retry: 'ready', cancel: 'cancelled', assign: null }[a] as TaskStatus | null;
        if (move) assert.ok(canTransition(s, move), `${a} offered from ${s}, but ${s} → ${move} is not a transition`);
      }
    }
    assert.deepEqual(actionsFor('failed'), ['retry', 'cancel', 'assign']);
    assert.deepEqual(actionsFor('running'), ['done', 'block', 'release', 'cancel', 'assign']);
    assert.deepEqual(actionsFor('done'), ['retry']);
  });

  it('every offered action works on a real board, as the person', async () => {
    for (const s of TASK_STATUSES) {
      for (const a of actionsFor(s)) {
        if (a === 'assign') continue;
        const { b, t } = await taskIn(s);
        const shown = b.run<{ task: Task }>({ type: 'task.show', taskId: t.id }).task;
        assert.equal(shown.status, s, 'the test set the task up');
        const after = b.run<Task>(commandForAction(a, shown, 'from the test'), 'human');
        assert.notEqual(after.status, s, `${a} from ${s} changed nothing`);
      }
    }
  });

  it('the tree menus show exactly the actions of the table, for every status', () => {
    for (const s of TASK_STATUSES) {
      const taskMenus = new Set(shownFor('dreamos.tasks', taskContextValue('task', s)).filter((c) => TASK_ACTION_NAMES.some((a) => c === `dreamos.task.${a}`)));
      assert.deepEqual([...taskMenus].sort(), actionsFor(s).map((a) => `dreamos.task.${a}`).sort(), `menus for a ${s} task`);
    }
  });

  it('no task menu names a status: they all match actions', () => {
    const statusy = manifest.contributes.menus['view/item/context']!.filter((m) => /viewItem.*(task|inbox:task):\(/.test(m.when ?? ''));
    assert.deepEqual(statusy, []);
  });

  it('a drop onto a status is the action that makes that move, or nothing', () => {
    assert.equal(actionTo('blocked', 'ready'), 'retry');
    assert.equal(actionTo('running', 'ready'), 'release');
    assert.equal(actionTo('waiting', 'done'), undefined);
    assert.deepEqual(commandForAction('retry', { id: 'tsk_000000000001', status: 'done' }, 'x').type, 'task.reopen');
    for (const from of TASK_STATUSES) for (const to of TASK_STATUSES) {
      const a = actionTo(from, to);
      if (a) assert.ok(canDo(a, from) && canTransition(from, to), `${from} → ${to} by ${a}`);
    }
  });
});
