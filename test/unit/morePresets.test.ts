/**
 * The gemini, opencode, cursor-agent and aider presets (issue 13): their command lines (gemini's and
 * opencode's from their own --help, run here; cursor-agent's and aider's from their docs, not run
 * here), and the stream parsers on output captured from the real Gemini CLI 0.61.0 and opencode
 * 1.18.33 against the scripted model server, plus broken streams.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseSwarmConfig, type CommandAgentConfig } from '../../src/core/loop/agentsConfig';
import { presetArgs } from '../../src/core/loop/presets';
import type { RunEvent } from '../../src/core/runs/runModel';
import { streamParser } from '../../src/integrations/agents/streams';

const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const one = (preset: string, extra: Record<string, unknown> = {}) => (parseSwarmConfig({ agents: [{ name: 'a', preset, ...extra }] }).agents[0] as CommandAgentConfig);
const parse = (protocol: Parameters<typeof streamParser>[0], text: string, o: Parameters<typeof streamParser>[1] = {}) => {
  const p = streamParser(protocol, o);
  const events: RunEvent[] = [];
  for (let i = 0; i < text.length; i += 333) events.push(...p.push(text.slice(i, i + 333)));
  events.push(...p.end());
  return { p, events };
};

describe('more presets', () => {
  it('gemini: headless stream-json, yolo approvals, the prompt on stdin; a rerun resumes the session', () => {
    const a = one('gemini', { model: 'gemini-2.5-pro' });
    assert.deepEqual([a.command, a.stdin], ['gemini', 'prompt']);
    assert.deepEqual(presetArgs(a.preset!), ['--output-format', 'stream-json', '--approval-mode', 'yolo', '--skip-trust', '-m', 'gemini-2.5-pro', '-p', ' ']);
    assert.deepEqual(presetArgs(a.preset!, { resume: 's-1' }).slice(7, 9), ['--resume', 's-1']);
  });

  it('opencode: run --format json --auto, a title so it asks no model for one; a rerun continues --session', () => {
    const a = one('opencode', { model: 'anthropic/claude-sonnet-4-5' });
    assert.deepEqual(presetArgs(a.preset!, { resume: 'ses_1' }), ['run', '--format', 'json', '--auto', '--title', 'Dream.OS', '-m', 'anthropic/claude-sonnet-4-5', '--session', 'ses_1']);
  });

  it('cursor-agent and aider (flags from their docs): the prompt on the command line, stdin closed', () => {
    const c = one('cursor-agent', { model: 'sonnet-4' });
    assert.equal(c.stdin, 'none');
    assert.deepEqual(presetArgs(c.preset!, { prompt: 'do it', resume: 'chat-1' }), ['-p', '--output-format', 'stream-json', '--force', '--trust', '--model', 'sonnet-4', '--resume', 'chat-1', 'do it']);
    const a = one('aider', { model: 'sonnet' });
    assert.equal(a.stdin, 'none');
    assert.deepEqual(presetArgs(a.preset!, { promptFile: '/b/runs/a/T-1.md' }).slice(0, 2), ['--message-file', '/b/runs/a/T-1.md']);
    assert.ok(presetArgs(a.preset!, {}).includes('--yes-always') && presetArgs(a.preset!, {}).includes('--no-auto-commits'));
  });

  it('"mcp": true hands claude and codex the board\'s stdio MCP server (dreamos mcp) beside the shim', () => {
    const c = presetArgs(one('claude', { mcp: true }).preset!);
    assert.equal(c[c.indexOf('--allowedTools') + 1], 'Bash(dreamos *),mcp__dreamos');
    assert.deepEqual(JSON.parse(c[c.indexOf('--mcp-config') + 1]!), { mcpServers: { dreamos: { command: 'dreamos', args: ['mcp'] } } });
    const x = presetArgs(one('codex', { mcp: true }).preset!);
    assert.ok(x.includes('mcp_servers.dreamos.command="dreamos"') && x.includes('mcp_servers.dreamos.args=["mcp"]'));
    assert.match(x.find((a) => a.startsWith('mcp_servers.dreamos.env_vars='))!, /"DREAMOS_AGENT_TOKEN"/);
    assert.ok(!presetArgs(one('claude').preset!).includes('--mcp-config'), 'off unless asked');
    assert.throws(() => one('gemini', { mcp: true }), /mcp is for the claude and codex presets/);
  });

  it('a claude- or codex-only field on another preset is named and refused', () => {
    assert.throws(() => one('gemini', { permissionMode: 'acceptEdits' }), /agents\[0\] \(a\)\.permissionMode: permissionMode is for the claude preset; remove it from this gemini agent/);
    assert.throws(() => one('opencode', { codexConfig: ['a=1'] }), /codexConfig is for the codex preset; remove it from this opencode agent/);
    assert.throws(() => one('nope'), /preset: must be "claude", "codex", "gemini", "opencode", "cursor-agent", "aider", "command", not "nope"/);
  });
});

describe('more stream parsers', () => {
  it('Gemini CLI stream-json (captured from 0.61.0): session, one message from its deltas, tools with targets and edits, the result with tokens and an estimated cost', () => {
    const { p, events } = parse('gemini-stream-json', fixture('gemini-cli-0.61.0.stream.jsonl'), { model: 'gemini-2.5-pro' });
    assert.equal(p.problem, undefined);
    assert.deepEqual(events.map((e) => e.t), ['session', 'message', 'tool', 'edit', 'tool_done', 'tool', 'tool_done', 'message', 'result']);
    assert.equal(p.sessionId, '52bee75d-a2e3-40eb-946a-d8c2e9d786f1');
    assert.deepEqual(events[2], { t: 'tool', name: 'write_file', target: '/work/ws/g.txt', id: 'write_file__write_file_1796172197388_0' });
    assert.deepEqual(events[5], { t: 'tool', name: 'run_shell_command', target: 'echo ran > sh.txt && ls', id: 'run_shell_command__run_shell_command_1796172197463_0' });
    assert.deepEqual(events.at(-1), { t: 'result', ok: true, text: '', estimated: true, tokens: { input: 3_000, output: 150, cached: 0 }, costUsd: (3_000 * 1.25 + 150 * 10) / 1e6 });
  });

  it('opencode run --format json (captured from 1.18.33): session, text, tools, each step\'s own tokens and cost; the last step ends the run', () => {
    const { p, events } = parse('opencode-json', fixture('opencode-1.18.33.run.jsonl'));
    assert.equal(p.problem, undefined);
    assert.deepEqual(events.map((e) => e.t), ['session', 'message', 'tool', 'edit', 'tool_done', 'usage', 'message', 'usage', 'result']);
    const usage = events.filter((e) => e.t === 'usage');
    assert.deepEqual(usage.map((u) => [u.tokens.input, u.tokens.output, u.costUsd, u.estimated]), [[1_200, 80, 0.0048, false], [1_500, 20, 0.0048, false]]);
    assert.deepEqual(events.at(-1), { t: 'result', ok: true, text: 'done', estimated: false });
  });

  it('cut off before its end, or an error line: a clear error and a failed result, never an exception', () => {
    const g = fixture('gemini-cli-0.61.0.stream.jsonl').split('\n');
    const cut = parse('gemini-stream-json', g.slice(0, 5).join('\n') + '\n{"type":"tool_res');
    assert.match(cut.p.problem!, /Gemini CLI's output line 6 was cut off/);
    assert.ok(cut.events.some((e) => e.t === 'error' && /ended without a result/.test(e.message)));
    const failed = parse('gemini-stream-json', '{"type":"result","status":"error","error":{"type":"FatalError","message":"quota exceeded"},"stats":{"input_tokens":5,"output_tokens":0}}\n', { model: 'gemini-2.5-pro' });
    assert.deepEqual(failed.events.map((e) => e.t), ['error', 'result']);
    assert.match((failed.events[0] as { message: string }).message, /Gemini CLI ended with error: quota exceeded/);
    const o = fixture('opencode-1.18.33.run.jsonl').split('\n');
    const short = parse('opencode-json', o.slice(0, 4).join('\n') + '\n');
    assert.match(short.p.problem!, /opencode's output ended without its last step/);
    assert.deepEqual(short.events.at(-1), { t: 'result', ok: false, text: 'Writing.', estimated: false });
    const err = parse('opencode-json', '{"type":"error","sessionID":"s","error":{"name":"UnknownError","data":{"message":"Unexpected server error."}}}\n');
    assert.deepEqual(err.events.map((e) => e.t), ['session', 'error', 'result']);
  });

  it('cursor-agent stream-json (its documented shape, not run here): Claude Code\'s lines plus tool_call started/completed', () => {
    const lines = [
      { type: 'system', subtype: 'init', session_id: 'c-42', model: 'gpt-5' },
      { type: 'tool_call', subtype: 'started', call_id: 'k1', tool_call: { writeToolCall: { args: { path: 'a.txt', fileText: 'x' } } } },
      { type: 'tool_call', subtype: 'completed', call_id: 'k1', tool_call: { writeToolCall: { args: { path: 'a.txt' }, result: { success: {} } } } },
      { type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: 'Wrote a.txt.' }] } },
      { type: 'result', subtype: 'success', is_error: false, result: 'Wrote a.txt.', session_id: 'c-42' },
    ];
    const { p, events } = parse('cursor-stream-json', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    assert.equal(p.problem, undefined);
    assert.deepEqual(events.map((e) => e.t), ['session', 'tool', 'edit', 'tool_done', 'message', 'result']);
    assert.deepEqual(events[1], { t: 'tool', name: 'write', target: 'a.txt', id: 'k1' });
  });
});
