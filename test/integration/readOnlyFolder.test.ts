/**
 * A board in a folder Dream.OS cannot write to says the real cause and what to do — not
 * "Unexpected error: ENOENT … mkdir". The real CLI, on real folders: chmod 0555 stops writes only
 * for a process that is not root, so when the tests run as root (CI containers) the CLI runs as the
 * unprivileged user `nobody` (spawn's uid/gid), which the permission bits really stop. A file where
 * the board folder should be is the other real way a folder cannot be made.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(__dirname, '../..');
let cli = path.join(root, 'dist/cli.js');
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** Runs the CLI as a user the permission bits apply to (nobody, when the tests run as root). */
function dreamos(cwd: string, home: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, DREAMOS_COMPILE_CACHE: 'off' };
  return spawnSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000, ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}) });
}

describe('a board where Dream.OS cannot write', () => {
  let base: string;
  let home: string;
  before(() => {
    if (!existsSync(cli)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
    base = mkdtempSync(path.join(os.tmpdir(), 'dreamos-ro-'));
    chmodSync(base, 0o755); // nobody may look inside
    home = path.join(base, 'home');
    mkdirSync(home);
    if (asRoot) {
      execFileSync('chown', [`${NOBODY}:${NOBODY}`, home]);
      // nobody may not be able to read the checkout (a private home folder): it runs a copy of the CLI bundle.
      const dist = path.join(base, 'dist');
      mkdirSync(dist);
      for (const f of ['cli.js', 'cli-main.js', 'sql-wasm.wasm']) copyFileSync(path.join(root, 'dist', f), path.join(dist, f));
      chmodSync(dist, 0o755);
      cli = path.join(dist, 'cli.js');
    }
  });
  after(() => {
    spawnSync('chmod', ['-R', 'u+w', base]);
    rmSync(base, { recursive: true, force: true });
  });

  it('a read-only workspace folder (chmod 0555): "cannot write to <folder>: it is read-only", and what to do', () => {
    const ws = path.join(base, 'readonly-ws');
    mkdirSync(ws);
    chmodSync(ws, 0o555);
    const r = dreamos(ws, home, 'init');
    assert.notEqual(r.status, 0, 'init failed');
    assert.ok(r.stderr.includes(`cannot write to ${ws}: it is read-only for you (EACCES: permission denied)`), r.stderr);
    assert.match(r.stderr, /chmod u\+w .*dreamos\.boardDirectory.*dreamos --dir/);
    assert.doesNotMatch(r.stderr, /ENOENT|Unexpected error/);
    assert.equal(existsSync(path.join(ws, '.dreamos')), false);
  });

  it('a read-only board folder inside a writable workspace names the board folder', () => {
    const ws = path.join(base, 'ws-with-readonly-board');
    mkdirSync(path.join(ws, '.dreamos'), { recursive: true });
    chmodSync(ws, 0o777);
    chmodSync(path.join(ws, '.dreamos'), 0o555);
    const r = dreamos(ws, home, 'task', 'add', 'Never written');
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes(`cannot write to ${path.join(ws, '.dreamos')}: it is read-only for you`), r.stderr);
    assert.doesNotMatch(r.stderr, /ENOENT|Unexpected error/);
  });

  it('a file where the board folder should be: "<path> is a file, not a folder"', () => {
    const ws = path.join(base, 'file-in-the-way');
    mkdirSync(ws);
    chmodSync(ws, 0o777);
    writeFileSync(path.join(ws, '.dreamos'), 'not a folder');
    chmodSync(path.join(ws, '.dreamos'), 0o644);
    const r = dreamos(ws, home, 'init');
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes(`${path.join(ws, '.dreamos')} is a file, not a folder. Rename or remove that file`), r.stderr);
    assert.doesNotMatch(r.stderr, /Unexpected error|EEXIST/);
  });
});
