/**
 * Adding an agent without writing JSON (issue 13): core addAgent on real files, and `dreamos agent
 * add` / `dreamos agent clis` with the real Claude Code and Codex CLIs (from the test cache) on PATH,
 * which are asked for their versions and sign-in state. Every entry written is one the swarm reads.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addAgent, nextAgentName } from '../../src/core/agents/add';
import { loadSwarmConfig, type CommandAgentConfig } from '../../src/core/loop/agentsConfig';
import { main } from '../../src/cli/main';
import type { AgentCliInfo } from '../../src/integrations/agents/detect';
import { ensureAgentClis, type AgentClis } from '../harness/installAgentClis';

const fail = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('expected a refusal');
};

describe('adding an agent to agents.json', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-add-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file with a preset entry the swarm runs; later ones get the next free name and keep what is there', async () => {
    const board = path.join(dir, 'a', '.dreamos');
    const first = await addAgent(board, { preset: 'claude', model: 'sonnet' });
    assert.equal(first.created, true);
    assert.deepEqual(first.entry, { name: 'claude-1', preset: 'claude', model: 'sonnet' });
    // Something a person wrote by hand stays as it was.
    const file = path.join(board, 'agents.json');
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { maxConcurrent?: number; agents: Record<string, unknown>[] };
    raw.maxConcurrent = 3;
    raw.agents.push({ name: 'claude-2', preset: 'claude', maxConcurrent: 2, checks: [{ name: 't', command: 'npm', args: ['test'] }] });
    writeFileSync(file, JSON.stringify(raw));
    const next = await addAgent(board, { preset: 'claude' });
    assert.equal(next.entry.name, 'claude-3', 'claude-2 and its second instance claude-2-2 are taken; claude-3 is free');
    await addAgent(board, { preset: 'codex', name: 'reviewer', model: 'gpt-5-codex', capabilities: ['review'] });
    await addAgent(board, { preset: 'command', command: '/usr/bin/node', args: ['agent.js'] });
    const cfg = await loadSwarmConfig(board);
    assert.equal(cfg.maxConcurrent, 3);
    assert.deepEqual(cfg.agents.map((a) => a.name), ['claude-1', 'claude-2', 'claude-3', 'reviewer', 'node-1']);
    assert.deepEqual(cfg.agents[1]!.checks.map((c) => c.name), ['t']);
    const reviewer = cfg.agents[3] as CommandAgentConfig;
    assert.deepEqual([reviewer.command, reviewer.preset?.kind, reviewer.preset?.model, reviewer.capabilities], ['codex', 'codex', 'gpt-5-codex', ['review']]);
    assert.deepEqual([(cfg.agents[4] as CommandAgentConfig).command, (cfg.agents[4] as CommandAgentConfig).args], ['/usr/bin/node', ['agent.js']]);
  });

  it('a malformed agents.json is never overwritten: the error gives its line and column', async () => {
    const board = path.join(dir, 'b');
    mkdirSync(board);
    const text = '{\n  "agents": [\n    {"name": "x", "preset": "claude",}\n  ]\n}\n';
    writeFileSync(path.join(board, 'agents.json'), text);
    const msg = await fail(addAgent(board, { preset: 'codex' }));
    assert.match(msg, /agents\.json is not valid JSON at line 3, column \d+ .*so it was not changed/);
    assert.equal(readFileSync(path.join(board, 'agents.json'), 'utf8'), text);
  });

  it('a result the swarm would refuse is not written, and says why (a taken name, a bad model, an unknown preset)', async () => {
    const board = path.join(dir, 'c');
    await addAgent(board, { preset: 'claude', name: 'main' });
    const before = readFileSync(path.join(board, 'agents.json'), 'utf8');
    assert.match(await fail(addAgent(board, { preset: 'codex', name: 'main' })), /so it was not changed:\n {2}agents\[1\] \(main\)\.name: "main" is already used by agents\[0\] \(main\)/);
    assert.match(await fail(addAgent(board, { preset: 'claude', model: 'not a model' })), /model: a model name such as "sonnet"/);
    assert.match(await fail(addAgent(board, { preset: 'nope' as 'claude' })), /There is no preset "nope"\. Presets: claude, codex/);
    assert.match(await fail(addAgent(board, { preset: 'command' })), /needs the program to run/);
    assert.equal(readFileSync(path.join(board, 'agents.json'), 'utf8'), before);
    assert.equal(nextAgentName(['claude-1', 'claude-3'], 'claude'), 'claude-2');
    assert.match(await fail(addAgent(path.join(dir, 'd'), { preset: 'claude' }).then(() => addAgent(path.join(dir, 'd'), { preset: 'claude', name: 'bad name' }))), /name: agent names are letters/);
  });
});

describe('dreamos agent add / agent clis with the real CLIs on PATH', { timeout: 600_000 }, () => {
  let clis: AgentClis;
  let tmp: string;
  let saved: NodeJS.ProcessEnv;
  before(async () => {
    clis = await ensureAgentClis();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dreamos-addcli-'));
    // A PATH with just the two CLIs (and node for codex's launcher), a HOME where neither is signed in.
    const bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    symlinkSync(clis.claude, path.join(bin, 'claude'));
    symlinkSync(clis.codex, path.join(bin, 'codex'));
    symlinkSync(process.execPath, path.join(bin, 'node'));
    mkdirSync(path.join(tmp, 'home'));
    saved = { ...process.env };
    for (const k of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'OPENAI_API_KEY', 'CODEX_API_KEY']) delete process.env[k];
    process.env.PATH = `${bin}${path.delimiter}/usr/bin${path.delimiter}/bin`;
    process.env.HOME = path.join(tmp, 'home');
  });
  after(() => {
    process.env = saved;
    rmSync(tmp, { recursive: true, force: true });
  });
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main([...argv, '--dir', path.join(tmp, 'ws', '.dreamos')], { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('lists the CLIs with the versions they report and that they are not signed in', async () => {
    const r = await cli('agent', 'clis', '--json');
    assert.equal(r.code, 0, r.err);
    const found = JSON.parse(r.out) as AgentCliInfo[];
    const claude = found.find((c) => c.kind === 'claude')!;
    const codex = found.find((c) => c.kind === 'codex')!;
    assert.deepEqual([claude.found, claude.version, claude.login], [true, clis.versions.claude, 'not-logged-in']);
    assert.deepEqual([codex.found, codex.version, codex.login], [true, clis.versions.codex, 'not-logged-in']);
    const text = await cli('agent', 'clis');
    assert.match(text.out, /claude +Claude Code 2\.1\.197 \(Claude Code\) — not signed in: run `claude auth login`/);
  });

  it('adds a claude agent and says how to sign the CLI in; signed in by an API key it says so', async () => {
    const r = await cli('agent', 'add', '--preset', 'claude', '--model', 'sonnet');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Added agent claude-1 to .*agents\.json \(new file\): \{"name":"claude-1","preset":"claude","model":"sonnet"\}/);
    assert.match(r.out, /not signed in: run `claude auth login`/);
    process.env.OPENAI_API_KEY = 'sk-test';
    const c = await cli('agent', 'add', '--preset', 'codex', '--name', 'codex-a');
    delete process.env.OPENAI_API_KEY;
    assert.match(c.out, /OpenAI Codex CLI codex-cli 0\.171\.0 — signed in/);
    const cfg = await loadSwarmConfig(path.join(tmp, 'ws', '.dreamos'));
    assert.deepEqual(cfg.agents.map((a) => a.name), ['claude-1', 'codex-a']);
  });

  it('no preset: says which to give and which CLIs are on PATH; a missing CLI is added with how to install it', async () => {
    const r = await cli('agent', 'add');
    assert.equal(r.code, 2);
    assert.match(r.err, /Say which agent: --preset claude\|codex.*On PATH here: claude, codex/s);
    const gone = path.join(tmp, 'nowhere', 'claude');
    const m = await cli('agent', 'add', '--preset', 'claude', '--command', gone);
    assert.equal(m.code, 0, m.err);
    assert.match(m.out, /not found on PATH — install it with `npm install -g @anthropic-ai\/claude-code`/);
  });
});
