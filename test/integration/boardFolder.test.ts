/**
 * The board's files stay out of version control from the moment the board is created: in a new
 * git repository, after the real CLI started a real hub, Source Control offers nothing of the
 * board's state — least of all hub.json with the hub token — only what a team may share.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' });
const dreamos = (cwd: string, ...args: string[]) => {
  const env = { ...process.env };
  for (const k of ['DREAMOS_DIR', 'DREAMOS_AGENT_TOKEN', 'DREAMOS_AGENT_ID']) delete env[k];
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

describe('the board folder in a git repository', () => {
  let ws: string;
  before(() => {
    if (!existsSync(cli)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
    ws = mkdtempSync(path.join(os.tmpdir(), 'dreamos-git-'));
    git(ws, 'init', '-q');
  });
  after(() => {
    spawnSync(process.execPath, [cli, 'hub', 'stop'], { cwd: ws });
    rmSync(ws, { recursive: true, force: true });
  });

  it('offers no board state for commit, and never the hub token', () => {
    dreamos(ws, 'task', 'add', 'First task');
    const board = path.join(ws, '.dreamos');
    assert.ok(existsSync(path.join(board, 'hub.json')), 'the hub is running and published hub.json');
    const offered = git(ws, 'status', '--porcelain', '--untracked-files=all').split('\n').filter(Boolean);
    assert.deepEqual(offered, ['?? .dreamos/.gitignore']);
    for (const f of ['hub.json', 'hub.lock', 'board.sqlite']) {
      assert.equal(spawnSync('git', ['check-ignore', '-q', `.dreamos/${f}`], { cwd: ws }).status, 0, `${f} is not ignored`);
    }
  });

  it('lets through what a team may share', () => {
    writeFileSync(path.join(ws, '.dreamos', 'agents.json'), '{"agents": []}\n');
    writeFileSync(path.join(ws, '.dreamos', 'checks.json'), '[]\n');
    const offered = git(ws, 'status', '--porcelain', '--untracked-files=all').split('\n').filter(Boolean).sort();
    assert.deepEqual(offered, ['?? .dreamos/.gitignore', '?? .dreamos/agents.json', '?? .dreamos/checks.json']);
  });

  it('keeps an ignore file the person edited', () => {
    const file = path.join(ws, '.dreamos', '.gitignore');
    writeFileSync(file, '/*\n!/.gitignore\n');
    dreamos(ws, 'hub', 'stop');
    dreamos(ws, 'task', 'list');
    assert.equal(readFileSync(file, 'utf8'), '/*\n!/.gitignore\n');
  });
});
