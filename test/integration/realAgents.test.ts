/**
 * The real agent CLIs as Dream.OS agents: @anthropic-ai/claude-code and @openai/codex from the
 * npm registry (pinned, installed once into the test cache by test/harness/installAgentClis.ts),
 * run through the `claude` and `codex` presets against a scripted model server on 127.0.0.1
 * that speaks their real streaming protocols (test/harness/scriptedModel.ts). The script makes
 * real tool calls, so the CLIs really write files in a git repo and report back through the
 * `dreamos` shim with their run's credential. Timing is never asserted.
 */
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import type { Message, Task, TaskHistoryEntry } from '../../src/core/board/boardModel';
import type { BoardEvent } from '../../src/core/events/eventLog';
import type { BoardClient } from '../../src/core/hub/connect';
import type { RunRecord, RunUsage } from '../../src/core/runs/runModel';
import type { Swarm } from '../../src/core/loop/swarm';
import { formatTaskDetails } from '../../src/cli/format';
import { swarmStatus } from '../../src/integrations/drivers/swarmHost';
import { ensureAgentClis, type AgentClis } from '../harness/installAgentClis';
import type { ScriptedModel, Step } from '../harness/scriptedModel';
import { ensureCli, testSwarm, waitFor, type Workspace } from './fixtures/agents/harness';
import { closeRig, endedRuns, openRig } from './fixtures/agents/realRig';

// Claude Code's own price for claude-sonnet-4-5 (USD per token), which it applies to the tokens the server sends.
const SONNET = { input: 3e-6, output: 15e-6 };
// Dream.OS's price table for gpt-5 (USD per million tokens): Codex reports no cost, so it is estimated.
const GPT5 = { input: 1.25, output: 10 };
const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

type Shown = { task: Task; history: TaskHistoryEntry[]; dependents: string[]; subtasks: string[]; usage: RunUsage & { agents: (RunUsage & { agentId: string })[] } };

describe('real agent CLIs (Claude Code, Codex) against a scripted model on loopback', { timeout: 600_000 }, () => {
  let clis: AgentClis;
  let ws: Workspace;
  let board: BoardClient;
  let model: ScriptedModel;
  let home: string;
  let swarm: Swarm | undefined;

  before(async () => {
    ensureCli();
    clis = await ensureAgentClis();
    console.log(`[real-agents] ${clis.versions.claude}; ${clis.versions.codex}`);
  });
  afterEach(async () => {
    await closeRig({ ws, board, model, home, swarm }, ['claude-1', 'codex-1']);
    swarm = undefined;
  });

  const setup = async () => void ({ ws, board, model, home } = await openRig());
  const show = (id: string) => board.call<Shown>({ type: 'task.show', taskId: id });
  const runsOf = (id: string) => board.call<RunRecord[]>({ type: 'run.list', taskId: id });
  const runShow = (runId: number) => board.call<RunRecord>({ type: 'run.show', runId });
  const ended = (id: string, n: number) => endedRuns(board, id, n);

  const claudeAgent = (extra: Record<string, unknown> = {}) => ({
    name: 'claude-1',
    preset: 'claude',
    model: 'claude-sonnet-4-5',
    command: clis.claude,
    env: { HOME: home, ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'sk-scripted', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_MAX_RETRIES: '0' },
    timeouts: { leaseMs: 5_000, noOutputMs: 120_000, taskMs: 240_000 },
    ...extra,
  });
  const codexAgent = (extra: Record<string, unknown> = {}) => ({
    name: 'codex-1',
    preset: 'codex',
    model: 'gpt-5',
    command: clis.codex,
    env: { HOME: home, OPENAI_API_KEY: 'sk-scripted' },
    codexConfig: ['model_provider="scripted"', `model_providers.scripted={name="scripted",base_url="${model.url}/v1",wire_api="responses",env_key="OPENAI_API_KEY",request_max_retries=0,stream_max_retries=0}`],
    timeouts: { leaseMs: 5_000, noOutputMs: 120_000, taskMs: 240_000 },
    ...extra,
  });

  it('Claude Code does a task: writes the file, reports done through dreamos; transcript, tokens and cost on the board are what the server sent', async () => {
    await setup();
    const t = await board.call<Task>({ type: 'task.add', title: 'Write hello.txt' });
    const steps: Step[] = [
      { tool: 'Write', input: { file_path: ws.file('hello.txt'), content: 'hello from claude\n' }, usage: { input: 1_200, output: 80 }, text: 'I will write hello.txt.' },
      { tool: 'Bash', input: { command: `dreamos task done ${t.id} --summary "wrote hello.txt" --evidence "test:hello check passed"`, description: 'report to the board' }, usage: { input: 1_500, output: 60 } },
      { text: 'Wrote hello.txt and reported the task done.', usage: { input: 1_700, output: 25 } },
    ];
    model.script('anthropic', steps);
    swarm = testSwarm(ws, board, { agents: [claudeAgent()] });
    await swarm.start();
    await waitFor('the task to be done', async () => (await show(t.id)).task.status === 'done', Number(process.env.REAL_AGENTS_WAIT ?? 240_000));
    const [run] = await waitFor('the run to end', () => ended(t.id, 1), 60_000);
    assert.equal(ws.read('hello.txt'), 'hello from claude\n', 'the real CLI wrote the file');
    assert.equal(model.remaining('anthropic'), 0, 'the CLI went through the whole script');

    const h = await show(t.id);
    assert.equal(h.task.resultSummary, 'wrote hello.txt');
    assert.ok(h.task.evidence.some((e) => e.kind === 'test' && e.summary === 'hello check passed'), JSON.stringify(h.task.evidence));
    assert.equal(h.history.find((e) => e.to === 'done')!.actor, h.task.assignee, 'the agent reported it itself, with its own credential');

    // Tokens: the sum of what the server sent; cost: Claude Code's own total_cost_usd for them.
    const sent = model.sent('anthropic');
    assert.deepEqual(sent, { input: 4_400, output: 165 });
    assert.equal(run!.inputTokens, sent.input);
    assert.equal(run!.outputTokens, sent.output);
    assert.ok(close(run!.costUsd, sent.input * SONNET.input + sent.output * SONNET.output), `cost ${run!.costUsd}`);
    assert.equal(run!.costEstimated, false, "the CLI's own figure");
    assert.equal(run!.status, 'succeeded');
    assert.equal(run!.protocol, 'claude');

    const full = await runShow(run!.id);
    const events = full.events!;
    const session = events.find((e) => e.t === 'session');
    assert.ok(session && session.t === 'session' && /^[0-9a-f-]{36}$/.test(session.id), JSON.stringify(events.slice(0, 3)));
    assert.equal(full.sessionId, session.id);
    assert.ok(events.some((e) => e.t === 'tool' && e.name === 'Write' && e.target === ws.file('hello.txt')));
    assert.ok(events.some((e) => e.t === 'edit' && e.file === ws.file('hello.txt')));
    assert.ok(events.some((e) => e.t === 'tool' && e.name === 'Bash' && e.target?.startsWith(`dreamos task done ${t.id}`)));
    assert.ok(events.some((e) => e.t === 'message' && e.text === 'Wrote hello.txt and reported the task done.'));
    const result = events.find((e) => e.t === 'result');
    assert.ok(result && result.t === 'result' && result.ok && result.turns === 3 && close(result.costUsd!, run!.costUsd), JSON.stringify(result));

    // Shown per task (dreamos task show) and per agent (dreamos swarm status --json).
    assert.equal(h.usage.inputTokens, sent.input);
    assert.ok(close(h.usage.costUsd, run!.costUsd));
    assert.match(formatTaskDetails(h), /usage: {5}1 run, 4,400 in \/ 165 out tokens, \$0\.0157/);
    const out: string[] = [];
    assert.equal(await swarmStatus({ dir: ws.boardDir, json: true, io: { out: (s) => out.push(s), err: () => undefined } }), 0);
    const status = JSON.parse(out.join('')) as { usage: { total: RunUsage; agents: (RunUsage & { agentId: string })[] } };
    assert.equal(status.usage.total.outputTokens, sent.output);
    assert.deepEqual(status.usage.agents.map((a) => [a.agentId, a.inputTokens]), [[h.task.assignee, sent.input]]);
  });

  it('Codex does a task: runs shell commands that write the file and report done; tokens are the server\'s, cost an estimate from the price table', async () => {
    await setup();
    const t = await board.call<Task>({ type: 'task.add', title: 'Write codex.txt' });
    model.script('openai', [
      { tool: 'exec_command', input: { cmd: "printf 'hello from codex\\n' > codex.txt" }, usage: { input: 2_000, output: 90 }, text: 'Writing codex.txt.' },
      { tool: 'exec_command', input: { cmd: `dreamos task done ${t.id} --summary "wrote codex.txt" --evidence "test:codex check passed"` }, usage: { input: 2_300, output: 70 } },
      { text: 'Wrote codex.txt and reported the task done.', usage: { input: 2_500, output: 30 } },
    ]);
    swarm = testSwarm(ws, board, { agents: [codexAgent()] });
    await swarm.start();
    await waitFor('the task to be done', async () => (await show(t.id)).task.status === 'done', Number(process.env.REAL_AGENTS_WAIT ?? 240_000));
    const [run] = await waitFor('the run to end', () => ended(t.id, 1), 60_000);
    assert.equal(ws.read('codex.txt'), 'hello from codex\n');
    assert.equal(model.remaining('openai'), 0);
    const h = await show(t.id);
    assert.equal(h.task.resultSummary, 'wrote codex.txt');
    assert.ok(h.task.evidence.some((e) => e.kind === 'test' && e.summary === 'codex check passed'));

    const sent = model.sent('openai');
    assert.deepEqual(sent, { input: 6_800, output: 190 });
    assert.equal(run!.inputTokens, sent.input);
    assert.equal(run!.outputTokens, sent.output);
    assert.ok(close(run!.costUsd, (sent.input * GPT5.input + sent.output * GPT5.output) / 1e6), `cost ${run!.costUsd}`);
    assert.equal(run!.costEstimated, true);
    const events = (await runShow(run!.id)).events!;
    assert.ok(events.some((e) => e.t === 'session' && e.id === run!.sessionId));
    assert.ok(events.some((e) => e.t === 'tool' && e.name === 'shell' && /codex\.txt/.test(e.target ?? '')));
    assert.ok(events.some((e) => e.t === 'tool' && e.name === 'shell' && e.target?.includes(`dreamos task done ${t.id}`)));
    assert.ok(events.some((e) => e.t === 'message' && e.text === 'Wrote codex.txt and reported the task done.'));
    assert.match(formatTaskDetails(h), /usage: {5}1 run, 6,800 in \/ 190 out tokens, \$0\.0104 \(estimate\)/);
  });

  it('a truncated stream from the model: a clear error on the run and the task back in the queue, no crash', async () => {
    await setup();
    const t = await board.call<Task>({ type: 'task.add', title: 'Never finished', maxAttempts: 2 });
    model.script('anthropic', [{ truncate: true, usage: { input: 500, output: 5 } }]);
    swarm = testSwarm(ws, board, { agents: [claudeAgent()] });
    await swarm.start();
    const [run] = await waitFor('the run to end', () => ended(t.id, 1), 240_000);
    // The run's record closes first, then the loop fails the task: wait for that before stopping,
    // or the stop would hand the still-running task back itself.
    await waitFor('the loop to fail the task', async () => ((await show(t.id)).history.some((e) => e.to === 'failed') ? true : undefined), 60_000);
    // Stop the agent before it takes the task again, so the queue can be looked at.
    await swarm.stop();
    swarm = undefined;
    assert.equal(run!.status, 'failed');
    assert.ok(run!.error, 'the run says what went wrong');
    console.log(`[real-agents] truncated stream: run error "${run!.error}"`);
    const full = await runShow(run!.id);
    assert.ok(full.events!.some((e) => e.t === 'error'), JSON.stringify(full.events));
    const h = await show(t.id);
    assert.equal(h.task.status, 'ready', `back in the queue: ${h.history.map((e) => `${e.to}: ${e.reason}`).join(' | ')}`);
    const failed = h.history.find((e) => e.to === 'failed');
    assert.ok(failed && /claude-1 exited with status [1-9]/.test(failed.reason), failed?.reason);
  });

  it('a Claude Code run that crosses its task budget is stopped: the task goes to the person "over budget" with the figures, nothing else is lost', async () => {
    await setup();
    const t = await board.call<Task>({ type: 'task.add', title: 'Pricey work' });
    model.script('anthropic', [
      // 20,000 input tokens at Sonnet's $3 per million: $0.06, over the $0.05 budget as soon as the message's usage is in.
      { tool: 'Write', input: { file_path: ws.file('partial.txt'), content: 'first part\n' }, usage: { input: 20_000, output: 100 }, text: 'Writing the first part.' },
      // The model never answers again: only a stop ends this run.
      { hang: true },
    ]);
    swarm = testSwarm(ws, board, { budget: { task: { usd: 0.05 } }, agents: [claudeAgent()] });
    await swarm.start();
    await waitFor('the task to be blocked', async () => (await show(t.id)).task.status === 'blocked', Number(process.env.REAL_AGENTS_WAIT ?? 240_000));
    const [run] = await waitFor('the run to end', () => ended(t.id, 1), 60_000);
    assert.equal(run!.status, 'stopped', 'stopped by the budget, not failed');
    assert.ok(run!.sessionId, 'its session stays, so a retry resumes it');
    assert.equal(run!.inputTokens, 20_000);
    assert.ok(run!.costUsd >= 0.05 && run!.costEstimated, `cost ${run!.costUsd} (a running estimate: the CLI never reached its result)`);
    assert.equal(ws.read('partial.txt'), 'first part\n', 'what the agent did before the stop is kept');

    const h = await show(t.id);
    const reason = h.history.at(-1)!.reason;
    assert.match(reason, new RegExp(`^over budget: task ${t.id} spent \\$0\\.06\\d* \\(estimate\\) and 20,001 tokens, reaching its \\$0\\.0500 budget \\(budget\\.task in agents\\.json\\)$`), reason);
    const events = await board.call<BoardEvent[]>({ type: 'events.since', afterSeq: 0, limit: 10_000 });
    const exceeded = events.filter((e) => e.type === 'budget.exceeded');
    assert.equal(exceeded.length, 1);
    assert.deepEqual([exceeded[0]!.subject, exceeded[0]!.payload.scope, exceeded[0]!.payload.limit, exceeded[0]!.payload.runId], [t.id, 'task', 0.05, run!.id]);
    const mail = await board.call<Message[]>({ type: 'mail.inbox', recipient: 'human' });
    assert.ok(mail.some((m) => m.subject === 'Task "Pricey work" is over budget' && m.body.includes('reaching its $0.0500 budget')), JSON.stringify(mail.map((m) => m.subject)));

    // Unblocked without raising the budget: checked before a run starts, so no run starts and it is back with the person.
    await board.call({ type: 'task.unblock', taskId: t.id, reason: 'try again' });
    await waitFor('the task to be blocked again', async () => {
      const s = await show(t.id);
      return s.task.status === 'blocked' && s.history.filter((e) => e.to === 'blocked').length === 2;
    }, 60_000);
    assert.equal((await runsOf(t.id)).length, 1, 'no second run was started');
    const again = (await board.call<BoardEvent[]>({ type: 'events.since', afterSeq: 0, limit: 10_000 })).filter((e) => e.type === 'budget.exceeded');
    assert.equal(again.length, 2);
    assert.equal(again[1]!.payload.runId, undefined);

    // The budget raised and the task unblocked: the next run resumes the stopped run's session and finishes.
    await swarm.stop();
    model.script('anthropic', [
      { tool: 'Bash', input: { command: `dreamos task done ${t.id} --summary "finished after the budget was raised" --evidence "test:partial check passed"`, description: 'report' }, usage: { input: 500, output: 20 } },
      { text: 'Finished.', usage: { input: 600, output: 5 } },
    ]);
    swarm = testSwarm(ws, board, { budget: { task: { usd: 1 } }, agents: [claudeAgent()] });
    await swarm.start();
    await board.call({ type: 'task.unblock', taskId: t.id, reason: 'budget raised' });
    await waitFor('the task to be done', async () => (await show(t.id)).task.status === 'done', Number(process.env.REAL_AGENTS_WAIT ?? 240_000));
    const [resumed] = await waitFor('the second run to end', () => ended(t.id, 2), 60_000);
    assert.equal(resumed!.resumed, run!.sessionId, 'the run after the raise resumed the stopped session');
    assert.equal(ws.read('partial.txt'), 'first part\n');
  });

  it('a retried run resumes the same Claude Code session, and the feedback reaches that session', async () => {
    await setup();
    const check = { name: 'answer-check', command: process.execPath, args: ['-e', "process.exit(require('fs').readFileSync('answer.txt','utf8').trim()==='42'?0:1)"] };
    const t = await board.call<Task>({ type: 'task.add', title: 'Write the answer', maxAttempts: 3 });
    model.script('anthropic', [
      // Attempt 1: a wrong answer, so the check fails and the task is retried.
      { tool: 'Write', input: { file_path: ws.file('answer.txt'), content: '41\n' }, usage: { input: 900, output: 40 } },
      { text: 'Wrote the answer.', usage: { input: 1_000, output: 10 } },
      // Attempt 2, in the same session: the right answer; the check passes.
      { tool: 'Write', input: { file_path: ws.file('answer.txt'), content: '42\n' }, usage: { input: 1_400, output: 40 } },
      { text: 'Fixed: the answer is 42.', usage: { input: 1_500, output: 12 } },
    ]);
    swarm = testSwarm(ws, board, { agents: [claudeAgent({ checks: [check] })] });
    await swarm.start();
    await waitFor('the task to be done', async () => (await show(t.id)).task.status === 'done', Number(process.env.REAL_AGENTS_WAIT ?? 240_000));
    const runs = await waitFor('both runs to end', () => ended(t.id, 2), 60_000);
    const [second, first] = runs; // newest first
    assert.equal(first!.status, 'succeeded');
    assert.ok(first!.sessionId);
    assert.equal(second!.resumed, first!.sessionId, 'the retry resumed the first run\'s session');
    assert.equal(second!.sessionId, first!.sessionId, 'Claude Code went on in the same session');
    assert.equal(ws.read('answer.txt'), '42\n');

    // The scripted server saw the resumed conversation: the first attempt's turns, then the feedback.
    const mainCalls = model.seen.filter((s) => s.step !== undefined);
    const resumed = mainCalls[2]!.body as { messages: { role: string; content: unknown }[] };
    const said = JSON.stringify(resumed.messages);
    assert.ok(said.includes('41'), 'the first attempt is in the resumed session');
    const lastUser = JSON.stringify(resumed.messages[resumed.messages.length - 1]);
    assert.match(lastUser, /continued, attempt 2/);
    assert.match(lastUser, /answer-check failed/, 'the failed check is the feedback sent into the session');

    const h = await show(t.id);
    const sent = model.sent('anthropic');
    assert.equal(h.usage.runs, 2);
    assert.equal(h.usage.inputTokens, sent.input);
    assert.equal(h.usage.outputTokens, sent.output);
    assert.ok(close(h.usage.costUsd, sent.input * SONNET.input + sent.output * SONNET.output), `${h.usage.costUsd}`);
  });

  it('a retried Codex run resumes the same thread (codex exec resume), with the feedback in the next request', async () => {
    await setup();
    const check = { name: 'answer-check', command: process.execPath, args: ['-e', "process.exit(require('fs').readFileSync('answer.txt','utf8').trim()==='42'?0:1)"] };
    const t = await board.call<Task>({ type: 'task.add', title: 'Write the answer', maxAttempts: 3 });
    model.script('openai', [
      { tool: 'exec_command', input: { cmd: 'echo 41 > answer.txt' }, usage: { input: 900, output: 40 } },
      { text: 'Wrote the answer.', usage: { input: 1_000, output: 10 } },
      { tool: 'exec_command', input: { cmd: 'echo 42 > answer.txt' }, usage: { input: 1_400, output: 40 } },
      { text: 'Fixed: the answer is 42.', usage: { input: 1_500, output: 12 } },
    ]);
    swarm = testSwarm(ws, board, { agents: [codexAgent({ checks: [check] })] });
    await swarm.start();
    await waitFor('the task to be done', async () => (await show(t.id)).task.status === 'done', Number(process.env.REAL_AGENTS_WAIT ?? 240_000));
    const [second, first] = await waitFor('both runs to end', () => ended(t.id, 2), 60_000);
    assert.ok(first!.sessionId);
    assert.equal(second!.resumed, first!.sessionId);
    assert.equal(second!.sessionId, first!.sessionId, 'Codex went on in the same thread');
    assert.equal(ws.read('answer.txt'), '42\n');
    const resumed = JSON.stringify(model.seen.filter((s) => s.step !== undefined)[2]!.body.input);
    assert.ok(resumed.includes('echo 41 > answer.txt'), 'the first attempt is in the resumed thread');
    assert.match(resumed, /continued, attempt 2/);
    assert.match(resumed, /answer-check failed/);
    const sent = model.sent('openai');
    const h = await show(t.id);
    assert.deepEqual([h.usage.runs, h.usage.inputTokens, h.usage.outputTokens], [2, sent.input, sent.output]);
  });
});
