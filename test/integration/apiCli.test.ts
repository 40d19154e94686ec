/**
 * `dreamos token` and `dreamos serve` as real processes against a real hub: a token made on the
 * command line (printed once) works on the API that `serve` starts, `serve` prints its URL, the
 * dashboard's one-time link and the docs, mounts MCP at /mcp, and refuses a non-loopback address
 * without TLS; a revoked token is refused.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectBoard, type BoardClient } from '../../src/core/hub/connect';
import { send } from './apiHelpers';

const root = path.resolve(__dirname, '../..');
const main = path.join(root, 'src/cli/main.ts');
/** Asynchronous: the hub lives in this test process and must keep answering while the CLI runs. */
function dreamos(dir: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args, '--dir', dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('dreamos token and dreamos serve (real processes)', () => {
  let tmp: string;
  let dir: string;
  let person: BoardClient;
  let server: ChildProcess | undefined;
  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dreamos-serve-'));
    dir = path.join(tmp, '.dreamos');
    // The hub runs here; the CLI processes are its clients, as on a person's machine.
    person = await connectBoard({ dir, client: 'test-hub', hubMode: 'in-process' });
  });
  after(async () => {
    server?.kill('SIGINT');
    await person.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('creates a token once, lists it without the secret, and refuses a bad scope or ttl', async () => {
    const made = await dreamos(dir, 'token', 'create', 'ci-bot', '--scope', 'operator', '--ttl', '30d');
    assert.equal(made.status, 0, made.stderr);
    const token = /dost_[\w-]{43}/.exec(made.stdout)?.[0];
    assert.ok(token, made.stdout);
    assert.match(made.stdout, /shown this once/);
    const listed = await dreamos(dir, 'token', 'list');
    assert.match(listed.stdout, /ci-bot\s+operator\s+live\s+expires \d{4}-/);
    assert.equal(listed.stdout.includes(token), false, 'the list never shows a token');
    const bad = await dreamos(dir, 'token', 'create', 'x', '--scope', 'root');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--scope must be one of read, agent, operator, admin/);
    assert.match((await dreamos(dir, 'token', 'create', 'x', '--scope', 'read', '--ttl', 'forever')).stderr, /--ttl is a number and a unit/);
    const json = await dreamos(dir, 'token', 'create', 'phone', '--scope', 'read', '--json');
    assert.match((JSON.parse(json.stdout) as { token: string }).token, /^dost_/);
  });

  it('serves the API, the docs, the dashboard link and MCP on one port; a revoked token is refused', async () => {
    const made = await dreamos(dir, 'token', 'create', 'served', '--scope', 'operator', '--json');
    const { token } = JSON.parse(made.stdout) as { token: string };
    server = spawn(process.execPath, ['--import', 'tsx', main, 'serve', '--port', '0', '--dir', dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    server.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const deadline = Date.now() + 60_000;
    while (!/Press Ctrl\+C/.test(out)) {
      assert.ok(Date.now() < deadline, `serve did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const port = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    assert.match(out, new RegExp(`dashboard: http://127\\.0\\.0\\.1:${port}/\\?token=`));
    assert.match(out, new RegExp(`reference: http://127\\.0\\.0\\.1:${port}/api/docs`));
    assert.match(out, /MCP: +http:\/\/127\.0\.0\.1:\d+\/mcp/);
    assert.match(out, /page: +http:\/\/127\.0\.0\.1:\d+\/phone/);
    assert.equal((await send(port, 'GET', '/phone')).status, 200, 'the phone page is on the same server');

    const added = await send(port, 'POST', '/api/v1/tasks', { token, body: { title: 'From serve' } });
    assert.equal(added.status, 201, added.text);
    assert.equal((await person.call({ type: 'task.show', taskId: (added.json as { id: string }).id })).task.createdBy, 'token:served');
    assert.equal((await send(port, 'GET', '/openapi.json')).status, 200);
    assert.equal((await send(port, 'GET', '/api/v1/health')).status, 200);
    assert.equal((await send(port, 'POST', '/mcp', { body: {} })).status, 401, 'MCP is behind the token rules');
    const link = /\/\?token=[\w-]+/.exec(out)![0];
    assert.equal((await send(port, 'GET', link)).status, 303, 'the dashboard link signs in once');

    assert.equal((await dreamos(dir, 'token', 'revoke', 'served')).status, 0);
    assert.equal((await send(port, 'GET', '/api/v1/tasks', { token })).status, 401);
    server.kill('SIGINT');
    const code = await new Promise<number | null>((r) => server!.on('exit', (c) => r(c)));
    assert.equal(code, 0);
    server = undefined;
  });

  it('refuses to listen on another address without TLS, saying what to do', async () => {
    const r = await dreamos(dir, 'serve', '--host', '0.0.0.0');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Refusing to listen on 0\.0\.0\.0 without TLS.*--tls-cert/s);
    assert.match((await dreamos(dir, 'serve', '--tls-cert', 'x.pem')).stderr, /both --tls-cert and --tls-key/);
    assert.match((await dreamos(dir, 'serve', '--rate-per-token', '0')).stderr, /--rate-per-token is requests per minute/);
  });
});
