/**
 * Bad input from outside gets a clear error and loses nothing: a task file nested thousands of
 * levels deep, a JSON file with a syntax error (where it is), a hub frame nested too deep.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseJson } from '../../src/core/json';
import { loadSwarmConfig } from '../../src/core/loop/agentsConfig';
import { DreamError } from '../../src/core/errors';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
function dreamos(cwd: string, args: string[]) {
  const env = { ...process.env };
  for (const k of ['DREAMOS_DIR', 'DREAMOS_AGENT_TOKEN', 'DREAMOS_AGENT_ID']) delete env[k];
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('bad input from outside', () => {
  let ws: string;
  before(() => {
    if (!existsSync(cli)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
    ws = mkdtempSync(path.join(os.tmpdir(), 'dreamos-bad-'));
  });
  after(() => {
    dreamos(ws, ['hub', 'stop']);
    rmSync(ws, { recursive: true, force: true });
  });

  it('a task file nested 100,000 levels deep exits 2 with a clear message and imports nothing', () => {
    assert.equal(dreamos(ws, ['task', 'add', 'Existing']).code, 0);
    const n = 100_000;
    const file = path.join(ws, 'deep.json');
    writeFileSync(file, `{"tasks":[{"title":"x","description":${'['.repeat(n)}${']'.repeat(n)}}]}`);
    const r = dreamos(ws, ['import', file]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /nests more than 64 levels deep \(at line 1, column \d+\)/);
    assert.doesNotMatch(r.err, /call stack/);
    const info = JSON.parse(dreamos(ws, ['info', '--json']).out) as { tasks: number };
    assert.equal(info.tasks, 1);
  });

  it('a bare array nested deep is refused the same way', () => {
    const file = path.join(ws, 'deep2.json');
    writeFileSync(file, `${'['.repeat(50_000)}${']'.repeat(50_000)}`);
    const r = dreamos(ws, ['import', file]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /nests more than 64 levels/);
  });

  it('a syntax error in agents.json says the line and column', async () => {
    const board = mkdtempSync(path.join(os.tmpdir(), 'dreamos-agents-'));
    writeFileSync(path.join(board, 'agents.json'), '{\n  "agents": [\n    { "name": "a", "driver": "command", "command": "x", }\n  ]\n}\n');
    await assert.rejects(loadSwarmConfig(board), (e: unknown) => {
      assert.ok(e instanceof DreamError);
      assert.equal(e.code, 'invalid_input');
      assert.match(e.message, /line 3, column \d+/);
      assert.deepEqual({ line: (e.details as { line: number }).line }, { line: 3 });
      return true;
    });
  });

  it('strings that look like brackets do not count as nesting', () => {
    const r = parseJson(JSON.stringify({ s: '['.repeat(10_000) + '{'.repeat(10_000), q: 'a\\"[[[' }));
    assert.equal(r.ok, true);
  });
});
