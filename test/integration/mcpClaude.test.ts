/**
 * Agents report through MCP: the real Claude Code CLI (the `claude` preset with "mcp": true, as
 * Dream.OS runs it) starts `dreamos mcp` from the shim on its PATH through --mcp-config, and its
 * scripted model (a server on 127.0.0.1 speaking the Anthropic streaming protocol) calls the
 * mcp__dreamos__task_done tool: first on its word alone — the board's refusal comes back to the
 * model as the tool's error — then with evidence, which finishes the task as that agent.
 */
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import type { Task, TaskHistoryEntry } from '../../src/core/board/model';
import type { Swarm } from '../../src/core/loop/swarm';
import { ensureAgentClis, type AgentClis } from '../harness/installAgentClis';
import { ensureCli, testSwarm, waitFor } from './fixtures/agents/harness';
import { closeRig, endedRuns, openRig, type RealRig } from './fixtures/agents/realRig';

describe('Claude Code reports through the dreamos MCP server', { timeout: 600_000 }, () => {
  let clis: AgentClis;
  let rig: RealRig | undefined;
  let swarm: Swarm | undefined;
  before(async () => {
    ensureCli();
    clis = await ensureAgentClis();
  });
  afterEach(async () => {
    await closeRig({ ...rig, swarm }, ['claude-mcp']);
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
    const shown = await waitFor(
      'the task to be done',
      async () => {
        const s = await board.call<{ task: Task; history: TaskHistoryEntry[] }>({ type: 'task.show', taskId: t.id });
        return s.task.status === 'done' ? s : undefined;
      },
      Number(process.env.REAL_AGENTS_WAIT ?? 240_000),
    );
    await waitFor('the run to end', () => endedRuns(board, t.id, 1), 60_000);

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
});
