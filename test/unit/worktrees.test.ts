/**
 * The rules of worktrees that need no git: branch names, who may write worktree and queue state
 * (only the person's credential), the setup file's validation, the location setting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { executeCommand, type CommandInput } from '../../src/core/commands';
import { branchFor } from '../../src/core/worktrees/worktreeModel';
import { readSetup } from '../../src/core/worktrees/setup';
import { memoryBoard } from './helpers/memoryBoard';

test('a task branch is dreamos/<8 hex of the id>-<slug of the title>', () => {
  assert.equal(branchFor({ id: 'tsk_0123456789ab', title: 'Add retry to the HTTP client!' }), 'dreamos/01234567-add-retry-to-the-http-client');
  assert.equal(branchFor({ id: 'tsk_0123456789ab', title: '???' }), 'dreamos/01234567');
  assert.ok(branchFor({ id: 'tsk_0123456789ab', title: 'x'.repeat(300) }).length <= 'dreamos/01234567-'.length + 40);
});

test("an agent's credential cannot write worktree or merge-queue state, nor make a branch proposal: only the person's can", async () => {
  const mb = await memoryBoard();
  const agent = mb.run<{ id: string }>({ type: 'agent.register', name: 'ada' });
  const task = mb.run<{ id: string }>({ type: 'task.add', title: 'x' });
  const cred = mb.run<{ id: string }>({ type: 'credential.issue', agent: agent.id, taskId: task.id, label: 'run' });
  const asAgent = (c: CommandInput) => {
    mb.tx.run('BEGIN');
    try {
      return executeCommand({ tx: mb.tx, now: Date.now(), actor: agent.id, principal: { kind: 'agent', credentialId: cred.id, agentId: agent.id, taskId: task.id } }, c);
    } finally {
      mb.tx.run('ROLLBACK');
    }
  };
  const commit = 'a'.repeat(40);
  const attempts: CommandInput[] = [
    { type: 'worktree.record', taskId: task.id, path: '/tmp/x', branch: 'dreamos/x', baseBranch: 'main', baseCommit: commit },
    { type: 'worktree.update', taskId: task.id, status: 'merged' },
    { type: 'proposal.fromBranch', taskId: task.id, title: 't', rationale: 'r', branch: 'dreamos/x', targetBranch: 'main', baseCommit: commit, headCommit: commit, files: [] },
    { type: 'queue.next', holder: 'me' },
    { type: 'queue.finish', entryId: 1, holder: 'me', result: { outcome: 'landed', landedCommit: commit } },
  ];
  for (const c of attempts) assert.throws(() => asAgent(c), (e: { code?: string }) => e.code === 'unauthorized', c.type);
});

test('.dreamos/worktrees.json: a bad file is an error that names the field and shows the shape', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-wtsetup-'));
  try {
    assert.deepEqual((await readSetup(dir)).run, [], 'no file: nothing to set up');
    writeFileSync(path.join(dir, 'worktrees.json'), JSON.stringify({ run: ['npm ci'], ports: { base: 80 } }));
    await assert.rejects(readSetup(dir), (e: Error) => /run/.test(e.message) && /ports/.test(e.message) && /"run": \[\["npm", "ci"\]\]/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the worktreeRoot board setting takes one line of text; merge settings take their named values', async () => {
  const mb = await memoryBoard();
  mb.run({ type: 'board.config.set', values: { worktreeRoot: '~/worktrees', mergeStrategy: 'fast-forward' } });
  const cfg = mb.run<{ config: { worktreeRoot: string; mergeStrategy: string; worktrees: string } }>({ type: 'board.config.get' }).config;
  assert.deepEqual([cfg.worktreeRoot, cfg.mergeStrategy, cfg.worktrees], ['~/worktrees', 'fast-forward', 'auto']);
  assert.throws(() => mb.run({ type: 'board.config.set', values: { worktreeRoot: 'a\nb' } }), /worktreeRoot must be text of up to 1000 characters on one line/);
  assert.throws(() => mb.run({ type: 'board.config.set', values: { overlap: 'ignore' } }), /overlap must be one of hold, flag/);
});
