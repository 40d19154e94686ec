/**
 * Agents report through MCP: the real agent CLIs, run by their presets with "mcp": true as Dream.OS
 * runs them, start `dreamos mcp` from the shim on their PATH (Claude Code through --mcp-config,
 * Codex through -c mcp_servers.dreamos…), and their scripted model (a server on 127.0.0.1 speaking
 * the provider's streaming protocol) calls the board's task_done tool: Claude first on its word
 * alone — the board's refusal comes back to the model as the tool's error — then with evidence,
 * which finishes the task as that agent.
 */
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import type { Task, TaskHistoryEntry } from '../../src/core/board/boardModel';
import type { BoardClient } from '../../src/core/hub/connect';
import type { Swarm } from '../../src/core/loop/swarm';
import { ensureAgentClis, type AgentClis } from '../harness/installAgentClis';
import { ensureCli, testSwarm, waitFor } from './fixtures/agents/harness';
import { closeRig, endedRuns, openRig, type RealRig } from './fixtures/agents/realRig';

/** The task once done, and its run ended. */
async function doneTask(board: BoardClient, taskId: string): Promise<{ task: Task; history: TaskHistoryEntry[] }> {
  const shown = await waitFor(
    'the task to be done',
    async () => {
      const s = await board.call<{ task: Task; history: TaskHistoryEntry[] }>({ type: 'task.show', taskId });
      return s.task.status === 'done' ? s : undefined;
    },
    Number(process.env.REAL_AGENTS_WAIT ?? 240_000),
  );
  await waitFor('the run to end', () => endedRuns(board, taskId, 1), 60_000);
  return shown;
}

describe('agent CLIs report through the dreamos MCP server', { timeout: 600_000 }, () => {
  let clis: AgentClis;
  let rig: RealRig | undefined;
  let swarm: Swarm | undefined;
  before(async () => {
    ensureCli();
    clis = await ensureAgentClis();
  });
  afterEach(async () => {
    await closeRig({ ...rig, swarm }, ['claude-mcp', 'codex-mcp']);
    rig = undefined;
    swarm = undefined;
  });

  it('calls mcp__dreamos__task_done: refused without evidence (the board says why), done with it', async () => {
    rig = await openRig();
    const { ws, board, model, home } = rig;
    const t = await board.call<Task>({ type: 'task.add', title: 'Check the retry policy' });
    model.script('anthropic', [
      { tool: 'mcp__dreamos__task_done', input: { summary: 'looked at it' }, usage: { input: 900, output: 40 }, text: 'Reporting.' },
      { tool: 'mcp__dreamos__task_done', input: { summary: 'retry policy checked', evidence: [{ kind: 'test', summary: 'retry.test 4 passed' }] }, usage: { input: 1_100, output: 50 } },
      { text: 'Reported the task done through the board.', usage: { input: 1_200, output: 20 } },
    ]);
    const agent = {
      name: 'claude-mcp',
      preset: 'claude',
      model: 'claude-sonnet-4-5',
      mcp: true,
      command: clis.claude,
      env: { HOME: home, ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'sk-scripted', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_MAX_RETRIES: '0' },
      timeouts: { leaseMs: 5_000, noOutputMs: 120_000, taskMs: 240_000 },
    };
    swarm = testSwarm(ws, board, { agents: [agent] });
    await swarm.start();
    const shown = await doneTask(board, t.id);

    // The CLI was offered the board's tools: the first scripted request lists them.
    const first = model.seen.find((s) => s.step === 0)!;
    const offered = ((first.body.tools ?? []) as { name: string }[]).map((x) => x.name);
    assert.ok(offered.includes('mcp__dreamos__task_done') && offered.includes('mcp__dreamos__ask_person'), `tools offered: ${offered.join(', ')}`);
    // The refusal reached the model as the tool's error, in the board's words.
    const second = JSON.stringify(model.seen.find((s) => s.step === 1)!.body.messages);
    assert.match(second, /"is_error":true/);
    assert.match(second, /cannot be marked done on your word alone/);
    assert.equal(model.remaining('anthropic'), 0, 'the CLI went through the whole script');

    assert.equal(shown.task.resultSummary, 'retry policy checked');
    assert.ok(shown.task.evidence.some((e) => e.kind === 'test' && e.summary === 'retry.test 4 passed'), JSON.stringify(shown.task.evidence));
    assert.equal(shown.history.find((h) => h.to === 'done')!.actor, shown.task.assignee, 'reported by the agent itself, with its run credential');
  });
  it('Codex calls task_done in its mcp__dreamos tool namespace, with evidence: the task is done', async () => {
    rig = await openRig();
    const { ws, board, model, home } = rig;
    const t = await board.call<Task>({ type: 'task.add', title: 'Check the timeout policy' });
    model.script('openai', [
      { tool: 'task_done', namespace: 'mcp__dreamos', input: { summary: 'timeout policy checked', evidence: [{ kind: 'check', summary: 'lint passed' }] }, usage: { input: 2_000, output: 60 } },
      { text: 'Reported the task done through the board.', usage: { input: 2_200, output: 20 } },
    ]);
    const agent = {
      name: 'codex-mcp',
      preset: 'codex',
      model: 'gpt-5',
      mcp: true,
      command: clis.codex,
      env: { HOME: home, OPENAI_API_KEY: 'sk-scripted' },
      codexConfig: ['model_provider="scripted"', `model_providers.scripted={name="scripted",base_url="${model.url}/v1",wire_api="responses",env_key="OPENAI_API_KEY",request_max_retries=0,stream_max_retries=0}`],
      timeouts: { leaseMs: 5_000, noOutputMs: 120_000, taskMs: 240_000 },
    };
    swarm = testSwarm(ws, board, { agents: [agent] });
    await swarm.start();
    const shown = await doneTask(board, t.id);
    // Codex lists the server's tools as one namespace, built from the server's own tool list.
    const ns = ((model.seen[0]!.body.tools ?? []) as { type: string; name: string; tools?: { name: string }[] }[]).find((x) => x.name === 'mcp__dreamos');
    assert.ok(ns?.tools?.some((x) => x.name === 'task_done'), JSON.stringify(ns).slice(0, 500));
    // The tool's answer (Codex passes on its structuredContent) went back to the model.
    const output = ((model.seen.find((s) => s.step === 1)!.body.input ?? []) as { type: string; output?: unknown }[]).find((x) => x.type === 'function_call_output');
    assert.match(String(output?.output), /"status":"done"/);
    assert.equal(shown.task.resultSummary, 'timeout policy checked');
    assert.ok(shown.task.evidence.some((e) => e.kind === 'check' && e.summary === 'lint passed'));
    assert.equal(shown.history.find((h) => h.to === 'done')!.actor, shown.task.assignee);
  });
});
