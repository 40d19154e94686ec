// The language-model driver in a real extension host (issue 13), on the current editor: a second
// extension registers a scripted chat model through vscode.lm; a Dream.OS agent with
// "driver": "language-model" is started by Start Swarm, takes a task, writes a file through its
// tools, reports, and the board holds the run with its tool calls and counted tokens.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../src/core/runs/runModel';
import type { DreamOsApi } from '../../src/extension/main';
import { test } from '../suite/registry';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function dreamos(): Promise<DreamOsApi> {
  const ext = vscode.extensions.getExtension<DreamOsApi>('dreamos.dreamos');
  assert.ok(ext, 'Dream.OS is loaded');
  return ext.activate();
}

/** git in the workspace folder, as a person would run it. */
const gitIn = (root: string) => (...args: string[]) =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

test('a language-model agent does a task with the editor\'s model: the file is written, the run has its tool calls and tokens', async () => {
  const model = await eventually('the scripted model to be offered by vscode.lm', async () => (await vscode.lm.selectChatModels({ vendor: 'dreamos-test' }))[0]);
  assert.equal(model.family, 'scripted');

  const api = await dreamos();
  await api.session.open();
  const dir = api.session.boardDir;
  const root = path.dirname(dir);
  await fs.writeFile(path.join(dir, 'agents.json'), JSON.stringify({ agents: [{ name: 'lm-writer', driver: 'language-model', model: { vendor: 'dreamos-test' } }] }, null, 2));
  const task = await api.session.call({ type: 'task.add', title: 'Write from-model.txt' });

  await vscode.commands.executeCommand('dreamos.swarm.start');
  try {
    const done = await eventually('the task to be done', async () => {
      const t = (await api.session.call({ type: 'task.show', taskId: task.id })).task;
      if (t.status === 'failed' || t.status === 'blocked') throw new Error(`the task ended ${t.status}: ${t.resultSummary ?? ''}`);
      return t.status === 'done' ? t : undefined;
    });
    assert.equal(done.resultSummary, 'wrote from-model.txt');
    assert.equal(await fs.readFile(path.join(root, 'from-model.txt'), 'utf8'), 'written by the scripted model\n');

    const requests = await vscode.commands.executeCommand<{ tools: string[]; messages: string[] }[]>('dreamosScriptedModel.requests');
    assert.equal(requests.length, 2, 'two turns: write, then report');
    assert.ok(requests[0]!.tools.includes('dreamos_write_file') && requests[0]!.tools.includes('dreamos_run_checks'), `tools offered: ${requests[0]!.tools.join(', ')}`);
    assert.match(requests[0]!.messages[0]!, /Write from-model\.txt/, 'the prompt names the task');
    assert.match(requests[1]!.messages.join('\n'), /\[result call-write\] Wrote from-model\.txt/, 'the write tool\'s result went back to the model');

    const runs = await api.session.call({ type: 'run.list', taskId: task.id });
    assert.equal(runs.length, 1);
    const run = await api.session.call({ type: 'run.show', runId: runs[0]!.id }) as RunRecord;
    assert.equal(run.protocol, 'vscode-lm');
    assert.equal(run.status, 'succeeded');
    assert.ok(run.inputTokens > 0 && run.outputTokens > 0, `tokens counted with the model's tokenizer: ${run.inputTokens} in / ${run.outputTokens} out`);
    const tools = (run.events ?? []).filter((e) => e.t === 'tool').map((e) => (e as { name: string }).name);
    assert.deepEqual(tools, ['dreamos_write_file', 'dreamos_report']);
    assert.ok((run.events ?? []).some((e) => e.t === 'edit' && e.file === 'from-model.txt'));
  } finally {
    await vscode.commands.executeCommand('dreamos.swarm.stop');
  }
}, 120_000);

test('in a git workspace the editor\'s model works in the task\'s own worktree: the person\'s tree is untouched and the result is a branch proposal', async () => {
  const api = await dreamos();
  const dir = api.session.boardDir;
  const root = path.dirname(dir);
  const git = gitIn(root);
  await fs.rm(path.join(root, 'from-model.txt'), { force: true });
  git('init', '-q', '-b', 'main');
  await fs.writeFile(path.join(root, 'README.md'), '# repo\n');
  git('add', 'README.md');
  git('commit', '-q', '-m', 'first');
  const task = await api.session.call({ type: 'task.add', title: 'Write from-model.txt in a worktree' });
  await vscode.commands.executeCommand('dreamos.swarm.start');
  try {
    const wt = await eventually('the task\'s change to be proposed', async () => {
      const t = (await api.session.call({ type: 'task.show', taskId: task.id })).task;
      if (t.status === 'failed' || t.status === 'blocked') throw new Error(`the task ended ${t.status}: ${t.resultSummary ?? ''}`);
      const w = await api.session.call({ type: 'worktree.show', taskId: task.id });
      return w && w.status === 'proposed' ? w : undefined;
    });
    assert.notEqual(path.resolve(wt.path), path.resolve(root), 'the task has a folder of its own');
    assert.ok(!path.resolve(wt.path).startsWith(path.resolve(root) + path.sep), `the worktree is outside the workspace folder: ${wt.path}`);
    assert.match(wt.branch, /^dreamos\/[0-9a-f]{8}-write-from-model-txt-in-a-worktree$/);
    await assert.rejects(fs.access(path.join(root, 'from-model.txt')), 'the person\'s tree did not get the file');
    const proposals = await api.session.call({ type: 'proposal.list' });
    const p = proposals.find((x) => x.taskId === task.id);
    assert.ok(p?.git, 'the run\'s result is a branch proposal');
    assert.equal(p.git.branch, wt.branch);
    assert.deepEqual(p.files.map((f) => [f.path, f.op, f.content]), [['from-model.txt', 'create', 'written by the scripted model\n']]);
    assert.equal(git('show', `${p.git.headCommit}:from-model.txt`), 'written by the scripted model', 'the work is committed on the task\'s branch');
  } finally {
    await vscode.commands.executeCommand('dreamos.swarm.stop');
  }
}, 120_000);

test('the Worktrees view lists the task\'s worktree; Discard keeps its head under refs/dreamos/archive and Restore brings the same head back', async () => {
  const api = await dreamos();
  const root = path.dirname(api.session.boardDir);
  const git = gitIn(root);
  await api.views.worktrees.refresh();
  const w = api.views.worktrees.current.find((x) => x.status === 'proposed');
  assert.ok(w, `the view lists the proposed worktree (it has: ${api.views.worktrees.current.map((x) => x.status).join(', ') || 'nothing'})`);
  const item = api.views.worktrees.getTreeItem(w);
  assert.equal(item.contextValue, 'worktree:proposed:proposal', 'its menu offers Open All Changes, Open and Discard');
  assert.match(String(item.description), new RegExp(`proposed · ${w.branch} · r1 pending`));
  const head = git('rev-parse', `refs/heads/${w.branch}`);

  const discarded = await vscode.commands.executeCommand<{ status: string; archiveRef: string }>('dreamos.worktree.discard', w.taskId, { confirm: false });
  assert.equal(discarded.status, 'discarded');
  await assert.rejects(fs.access(w.path), 'the folder is gone');
  assert.equal(git('rev-parse', discarded.archiveRef), head, 'the head is kept under the archive ref');

  const restored = await vscode.commands.executeCommand<{ path: string; status: string }>('dreamos.worktree.restore', w.taskId);
  assert.notEqual(restored.status, 'discarded');
  assert.equal(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: restored.path, encoding: 'utf8' }).trim(), head, 'the same head is back');
  assert.equal(await fs.readFile(path.join(restored.path, 'from-model.txt'), 'utf8'), 'written by the scripted model\n');
}, 60_000);

test('what a person sees: the Worktrees view beside the task\'s change in the multi-file diff editor', async () => {
  const api = await dreamos();
  await api.views.worktrees.refresh();
  const w = api.views.worktrees.current.find((x) => x.proposal);
  assert.ok(w?.proposal, 'a worktree with a proposal');
  await vscode.commands.executeCommand('dreamos.worktrees.focus');
  await vscode.commands.executeCommand('dreamos.proposal.openChanges', w.proposal.id);
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  assert.match(tab?.label ?? '', /revision 1 \(1 file\)$/);
  await sleep(3_000); // the view and the diff render
  assert.deepEqual(api.views.worktrees.getChildren().map((x) => api.views.worktrees.getTreeItem(x).label), ['Write from-model.txt in a worktree']);
  console.log('[screenshot] worktrees-view-and-changes'); // the harness saves the window now
  await sleep(1_500);
}, 30_000);
