// The board inside the editor: commands create and change tasks, the trees show exactly what the
// board holds, and a change made by a separate `dreamos` CLI process reaches the tree by events.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Task } from '../../src/core/board/boardModel';
import type { DreamOsApi } from '../../src/extension/main';
import type { TaskNode } from '../../src/extension/views/tasksView';
import { test } from './registry';

async function api(): Promise<DreamOsApi> {
  const ext = vscode.extensions.getExtension<DreamOsApi>('dreamos.dreamos');
  assert.ok(ext);
  return ext.activate();
}

/** Waits until the session's snapshot satisfies `ok` (pushed by events, not polled from the board). */
async function until(a: DreamOsApi, ok: () => boolean, what: string, ms = 15_000): Promise<void> {
  if (ok()) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const sub = a.session.onDidChange(() => {
      if (!ok()) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

function treeTasks(a: DreamOsApi): { group: string; title: string; description: string }[] {
  const out: { group: string; title: string; description: string }[] = [];
  for (const g of a.views.tasks.getChildren()) {
    for (const n of a.views.tasks.getChildren(g) as TaskNode[]) {
      const item = a.views.tasks.getTreeItem(n);
      out.push({ group: String(a.views.tasks.getTreeItem(g).label), title: String(item.label), description: String(item.description) });
    }
  }
  return out;
}

test('Create Task (with arguments) adds a ready task that the Tasks view shows under Ready', async () => {
  const a = await api();
  const task = await vscode.commands.executeCommand<Task>('dreamos.createTask', { title: 'Suite: write the parser', priority: 'high' });
  assert.ok(task, 'the command returned the new task');
  assert.equal(task.status, 'ready');
  await until(a, () => a.session.current.tasks.some((t) => t.id === task.id), 'the task in the snapshot');
  const row = treeTasks(a).find((r) => r.title === 'Suite: write the parser');
  assert.ok(row, 'the tree shows the task');
  assert.equal(row.group, 'Ready');
  assert.match(row.description, /^high/);
});

test('tree items match the board exactly', async () => {
  const a = await api();
  const board = (await a.session.call({ type: 'task.list' })).map((t) => t.title).sort();
  await until(a, () => treeTasks(a).length === board.length, 'the tree to catch up');
  assert.deepEqual(treeTasks(a).map((r) => r.title).sort(), board);
});

test('Mark Task Done and Cancel Task change the task and move it between groups', async () => {
  const a = await api();
  const t1 = await vscode.commands.executeCommand<Task>('dreamos.createTask', { title: 'Suite: to be done' });
  const t2 = await vscode.commands.executeCommand<Task>('dreamos.createTask', { title: 'Suite: to be cancelled' });
  await vscode.commands.executeCommand('dreamos.task.done', t1.id);
  await vscode.commands.executeCommand('dreamos.task.cancel', t2.id);
  await until(a, () => {
    const rows = treeTasks(a);
    return rows.some((r) => r.title === t1.title && r.group === 'Done') && rows.some((r) => r.title === t2.title && r.group === 'Cancelled');
  }, 'the tasks to move to Done and Cancelled');
});

test('a task created by a separate dreamos CLI process reaches the tree', async () => {
  const a = await api();
  const ext = vscode.extensions.getExtension('dreamos.dreamos')!;
  const cli = path.join(ext.extensionPath, 'dist', 'cli.js');
  const title = `Suite: from the CLI ${Date.now()}`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [cli, 'task', 'add', title, '--dir', a.session.boardDir, '--json'], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`dreamos failed: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
  assert.equal((JSON.parse(out) as Task).title, title);
  await until(a, () => treeTasks(a).some((r) => r.title === title), 'the CLI-made task in the tree');
});

test('bad input through a command changes nothing', async () => {
  const a = await api();
  const before = (await a.session.call({ type: 'board.info' })).tasks;
  const started = Date.now();
  const r = await vscode.commands.executeCommand('dreamos.createTask', { title: '   ' });
  assert.equal(r, undefined, 'no task comes back');
  assert.equal((await a.session.call({ type: 'board.info' })).tasks, before);
  await vscode.commands.executeCommand('dreamos.task.done', 'not-an-id');
  assert.equal((await a.session.call({ type: 'board.info' })).tasks, before);
  // Both were refused as bad input (not, say, because the board was unreachable).
  assert.deepEqual(a.commandFailures.since(started).map((f) => [f.command, f.code]), [
    ['dreamos.createTask', 'invalid_input'],
    ['dreamos.task.done', 'invalid_input'],
  ]);
});

test('the Needs You inbox lists failed tasks and questions from agents', async () => {
  const a = await api();
  const agent = await a.session.call({ type: 'agent.register', name: `suite-agent-${Date.now()}` });
  await a.session.call({ type: 'mail.send', from: agent.id, to: { kind: 'human' }, subject: 'Suite: which database?', requiresAck: true });
  const t = await vscode.commands.executeCommand<Task>('dreamos.createTask', { title: 'Suite: will fail', priority: 'critical' });
  await a.session.call({ type: 'task.claim', taskId: t.id, agentId: agent.id });
  await a.session.call({ type: 'task.fail', taskId: t.id, reason: 'tests red' });
  await until(a, () => a.views.inbox.getChildren().length >= 2, 'the inbox to fill');
  const labels = a.views.inbox.getChildren().map((n) => String(a.views.inbox.getTreeItem(n).label));
  assert.ok(labels.includes('Suite: which database?'));
  assert.ok(labels.includes('Suite: will fail'));
});

/** Polls: notifications are shown a moment after the burst that caused them, with no board change after. */
async function poll<T>(what: string, get: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('an agent failing a task or asking about it notifies the person with actions; Needs You shows one entry per task, with its actions, until the task is settled', async () => {
  const a = await api();
  const agent = await a.session.call({ type: 'agent.register', name: `notify-agent-${Date.now()}` });
  const t = await vscode.commands.executeCommand<Task>('dreamos.createTask', { title: 'Suite: notify me' });
  const claim = await a.session.call({ type: 'task.claim', taskId: t.id, agentId: agent.id }, { actor: agent.id });
  await a.session.call({ type: 'task.fail', taskId: t.id, token: claim.lease!.token, reason: 'tests red' }, { actor: agent.id });
  const failed = await poll('the failure notification', () => a.notifications.shown.find((s) => s.notice?.taskId === t.id && s.notice.kind === 'failed'));
  assert.equal(failed.text, 'Dream.OS: Task "Suite: notify me" failed: tests red');
  assert.equal(failed.severity, 'error');
  assert.deepEqual(failed.actions, ['Retry', 'Open']);

  await a.session.call({ type: 'mail.send', from: agent.id, to: { kind: 'human' }, subject: 'Suite: retry with the other fixture?', requiresAck: true, taskId: t.id }, { actor: agent.id });
  const asked = await poll('the question notification', () => a.notifications.shown.find((s) => s.notice?.kind === 'question' && s.notice.taskId === t.id));
  assert.equal(asked.text, `Dream.OS: ${agent.name}: Suite: retry with the other fixture?`);
  assert.deepEqual(asked.actions, ['Reply…', 'Open', 'Show Needs You']);

  // One entry for the task: the question, carrying the task's actions (not the question and the failed task twice).
  await until(a, () => a.views.inbox.getChildren().some((n) => n.kind === 'message' && n.task?.id === t.id), 'the question in Needs You');
  const about = a.views.inbox.getChildren().filter((n) => (n.kind === 'message' && n.message.taskId === t.id) || (n.kind === 'task' && n.task.id === t.id));
  assert.equal(about.length, 1, 'one Needs You entry for the task');
  const item = a.views.inbox.getTreeItem(about[0]!);
  assert.match(String(item.contextValue), /^inbox:message:failed:.*;retry;.*/);
  assert.match(String(item.contextValue), /;cancel;/);
  assert.equal(item.command?.command, 'dreamos.inbox.open');
  assert.match(String(item.description), /failed: Suite: notify me/);

  // The person's own actions notify nobody; once the task is cancelled the question leaves Needs You.
  const before = a.notifications.shown.length;
  await a.session.call({ type: 'task.cancel', taskId: t.id, reason: 'not needed' });
  await until(a, () => !a.views.inbox.getChildren().some((n) => (n.kind === 'message' && n.message.taskId === t.id) || (n.kind === 'task' && n.task.id === t.id)), 'the question to leave Needs You');
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(a.notifications.shown.slice(before).filter((s) => s.notice?.taskId === t.id).length, 0, 'no notification for what the person did');
});
