import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

/** Runs the built `dreamos` exactly as a person or an agent does: a separate process. */
function dreamos(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function json<T>(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): T {
  const r = dreamos(cwd, [...args, '--json'], env);
  assert.equal(r.code, 0, `dreamos ${args.join(' ')} failed: ${r.err}`);
  return JSON.parse(r.out) as T;
}

describe('dreamos CLI', () => {
  let ws: string;
  before(() => {
    if (!existsSync(cli)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
    ws = mkdtempSync(path.join(os.tmpdir(), 'dreamos-cli-'));
  });
  after(async () => {
    dreamos(ws, ['hub', 'stop']);
    rmSync(ws, { recursive: true, force: true });
  });

  it('runs the whole agent journey: register, add, next, start, done, with --json', () => {
    const agent = json<{ id: string; name: string }>(ws, ['agent', 'register', 'claude-1', '--capability', 'ts']);
    assert.equal(agent.name, 'claude-1');
    const a = json<{ id: string; status: string }>(ws, ['task', 'add', 'Write the parser', '--priority', 'high', '--tag', 'parser']);
    const b = json<{ id: string; status: string }>(ws, ['task', 'add', 'Document the parser', '--depends-on', a.id]);
    assert.equal(a.status, 'ready');
    assert.equal(b.status, 'waiting');
    const claim = json<{ task: { id: string }; lease: { token: number } }>(ws, ['task', 'next', '--agent', 'claude-1']);
    assert.equal(claim.task.id, a.id);
    // Agents get their identity and lease from the environment the loop gives them.
    const env = { DREAMOS_AGENT_ID: agent.id, DREAMOS_LEASE_TOKEN: String(claim.lease.token) };
    assert.equal(json<{ status: string }>(ws, ['task', 'start', a.id], env).status, 'running');
    const done = json<{ status: string; evidence: { kind: string; summary: string }[] }>(ws, ['task', 'done', a.id, '--summary', 'parser written', '--evidence', 'test:12 passed'], env);
    assert.equal(done.status, 'done');
    assert.deepEqual(done.evidence, [{ kind: 'test', summary: '12 passed' }]);
    const list = json<{ id: string; status: string }[]>(ws, ['task', 'list', '--status', 'ready']);
    assert.deepEqual(list.map((t) => t.id), [b.id]);
    const human = dreamos(ws, ['task', 'show', a.id]);
    assert.equal(human.code, 0);
    assert.match(human.out, /history:/);
    assert.match(human.out, /running\s+-> done/);
  });

  it('gives meaningful exit codes and clear errors, and changes nothing on bad input', () => {
    const before = json<{ tasks: number; latestSeq: number }>(ws, ['info']);
    const bad = dreamos(ws, ['task', 'add', '']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /a task needs a title/);
    const unknownFlag = dreamos(ws, ['task', 'add', 'x', '--colour', 'red']);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.err, /--colour/);
    const missing = dreamos(ws, ['task', 'show', 'tsk_000000000000']);
    assert.equal(missing.code, 3);
    assert.match(missing.err, /No task tsk_000000000000/);
    const badId = dreamos(ws, ['task', 'show', '../../etc/passwd', '--json']);
    assert.equal(badId.code, 2);
    assert.equal(JSON.parse(badId.err).error.code, 'invalid_input');
    const unknown = dreamos(ws, ['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /Usage: dreamos/);
    assert.deepEqual(json<{ tasks: number }>(ws, ['info']), before);
  });

  it('refuses a stale token with exit code 4', () => {
    json(ws, ['agent', 'register', 'codex-1']);
    const t = json<{ id: string }>(ws, ['task', 'add', 'Stale token target', '--priority', 'critical']);
    const claim = json<{ task: { id: string }; lease: { token: number } }>(ws, ['task', 'next', '--agent', 'codex-1']);
    assert.equal(claim.task.id, t.id);
    const r = dreamos(ws, ['task', 'done', t.id, '--summary', 'x', '--token', String(claim.lease.token + 1000), '--as', 'codex-1']);
    assert.equal(r.code, 4);
    assert.match(r.err, /no longer valid/);
  });

  it('imports a task file all or nothing, naming the item and field of each error', () => {
    const good = path.join(ws, 'tasks.json');
    writeFileSync(good, JSON.stringify({ tasks: [{ key: 'a', title: 'A' }, { title: 'B', dependsOn: ['a'] }] }));
    assert.equal(json<{ created: unknown[] }>(ws, ['import', good]).created.length, 2);
    const count = json<{ tasks: number }>(ws, ['info']).tasks;
    const bad = path.join(ws, 'bad.json');
    writeFileSync(bad, JSON.stringify({ tasks: [{ title: 'ok' }, { title: 'x', priority: 'urgent!' }] }));
    const r = dreamos(ws, ['import', bad]);
    assert.equal(r.code, 2);
    assert.match(r.err, /tasks\[1\]\.priority/);
    writeFileSync(bad, '{ not json');
    const r2 = dreamos(ws, ['import', bad]);
    assert.equal(r2.code, 2);
    assert.match(r2.err, /could not be read as JSON/);
    assert.equal(json<{ tasks: number }>(ws, ['info']).tasks, count);
  });

  it('exports a backup to stdout', () => {
    const r = dreamos(ws, ['export']);
    assert.equal(r.code, 0);
    const data = JSON.parse(r.out) as { format: string; tasks: unknown[] };
    assert.equal(data.format, 'dreamos-board');
    assert.ok(data.tasks.length >= 4);
  });

  it('proposes a change, applies it with a recovery point and rolls it back to the exact bytes', () => {
    const target = path.join(ws, 'app.txt');
    writeFileSync(target, 'version 1\r\nkeep my CRLF\r\n');
    const original = readFileSync(target);
    const draft = mkdtempSync(path.join(os.tmpdir(), 'dreamos-draft-'));
    writeFileSync(path.join(draft, 'app.txt'), 'version 2\n');
    const p = json<{ id: string; status: string; files: { path: string; op: string }[] }>(ws, ['propose', '--title', 'Bump version', '--rationale', 'release', '--file', 'app.txt', '--from', draft]);
    assert.equal(p.status, 'pending');
    assert.deepEqual(p.files.map((f) => [f.path, f.op]), [['app.txt', 'modify']]);
    assert.equal(readFileSync(target, 'utf8'), 'version 1\r\nkeep my CRLF\r\n', 'proposing writes nothing');
    const applied = json<{ status: string }>(ws, ['proposal', 'approve', p.id]);
    assert.equal(applied.status, 'applied');
    assert.equal(readFileSync(target, 'utf8'), 'version 2\n');
    json(ws, ['proposal', 'rollback', p.id]);
    assert.deepEqual(readFileSync(target), original);
    const escape = dreamos(ws, ['propose', '--title', 't', '--rationale', 'r', '--file', '../outside.txt', '--from', draft]);
    assert.equal(escape.code, 2);
    assert.match(escape.err, /climbs out with \.\./);
  });

  it('streams events with --follow from a given sequence number', async () => {
    const child = spawn(process.execPath, [cli, 'events', '--follow', '--after', '0', '--json'], { cwd: ws });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const marker = `Follow me ${Date.now()}`;
    const deadline = Date.now() + 20_000;
    while (!out.includes('task.created') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    json(ws, ['task', 'add', marker]);
    while (!out.includes(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const events = out.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; type: string; payload: { title?: string } });
    assert.ok(events.some((e) => e.type === 'task.created' && e.payload.title === marker), 'the new task arrived live');
    const seqs = events.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'in order');
    assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
  });
});
