/**
 * The loop's pure parts: configuration, prompts, classification, scope, evidence, the output
 * watch, the loop's board records (on the real domain), and the editor drivers' logic with a
 * scripted stand-in for the editor's language model (no model runs here).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Task } from '../../src/core/board/boardModel';
import { backoffMs, classifyError, classifyOutcome } from '../../src/core/loop/classify';
import { instanceNames, loadSwarmConfig, parseSwarmConfig } from '../../src/core/loop/agentsConfig';
import { changedSince, type AgentJob, type DriverOutcome } from '../../src/core/loop/driver';
import { judge } from '../../src/core/loop/runEvidence';
import { attribute, RunLedger } from '../../src/core/loop/ledger';
import { buildPrompt, DEFAULT_TEMPLATE, loadTemplate, TRUNCATED, validateTemplate, type PromptInput } from '../../src/core/loop/agentPrompts';
import { globToRegExp, outOfScope, taskScope } from '../../src/core/loop/scope';
import { SwarmGate } from '../../src/core/loop/gate';
import { OutputWatch, parseResult, rungFor, soundsDone } from '../../src/core/loop/watch';
import { SCHEMA_VERSION } from '../../src/core/store/migrations';
import { ChatWindowDriver, editInside, editorFamily } from '../../src/extension/agents/chatWindowDriver';
import { LanguageModelDriver, runLmTool, type LmApi } from '../../src/extension/agents/languageModelDriver';
import { invokeReportTool } from '../../src/extension/agents/reportTools';
import { AgentLogFile } from '../../src/integrations/drivers/agentLog';
import { fillArgs } from '../../src/integrations/drivers/commandDriver';
import { isAlive, runProcess } from '../../src/integrations/drivers/process';
import { memoryBoard } from './helpers/memoryBoard';
import { TextPart, ToolCallPart, ToolResultPart } from './helpers/lmParts';

const task = (over: Partial<Task> = {}): Task => ({
  id: 'tsk_000000000001',
  title: 'Write the parser',
  description: 'Parse the config files.',
  kind: 'feature',
  priority: 1,
  status: 'running',
  tags: [],
  requires: [],
  dependsOn: [],
  parentId: null,
  assignee: 'agt_000000000001',
  lease: { token: 7, expiresAt: 0 },
  attempts: 1,
  maxAttempts: 3,
  estimateMinutes: null,
  deadline: null,
  resultSummary: null,
  evidence: [],
  createdBy: 'human',
  createdAt: 0,
  updatedAt: 0,
  ...over,
});

const promptInput = (over: Partial<PromptInput> = {}): PromptInput => ({
  task: task(),
  agent: { id: 'agt_000000000001', name: 'claude' },
  attempt: 1,
  cwd: '/ws',
  scope: [],
  dependencies: [],
  messages: [],
  rules: '',
  feedback: [],
  ...over,
});

describe('agent configuration', () => {
  it('fills defaults and names instances', () => {
    const c = parseSwarmConfig({ agents: [{ name: 'tester', driver: 'command', command: 'node', maxConcurrent: 3 }] });
    assert.equal(c.maxConcurrent, 4);
    const a = c.agents[0]!;
    assert.equal(a.driver, 'command');
    assert.deepEqual(a.timeouts, { taskMs: 1_800_000, noOutputMs: 300_000, leaseMs: 60_000 });
    assert.deepEqual(instanceNames(a), ['tester', 'tester-2', 'tester-3']);
  });

  it('reports a missing file and bad JSON clearly', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-cfg-'));
    try {
      await assert.rejects(loadSwarmConfig(dir), /No agents are configured: .*agents\.json does not exist/);
      writeFileSync(path.join(dir, 'agents.json'), '{ "agents": [ }');
      await assert.rejects(loadSwarmConfig(dir), /agents\.json is not valid JSON .* no agent was started/);
      writeFileSync(path.join(dir, 'agents.json'), JSON.stringify({ agents: [{ name: 'bad name!', driver: 'command', command: 'x', env: { 'A-B': '1' } }] }));
      await assert.rejects(loadSwarmConfig(dir), (err: Error) => /agents\[0\] \(bad name!\)\.name: agent names are/.test(err.message) && /agents\[0\] \(bad name!\)\.env\.A-B/.test(err.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prompts', () => {
  it('renders the task and its context with the built-in template', () => {
    const p = buildPrompt(
      promptInput({
        scope: ['src/parser/**'],
        dependencies: [{ id: 'tsk_000000000002', title: 'Grammar', summary: 'grammar.md written' }],
        messages: [{ from: 'human', subject: 'Use zod', body: 'please', createdAt: 1 }],
        rules: 'Never push to main.',
        feedback: ['Restarted after: no output'],
      }),
      { name: 'built-in', text: DEFAULT_TEMPLATE },
      24_000,
    );
    for (const s of ['# Task tsk_000000000001: Write the parser', 'Parse the config files.', 'Change only files matching: src/parser/**', 'grammar.md written', 'from human: Use zod', 'Never push to main.', 'Restarted after: no output', 'dreamos task done tsk_000000000001']) {
      assert.ok(p.includes(s), `missing: ${s}`);
    }
  });

  it('an agent given the board\'s MCP server is told to report through its tools first; others are not', () => {
    const tpl = { name: 'built-in', text: DEFAULT_TEMPLATE };
    const withMcp = buildPrompt(promptInput({ mcp: true }), tpl, 24_000);
    assert.match(withMcp, /Report through the `dreamos` MCP server's tools .*`task_done` with a summary and evidence/);
    assert.ok(withMcp.includes('dreamos task done tsk_000000000001'), 'the CLI stays as the fallback');
    assert.doesNotMatch(buildPrompt(promptInput(), tpl, 24_000), /MCP/);
  });

  it('keeps within the budget: long sections are cut with a marker, the fixed text stays', () => {
    const huge = 'x'.repeat(50_000);
    const p = buildPrompt(promptInput({ task: task({ description: huge }), rules: 'r'.repeat(30_000) }), { name: 'built-in', text: DEFAULT_TEMPLATE }, 6_000);
    assert.ok(p.length <= 6_000, `${p.length}`);
    assert.ok(p.includes(TRUNCATED));
    assert.ok(p.includes('# Task tsk_000000000001: Write the parser'));
    assert.ok(p.includes('DREAMOS_RESULT'), 'the report instructions are never cut');
  });

  it('refuses unknown placeholders, naming the file and the line', async () => {
    assert.throws(() => validateTemplate('Hi {{agent.name}}\nDo {{task.titel}} and {{ nope }}', 'x.md'), /x\.md uses unknown placeholders \(line 2: \{\{task\.titel\}\}; line 2: \{\{nope\}\}\)\. Known: /);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-tpl-'));
    try {
      await assert.rejects(loadTemplate(dir, 'short'), /The prompt template "short" does not exist: create .*prompts\/short\.md/);
      mkdirSync(path.join(dir, 'prompts'));
      writeFileSync(path.join(dir, 'prompts', 'short.md'), 'Do {{task.title}} now.');
      assert.equal(buildPrompt(promptInput(), await loadTemplate(dir, 'short'), 1_000), 'Do Write the parser now.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('error classification', () => {
  const o = (x: Partial<DriverOutcome>): DriverOutcome => ({ status: 'exited', exitCode: 0, signal: null, tail: 'last words', durationMs: 1_000, ...x });
  it('maps outcomes to classes and strategies', () => {
    const cases: [Partial<DriverOutcome>, string, string][] = [
      [{ status: 'spawn-error', errno: 'ENOENT' }, 'tool', 'reassign'],
      [{ status: 'spawn-error', errno: 'EAGAIN' }, 'transient', 'backoff'],
      [{ exitCode: 75 }, 'transient', 'backoff'],
      [{ exitCode: 127 }, 'tool', 'reassign'],
      [{ exitCode: 1 }, 'task', 'fail-retry'],
      [{ exitCode: null, signal: 'SIGKILL' }, 'agent', 'reassign'],
      [{ status: 'timeout' }, 'agent', 'ladder'],
      [{ status: 'unavailable', message: 'no model' }, 'tool', 'reassign'],
    ];
    for (const [out, cls, strategy] of cases) {
      const c = classifyOutcome(o(out), 'claude', 'claude');
      assert.deepEqual([c.class, c.strategy], [cls, strategy], JSON.stringify(out));
    }
    assert.match(classifyOutcome(o({ status: 'spawn-error', errno: 'ENOENT' }), 'claude', 'claude').reason, /"claude" was not found\. Install it, or fix "command" of claude in agents\.json/);
    assert.match(classifyOutcome(o({ exitCode: 1 }), 'claude').reason, /exited with status 1\. Last output: "last words"/);
  });

  it('maps board errors', () => {
    const e = (code: string) => Object.assign(new Error(code), { code });
    assert.equal(classifyError(e('unavailable')).strategy, 'backoff');
    assert.equal(classifyError(e('stale_token')).strategy, 'drop');
    assert.equal(classifyError(new Error('boom')).strategy, 'ask-human');
  });

  it('backs off exponentially with jitter, capped', () => {
    assert.equal(backoffMs(0, 500, 30_000, () => 1), 500);
    assert.equal(backoffMs(3, 500, 30_000, () => 1), 4_000);
    assert.equal(backoffMs(20, 500, 30_000, () => 1), 30_000);
    assert.equal(backoffMs(3, 500, 30_000, () => 0), 2_000);
  });
});

describe('scope and evidence', () => {
  it('reads the scope from tags and the description; globs match like a shell', () => {
    assert.deepEqual(taskScope({ tags: ['scope:src/parser', 'ui'], description: 'Fix it.\nScope: test/parser/**, docs/*.md' }), ['src/parser', 'test/parser/**', 'docs/*.md']);
    assert.ok(globToRegExp('src/parser').test('src/parser/deep/a.ts'));
    assert.ok(globToRegExp('test/**/*.ts').test('test/a.ts'));
    assert.ok(globToRegExp('test/**/*.ts').test('test/x/y/a.ts'));
    assert.ok(!globToRegExp('docs/*.md').test('docs/x/a.md'));
    assert.deepEqual(outOfScope(['src/parser/a.ts', 'src/lexer/b.ts', '.dreamos/logs/x.log'], ['src/parser']), ['src/lexer/b.ts']);
    assert.deepEqual(outOfScope(['anything'], []), []);
    assert.deepEqual(changedSince({ a: '1', b: '2', gone: '3' }, { a: '1', b: '9', c: '4' }), ['b', 'c', 'gone']);
    assert.equal(changedSince(null, null), null);
  });

  const out = (tail: string): DriverOutcome => ({ status: 'exited', exitCode: 0, signal: null, tail, durationMs: 2_000 });
  it('is done only with evidence of work', () => {
    const ok = judge({ agentName: 'a', outcome: out('wrote it\n'), checks: [], changed: ['src/a.ts'], scope: [] });
    assert.equal(ok.kind, 'done');
    assert.deepEqual(ok.evidence.map((e) => e.kind), ['exit_code', 'diff', 'log']);
    const ack = judge({ agentName: 'a', outcome: out('All done! ✅\n'), checks: [], changed: [], scope: [] });
    assert.deepEqual([ack.kind, ack.kind === 'drift' && ack.incident], ['drift', 'ack-without-evidence']);
    const quiet = judge({ agentName: 'a', outcome: out('hmm\n'), checks: [], changed: null, scope: [] });
    assert.equal(quiet.kind === 'drift' && quiet.incident, 'no-evidence');
    const checked = judge({ agentName: 'a', outcome: out(''), checks: [{ name: 'tests', ok: true, exitCode: 0, tail: '', durationMs: 10 }], changed: null, scope: [] });
    assert.equal(checked.kind, 'done');
    const failing = judge({ agentName: 'a', outcome: out(''), checks: [{ name: 'tests', ok: false, exitCode: 1, tail: '2 failed', durationMs: 10 }], changed: ['a'], scope: [] });
    assert.equal(failing.kind, 'checks-failed');
    const reported = judge({ agentName: 'a', outcome: out('DREAMOS_RESULT {"summary":"counted","evidence":[{"kind":"test","summary":"todo count test: 1 passed"}]}\n'), checks: [], changed: null, scope: [] });
    assert.deepEqual([reported.kind, reported.kind === 'done' && reported.summary], ['done', 'counted']);
    // The agent's own note about itself is not evidence of work (it was, before the Trust fixes).
    const noted = judge({ agentName: 'a', outcome: out('DREAMOS_RESULT {"summary":"counted","evidence":[{"kind":"note","summary":"3 TODOs"}]}\n'), checks: [], changed: null, scope: [] });
    assert.equal(noted.kind === 'drift' && noted.incident, 'no-evidence');
    const bad = judge({ agentName: 'a', outcome: out('DREAMOS_RESULT {"summary":""}\n'), checks: [], changed: ['x'], scope: [] });
    assert.equal(bad.kind === 'drift' && bad.incident, 'bad-output');
    const sprawl = judge({ agentName: 'a', outcome: out('ok'), checks: [], changed: ['src/parser/a.ts', 'README.md'], scope: ['src/parser'] });
    assert.equal(sprawl.kind === 'drift' && sprawl.incident, 'out-of-scope');
  });

  it('tells my changes from those of agents working at the same time', () => {
    let now = 0;
    const ledger = new RunLedger(() => now);
    const mine = ledger.begin('tsk_a', ['reports']);
    now = 1;
    const fixer = ledger.begin('tsk_b', ['src/slugify.js']);
    now = 2;
    ledger.end(fixer);
    now = 3;
    const changed = ['reports/todos.md', 'src/slugify.js', 'README.md'];
    assert.deepEqual(attribute(changed, ['reports'], ledger.overlapping(mine)), { mine: ['reports/todos.md'], others: ['src/slugify.js'], stray: ['README.md'] });
    const later = ledger.begin('tsk_c', []);
    assert.deepEqual(ledger.overlapping(later).map((r) => r.taskId), ['tsk_a'], 'the fixer ended before this run began');
    // An unscoped run overlapping makes every unscoped file ambiguous: neither credit nor blame.
    assert.deepEqual(attribute(['x.md'], [], [{ taskId: 'tsk_d', scope: [], start: 0 }]), { mine: [], others: ['x.md'], stray: [] });
    assert.deepEqual(attribute(['x.md'], [], []), { mine: ['x.md'], others: [], stray: [] });
  });

  it('parses the result line and says what is wrong with a bad one', () => {
    assert.equal(parseResult('no result here'), null);
    assert.deepEqual(parseResult('x\nDREAMOS_RESULT {"summary":"s"}'), { result: { summary: 's', evidence: [] } });
    assert.match((parseResult('DREAMOS_RESULT {oops') as { error: string }).error, /not JSON/);
    assert.match((parseResult('DREAMOS_RESULT {"summary":"s","evidence":[{"kind":"vibes","summary":"x"}]}') as { error: string }).error, /not a valid result: evidence\[0\]\.kind: must be one of exit_code, test, /);
    assert.ok(soundsDone('Task completed successfully'));
    assert.ok(!soundsDone('reading files'));
  });
});

describe('stall and drift watch', () => {
  it('sees silence and repetition; a nudge gives a fresh window', () => {
    let now = 0;
    const w = new OutputWatch(() => now, 5);
    now = 1_000;
    assert.equal(w.silentFor(), 1_000);
    w.feed('thinking\nthinking\nthin');
    w.feed('king\nthinking\n\nthinking\n');
    assert.equal(w.maxRepeats, 5);
    assert.ok(w.repeating);
    assert.equal(w.silentFor(), 0);
    w.reset();
    assert.ok(!w.repeating);
    assert.deepEqual([0, 1, 2, 3, 9].map(rungFor), ['nudge', 'restart', 'reassign', 'ask-human', 'ask-human']);
  });

  it('the gate caps concurrent work and holds back under pressure', async () => {
    let ok = false;
    const gate = new SwarmGate(1, () => ({ ok, reason: ok ? '' : 'load', loadPerCpu: 0, freeMemMb: 0 }), 20);
    const ctrl = new AbortController();
    const held: string[] = [];
    const first = gate.acquire('a', ctrl.signal, (r) => held.push(r));
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(held.includes('load'));
    ok = true;
    const release = (await first)!;
    let second: (() => void) | null | undefined;
    void gate.acquire('b', ctrl.signal, (r) => held.push(r)).then((r) => (second = r));
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(second, undefined);
    assert.ok(held.some((h) => /free slot: 1 of 1/.test(h)));
    release();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(typeof second, 'function');
    ctrl.abort();
    assert.equal(await gate.acquire('c', ctrl.signal, () => undefined), null);
  });
});

describe("the loop's board records", () => {
  it('migrates to the loop tables', async () => {
    const b = await memoryBoard();
    assert.ok(SCHEMA_VERSION >= 2);
    const tables = b.tx.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'loop_%' ORDER BY name").map((r) => r.name);
    assert.deepEqual(tables, ['loop_checkpoints', 'loop_telemetry']);
  });

  it('fences recovery points by the lease token', async () => {
    const b = await memoryBoard();
    const agent = b.run<{ id: string }>({ type: 'agent.register', name: 'a1' });
    const t = b.run<Task>({ type: 'task.add', title: 'T' });
    const claim = b.run<{ lease: { token: number } }>({ type: 'task.claimNext', agentId: 'a1' }, agent.id);
    b.run({ type: 'loop.checkpoint.save', agentId: 'a1', taskId: t.id, token: claim.lease.token, step: 'executed', data: { runs: 1 } }, agent.id);
    assert.deepEqual(b.run<{ step: string; data: unknown }>({ type: 'loop.checkpoint.get', agentId: agent.id }), { agentId: agent.id, taskId: t.id, token: claim.lease.token, step: 'executed', data: { runs: 1 }, updatedAt: b.run<{ updatedAt: number }>({ type: 'loop.checkpoint.get', agentId: 'a1' }).updatedAt });
    assert.throws(() => b.run({ type: 'loop.checkpoint.save', agentId: 'a1', taskId: t.id, token: claim.lease.token + 1, step: 'checked' }, agent.id), /no longer agt_\w+'s; its recovery point was not saved/);
    b.run({ type: 'task.release', taskId: t.id, token: claim.lease.token }, agent.id);
    assert.throws(() => b.run({ type: 'loop.checkpoint.save', agentId: 'a1', taskId: t.id, token: claim.lease.token, step: 'checked' }, agent.id), /recovery point was not saved/);
    assert.deepEqual(b.run({ type: 'loop.checkpoint.clear', agentId: 'a1' }), { cleared: true });
    assert.equal(b.run({ type: 'loop.checkpoint.get', agentId: 'a1' }), null);
  });

  it('summarises telemetry per agent and per loop, and keeps the swarm state', async () => {
    const b = await memoryBoard();
    b.run({ type: 'agent.register', name: 'a1' });
    b.run({ type: 'agent.register', name: 'a2' });
    const rec = (agentId: string, kind: 'cycle' | 'retry' | 'recovery' | 'incident', outcome: string, loopId = 'L1', durationMs?: number) =>
      b.run({ type: 'loop.telemetry.record', loopId, agentId, kind, outcome, ...(durationMs ? { durationMs } : {}) });
    rec('a1', 'cycle', 'done', 'L1', 1_000);
    rec('a1', 'cycle', 'failed', 'L1', 3_000);
    rec('a1', 'retry', 'requeued');
    rec('a2', 'cycle', 'done', 'L2', 2_000);
    rec('a2', 'recovery', 'resumed', 'L2');
    rec('a2', 'incident', 'no-output', 'L2');
    const s = b.run<{ agents: { name: string; cycles: number; done: number; successRate: number; avgCycleMs: number; retries: number; recoveries: number; incidents: number }[]; loops: { loopId: string; cycles: number }[]; total: { cycles: number; successRate: number } }>({ type: 'loop.telemetry.summary' });
    const byName = Object.fromEntries(s.agents.map((a) => [a.name, a]));
    assert.deepEqual([byName.a1!.cycles, byName.a1!.done, byName.a1!.successRate, byName.a1!.avgCycleMs, byName.a1!.retries], [2, 1, 0.5, 2_000, 1]);
    assert.deepEqual([byName.a2!.recoveries, byName.a2!.incidents], [1, 1]);
    assert.deepEqual(s.loops.map((l) => [l.loopId, l.cycles]), [['L1', 2], ['L2', 1]]);
    assert.deepEqual([s.total.cycles, Math.round(s.total.successRate * 100)], [3, 67]);
    assert.equal(b.run<{ desired: string }>({ type: 'swarm.state' }).desired, 'stopped');
    assert.equal(b.run<{ desired: string; by: string }>({ type: 'swarm.set', desired: 'running', reason: 'demo' }, 'human:ada').by, 'human:ada');
    assert.equal(b.run<{ desired: string }>({ type: 'swarm.state' }).desired, 'running');
  });
});

describe('editor drivers (with a scripted stand-in for the editor API)', () => {
  const job = (root: string): AgentJob => ({
    taskId: 'tsk_000000000001',
    agentId: 'agt_000000000001',
    agentName: 'copilot',
    leaseToken: 7,
    prompt: 'Do it',
    cwd: root,
    workspaceRoot: root,
    boardDir: path.join(root, '.dreamos'),
    run: 1,
    timeoutMs: 5_000,
    task: task(),
    agent: parseSwarmConfig({ agents: [{ name: 'copilot', driver: 'language-model' }] }).agents[0]!,
  });
  const io = { output: () => undefined, note: () => undefined, waitForReport: async () => 'done' as const };

  it('the language-model driver reads through its tools and returns the report', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dreamos-lm-'));
    try {
      writeFileSync(path.join(root, 'a.txt'), 'hello from a');
      symlinkSync('/etc/hostname', path.join(root, 'escape'));
      assert.match(await runLmTool(root, 'dreamos_read_file', { path: '../x' }), /^Error: /);
      assert.match(await runLmTool(root, 'dreamos_read_file', { path: 'escape' }), /outside the task's working tree/);
      const seen: unknown[][] = [];
      const script = [
        [new TextPart('Looking. '), new ToolCallPart('c1', 'dreamos_read_file', { path: 'a.txt' })],
        [new ToolCallPart('c2', 'dreamos_report', { summary: 'read a.txt', evidence: [{ kind: 'file', summary: 'a.txt says hello' }] })],
      ];
      const model = {
        vendor: 'test',
        family: 'scripted',
        id: 'scripted-1',
        sendRequest: async (messages: unknown[]) => {
          seen.push(messages);
          const parts = script.shift()!;
          return { stream: (async function* () { yield* parts; })() };
        },
      };
      const api = {
        lm: { selectChatModels: async () => [model] },
        LanguageModelChatMessage: { User: (c: unknown) => ({ role: 'user', c }), Assistant: (c: unknown) => ({ role: 'assistant', c }) },
        LanguageModelTextPart: TextPart,
        LanguageModelToolCallPart: ToolCallPart,
        LanguageModelToolResultPart: ToolResultPart,
        CancellationTokenSource: class { token = {}; cancel() {} dispose() {} },
      } as unknown as LmApi;
      const cfg = job(root).agent as Extract<AgentJob['agent'], { driver: 'language-model' }>;
      const outcome = await new LanguageModelDriver(api, cfg).execute(job(root), new AbortController().signal, io);
      assert.equal(outcome.status, 'exited');
      assert.deepEqual(outcome.result, { summary: 'read a.txt', evidence: [{ kind: 'file', summary: 'a.txt says hello' }] });
      const toolResult = (seen[1]![2] as { c: ToolResultPart[] }).c[0]!;
      assert.equal((toolResult.content[0] as TextPart).value, 'hello from a');
      const none = await new LanguageModelDriver({ ...api, lm: { selectChatModels: async () => [] } } as unknown as LmApi, cfg).execute(job(root), new AbortController().signal, io);
      assert.equal(none.status, 'unavailable');
      assert.match(none.message!, /No language model in this editor matches/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the report tools send board commands as the agent, fenced by its lease', async () => {
    const b = await memoryBoard();
    const board = b.port('human:test');
    const agent = b.run<{ id: string }>({ type: 'agent.register', name: 'copilot' });
    const t = b.run<Task>({ type: 'task.add', title: 'T' });
    const claim = b.run<{ lease: { token: number } }>({ type: 'task.claimNext', agentId: 'copilot' }, agent.id);
    assert.match(await invokeReportTool(board, 'dreamos_task_done', { taskId: t.id, token: claim.lease.token, agentId: agent.id, summary: 'did it', evidence: [] }), /^Not sent: evidence: give at least one piece of evidence/);
    assert.match(await invokeReportTool(board, 'dreamos_task_done', { taskId: t.id, token: claim.lease.token + 5, agentId: agent.id, summary: 'did it', evidence: [{ kind: 'test', summary: '1 passed' }] }), /^Refused by the board: Your lease on task .* is no longer valid/);
    assert.equal(await invokeReportTool(board, 'dreamos_task_done', { taskId: t.id, token: claim.lease.token, agentId: agent.id, summary: 'did it', evidence: [{ kind: 'test', summary: '1 passed' }] }), 'Recorded on the board.');
    const shown = b.run<{ task: Task; history: { actor: string }[] }>({ type: 'task.show', taskId: t.id });
    assert.equal(shown.task.status, 'done');
    assert.equal(shown.history[shown.history.length - 1]!.actor, agent.id);
    assert.match(await invokeReportTool(board, 'dreamos_ask_human', { agentId: agent.id, subject: 'Which parser?' }), /Sent to the person/);
    assert.equal(b.run<unknown[]>({ type: 'mail.inbox', recipient: 'human' }).length, 1);
  });

  it('the chat-window driver picks the editor’s command, and says when there is none', async () => {
    assert.equal(editorFamily('Cursor'), 'cursor');
    assert.equal(editorFamily('Visual Studio Code'), 'vscode');
    const calls: unknown[][] = [];
    const api = (appName: string, commands: string[]) => ({
      env: { appName, clipboard: { writeText: async (t: string) => void calls.push(['clipboard', t.length > 0]) } },
      commands: { getCommands: async () => commands, executeCommand: async (...a: unknown[]) => void calls.push(a) },
    });
    const cfg = parseSwarmConfig({ agents: [{ name: 'chat', driver: 'chat-window' }] }).agents[0] as Extract<AgentJob['agent'], { driver: 'chat-window' }>;
    const vs = await new ChatWindowDriver(api('Visual Studio Code', ['workbench.action.chat.open']) as never, cfg).execute(job('/ws'), new AbortController().signal, io);
    assert.deepEqual([vs.status, vs.reportedStatus], ['reported', 'done']);
    assert.equal(calls[0]![0], 'workbench.action.chat.open');
    assert.match((calls[0]![1] as { query: string }).query, /dreamos task done tsk_000000000001 --token 7 --as agt_000000000001/);
    calls.length = 0;
    const notes: string[] = [];
    const typed: string[] = [];
    const desktop = { sendToWindow: async (title: string, text: string) => (typed.push(`${title}: ${text.split('\n')[0]}`), { ok: true as const }) };
    await new ChatWindowDriver(api('Cursor', ['composer.startComposerPrompt']) as never, cfg, desktop).execute(job('/ws'), new AbortController().signal, { ...io, note: (l) => notes.push(l) });
    assert.deepEqual(calls, [['clipboard', true], ['composer.startComposerPrompt']]);
    assert.deepEqual(typed, ['Cursor: Do it'], 'Cursor\'s composer takes no text: the prompt is pasted and sent');
    assert.ok(notes.some((n) => /pasted the prompt and sent it/.test(n)));
    calls.length = 0;
    notes.length = 0;
    await new ChatWindowDriver(api('Cursor', ['composer.startComposerPrompt']) as never, cfg).execute(job('/ws'), new AbortController().signal, { ...io, note: (l) => notes.push(l) });
    assert.ok(notes.some((n) => /the prompt is on the clipboard — paste it into the chat and press Enter/.test(n)), 'without desktop automation the person is told what to do');
    const none = await new ChatWindowDriver(api('Cursor', []) as never, cfg).execute(job('/ws'), new AbortController().signal, io);
    assert.equal(none.status, 'unavailable');
    assert.match(none.message!, /Cursor has none of the chat commands .* Desktop automation \(nut-js\) is not available in this build/);
  });

  it('the chat-window driver counts a chat\'s edits in the task\'s folder as activity while it waits, and nothing outside it', async () => {
    assert.equal(editInside('/ws/task', { scheme: 'file', fsPath: '/ws/task/src/a.ts' }), 'src/a.ts');
    assert.equal(editInside('/ws/task', { scheme: 'file', fsPath: '/ws/other/a.ts' }), undefined);
    assert.equal(editInside('/ws/task', { scheme: 'untitled', fsPath: '/ws/task/x' }), undefined);
    let fire: ((e: unknown) => void) | undefined;
    let disposed = false;
    const api = {
      env: { appName: 'Visual Studio Code', clipboard: { writeText: async () => undefined } },
      commands: { getCommands: async () => ['workbench.action.chat.open'], executeCommand: async () => undefined },
      workspace: { onDidChangeTextDocument: (f: (e: unknown) => void) => ((fire = f), { dispose: () => (disposed = true) }) },
    };
    const cfg = parseSwarmConfig({ agents: [{ name: 'chat', driver: 'chat-window' }] }).agents[0] as Extract<AgentJob['agent'], { driver: 'chat-window' }>;
    const events: unknown[] = [];
    let report!: (s: 'done') => void;
    const running = new ChatWindowDriver(api as never, cfg).execute(job('/ws'), new AbortController().signal, { ...io, event: (e) => events.push(e), waitForReport: () => new Promise((r) => (report = r)) });
    await new Promise((r) => setTimeout(r, 10));
    fire!({ document: { uri: { scheme: 'file', fsPath: '/ws/src/a.ts' } }, contentChanges: [{}] });
    fire!({ document: { uri: { scheme: 'file', fsPath: '/elsewhere/b.ts' } }, contentChanges: [{}] });
    report('done');
    assert.deepEqual([(await running).reportedStatus, events], ['done', [{ t: 'edit', file: 'src/a.ts' }]]);
    assert.ok(disposed, 'the listener is removed when the run ends');
  });
});

describe('processes and logs', () => {
  it('stops the whole process group on abort and on timeout; no shell ever parses the arguments', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-proc-'));
    try {
      const pidFile = path.join(dir, 'grandchild');
      // The agent starts a grandchild of its own; stopping the agent must stop it too.
      const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); console.log('$(touch pwned) ; echo hi'); setInterval(() => {}, 1000);`;
      const ctrl = new AbortController();
      const out: string[] = [];
      const running = runProcess({ command: process.execPath, args: ['-e', script], cwd: dir, env: process.env }, { signal: ctrl.signal, onOutput: (t) => out.push(t), killGraceMs: 200 });
      while (!existsSync(pidFile) || !out.length) await new Promise((r) => setTimeout(r, 20));
      const grandchild = Number(readFileSync(pidFile, 'utf8'));
      ctrl.abort();
      const r = await running;
      assert.equal(r.status, 'aborted');
      assert.match(r.tail, /\$\(touch pwned\) ; echo hi/);
      assert.ok(!existsSync(path.join(dir, 'pwned')));
      for (let i = 0; i < 100 && isAlive(grandchild); i++) await new Promise((r2) => setTimeout(r2, 20));
      assert.ok(!isAlive(grandchild), 'the grandchild was stopped with its parent');
      const slow = await runProcess({ command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], cwd: dir, env: process.env }, { timeoutMs: 300, killGraceMs: 200 });
      assert.equal(slow.status, 'timeout');
      const missing = await runProcess({ command: 'no-such-program-xyz', args: [], cwd: dir, env: process.env });
      assert.deepEqual([missing.status, missing.errno], ['spawn-error', 'ENOENT']);
      assert.deepEqual(fillArgs(['-p', '{{promptFile}}', '--id={{taskId}}', '{{unknown}}'], { promptFile: '/p.md', taskId: 'tsk_1' }), ['-p', '/p.md', '--id=tsk_1', '{{unknown}}']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("caps the agent's log, keeping the previous part", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-log-'));
    try {
      const log = new AgentLogFile(dir, 'writer', 1_000);
      log.line('run 1');
      for (let i = 0; i < 30; i++) log.output(`output line ${i} ${'x'.repeat(40)}\n`);
      const now = readFileSync(log.file, 'utf8');
      const before = readFileSync(`${log.file}.1`, 'utf8');
      assert.ok(now.length <= 1_000 && before.length <= 1_000);
      assert.match(now, /output line 29/);
      assert.match(before, /output line/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
