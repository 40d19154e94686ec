/** Board events → the person's notifications: which events, in whose words, and bursts coalesced. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BoardEvent } from '../../src/core/events/eventLog';
import { memoryBoard } from './helpers/memoryBoard';
import { coalesce, NoticeBatcher, noticeFor, type Batch, type Notice } from '../../src/core/notify/notices';

let seq = 0;
const ev = (type: BoardEvent['type'], subject: string, payload: Record<string, unknown>, actor = 'agt_1'): BoardEvent => ({ seq: ++seq, type, at: 0, actor, subject, payload });
const names = { task: (id: string) => ({ tsk_1: 'Fix the login page', tsk_2: 'Write docs' })[id], agent: (id: string) => ({ agt_1: 'claude-1' })[id] };

test('a failure, a block, a question, a change to review, a budget stop and a stall become notices in names, not ids', () => {
  assert.deepEqual(noticeFor(ev('task.transitioned', 'tsk_1', { from: 'running', to: 'failed', reason: 'tests red' }), names), { kind: 'failed', severity: 'error', text: 'Task "Fix the login page" failed: tests red', taskId: 'tsk_1' });
  assert.equal(noticeFor(ev('task.transitioned', 'tsk_1', { from: 'running', to: 'blocked' }), names)?.text, 'Task "Fix the login page" is blocked');
  assert.deepEqual(noticeFor(ev('mail.sent', 'msg_1', { from: 'agt_1', to: { kind: 'human' }, subject: 'Which database?', requiresAck: true, taskId: 'tsk_1' }), names), {
    kind: 'question',
    severity: 'warning',
    text: 'claude-1: Which database?',
    messageId: 'msg_1',
    taskId: 'tsk_1',
  });
  assert.equal(noticeFor(ev('proposal.submitted', 'prp_1', { title: 'Login fix', taskId: 'tsk_1' }), names)?.text, 'A change is ready for review: "Login fix"');
  assert.equal(noticeFor(ev('budget.exceeded', 'tsk_2', { taskId: 'tsk_2', message: '$2.10 of $2.00 spent' }), names)?.text, 'Task "Write docs" went over budget: $2.10 of $2.00 spent');
  assert.equal(noticeFor(ev('agent.stalled', 'agt_1', {}), names)?.text, 'Agent "claude-1" has stalled');
});

test('the person’s own actions, mail that needs no answer, mail to agents and ordinary moves notify nobody', () => {
  assert.equal(noticeFor(ev('task.transitioned', 'tsk_1', { to: 'failed' }, 'human'), names), undefined);
  assert.equal(noticeFor(ev('task.transitioned', 'tsk_1', { to: 'blocked' }, 'human:ana'), names), undefined);
  assert.equal(noticeFor(ev('mail.sent', 'msg_2', { from: 'agt_1', to: { kind: 'human' }, subject: 'FYI', requiresAck: false }), names), undefined);
  assert.equal(noticeFor(ev('mail.sent', 'msg_3', { from: 'agt_1', to: { kind: 'agent', id: 'agt_2' }, subject: 'hi', requiresAck: true }), names), undefined);
  assert.equal(noticeFor(ev('task.transitioned', 'tsk_1', { to: 'running' }), names), undefined);
  assert.equal(noticeFor(ev('agent.heartbeat', 'agt_1', {}), names), undefined);
});

test('one notice per task in a burst, the most important kept: a question beats the block it came with', () => {
  const blocked: Notice = { kind: 'blocked', severity: 'warning', text: 'blocked', taskId: 'tsk_1' };
  const asked: Notice = { kind: 'question', severity: 'warning', text: 'asked', taskId: 'tsk_1', messageId: 'msg_1' };
  assert.deepEqual(coalesce([blocked, asked]), { single: [asked] });
  assert.deepEqual(coalesce([asked, blocked]), { single: [asked] });
});

test('a burst of ten failures is two notices and a summary of the rest, worst severity first', () => {
  const many: Notice[] = Array.from({ length: 10 }, (_, i) => ({ kind: 'failed', severity: 'error', text: `t${i} failed`, taskId: `tsk_${i}` }));
  const b = coalesce([...many, { kind: 'proposal', severity: 'info', text: 'review', proposalId: 'prp_1' }]);
  assert.deepEqual(b.single.map((n) => n.text), ['t0 failed', 't1 failed']);
  assert.deepEqual(b.summary, { text: 'And 8 tasks failed, 1 change to review.', severity: 'error', count: 9 });
  // Three fit without a summary (a summary for one would say less than the notice).
  assert.equal(coalesce(many.slice(0, 3)).summary, undefined);
});

test('the batcher hands over one coalesced batch per window, and nothing after dispose', () => {
  const shown: Batch[] = [];
  let fire: (() => void) | undefined;
  const b = new NoticeBatcher({ show: (x) => shown.push(x), setTimer: (fn) => ((fire = fn), { cancel: () => (fire = undefined) }) });
  b.add({ kind: 'failed', severity: 'error', text: 'a', taskId: 'tsk_1' });
  b.add({ kind: 'failed', severity: 'error', text: 'b', taskId: 'tsk_2' });
  assert.equal(shown.length, 0, 'nothing before the window closes');
  fire!();
  assert.deepEqual(shown.map((x) => x.single.map((n) => n.text)), [['a', 'b']]);
  b.add({ kind: 'done', severity: 'info', text: 'c', taskId: 'tsk_3' });
  b.dispose();
  assert.equal(fire, undefined);
  assert.equal(shown.length, 1);
});

test('a message can say which task it is about; the board keeps it, the event carries it, and an unknown id is refused', async () => {
  const b = await memoryBoard();
  const a = b.run<{ id: string }>({ type: 'agent.register', name: 'asker' });
  const t = b.run<{ id: string }>({ type: 'task.add', title: 'Pick a database' });
  b.run({ type: 'mail.send', from: a.id, to: { kind: 'human' }, subject: 'Which DB?', requiresAck: true, taskId: t.id });
  const [m] = b.run<{ taskId: string | null }[]>({ type: 'mail.inbox', recipient: 'human' });
  assert.equal(m?.taskId, t.id);
  const sent = b.run<BoardEvent[]>({ type: 'events.since', afterSeq: 0 }).find((e) => e.type === 'mail.sent');
  assert.equal(sent?.payload.taskId, t.id);
  b.run({ type: 'mail.send', from: a.id, to: { kind: 'human' }, subject: 'No task' });
  assert.equal(b.run<{ taskId: string | null }[]>({ type: 'mail.inbox', recipient: 'human' }).find((x) => x.taskId === null) !== undefined, true);
  assert.throws(() => b.run({ type: 'mail.send', from: a.id, to: { kind: 'human' }, subject: 'Lost', taskId: 'tsk_0123456789ab' }), /not on this board/);
});
