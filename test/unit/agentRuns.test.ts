/**
 * Issue 13's pure parts: the claude/codex presets (validated, expanded into the CLIs' headless
 * command lines), the stream parsers on output captured from the real CLIs (Claude Code 2.1.197,
 * Codex 0.171.0) and on broken streams, and the runs on the board (tokens, cost, bounded transcript).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AGENT_COMMANDS } from '../../src/core/auth/policy';
import type { Task } from '../../src/core/board/boardModel';
import { parseSwarmConfig, type CommandAgentConfig } from '../../src/core/loop/agentsConfig';
import { presetArgs } from '../../src/core/loop/presets';
import { boundTranscript } from '../../src/core/runs/runCommands';
import type { RunEvent, RunRecord } from '../../src/core/runs/runModel';
import { estimateCost, priceFor } from '../../src/integrations/agents/prices';
import { streamParser } from '../../src/integrations/agents/streams';
import { configError } from './helpers/configError';
import { memoryBoard } from './helpers/memoryBoard';

const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');

describe('presets in agents.json', () => {
  it('a short claude entry becomes Claude Code headless: stream-json, an unattended permission mode, the dreamos shim allowed', () => {
    const [a] = parseSwarmConfig({ agents: [{ name: 'claude-1', preset: 'claude', model: 'sonnet' }] }).agents as CommandAgentConfig[];
    assert.equal(a!.driver, 'command');
    assert.equal(a!.command, 'claude');
    assert.equal(a!.stdin, 'prompt');
    assert.deepEqual(presetArgs(a!.preset!), ['-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits', '--allowedTools', 'Bash(dreamos *)', '--model', 'sonnet']);
    assert.deepEqual(presetArgs(a!.preset!, { resume: 'abc', extra: ['--add-dir', '/x'] }).slice(-4), ['--resume', 'abc', '--add-dir', '/x']);
  });

  it('a codex entry becomes codex exec --json with a workspace-write sandbox and no approvals; a rerun is exec resume <thread>', () => {
    const [a] = parseSwarmConfig({ agents: [{ name: 'codex-1', preset: 'codex', model: 'gpt-5-codex', args: ['--add-dir', '/y'] }] }).agents as CommandAgentConfig[];
    const args = presetArgs(a!.preset!, { extra: a!.args });
    assert.deepEqual(args.slice(0, 3), ['exec', '--json', '--skip-git-repo-check']);
    assert.ok(args.includes('sandbox_mode="workspace-write"') && args.includes('approval_policy="never"') && args.includes('allow_login_shell=false'));
    assert.deepEqual(args.slice(-5), ['-m', 'gpt-5-codex', '--add-dir', '/y', '-']);
    const resumed = presetArgs(a!.preset!, { resume: 'thread-1' });
    assert.deepEqual(resumed.slice(0, 2), ['exec', 'resume']);
    assert.deepEqual(resumed.slice(-2), ['thread-1', '-']);
  });

  it('"preset": "command" is the plain command agent', () => {
    const [a] = parseSwarmConfig({ agents: [{ name: 'x', preset: 'command', command: 'node', args: ['a.js'] }] }).agents as CommandAgentConfig[];
    assert.deepEqual([a!.driver, a!.command, a!.args, a!.preset], ['command', 'node', ['a.js'], undefined]);
  });

  it('every mistake names the agent and the field and says what to write instead', () => {
    const msg = configError({
      agents: [
        { name: 'g', preset: 'gemini', codexSandbox: 'read-only' },
        { name: 'c', preset: 'codex', permissionMode: 'acceptEdits' },
        { name: 'd', preset: 'claude', driver: 'command' },
        { name: 'e', preset: 'claude', modle: 'sonnet' },
        { name: 'f', preset: 'clade' },
        { name: 'h', preset: 'claude', model: 'has spaces' },
      ],
    });
    assert.match(msg, /agents\[0\] \(g\)\.codexSandbox: codexSandbox is for the codex preset; remove it from this gemini agent/);
    assert.match(msg, /agents\[1\] \(c\)\.permissionMode: permissionMode is for the claude preset; remove it from this codex agent/);
    assert.match(msg, /agents\[2\] \(d\)\.driver: a preset entry has no driver \(the preset sets it\)/);
    assert.match(msg, /agents\[3\] \(e\)\.modle: is not a field here: remove it or check its spelling; a claude preset entry takes .*model/);
    assert.match(msg, /agents\[4\] \(f\)\.preset: must be "claude", "codex", "gemini", "opencode", "cursor-agent", "aider", "command", not "clade"/);
    assert.match(msg, /agents\[5\] \(h\)\.model: a model name such as "sonnet"/);
  });
});

describe('stream parsers', () => {
  it('Claude Code stream-json (captured from 2.1.197): session, messages, tool calls with targets, edits, the result with its tokens and cost', () => {
    const p = streamParser('claude-stream-json');
    const text = fixture('claude-code-2.1.197.stream.jsonl');
    // Fed in odd-sized chunks, as a pipe delivers it.
    const events: RunEvent[] = [];
    for (let i = 0; i < text.length; i += 777) events.push(...p.push(text.slice(i, i + 777)));
    events.push(...p.end());
    assert.equal(p.problem, undefined);
    // Each model message's usage once (a running estimate for budgets), then the result's own totals.
    const usage = events.filter((e) => e.t === 'usage');
    assert.deepEqual(usage.map((u) => [u.tokens.input, u.estimated, u.costUsd]), [[100, true, 0.000315], [150, true, 0.000465], [200, true, 0.000615]]);
    const kinds = events.filter((e) => e.t !== 'usage').map((e) => e.t);
    assert.deepEqual(kinds, ['session', 'message', 'tool', 'edit', 'tool_done', 'tool', 'tool_done', 'message', 'result']);
    assert.match(p.sessionId!, /^[0-9a-f-]{36}$/);
    const [write, bash] = events.filter((e): e is Extract<RunEvent, { t: 'tool' }> => e.t === 'tool');
    assert.equal(write!.name, 'Write');
    assert.match(write!.target!, /hello\.txt$/);
    assert.deepEqual([bash!.name, bash!.target], ['Bash', 'echo ran-bash > bash.txt && ls']);
    const result = events.at(-1) as Extract<RunEvent, { t: 'result' }>;
    assert.deepEqual([result.ok, result.turns, result.tokens, result.costUsd], [true, 3, { input: 450, output: 60, cached: 0 }, 0.0022500000000000003]);
  });

  it('Codex exec --json (captured from 0.171.0): thread id, shell commands, usage with an estimated cost', () => {
    const p = streamParser('codex-exec-json', { model: 'gpt-5' });
    const events = [...p.push(fixture('codex-0.171.0.exec.jsonl')), ...p.end()];
    assert.equal(p.problem, undefined);
    assert.deepEqual(events.map((e) => e.t), ['session', 'warning', 'tool', 'tool_done', 'message', 'usage', 'result']);
    assert.deepEqual(events[2], { t: 'tool', name: 'shell', target: "/bin/bash -c 'printf hi > hello.txt && ls'", id: 'item_1' });
    const usage = events[5] as Extract<RunEvent, { t: 'usage' }>;
    assert.deepEqual(usage.tokens, { input: 400, output: 27, cached: 0 });
    assert.equal(usage.cumulative, true);
    assert.equal(usage.costUsd, (400 * 1.25 + 27 * 10) / 1e6);
    assert.equal(usage.estimated, true);
  });

  it('a truncated stream (cut mid-line, no result) gives clear error events, never an exception', () => {
    const lines = fixture('claude-code-2.1.197.stream.jsonl').split('\n');
    const cut = `${lines.slice(0, 3).join('\n')}\n${lines[3]!.slice(0, 40)}`;
    const p = streamParser('claude-stream-json');
    const events = [...p.push(cut), ...p.end()];
    const errors = events.filter((e) => e.t === 'error').map((e) => (e as { message: string }).message);
    assert.equal(errors.length, 2, JSON.stringify(errors));
    assert.match(errors[0]!, /Claude Code's output line 4 was cut off \(the stream ended in the middle of it\)/);
    assert.match(errors[1]!, /ended without a result: the stream was cut off/);
    assert.equal(p.problem, errors[0]);
  });

  it('garbage lines, non-events and a codex turn that failed', () => {
    const p = streamParser('codex-exec-json', { model: 'gpt-5' });
    const events = [...p.push('{not json\n{"no":"type"}\nplain words\n{"type":"turn.failed","error":{"message":"rate limited"}}\n'), ...p.end()];
    assert.deepEqual(events.map((e) => e.t), ['error', 'error', 'warning', 'error', 'result']);
    assert.match((events[0] as { message: string }).message, /line 1 is not valid JSON/);
    assert.match((events[1] as { message: string }).message, /line 2 is not an event/);
    assert.deepEqual(events[4], { t: 'result', ok: false, text: 'Codex turn failed: rate limited', estimated: true });
  });

  it('a Claude Code error result becomes an error event and a failed result', () => {
    const p = streamParser('claude-stream-json');
    const events = [...p.push('{"type":"result","subtype":"error_during_execution","is_error":true,"session_id":"s1","result":"API Error: Connection error.","total_cost_usd":0,"usage":{"input_tokens":0,"output_tokens":0}}\n'), ...p.end()];
    assert.deepEqual(events.map((e) => e.t), ['session', 'error', 'result']);
    assert.match((events[1] as { message: string }).message, /Claude Code ended with error_during_execution: API Error: Connection error\./);
    assert.equal(p.problem, undefined, "the CLI's own reported error is its exit status's business, not a broken stream");
  });

  it('prices: longest prefix wins; an unknown model has none', () => {
    assert.deepEqual(priceFor('gpt-5-mini-2025'), { input: 0.25, cachedInput: 0.025, output: 2 });
    assert.equal(priceFor('gpt-5-codex')?.input, 1.25);
    assert.equal(priceFor('llama-3'), undefined);
    assert.equal(estimateCost({ input: 1_000_000, output: 0, cached: 500_000 }, { input: 2, cachedInput: 0.5, output: 8 }), 1.25);
  });
});

describe('runs on the board', () => {
  it('tokens and cost add up per run, task and agent; the CLI\'s own totals replace the turns; the transcript is bounded', async () => {
    const mb = await memoryBoard();
    const t = mb.run<Task>({ type: 'task.add', title: 'x' });
    mb.run({ type: 'agent.register', name: 'claude-1' });
    mb.run({ type: 'agent.register', name: 'codex-1' });
    const a = mb.run<RunRecord>({ type: 'run.start', taskId: t.id, agentId: 'claude-1', run: 1, protocol: 'claude' });
    mb.run({ type: 'run.append', runId: a.id, events: [{ t: 'session', id: 's-1' }, { t: 'usage', tokens: { input: 5, output: 5 } }] });
    mb.run({ type: 'run.append', runId: a.id, events: [{ t: 'result', ok: true, text: 'ok', tokens: { input: 450, output: 60, cached: 0 }, costUsd: 0.00225 }] });
    mb.run({ type: 'run.end', runId: a.id, status: 'succeeded' });
    const b = mb.run<RunRecord>({ type: 'run.start', taskId: t.id, agentId: 'codex-1', run: 1, protocol: 'codex', resumed: 'th-0' });
    mb.run({ type: 'run.append', runId: b.id, events: [{ t: 'usage', tokens: { input: 400, output: 27, cached: 100 }, costUsd: 0.00077, estimated: true }, { t: 'error', message: 'boom' }] });
    mb.run({ type: 'run.end', runId: b.id, status: 'failed' });
    assert.throws(() => mb.run({ type: 'run.append', runId: b.id, events: [] }), /has ended \(failed\); its transcript is closed/);
    const shownA = mb.run<RunRecord>({ type: 'run.show', runId: a.id });
    assert.deepEqual([shownA.sessionId, shownA.inputTokens, shownA.outputTokens, shownA.costUsd, shownA.costEstimated], ['s-1', 450, 60, 0.00225, false]);
    const shownB = mb.run<RunRecord>({ type: 'run.show', runId: b.id });
    assert.deepEqual([shownB.resumed, shownB.error, shownB.cachedTokens, shownB.costEstimated], ['th-0', 'boom', 100, true]);
    const shown = mb.run<{ usage: { runs: number; inputTokens: number; costUsd: number; costEstimated: boolean; agents: { agentId: string }[] } }>({ type: 'task.show', taskId: t.id });
    assert.deepEqual([shown.usage.runs, shown.usage.inputTokens, shown.usage.costUsd, shown.usage.costEstimated, shown.usage.agents.length], [2, 850, 0.00302, true, 2]);
    assert.throws(() => mb.run({ type: 'run.show', runId: 999 }), /Run 999 does not exist/);
    assert.throws(() => mb.run({ type: 'run.append', runId: a.id, events: [{ t: 'tool' } as never] }), /Invalid request/);
  });

  it('a long transcript keeps its first events and the newest, and counts what it dropped', () => {
    const events: RunEvent[] = Array.from({ length: 2_000 }, (_, i) => ({ t: 'message', text: `line ${i} ${'x'.repeat(100)}` }));
    const b = boundTranscript(events, 64 * 1024, 20);
    assert.ok(JSON.stringify(b.events).length <= 64 * 1024);
    assert.equal(b.events.length + b.dropped, 2_000);
    assert.match((b.events[19] as { text: string }).text, /^line 19 /);
    assert.match((b.events[b.events.length - 1] as { text: string }).text, /^line 1999 /);
  });

  it('agent credentials may not write runs: only the loop host (the person\'s credential) does', () => {
    assert.ok(!AGENT_COMMANDS.some((c) => c.startsWith('run.')));
  });
});
