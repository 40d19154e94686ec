/**
 * `dreamos propose` and `dreamos proposal approve|check` as a person runs them: a freshly built CLI
 * in its own processes, a real hub, real files and real check processes. Approving from the CLI
 * runs the same pre- and post-apply checks as the editor (from .dreamos/checks.json), a conflicted
 * proposal can be checked again, and a file that is not UTF-8 is refused before anything is sent.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';

const repo = path.resolve(__dirname, '../..');

describe('dreamos proposals from the CLI', () => {
  let bin: string;
  let ws: string;
  const dreamos = (args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(bin, 'cli.js'), ...args], { cwd: ws, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const json = <T>(args: string[]): T => {
    const r = dreamos([...args, '--json']);
    assert.equal(r.code, 0, `dreamos ${args.join(' ')} failed: ${r.err}`);
    return JSON.parse(r.out) as T;
  };
  const propose = (file: string, content: string | Buffer) => {
    const draft = mkdtempSync(path.join(os.tmpdir(), 'dreamos-draft-'));
    writeFileSync(path.join(draft, file), content);
    return dreamos(['propose', '--title', `Change ${file}`, '--rationale', 'because', '--file', file, '--from', draft, '--json']);
  };
  const check = (name: string, js: string) => ({ name, command: [process.execPath, '-e', js] });

  before(async () => {
    // This source tree's CLI, built on its own (the hub it spawns is the same file).
    bin = mkdtempSync(path.join(os.tmpdir(), 'dreamos-cli-bin-'));
    await esbuild.build({ entryPoints: [path.join(repo, 'src/cli/main.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: path.join(bin, 'cli.js'), logLevel: 'error', external: ['vscode', 'sql.js/dist/sql-wasm.wasm', 'discord.js', 'x11', '@nut-tree-fork/nut-js', 'better-sqlite3', 'playwright-core'] });
    copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(bin, 'sql-wasm.wasm'));
    ws = mkdtempSync(path.join(os.tmpdir(), 'dreamos-prp-cli-'));
    assert.equal(dreamos(['init']).code, 0);
  });
  after(() => {
    dreamos(['hub', 'stop']);
    rmSync(ws, { recursive: true, force: true });
    rmSync(bin, { recursive: true, force: true });
  });

  it('refuses a file that is not UTF-8 with exit 2 before sending it', () => {
    const before = json<unknown[]>(['proposal', 'list']).length;
    const r = propose('latin1.txt', Buffer.from('caf\xe9 cr\xe8me\n', 'latin1'));
    assert.equal(r.code, 2, r.err);
    assert.match(JSON.parse(r.err).error.message, /latin1\.txt is not valid UTF-8 text.*Save it as UTF-8/);
    assert.equal(json<unknown[]>(['proposal', 'list']).length, before, 'nothing was proposed');
    assert.equal(propose('nul.txt', 'a\0b').code, 2, 'binary content is refused too');
  });

  it('approve runs the post-apply checks from checks.json and rolls back when they fail', () => {
    writeFileSync(path.join(ws, 'app.txt'), 'version 1\n');
    mkdirSync(path.join(ws, '.dreamos'), { recursive: true });
    writeFileSync(
      path.join(ws, '.dreamos', 'checks.json'),
      JSON.stringify({ checks: [check('sees version 2', "process.exit(require('fs').readFileSync('app.txt','utf8').includes('2') ? 0 : 1)")], postApply: [check('must stay version 1', "process.exit(require('fs').readFileSync('app.txt','utf8').includes('1') ? 0 : 3)")] }),
    );
    const p = JSON.parse(propose('app.txt', 'version 2\n').out) as { id: string };
    const r = dreamos(['proposal', 'approve', p.id]);
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, /rolled back: post-apply checks failed \(must stay version 1\)/);
    assert.equal(readFileSync(path.join(ws, 'app.txt'), 'utf8'), 'version 1\n', 'the files are as they were');
    const shown = json<{ status: string; validation: { state: string } }>(['proposal', 'show', p.id]);
    assert.deepEqual([shown.status, shown.validation.state], ['rolled_back', 'passed']);
  });

  it('says what is wrong with a bad checks.json', () => {
    writeFileSync(path.join(ws, '.dreamos', 'checks.json'), JSON.stringify({ post: [] }));
    const p = JSON.parse(propose('other.txt', 'x\n').out) as { id: string };
    const r = dreamos(['proposal', 'approve', p.id]);
    assert.equal(r.code, 2);
    assert.match(r.err, /checks\.json is not a valid check file:[\s\S]*post[\s\S]*"postApply"/);
    rmSync(path.join(ws, '.dreamos', 'checks.json'));
  });

  it('a conflicted proposal: approve says to check again or reject; check moves it back to pending once the file matches', () => {
    writeFileSync(path.join(ws, 'conf.txt'), 'base\n');
    const p = JSON.parse(propose('conf.txt', 'agent version\n').out) as { id: string };
    writeFileSync(path.join(ws, 'conf.txt'), 'edited by the person\n');
    const first = dreamos(['proposal', 'approve', p.id]);
    assert.equal(first.code, 4);
    assert.match(first.err, /conf\.txt changed since the proposal was made.*dreamos proposal check/);
    const again = dreamos(['proposal', 'approve', p.id]);
    assert.equal(again.code, 4);
    assert.match(again.err, /cannot be approved: changed since the proposal: conf\.txt.*Check Again.*reject/);
    const still = dreamos(['proposal', 'check', p.id]);
    assert.equal(still.code, 4);
    assert.match(still.err, /still conflicted: conf\.txt/);
    writeFileSync(path.join(ws, 'conf.txt'), 'base\n');
    assert.equal(json<{ status: string }>(['proposal', 'check', p.id]).status, 'pending');
    assert.equal(json<{ status: string }>(['proposal', 'approve', p.id]).status, 'applied');
    assert.equal(readFileSync(path.join(ws, 'conf.txt'), 'utf8'), 'agent version\n');
  });
});
