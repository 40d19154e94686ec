/**
 * Webhooks end to end: a real board whose hub delivers over real HTTP (Node's fetch) to a real
 * receiver on 127.0.0.1 that checks every signature. Retries after 500s and after 429 with
 * Retry-After, order per URL, the delivery log, Slack's payload shape, a hub restart in the middle
 * of a retry (nothing delivered twice, nothing lost), and configuration the board refuses.
 * Backoff is checked on the times the board recorded, never on the wall clock.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { DreamError } from '../../src/core/errors';
import { connectBoard, type BoardClient } from '../../src/core/hub/connect';
import { runHub } from '../../src/core/hub/standalone';
import { verify } from '../../src/core/webhooks/rules';
import { fetchWebhookSender } from '../../src/integrations/webhooks/fetchSender';
import { forkTs, nextMessage, waitFor } from './helpers/util';

interface Received {
  path: string;
  event: string;
  delivery: string;
  timestamp: string;
  signature: string;
  body: string;
}

/** A webhook receiver: records every request; each path answers from its script, then 200. */
class Receiver {
  readonly got: Received[] = [];
  private readonly scripts = new Map<string, { status: number; headers?: Record<string, string>; hang?: true }[]>();
  /** Requests held without an answer (a receiver still thinking when the hub dies). */
  readonly held: http.ServerResponse[] = [];
  private server!: http.Server;
  base = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const h = (k: string) => String(req.headers[k] ?? '');
        const p = req.url ?? '/';
        this.got.push({ path: p, event: h('x-dreamos-event'), delivery: h('x-dreamos-delivery'), timestamp: h('x-dreamos-timestamp'), signature: h('x-dreamos-signature'), body: Buffer.concat(chunks).toString() });
        const next = this.scripts.get(p)?.shift() ?? { status: 200 };
        if (next.hang) return void this.held.push(res);
        res.writeHead(next.status, next.headers).end(next.status === 200 ? 'ok' : 'try later');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  script(p: string, ...answers: { status: number; headers?: Record<string, string>; hang?: true }[]): void {
    this.scripts.set(p, answers);
  }
  at(p: string): Received[] {
    return this.got.filter((g) => g.path === p);
  }
  close(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const RETRY = { maxAttempts: 6, baseMs: 40, capMs: 5_000 };
const webhooks = () => ({ sender: fetchWebhookSender({ timeoutMs: 5_000 }), retry: RETRY, pollMs: 20 });
const seqOf = (r: Received) => (JSON.parse(r.body) as { seq: number }).seq;

describe('webhooks', () => {
  const rx = new Receiver();
  let root: string;
  let dir: string;
  let board: BoardClient;
  const open = (withWebhooks = true) => connectBoard({ dir, client: 'webhook-test', hubMode: 'in-process', actor: 'human:test', ...(withWebhooks ? { engine: { webhooks: webhooks() } } : {}) });
  const doneTask = async (title: string) => {
    const t = await board.call({ type: 'task.add', title });
    await board.call({ type: 'task.done', taskId: t.id, summary: `${title} finished` });
    return t;
  };
  const settled = (deliveryWebhook: string, n: number) =>
    waitFor(`${n} settled deliveries`, async () => {
      const ds = await board.call({ type: 'webhook.deliveries', webhookId: deliveryWebhook });
      return ds.length >= n && ds.every((d) => d.status !== 'pending') && ds;
    });

  before(async () => {
    await rx.start();
    root = mkdtempSync(path.join(os.tmpdir(), 'dreamos-webhooks-'));
    dir = path.join(root, '.dreamos');
    board = await open();
  });
  after(async () => {
    await board.close();
    await rx.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('signs each delivery with the secret shown once; another secret does not verify', async () => {
    const hook = await board.call({ type: 'webhook.add', url: `${rx.base}/signed`, events: ['done'] });
    assert.match(hook.secret, /^whsec_[\w-]{43}$/);
    assert.equal(JSON.stringify(await board.call({ type: 'webhook.list' })).includes(hook.secret), false, 'the list never shows a secret');
    const audit = (await board.call({ type: 'events.since', afterSeq: 0 })).filter((e) => e.type === 'board.configured').at(-1)!;
    assert.deepEqual(audit.payload, { changed: ['webhooks'], webhook: { id: hook.id, action: 'added', to: rx.base } }, "the audit names the origin, not the URL's path (a secret for Slack)");
    const t = await doneTask('Sign me');
    const [r] = await waitFor('a signed delivery', () => rx.at('/signed').length > 0 && rx.at('/signed'));
    assert.equal(r!.event, 'done');
    assert.match(r!.delivery, /^dlv_[0-9a-f]{12}$/);
    assert.equal(verify(hook.secret, { signature: r!.signature, timestamp: r!.timestamp }, r!.body), true);
    assert.equal(verify(`${hook.secret}x`, { signature: r!.signature, timestamp: r!.timestamp }, r!.body), false, 'a wrong secret fails');
    assert.equal(verify(hook.secret, { signature: r!.signature, timestamp: r!.timestamp }, r!.body.replace('Sign me', 'Sign you')), false, 'a changed body fails');
    const body = JSON.parse(r!.body) as { event: string; id: string; task: { id: string; title: string }; title: string };
    assert.deepEqual([body.event, body.id, body.task.id, body.title], ['done', r!.delivery, t.id, 'Done: “Sign me”']);
    const [d] = await settled(hook.id, 1);
    assert.deepEqual([d!.status, d!.attempts.map((a) => a.status)], ['delivered', [200]]);
    await board.call({ type: 'webhook.remove', webhookId: hook.id });
  });

  it('retries after 500s with doubling waits, and after 429 waits what Retry-After says', async () => {
    rx.script('/flaky', { status: 500 }, { status: 503 }, { status: 429, headers: { 'Retry-After': '1' } });
    const hook = await board.call({ type: 'webhook.add', url: `${rx.base}/flaky`, events: ['blocked'] });
    const t = await board.call({ type: 'task.add', title: 'Flaky receiver' });
    await board.call({ type: 'task.block', taskId: t.id, reason: 'needs a key' });
    const [d] = await settled(hook.id, 1);
    assert.equal(d!.status, 'delivered');
    assert.deepEqual(d!.attempts.map((a) => a.status), [500, 503, 429, 200]);
    const waits = d!.attempts.map((a) => (a.retryAt === null ? null : a.retryAt - a.at));
    assert.deepEqual(waits, [RETRY.baseMs, RETRY.baseMs * 2, 1_000, null], 'backoff doubles; Retry-After: 1 is one second, not the backoff');
    assert.match(d!.attempts[0]!.error ?? '', /HTTP 500: try later/);
    assert.equal(new Set(rx.at('/flaky').map((r) => r.delivery)).size, 1, 'every retry is the same delivery');
    assert.equal(new Set(rx.at('/flaky').map((r) => r.body)).size, 1, 'with the same body');
    await board.call({ type: 'webhook.remove', webhookId: hook.id });
  });

  it('delivers in event order per URL, the head waiting out its retries; gives up after the bounded attempts', async () => {
    rx.script('/ordered', { status: 500 }, { status: 500 });
    const hook = await board.call({ type: 'webhook.add', url: `${rx.base}/ordered`, events: ['done'] });
    for (let i = 1; i <= 5; i++) await doneTask(`In order ${i}`);
    await settled(hook.id, 5);
    const firsts = [...new Map(rx.at('/ordered').map((r) => [r.delivery, seqOf(r)])).values()];
    assert.equal(firsts.length, 5);
    assert.deepEqual(firsts, [...firsts].sort((a, b) => a - b), 'first sight of each delivery is in event order');
    assert.equal(rx.at('/ordered').slice(0, 3).every((r) => r.delivery === rx.at('/ordered')[0]!.delivery), true, 'nothing overtook the retried head');
    await board.call({ type: 'webhook.remove', webhookId: hook.id });

    rx.script('/dead', ...Array.from({ length: RETRY.maxAttempts }, () => ({ status: 502 })));
    const dead = await board.call({ type: 'webhook.add', url: `${rx.base}/dead`, events: ['done'] });
    await doneTask('Nobody listens');
    const [d] = await settled(dead.id, 1);
    assert.equal(d!.status, 'failed');
    assert.equal(d!.attempts.length, RETRY.maxAttempts);
    assert.match(d!.attempts.at(-1)!.error ?? '', /gave up after 6 attempts/);
    rx.script('/gone', { status: 410 });
    const gone = await board.call({ type: 'webhook.add', url: `${rx.base}/gone`, events: ['done'] });
    await doneTask('Gone receiver');
    const [g] = await settled(gone.id, 1);
    assert.deepEqual([g!.status, g!.attempts.length], ['failed', 1], 'a 410 is not retried');
    for (const h of [dead, gone]) await board.call({ type: 'webhook.remove', webhookId: h.id });
  });

  it('speaks Slack: {text, blocks}; tells of an agent asking (not of mail to an agent), a test and a proposal', async () => {
    const hook = await board.call({ type: 'webhook.add', url: `${rx.base}/slack`, events: ['needs-input', 'failed', 'proposal-ready'], format: 'slack' });
    const agent = await board.call({ type: 'agent.register', name: 'coder' });
    await board.call({ type: 'mail.send', from: agent.id, to: { kind: 'human' }, subject: 'Which <database>?', body: 'Postgres or SQLite & why' });
    await board.call({ type: 'mail.send', from: 'human', to: { kind: 'agent', id: agent.id }, subject: 'not news', body: 'to the agent' });
    const { deliveryId } = await board.call({ type: 'webhook.test', webhookId: hook.id });
    await settled(hook.id, 2);
    const prp = await board.call({ type: 'proposal.submit', agentId: 'coder', title: 'Use SQLite', rationale: 'simplest', files: [{ path: 'db.txt', op: 'create', baseHash: null, content: 'sqlite', added: 1, removed: 0 }] });
    await settled(hook.id, 3);
    const [ask, test, ready] = rx.at('/slack');
    assert.equal(ask!.event, 'needs-input');
    const slack = JSON.parse(ask!.body) as { text: string; blocks: { type: string; text?: { type: string; text: string }; elements?: { text: string }[] }[] };
    assert.deepEqual(Object.keys(slack), ['text', 'blocks']);
    assert.equal(slack.text, 'Dream.OS · coder asks: Which <database>? — Postgres or SQLite & why');
    assert.deepEqual(slack.blocks.map((b) => b.type), ['section', 'context']);
    assert.equal(slack.blocks[0]!.text!.type, 'mrkdwn');
    assert.equal(slack.blocks[0]!.text!.text, '*coder asks: Which &lt;database&gt;?*\nPostgres or SQLite &amp; why', 'mrkdwn is escaped');
    assert.deepEqual([test!.event, test!.delivery], ['test', deliveryId]);
    assert.equal(ready!.event, 'proposal-ready');
    const r = JSON.parse(ready!.body) as { text: string; blocks: { elements?: { text: string }[] }[] };
    assert.equal(r.text, 'Dream.OS · Ready for review: “Use SQLite”');
    assert.match(r.blocks[1]!.elements![0]!.text, new RegExp(`proposal-ready · proposal \`${prp.id}\``));
    await board.call({ type: 'webhook.remove', webhookId: hook.id });
  });

  it('survives a hub restart mid-retry: resumes from the board, nothing delivered twice, nothing lost', async () => {
    const hook = await board.call({ type: 'webhook.add', url: `${rx.base}/restart`, events: ['done'] });
    const a = await doneTask('Before the restart');
    await settled(hook.id, 1);
    rx.script('/restart', ...Array.from({ length: 3 }, () => ({ status: 500 })));
    const b = await doneTask('During the outage');
    await waitFor('a failed attempt of B', async () => (await board.call({ type: 'webhook.deliveries', webhookId: hook.id }))[0]!.attempts.length >= 1);
    await board.close();

    // A hub that delivers no webhooks (a host without a sender) still moves the board on.
    board = await open(false);
    const c = await doneTask('While nobody delivered');
    await board.close();

    rx.script('/restart');
    board = await open();
    const ds = await settled(hook.id, 3);
    const seqs = (t: { id: string }) => ds.filter((d) => (JSON.parse(d.body) as { task: { id: string } }).task.id === t.id).length;
    assert.deepEqual([seqs(a), seqs(b), seqs(c)], [1, 1, 1], 'one delivery per event');
    const delivered = rx.at('/restart').filter((r, i, all) => all.findIndex((x) => x.delivery === r.delivery) === i);
    assert.deepEqual(delivered.map((r) => (JSON.parse(r.body) as { task: { title: string } }).task.title), ['Before the restart', 'During the outage', 'While nobody delivered']);
    const a200 = rx.at('/restart').filter((r) => JSON.parse(r.body).task.id === a.id);
    assert.equal(a200.length, 1, 'the one delivered before the restart was not sent again');
    assert.equal(ds.every((d) => d.status === 'delivered'), true);
    await board.call({ type: 'webhook.remove', webhookId: hook.id });
  });

  it('is configured from the CLI: add shows the secret once, test waits for the outcome, deliveries shows each attempt', async () => {
    const run = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main([...argv, '--dir', dir], { out: (s) => out.push(s), err: (s) => err.push(s) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const added = await run('webhook', 'add', `${rx.base}/cli`, '--events', 'done, failed', '--format', 'slack', '--description', 'team channel');
    assert.equal(added.code, 0, added.err);
    const [, id, secret] = /^(whk_[0-9a-f]{12})\s[\s\S]*secret: (whsec_\S+)/.exec(added.out) ?? [];
    assert.ok(id && secret, added.out);
    assert.match(added.out, /done,failed {2}slack {2}team channel/);
    const listed = await run('webhook', 'list');
    assert.match(listed.out, new RegExp(`${id}  ${rx.base}/cli  done,failed  slack`));
    assert.equal(listed.out.includes(secret), false, 'listed without its secret');
    const tested = await run('webhook', 'test', id);
    assert.equal(tested.code, 0, tested.err);
    assert.match(tested.out, /^dlv_[0-9a-f]{12} {2}test {2}delivered/);
    assert.match(tested.out, /1\. .* {2}200 {2}\d+ ms/);
    assert.equal(verify(secret, { signature: rx.at('/cli')[0]!.signature, timestamp: rx.at('/cli')[0]!.timestamp }, rx.at('/cli')[0]!.body), true, 'the printed secret signs');
    const log = await run('webhook', 'deliveries', '--id', id, '--json');
    assert.deepEqual((JSON.parse(log.out) as { kind: string; status: string }[]).map((d) => [d.kind, d.status]), [['test', 'delivered']]);
    const bad = await run('webhook', 'add', 'http://example.com/x');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /plain http is allowed only to 127\.0\.0\.1 or localhost/);
    const badEvents = await run('webhook', 'add', `${rx.base}/cli`, '--events', 'finished');
    assert.match(badEvents.err, /unknown webhook event "finished"; choose from/);
    assert.equal((await run('webhook', 'remove', id)).code, 0);
    assert.match((await run('webhook', 'list', '--all')).out, new RegExp(`${id} .* removed`));
  });

  it('a background hub does not go idle while a delivery waits for its retry', async () => {
    const own = path.join(root, 'idle', '.dreamos');
    // The webhook and its event are made by a hub that delivers nothing; then a background hub
    // with a 100 ms idle time starts, no client ever connecting, and the receiver answers 500 twice.
    const setup = await connectBoard({ dir: own, client: 'idle-setup', hubMode: 'in-process', actor: 'human:test' });
    const hook = await setup.call({ type: 'webhook.add', url: `${rx.base}/idle`, events: ['done'] });
    const t = await setup.call({ type: 'task.add', title: 'Idle hub' });
    await setup.call({ type: 'task.done', taskId: t.id, summary: 'done' });
    await setup.close();
    rx.script('/idle', { status: 500 }, { status: 500 });
    await runHub(own, { idleMs: 100, handleSignals: false, webhooks: { ...webhooks(), retry: { maxAttempts: 5, baseMs: 300, capMs: 5_000 } } });
    assert.deepEqual(rx.at('/idle').map((r) => r.event), ['done', 'done', 'done'], 'it stayed for both retries');
    const after = await connectBoard({ dir: own, client: 'idle-check', hubMode: 'in-process', actor: 'human:test' });
    try {
      const [d] = await after.call({ type: 'webhook.deliveries', webhookId: hook.id });
      assert.deepEqual([d!.status, d!.attempts.map((a) => a.status)], ['delivered', [500, 500, 200]]);
    } finally {
      await after.close();
    }
  });

  it('survives kill -9 of the hub mid-request: the next hub sends it again with the same delivery id, and nothing delivered twice', async () => {
    const own = path.join(root, 'crash', '.dreamos');
    const child = forkTs(path.join(__dirname, 'helpers/webhookHub.ts'), { dir: own });
    await nextMessage(child, (m) => m === 'ready');
    const c = await connectBoard({ dir: own, client: 'crash-test', hubMode: 'never', actor: 'human:test' });
    const hook = await c.call({ type: 'webhook.add', url: `${rx.base}/crash`, events: ['done'] });
    const done = async (title: string) => {
      const t = await c.call({ type: 'task.add', title });
      await c.call({ type: 'task.done', taskId: t.id, summary: title });
    };
    await done('Delivered before the crash');
    await waitFor('the first delivery', () => rx.at('/crash').length === 1);
    rx.script('/crash', { status: 0, hang: true });
    await done('In flight at the crash');
    await waitFor('the held request', () => rx.held.length === 1);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    rx.held.splice(0).forEach((res) => res.destroy());
    await c.close().catch(() => undefined);

    const next = await connectBoard({ dir: own, client: 'crash-next', hubMode: 'in-process', actor: 'human:test', engine: { webhooks: webhooks() } });
    try {
      await waitFor('the in-flight one delivered by the next hub', async () => (await next.call({ type: 'webhook.deliveries', webhookId: hook.id })).every((d) => d.status === 'delivered') && rx.at('/crash').length === 3);
      const got = rx.at('/crash').map((r) => [(JSON.parse(r.body) as { task: { title: string } }).task.title, r.delivery] as const);
      assert.deepEqual(got.map(([t]) => t), ['Delivered before the crash', 'In flight at the crash', 'In flight at the crash'], 'the delivered one is not sent again');
      assert.equal(got[1]![1], got[2]![1], 'the same X-DreamOS-Delivery id, so the receiver can tell it is a repeat');
      const log = await next.call({ type: 'webhook.deliveries', webhookId: hook.id });
      assert.deepEqual(log.map((d) => d.attempts.map((a) => a.status)), [[200], [200]], 'the interrupted attempt was never recorded; one attempt each');
    } finally {
      await next.close();
    }
  });

  it('refuses bad configuration with a message that says what to do', async () => {
    const refused = async (cmd: Record<string, unknown>, re: RegExp) =>
      assert.rejects(board.call({ type: 'webhook.add', ...cmd }), (e: unknown) => e instanceof DreamError && e.code === 'invalid_input' && re.test(e.message));
    await refused({ url: 'not a url' }, /is not a URL: give the full address/);
    await refused({ url: 'ftp://example.com/x' }, /starts with https:\/\//);
    await refused({ url: 'http://example.com/hook' }, /plain http is allowed only to 127\.0\.0\.1 or localhost; use https:\/\/example\.com\/hook/);
    await refused({ url: `${rx.base}/x`, events: ['done', 'merged'] }, /unknown webhook event "merged"; choose from needs-input, blocked, failed, done, proposal-ready, over-budget/);
    await refused({ url: `${rx.base}/x`, events: [] }, /name at least one event/);
    await refused({ url: `${rx.base}/x`, format: 'xml' }, /format is one of json, slack/);
    await assert.rejects(board.call({ type: 'webhook.test', webhookId: 'whk_000000000000' }), (e: unknown) => (e as DreamError).code === 'not_found' && /dreamos webhook list/.test((e as Error).message));
    // Webhook configuration is an admin's: an operator token is refused.
    const { token } = await board.call({ type: 'token.create', name: 'ops', scope: 'operator' });
    const ops = await connectBoard({ dir, client: 'ops', hubMode: 'never', credential: token });
    try {
      await assert.rejects(ops.call({ type: 'webhook.add', url: `${rx.base}/x` }), (e: unknown) => (e as DreamError).code === 'unauthorized' && /needs an admin token/.test((e as Error).message));
      await assert.rejects(ops.call({ type: 'webhook.list' }), (e: unknown) => (e as DreamError).code === 'unauthorized');
    } finally {
      await ops.close();
    }
  });
});
