// Proposals inside the editor: a proposal opens in the diff editor with a read-only proposed side,
// Approve writes the file through a WorkspaceEdit and moves the task on, failing checks block
// approval, rollback restores the exact bytes, a changed base is detected as a conflict.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Proposal } from '../../src/core/proposals/proposalModel';
import { prepareSubmission } from '../../src/core/proposals/prepare';
import { proposalUri } from '../../src/extension/proposals/proposalUri';
import type { DreamOsApi } from '../../src/extension/main';
import { test } from './registry';

async function api(): Promise<DreamOsApi> {
  const ext = vscode.extensions.getExtension<DreamOsApi>('dreamos.dreamos')!;
  return ext.activate();
}
const root = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;

async function propose(a: DreamOsApi, file: string, before: string, after: string, taskId?: string): Promise<Proposal> {
  writeFileSync(path.join(root(), file), before);
  const files = await prepareSubmission(root(), { files: [{ path: file, content: after }] });
  return a.session.call({ type: 'proposal.submit', title: `Change ${file}`, rationale: 'suite', files, ...(taskId ? { taskId } : {}) });
}

async function setChecks(checks: unknown[]): Promise<void> {
  await vscode.workspace.getConfiguration('dreamos.proposals').update('checks', checks, vscode.ConfigurationTarget.Workspace);
}

test('a proposal opens in the diff editor with the proposed side read-only', async () => {
  const a = await api();
  const p = await propose(a, 'diffme.txt', 'old line\n', 'new line\n');
  await vscode.commands.executeCommand('dreamos.proposal.review', p.id);
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  assert.ok(tab?.input instanceof vscode.TabInputTextDiff, 'a diff editor is active');
  const input = tab.input as vscode.TabInputTextDiff;
  assert.equal(input.original.fsPath, path.join(root(), 'diffme.txt'));
  assert.equal(input.modified.scheme, 'dreamos-proposal');
  const proposed = await vscode.workspace.openTextDocument(input.modified);
  assert.equal(proposed.getText(), 'new line\n');
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}, 30_000);

test('Approve writes the file and moves the task in review to done', async () => {
  const a = await api();
  await setChecks([]);
  const task = await a.session.call({ type: 'task.add', title: 'Suite: proposal task', priority: 'critical' });
  const agent = await a.session.call({ type: 'agent.register', name: `suite-prp-${Date.now()}` });
  await a.session.call({ type: 'task.claim', taskId: task.id, agentId: agent.id });
  await a.session.call({ type: 'task.review', taskId: task.id, summary: 'proposed a change' });
  const p = await propose(a, 'approve-me.txt', 'before\n', 'after\n', task.id);
  const out = await vscode.commands.executeCommand<Proposal>('dreamos.proposal.approve', p.id, { confirm: false });
  assert.equal(out?.status, 'applied');
  assert.equal(readFileSync(path.join(root(), 'approve-me.txt'), 'utf8'), 'after\n');
  const shown = await a.session.call({ type: 'task.show', taskId: task.id });
  assert.equal(shown.task.status, 'done');
  assert.equal(shown.task.evidence.at(-1)?.kind, 'diff');
}, 30_000);

test('failing validation blocks approval unless overridden', async () => {
  const a = await api();
  await setChecks([{ name: 'always red', command: [process.execPath, '-e', 'process.exit(1)'] }]);
  try {
    const p = await propose(a, 'guarded.txt', 'safe\n', 'risky\n');
    const out = await vscode.commands.executeCommand<Proposal | undefined>('dreamos.proposal.approve', p.id, { confirm: false });
    assert.equal(out, undefined, 'not approved');
    const now = await a.session.call({ type: 'proposal.show', proposalId: p.id });
    assert.equal(now.status, 'pending');
    assert.equal(now.validation.state, 'failed');
    assert.equal(readFileSync(path.join(root(), 'guarded.txt'), 'utf8'), 'safe\n');
    const forced = await vscode.commands.executeCommand<Proposal>('dreamos.proposal.approve', p.id, { override: true });
    assert.equal(forced?.status, 'applied');
  } finally {
    await setChecks([]);
  }
}, 60_000);

test('rollback restores the exact bytes; a changed base is a conflict', async () => {
  const a = await api();
  const original = 'line one\r\nline two without newline';
  const p = await propose(a, 'rollme.txt', original, 'replaced\n');
  await vscode.commands.executeCommand('dreamos.proposal.approve', p.id, { confirm: false });
  assert.equal(readFileSync(path.join(root(), 'rollme.txt'), 'utf8'), 'replaced\n');
  const rolled = await vscode.commands.executeCommand<Proposal>('dreamos.proposal.rollback', p.id);
  assert.equal(rolled?.status, 'rolled_back');
  assert.deepEqual(readFileSync(path.join(root(), 'rollme.txt')), Buffer.from(original));

  const c = await propose(a, 'conflict.txt', 'base\n', 'agent version\n');
  writeFileSync(path.join(root(), 'conflict.txt'), 'edited by the person\n');
  const out = await vscode.commands.executeCommand<Proposal>('dreamos.proposal.approve', c.id, { confirm: false });
  assert.equal(out?.status, 'conflicted');
  assert.equal(readFileSync(path.join(root(), 'conflict.txt'), 'utf8'), 'edited by the person\n');
}, 60_000);

test('path traversal is refused at submission', async () => {
  const a = await api();
  await assert.rejects(
    a.session.call({ type: 'proposal.submit', title: 'evil', rationale: 'x', files: [{ path: '../escape.txt', op: 'create', baseHash: null, content: 'x', added: 1, removed: 0 }] }),
    /climbs out/,
  );
});

test('a branch proposal opens all its files in the multi-file diff editor, each compared with its base commit', async () => {
  const a = await api();
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root(), encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
  git('init', '-q', '-b', 'main');
  try {
    writeFileSync(path.join(root(), 'branch-a.txt'), 'one\n');
    git('add', 'branch-a.txt');
    git('commit', '-q', '-m', 'base');
    const base = git('rev-parse', 'HEAD');
    git('checkout', '-q', '-b', 'dreamos/suite');
    writeFileSync(path.join(root(), 'branch-a.txt'), 'two\n');
    writeFileSync(path.join(root(), 'branch-new.txt'), 'new\n');
    git('add', 'branch-a.txt', 'branch-new.txt');
    git('commit', '-q', '-m', 'agent');
    const head = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');
    writeFileSync(path.join(root(), 'branch-a.txt'), 'the person edited this meanwhile\n'); // not what the agent's change is compared with
    const task = await a.session.call({ type: 'task.add', title: 'Branch change' });
    const files = [
      { path: 'branch-a.txt', op: 'modify' as const, baseHash: createHash('sha256').update('one\n').digest('hex'), content: 'two\n', added: 1, removed: 1 },
      { path: 'branch-new.txt', op: 'create' as const, baseHash: null, content: 'new\n', added: 1, removed: 0 },
    ];
    const p = await a.session.call({ type: 'proposal.fromBranch', taskId: task.id, title: 'Branch change', rationale: 'suite', branch: 'dreamos/suite', targetBranch: 'main', baseCommit: base, headCommit: head, files });
    await vscode.commands.executeCommand('dreamos.proposal.openChanges', p.id);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.match(tab?.label ?? '', /^Branch change · revision 1 \(2 files\)$/, 'the multi-file diff editor is active with the proposal\'s title');
    assert.equal((await vscode.workspace.openTextDocument(proposalUri(p.id, 'branch-a.txt', 'base'))).getText(), 'one\n', 'the left side is the base commit, not the person\'s tree');
    assert.equal((await vscode.workspace.openTextDocument(proposalUri(p.id, 'branch-a.txt', 'proposed'))).getText(), 'two\n');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  } finally {
    rmSync(path.join(root(), '.git'), { recursive: true, force: true });
  }
}, 60_000);
