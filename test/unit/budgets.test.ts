/**
 * Budgets (issue 13): declared in agents.json and validated with messages that name the field; the
 * arithmetic that finds the first limit reached; what the board counts as spent (run.spent, running
 * runs included); and run.overBudget, which blocks the task and emits budget.exceeded in one go.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task } from '../../src/core/board/boardModel';
import type { BoardEvent } from '../../src/core/events/eventLog';
import { budgetView } from '../../src/core/loop/budgetMeter';
import { budgetFor, dayStart, findBreach, spentQueries, type Spent } from '../../src/core/loop/budget';
import { parseSwarmConfig, type CommandAgentConfig } from '../../src/core/loop/agentsConfig';
import type { RunRecord } from '../../src/core/runs/runModel';
import { priceFor } from '../../src/integrations/agents/prices';
import { configError } from './helpers/configError';
import { memoryBoard } from './helpers/memoryBoard';

const who = { taskId: 'T-1', agentName: 'claude-1' };
const spent = (usd: number, tokens: number, estimated = false): Spent => ({ usd, tokens, estimated });

describe('budgets in agents.json', () => {
  it("an agent's own budget goes over the swarm's defaults; the swarm-day limit holds for everyone", () => {
    const cfg = parseSwarmConfig({
      budget: { task: { usd: 2 }, agentDay: { tokens: 1_000_000 }, swarmDay: { usd: 30 } },
      agents: [
        { name: 'claude-1', preset: 'claude', budget: { task: { usd: 0.5, tokens: 100_000 } } },
        { name: 'sh', driver: 'command', command: 'node' },
      ],
    });
    assert.deepEqual(budgetFor(cfg, cfg.agents[0]!), { task: { usd: 0.5, tokens: 100_000 }, agentDay: { tokens: 1_000_000 }, swarmDay: { usd: 30 } });
    assert.deepEqual(budgetFor(cfg, cfg.agents[1]!), { task: { usd: 2 }, agentDay: { tokens: 1_000_000 }, swarmDay: { usd: 30 } });
    assert.deepEqual(budgetFor(parseSwarmConfig({ agents: [{ name: 'x', driver: 'command', command: 'x' }] }), { budget: undefined }), {});
  });

  it('a wrong budget names the agent and the field and says what to write', () => {
    const msg = configError({
      budget: { swarmDay: {}, perDay: 3 },
      agents: [
        { name: 'claude-1', preset: 'claude', budget: { task: { usd: -1 } } },
        { name: 'sh', driver: 'command', command: 'node', budget: { day: { tokens: 1.5 } } },
      ],
    });
    assert.match(msg, /agents\[0\] \(claude-1\)\.budget\.task\.usd: usd must be above 0, e\.g\. 2\.5/);
    assert.match(msg, /agents\[1\] \(sh\)\.budget\.day\.tokens: .*whole number|agents\[1\] \(sh\)\.budget\.day\.tokens: .*integer/i);
    assert.match(msg, /budget\.swarmDay: give "usd" \(dollars, e\.g\. 2\.5\) or "tokens" \(e\.g\. 500000\), or both/);
    assert.match(msg, /budget\.perDay: is not a field here/);
  });

  it('a price table in agents.json reaches the preset agents and goes before the built-in one', () => {
    const cfg = parseSwarmConfig({ prices: { 'my-model': { input: 1, output: 2 }, 'gpt-5': { input: 9, output: 9 } }, agents: [{ name: 'c', preset: 'codex', model: 'my-model-7b' }] });
    const preset = (cfg.agents[0] as CommandAgentConfig).preset!;
    assert.deepEqual(priceFor(preset.model, preset.prices), { input: 1, output: 2 });
    assert.deepEqual(priceFor('gpt-5', preset.prices), { input: 9, output: 9 });
    assert.equal(priceFor('gpt-5')?.input, 1.25, 'the built-in table without it');
    assert.equal(priceFor('claude-sonnet-4-5')?.output, 15);
    assert.match(configError({ prices: { 'gpt 5': { input: 1 } }, agents: [] }), /prices/);
  });
});

describe('budget arithmetic', () => {
  const budget = { task: { usd: 1, tokens: 10_000 }, agentDay: { usd: 5 }, swarmDay: { tokens: 1_000_000 } };

  it('under every limit: no breach', () => {
    assert.equal(findBreach(budget, { task: spent(0.99, 9_999), agentDay: spent(4.99, 0), swarmDay: spent(0, 999_999) }, who), undefined);
    assert.equal(findBreach({}, { task: spent(1e6, 1e9) }, who), undefined, 'no budget, no limit');
    assert.equal(findBreach(budget, {}, who), undefined, 'nothing spent known');
  });

  it('reaching a limit exactly has used it up; dollars before tokens, task before the day', () => {
    const a = findBreach(budget, { task: spent(1, 10_000), agentDay: spent(5, 0) }, who)!;
    assert.deepEqual([a.scope, a.unit, a.limit], ['task', 'usd', 1]);
    assert.equal(a.message, 'task T-1 spent $1.00 and 10,000 tokens, reaching its $1.00 budget (budget.task in agents.json)');
    const b = findBreach(budget, { task: spent(0.5, 12_345, true) }, who)!;
    assert.deepEqual([b.scope, b.unit, b.limit], ['task', 'tokens', 10_000]);
    assert.equal(b.message, 'task T-1 spent $0.5000 (estimate) and 12,345 tokens, reaching its 10,000-token budget (budget.task in agents.json)');
    const c = findBreach(budget, { task: spent(0, 0), agentDay: spent(5.01, 0), swarmDay: spent(0, 2e6) }, who)!;
    assert.deepEqual([c.scope, c.unit], ['agentDay', 'usd']);
    assert.match(c.message, /^claude-1 today \(UTC\) spent \$5\.01 /);
    const d = findBreach(budget, { swarmDay: spent(0.001, 1_000_000) }, who)!;
    assert.equal(d.message, "the swarm today (UTC) spent $0.001000 and 1,000,000 tokens, reaching its 1,000,000-token budget (the swarm's budget.swarmDay in agents.json)");
  });

  it('a day is the UTC day; only the scopes with a limit are asked for', () => {
    const now = Date.UTC(2026, 11, 2, 23, 59, 59, 999);
    assert.equal(dayStart(now), Date.UTC(2026, 11, 2));
    assert.equal(dayStart(Date.UTC(2026, 11, 3)), Date.UTC(2026, 11, 3));
    assert.deepEqual(spentQueries({ task: { usd: 1 } }, { taskId: 'T-1', agentId: 'a1', now }), [{ scope: 'task', taskId: 'T-1' }]);
    assert.deepEqual(spentQueries(budget, { taskId: 'T-1', agentId: 'a1', now }), [
      { scope: 'task', taskId: 'T-1' },
      { scope: 'agentDay', agentId: 'a1', since: Date.UTC(2026, 11, 2) },
      { scope: 'swarmDay', since: Date.UTC(2026, 11, 2) },
    ]);
  });
});

describe('budgets on the board', () => {
  it('run.spent counts a task, an agent since a time and the swarm, a running run included; run.append returns the run so far', async () => {
    let now = Date.UTC(2026, 11, 1, 12);
    const mb = await memoryBoard({ clock: () => now });
    const t1 = mb.run<Task>({ type: 'task.add', title: 'one' });
    const t2 = mb.run<Task>({ type: 'task.add', title: 'two' });
    mb.run({ type: 'agent.register', name: 'a' });
    mb.run({ type: 'agent.register', name: 'b' });
    const r1 = mb.run<RunRecord>({ type: 'run.start', taskId: t1.id, agentId: 'a', run: 1, protocol: 'claude' });
    mb.run({ type: 'run.append', runId: r1.id, events: [{ t: 'result', ok: true, tokens: { input: 1_000, output: 100, cached: 50 }, costUsd: 0.5 }] });
    mb.run({ type: 'run.end', runId: r1.id, status: 'succeeded' });
    now = Date.UTC(2026, 11, 2, 1);
    const r2 = mb.run<RunRecord>({ type: 'run.start', taskId: t2.id, agentId: 'a', run: 1, protocol: 'codex' });
    const appended = mb.run<{ usage: { inputTokens: number; costUsd: number; costEstimated: boolean } }>({ type: 'run.append', runId: r2.id, events: [{ t: 'usage', tokens: { input: 300, output: 30 }, costUsd: 0.25, estimated: true }] });
    assert.deepEqual([appended.usage.inputTokens, appended.usage.costUsd, appended.usage.costEstimated], [300, 0.25, true]);
    const r3 = mb.run<RunRecord>({ type: 'run.start', taskId: t2.id, agentId: 'b', run: 1, protocol: 'claude' });
    mb.run({ type: 'run.append', runId: r3.id, events: [{ t: 'usage', tokens: { input: 10, output: 1 }, costUsd: 0.01 }] });
    const today = dayStart(now);
    const [task1, task2, aToday, swarmToday, all] = mb.run<Spent[]>({ type: 'run.spent', scopes: [{ taskId: t1.id }, { taskId: t2.id }, { agentId: 'a', since: today }, { since: today }, {}] });
    assert.deepEqual(task1, { usd: 0.5, tokens: 1_100, estimated: false });
    assert.deepEqual(task2, { usd: 0.26, tokens: 341, estimated: true });
    assert.deepEqual(aToday, { usd: 0.25, tokens: 330, estimated: true }, "yesterday's run is not today's");
    assert.deepEqual(swarmToday, { usd: 0.26, tokens: 341, estimated: true });
    assert.deepEqual(all, { usd: 0.76, tokens: 1_441, estimated: true });
    assert.throws(() => mb.run({ type: 'run.spent', scopes: [] }), /Invalid request/);
  });

  it('run.overBudget blocks the task with the figures and emits budget.exceeded; only the lease holder may', async () => {
    const mb = await memoryBoard();
    const t = mb.run<Task>({ type: 'task.add', title: 'pricey' });
    mb.run({ type: 'agent.register', name: 'a' });
    const claim = mb.run<{ task: Task; lease: { token: number } }>({ type: 'task.claim', taskId: t.id, agentId: 'a' }, 'a');
    const breach = findBreach({ task: { usd: 0.01 } }, { task: spent(0.0157, 4_565) }, { taskId: t.id, agentName: 'a' })!;
    const cmd = { type: 'run.overBudget' as const, taskId: t.id, agentId: 'a', scope: breach.scope, unit: breach.unit, limit: breach.limit, spent: breach.spent, message: breach.message };
    assert.throws(() => mb.run({ ...cmd, token: claim.lease.token + 1 }, 'a'), /token|lease/i);
    const blocked = mb.run<Task>({ ...cmd, token: claim.lease.token }, 'a');
    assert.equal(blocked.status, 'blocked');
    const shown = mb.run<{ history: { to: string; reason: string }[] }>({ type: 'task.show', taskId: t.id });
    assert.equal(shown.history.at(-1)!.reason, `over budget: task ${t.id} spent $0.0157 and 4,565 tokens, reaching its $0.0100 budget (budget.task in agents.json)`);
    const events = mb.run<BoardEvent[]>({ type: 'events.since', afterSeq: 0 });
    const e = events.find((x) => x.type === 'budget.exceeded')!;
    assert.equal(e.subject, t.id);
    assert.deepEqual([e.payload.scope, e.payload.unit, e.payload.limit, e.payload.spent], ['task', 'usd', 0.01, { usd: 0.0157, tokens: 4_565, estimated: false }]);
  });

  it("swarm status's budgets: each limit with what was spent today, an agent not on the board yet at zero", async () => {
    const now = Date.UTC(2026, 11, 2, 10);
    const mb = await memoryBoard({ clock: () => now });
    const t = mb.run<Task>({ type: 'task.add', title: 'x' });
    mb.run({ type: 'agent.register', name: 'a' });
    const r = mb.run<RunRecord>({ type: 'run.start', taskId: t.id, agentId: 'a', run: 1, protocol: 'claude' });
    mb.run({ type: 'run.append', runId: r.id, events: [{ t: 'usage', tokens: { input: 100, output: 10 }, costUsd: 0.2 }] });
    const cfg = parseSwarmConfig({ budget: { swarmDay: { usd: 10 }, agentDay: { tokens: 1_000 } }, agents: [{ name: 'a', driver: 'command', command: 'x', maxConcurrent: 2 }, { name: 'b', driver: 'command', command: 'x' }] });
    const port = mb.port();
    const view = await budgetView((c) => port.call(c), cfg, now);
    assert.equal(view.since, Date.UTC(2026, 11, 2));
    assert.deepEqual(view.swarmDay, { limit: { usd: 10 }, spent: { usd: 0.2, tokens: 110, estimated: false } });
    assert.deepEqual(view.agents.map((x) => [x.name, x.agentDay?.spent.tokens]), [['a', 110], ['a-2', 0], ['b', 0]]);
  });
});
