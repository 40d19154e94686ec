/**
 * The real Gemini CLI (@google/gemini-cli) and opencode (opencode-ai) from the npm registry (pinned,
 * installed once into the test cache by test/harness/installAgentClis.ts) as Dream.OS agents through
 * the `gemini` and `opencode` presets, against the scripted model server on 127.0.0.1: Gemini's
 * streamGenerateContent SSE through GOOGLE_GEMINI_BASE_URL, and opencode's anthropic provider
 * pointed at the server's Messages SSE. The script's tool calls make the CLIs write real files and
 * report back through the `dreamos` shim. Timing is never asserted.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, before, describe, it } from 'node:test';
import type { Task } from '../../src/core/board/boardModel';
import type { BoardClient } from '../../src/core/hub/connect';
import type { Swarm } from '../../src/core/loop/swarm';
import type { RunRecord, RunUsage } from '../../src/core/runs/runModel';
import { ensureMoreAgentClis, type MoreAgentClis } from '../harness/installAgentClis';
import type { ScriptedModel } from '../harness/scriptedModel';
import { ensureCli, testSwarm, waitFor, type Workspace } from './fixtures/agents/harness';
import { closeRig, endedRuns, openRig } from './fixtures/agents/realRig';

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;
const WAIT = Number(process.env.REAL_AGENTS_WAIT ?? 240_000);

describe('real agent CLIs (Gemini CLI, opencode) against a scripted model on loopback', { timeout: 600_000 }, () => {
  let clis: MoreAgentClis;
  let ws: Workspace;
  let board: BoardClient;
  let model: ScriptedModel;
  let home: string;
  let swarm: Swarm | undefined;

  before(async () => {
    ensureCli();
    clis = await ensureMoreAgentClis();
    console.log(`[real-agents] gemini ${clis.versions.gemini}; opencode ${clis.versions.opencode}`);
  });
  afterEach(async () => {
    await closeRig({ ws, board, model, home, swarm }, ['gemini-1', 'opencode-1']);
    swarm = undefined;
  });

  const setup = async () => void ({ ws, board, model, home } = await openRig({ model: 'gemini-2.5-pro' }));
  const show = (id: string) => board.call<{ task: Task; usage: RunUsage }>({ type: 'task.show', taskId: id });
  const ended = (id: string) => endedRuns(board, id);
  const timeouts = { leaseMs: 5_000, noOutputMs: 120_000, taskMs: 240_000 };

  it('Gemini CLI does a task: writes the file, reports done through dreamos; tokens are the server\'s, cost an estimate', async () => {
    await setup();
    // Signed in with an API key (what `gemini` asks once, interactively).
    mkdirSync(path.join(home, '.gemini'));
    writeFileSync(path.join(home, '.gemini', 'settings.json'), JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }));
    const t = await board.call<Task>({ type: 'task.add', title: 'Write gemini.txt' });
    model.script('gemini', [
      { tool: 'write_file', input: { file_path: ws.file('gemini.txt'), content: 'hello from gemini\n' }, usage: { input: 3_000, output: 60 }, text: 'Writing gemini.txt.' },
      { tool: 'run_shell_command', input: { command: `dreamos task done ${t.id} --summary "wrote gemini.txt" --evidence "test:gemini check passed"`, description: 'report to the board' }, usage: { input: 3_400, output: 50 } },
      { text: 'Wrote gemini.txt and reported the task done.', usage: { input: 3_600, output: 20 } },
    ]);
    swarm = testSwarm(ws, board, {
      agents: [{ name: 'gemini-1', preset: 'gemini', model: 'gemini-2.5-pro', command: clis.gemini, env: { HOME: home, GEMINI_API_KEY: 'sk-scripted', GOOGLE_GEMINI_BASE_URL: model.url }, timeouts }],
    });
    await swarm.start();
    await waitFor('the task to be done', async () => (await show(t.id)).task.status === 'done', WAIT);
    const [run] = await waitFor('the run to end', () => ended(t.id), 60_000);
    assert.equal(ws.read('gemini.txt'), 'hello from gemini\n', 'the real CLI wrote the file');
    assert.equal(model.remaining('gemini'), 0);
    const h = await show(t.id);
    assert.equal(h.task.resultSummary, 'wrote gemini.txt');
    const sent = model.sent('gemini');
    assert.deepEqual([run!.inputTokens, run!.outputTokens], [sent.input, sent.output]);
    assert.ok(close(run!.costUsd, (sent.input * 1.25 + sent.output * 10) / 1e6), `cost ${run!.costUsd}`);
    assert.equal(run!.costEstimated, true);
    const events = (await board.call<RunRecord>({ type: 'run.show', runId: run!.id })).events!;
    assert.ok(events.some((e) => e.t === 'session' && e.id === run!.sessionId && /^[0-9a-f-]{36}$/.test(e.id)));
    assert.ok(events.some((e) => e.t === 'edit' && e.file === ws.file('gemini.txt')));
    assert.ok(events.some((e) => e.t === 'tool' && e.name === 'run_shell_command' && e.target?.startsWith(`dreamos task done ${t.id}`)));
  });

  it('opencode does a task: writes the file, reports done through dreamos; tokens and cost are its own figures', async () => {
    await setup();
    // opencode's anthropic provider pointed at the scripted server (its global config, outside the workspace).
    mkdirSync(path.join(home, '.config', 'opencode'), { recursive: true });
    writeFileSync(path.join(home, '.config', 'opencode', 'opencode.json'), JSON.stringify({ provider: { anthropic: { options: { baseURL: `${model.url}/v1`, apiKey: 'sk-scripted' } } } }));
    const t = await board.call<Task>({ type: 'task.add', title: 'Write opencode.txt' });
    model.script('anthropic', [
      { tool: 'write', input: { filePath: ws.file('opencode.txt'), content: 'hello from opencode\n' }, usage: { input: 1_200, output: 80 }, text: 'Writing opencode.txt.' },
      { tool: 'bash', input: { command: `dreamos task done ${t.id} --summary "wrote opencode.txt" --evidence "test:opencode check passed"`, description: 'report to the board' }, usage: { input: 1_500, output: 40 } },
      { text: 'Wrote opencode.txt and reported the task done.', usage: { input: 1_700, output: 20 } },
    ]);
    swarm = testSwarm(ws, board, {
      agents: [{ name: 'opencode-1', preset: 'opencode', model: 'anthropic/claude-sonnet-4-5', command: clis.opencode, env: { HOME: home, OPENCODE_DISABLE_AUTOUPDATE: '1' }, timeouts }],
    });
    await swarm.start();
    await waitFor('the task to be done', async () => (await show(t.id)).task.status === 'done', WAIT);
    const [run] = await waitFor('the run to end', () => ended(t.id), 60_000);
    assert.equal(ws.read('opencode.txt'), 'hello from opencode\n');
    assert.equal(model.remaining('anthropic'), 0);
    assert.equal((await show(t.id)).task.resultSummary, 'wrote opencode.txt');
    const sent = model.sent('anthropic');
    assert.deepEqual([run!.inputTokens, run!.outputTokens], [sent.input, sent.output]);
    assert.ok(close(run!.costUsd, sent.input * 3e-6 + sent.output * 15e-6), `cost ${run!.costUsd} (opencode's own, Sonnet's price)`);
    assert.equal(run!.costEstimated, false);
    assert.match(run!.sessionId ?? '', /^ses_/);
  });
});
