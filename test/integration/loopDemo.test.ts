/**
 * The demo workspace (demo/, what `npm start` opens) really works: its five command agents, on a
 * real hub, take the imported tasks and finish them; the fixer's first attempt fails its check
 * and is retried; the formatter's change arrives as a proposal waiting for review.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Task, TaskHistoryEntry } from '../../src/core/board/boardModel';
import { connectBoard, type BoardClient } from '../../src/core/hub/connect';
import { startHeadlessSwarm, type HeadlessSwarm } from '../../src/integrations/drivers/swarmHost';
import { ensureCli, ROOT, waitFor } from './fixtures/agents/harness';

describe('the demo workspace', () => {
  let ws: string;
  let board: BoardClient;
  let host: HeadlessSwarm | undefined;

  before(() => {
    ensureCli();
    ws = mkdtempSync(path.join(os.tmpdir(), 'dreamos-demo-'));
    cpSync(path.join(ROOT, 'demo'), ws, { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: ws });
  });
  after(async () => {
    await host?.close();
    await board?.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('runs the swarm over the demo tasks: real jobs done, one failed and retried, one proposal', async () => {
    const dir = path.join(ws, '.dreamos');
    board = await connectBoard({ dir, client: 'test', hubMode: 'in-process', actor: 'human:demo' });
    const { created } = await board.call<{ created: Task[] }>({ type: 'board.import', file: JSON.parse(readFileSync(path.join(dir, 'tasks.json'), 'utf8')) });
    const id = (title: RegExp) => created.find((t) => title.test(t.title))!.id;
    host = await startHeadlessSwarm({ dir, board, gauge: () => ({ ok: true, reason: '', loadPerCpu: 0, freeMemMb: 1_000 }), backoffBaseMs: 50 });
    assert.deepEqual(host.report.started.sort(), ['fixer', 'formatter', 'scribe', 'tester', 'todo-counter']);
    const show = (taskId: string) => board.call<{ task: Task; history: TaskHistoryEntry[] }>({ type: 'task.show', taskId });
    const states = async () => (await Promise.all(created.map((t) => show(t.id)))).map((s) => `${s.task.title}: ${s.task.status} (${s.history.map((h) => h.reason).join(' / ')})`);
    await waitFor('the changelog task to be done', async () => (await show(id(/changelog/))).task.status === 'done', 90_000).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${(await states()).join('\n')}\n${JSON.stringify(host?.swarm.status().agents, null, 1)}`);
    });
    await waitFor('the format task to wait in review', async () => (await show(id(/Format/))).task.status === 'review', 30_000);

    const fix = await show(id(/slugify/));
    assert.equal(fix.task.status, 'done');
    assert.equal(fix.task.attempts, 2, 'failed once, retried once');
    assert.ok(fix.history.some((e) => e.to === 'failed' && /Check tests failed after fixer's run: not ok \d+ - drops punctuation/.test(e.reason)), fix.history.map((e) => e.reason).join(' | '));
    assert.match(readFileSync(path.join(ws, 'src/slugify.js'), 'utf8'), /\[\^a-z0-9\]/);
    const tests = await show(id(/test suite/));
    assert.ok(tests.task.evidence.some((e) => e.kind === 'test' && /^\d+ passed, 0 failed$/.test(e.summary)), JSON.stringify(tests.task.evidence));
    assert.match(readFileSync(path.join(ws, 'reports/todos.md'), 'utf8'), /2 found/);
    const changelog = readFileSync(path.join(ws, 'CHANGELOG.md'), 'utf8');
    assert.match(changelog, /Fix slugify so its tests pass/);
    assert.match(changelog, /Run the test suite/);
    const proposals = await board.call<{ title: string; status: string }[]>({ type: 'proposal.list' });
    assert.deepEqual(proposals.map((p) => p.title), ['Format src/format-me.js']);
    assert.match(readFileSync(path.join(ws, 'src/format-me.js'), 'utf8'), /\t/, 'the formatter proposed; it did not write');
  });
});
