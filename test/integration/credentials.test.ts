/**
 * Only the person approves: the real `dreamos` CLI, run the way an agent runs it (with the scoped
 * credential Dream.OS hands it at spawn), against a real hub process. And a sandboxed agent
 * (bubblewrap) that cannot read the board folder at all, yet reports through the hub's socket.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { socketPathFor } from '../../src/core/hub/descriptor';
import { bwrapAvailable, bwrapPlan } from '../../src/integrations/drivers/sandbox';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

function dreamos(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env };
  for (const k of ['DREAMOS_AGENT_TOKEN', 'DREAMOS_AGENT_ID', 'DREAMOS_LEASE_TOKEN', 'DREAMOS_HUB_SOCKET', 'DREAMOS_DIR']) delete base[k];
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function json<T>(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): T {
  const r = dreamos(cwd, [...args, '--json'], env);
  assert.equal(r.code, 0, `dreamos ${args.join(' ')} failed: ${r.err}`);
  return JSON.parse(r.out) as T;
}

describe('agent credentials: only the person approves', () => {
  let ws: string;
  let agent: { id: string };
  let task: { id: string };
  let lease: number;
  let cred: { id: string; token: string };
  let agentEnv: NodeJS.ProcessEnv;
  before(() => {
    if (!existsSync(cli)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
    ws = mkdtempSync(path.join(os.tmpdir(), 'dreamos-cred-'));
    agent = json(ws, ['agent', 'register', 'coder']);
    task = json(ws, ['task', 'add', 'Add retry']);
    lease = json<{ lease: { token: number } }>(ws, ['task', 'claim', task.id, '--agent', 'coder']).lease.token;
    cred = json(ws, ['credential', 'issue', 'coder', '--task', task.id]);
    agentEnv = { DREAMOS_AGENT_TOKEN: cred.token, DREAMOS_AGENT_ID: agent.id, DREAMOS_LEASE_TOKEN: String(lease) };
  });
  after(() => {
    dreamos(ws, ['hub', 'stop']);
    rmSync(ws, { recursive: true, force: true });
  });

  it('the board keeps only a hash of the token', () => {
    assert.match(cred.token, /^dosa_[0-9a-f]{64}$/);
    const listed = json<{ id: string }[]>(ws, ['credential', 'list']);
    assert.deepEqual(listed.map((c) => c.id), [cred.id]);
    assert.equal(JSON.stringify(listed).includes(cred.token), false);
  });

  it('with only its credential (no DREAMOS_AGENT_ID) the CLI acts as the credential’s agent; naming anyone else is still refused', () => {
    const onlyToken = { DREAMOS_AGENT_TOKEN: cred.token };
    const shown = dreamos(ws, ['task', 'show', task.id], onlyToken);
    assert.equal(shown.code, 0, `${shown.out}${shown.err}`);
    const sent = dreamos(ws, ['mail', 'send', '--to', 'human', '--subject', 'Sent with the credential alone', '--from', agent.id, '--task', task.id], onlyToken);
    assert.equal(sent.code, 0, `${sent.out}${sent.err}`);
    const inbox = json<{ from: string; subject: string; taskId: string | null }[]>(ws, ['mail', 'inbox', 'human']);
    assert.ok(inbox.some((m) => m.from === agent.id && m.subject === 'Sent with the credential alone' && m.taskId === task.id));
    const asPerson = dreamos(ws, ['task', 'show', task.id, '--as', 'human'], onlyToken);
    assert.equal(asPerson.code, 6, `${asPerson.out}${asPerson.err}`);
  });

  it('an agent cannot approve, record validation, unblock or act as the person, whatever it says', () => {
    const prop = json<{ id: string }>(ws, ['propose', '--title', 'Retry', '--rationale', 'flaky API', '--file', 'retry.txt', '--from', writeDraft(ws)], agentEnv);
    for (const args of [
      ['proposal', 'approve', prop.id],
      ['proposal', 'approve', prop.id, '--as', 'human'],
      ['task', 'unblock', task.id],
      ['task', 'retry', task.id],
      ['agent', 'register', 'another'],
      ['credential', 'issue', 'coder'],
    ]) {
      const r = dreamos(ws, args, agentEnv);
      assert.equal(r.code, 6, `dreamos ${args.join(' ')} should be refused (exit 6), got ${r.code}: ${r.out}${r.err}`);
      assert.match(r.err, /person|cannot act as/);
    }
    assert.equal(json<{ status: string }>(ws, ['proposal', 'show', prop.id]).status, 'pending');
    // "human" skips the lease check for the person, so an agent naming itself human must not get it.
    const asHuman = dreamos(ws, ['task', 'done', task.id, '--summary', 'x', '--evidence', 'test:1 passed', '--token', '999999', '--as', 'human'], agentEnv);
    assert.equal(asHuman.code, 6, asHuman.err);
  });

  it('an agent acts on its own task only, as itself', () => {
    const other = json<{ id: string }>(ws, ['task', 'add', 'Someone else’s task']);
    const r = dreamos(ws, ['task', 'claim', other.id, '--agent', 'coder'], agentEnv);
    assert.equal(r.code, 6, r.err);
    assert.match(r.err, new RegExp(`for task ${task.id} only`));
    const mail = dreamos(ws, ['mail', 'send', '--to', 'human', '--from', 'human', '--subject', 'spoof', '--body', 'x'], agentEnv);
    assert.notEqual(mail.code, 0);
  });

  it('reports its own work with its credential, recorded as itself', () => {
    assert.equal(json<{ status: string }>(ws, ['task', 'start', task.id], agentEnv).status, 'running');
    const done = json<{ status: string }>(ws, ['task', 'done', task.id, '--summary', 'retry added', '--evidence', 'test:4 passed'], agentEnv);
    assert.equal(done.status, 'done');
    const history = json<{ history: { to: string; actor: string }[] }>(ws, ['task', 'show', task.id]).history;
    assert.equal(history.at(-1)!.actor, agent.id);
  });

  it('a revoked credential is refused at once', () => {
    json(ws, ['credential', 'revoke', cred.id]);
    const r = dreamos(ws, ['task', 'list'], agentEnv);
    assert.equal(r.code, 6, r.err);
    assert.match(r.err, /revoked or expired/);
  });

  it('a sandboxed agent cannot read the board folder but reports through the socket', { skip: process.platform !== 'linux' ? 'bubblewrap is Linux-only' : false }, () => {
    assert.ok(bwrapAvailable(), 'bubblewrap must be installed for this test (scripts/ensure-system-deps.mjs installs it)');
    const t = json<{ id: string }>(ws, ['task', 'add', 'Sandboxed work']);
    const token = json<{ lease: { token: number } }>(ws, ['task', 'claim', t.id, '--agent', 'coder']).lease.token;
    const c = json<{ token: string }>(ws, ['credential', 'issue', 'coder', '--task', t.id]);
    const boardDir = path.join(ws, '.dreamos');
    const hubJson = path.join(boardDir, 'hub.json');
    assert.ok(readFileSync(hubJson, 'utf8').includes('token'));
    const env = { ...process.env, DREAMOS_AGENT_TOKEN: c.token, DREAMOS_AGENT_ID: agent.id, DREAMOS_LEASE_TOKEN: String(token), DREAMOS_DIR: boardDir, DREAMOS_HUB_SOCKET: socketPathFor(boardDir) };
    const run = (command: string, args: string[]) => {
      const plan = bwrapPlan({ boardDir, socketPath: socketPathFor(boardDir), visible: [], command, args });
      return spawnSync(plan.command, plan.args, { cwd: ws, env, encoding: 'utf8', timeout: 60_000 });
    };
    const peek = run('cat', [hubJson]);
    assert.notEqual(peek.status, 0, 'the sandboxed agent read hub.json');
    assert.match(peek.stderr, /No such file/);
    const ls = run('ls', ['-A', boardDir]);
    assert.deepEqual(ls.stdout.split('\n').filter(Boolean), ['hub.sock']);
    const done = run(process.execPath, [cli, 'task', 'done', t.id, '--summary', 'done in the sandbox', '--evidence', 'test:2 passed', '--json']);
    assert.equal(done.status, 0, done.stderr);
    assert.equal((JSON.parse(done.stdout) as { status: string }).status, 'done');
  });
});

function writeDraft(ws: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-draft-'));
  writeFileSync(path.join(dir, 'retry.txt'), 'retry three times\n');
  writeFileSync(path.join(ws, 'retry.txt'), 'no retry\n');
  return dir;
}
