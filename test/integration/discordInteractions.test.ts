/**
 * The HTTP interactions endpoint end to end: real Ed25519 keys, real HTTP on loopback, the real
 * board (sql.js) behind the commands, discord.js's REST client talking to a local stand-in for
 * Discord for command registration and deferred follow-ups, and real files for /approve.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Agent, Task } from '../../src/core/board/boardModel';
import type { CommandInput } from '../../src/core/commands';
import type { ResultOf } from '../../src/core/port';
import type { SwarmState } from '../../src/core/loop/loopCommands';
import type { Proposal } from '../../src/core/proposals/proposalModel';
import { encodeCustomId } from '../../src/integrations/discord/components';
import { parseDiscordConfig, type DiscordConfigInput } from '../../src/integrations/discord/discordConfig';
import { startDiscord, type DiscordControlPlane } from '../../src/integrations/discord/controlPlane';
import type { DiscordBoard } from '../../src/integrations/discord/handlers';
import { memoryConnection, type MemoryConnection } from './dashboardServerHelpers';
import { FakeDiscord, snowflake } from './helpers/fakeDiscord';
import { appKeys, buttonPayload, commandPayload, modalPayload, person, pingPayload, postInteraction, s, sub, type Person } from './helpers/fakeDiscordPayloads';

const ADMIN_ROLE = snowflake();

/** The test board, passing each caller's actor through as the hub client does. */
function boardWithActors(conn: MemoryConnection, delays: Partial<Record<CommandInput['type'], number>> = {}): DiscordBoard {
  return {
    async call(command, opts) {
      const delay = delays[command.type];
      if (delay) await new Promise((r) => setTimeout(r, delay));
      const result = conn.board.run<ResultOf<typeof command>>(command, opts?.actor ?? 'human:test');
      await conn.call({ type: 'board.info' }); // lets the adapter push the new events
      return result;
    },
    subscribe: (after, cb) => conn.subscribe(after, cb),
  };
}

interface Env {
  fake: FakeDiscord;
  conn: MemoryConnection;
  plane: DiscordControlPlane;
  url: string;
  keys: ReturnType<typeof appKeys>;
  ctx: (who: Person) => { applicationId: string; guildId: string; who: Person };
  root: string;
}

async function setUp(extra: Partial<DiscordConfigInput> = {}, delays: Partial<Record<CommandInput['type'], number>> = {}): Promise<Env> {
  const fake = await FakeDiscord.start();
  const conn = await memoryConnection();
  const keys = appKeys();
  const root = mkdtempSync(path.join(os.tmpdir(), 'dreamos-discord-ws-'));
  mkdirSync(path.join(root, '.dreamos'));
  const config = parseDiscordConfig({
    applicationId: fake.applicationId,
    guildId: fake.guildId,
    publicKey: keys.publicKeyHex,
    transport: 'interactions',
    interactions: { port: 0 },
    apiBaseUrl: fake.apiBaseUrl,
    permissions: { admins: { roles: [ADMIN_ROLE] } },
    rateLimit: { burst: 8, perMinute: 20 },
    notifications: { rules: [], taskThreads: false, agentThreads: false },
    ...extra,
  });
  const plane = await startDiscord({ config, board: boardWithActors(conn, delays), token: fake.token, workspace: { root, boardDir: path.join(root, '.dreamos') } });
  return { fake, conn, plane, url: plane.endpoint!.url, keys, ctx: (who) => ({ applicationId: fake.applicationId, guildId: fake.guildId, who }), root };
}

async function tearDown(e: Env) {
  await e.plane.close();
  await e.fake.close();
  e.conn.close();
  rmSync(e.root, { recursive: true, force: true });
}

type Answer = { type: number; data?: { content?: string; flags?: number; components?: { components: { custom_id: string }[] }[]; custom_id?: string } };

describe('Discord interactions endpoint (HTTP, signed)', () => {
  let e: Env;
  // A fresh id per test: each person has their own rate-limit bucket.
  let admin = person('ada', [ADMIN_ROLE]);
  const guest = person('guest');
  before(async () => (e = await setUp()));
  beforeEach(() => (admin = person('ada', [ADMIN_ROLE])));
  after(async () => tearDown(e));

  const post = async (payload: unknown) => {
    const r = await postInteraction(e.url, payload, e.keys);
    assert.equal(r.status, 200, r.body);
    return r.json() as Answer;
  };

  it('registered the slash commands in the guild at start', () => {
    const reg = e.fake.requests.find((r) => r.route === 'PUT /applications/:id/guilds/:id/commands');
    assert.ok(reg, 'PUT /applications/{app}/guilds/{guild}/commands');
    assert.equal(reg.auth, `Bot ${e.fake.token}`);
    assert.deepEqual(e.fake.commands.map((c) => (c as { name: string }).name).sort(), ['approve', 'claim', 'devlog', 'message', 'pause', 'reject', 'resume', 'status', 'task', 'tasks']);
    assert.equal(e.plane.status.current.state, 'ready', e.plane.status.current.message);
  });

  it('answers PING with PONG', async () => {
    const r = await postInteraction(e.url, pingPayload(e.fake.applicationId), e.keys);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { type: 1 });
    assert.match(String(r.body), /^\{"type":1\}$/);
  });

  it('refuses forged, missing, stale and replayed signatures with 401', async () => {
    const ping = pingPayload(e.fake.applicationId);
    const other = appKeys();
    const forged = await postInteraction(e.url, ping, other);
    const noSig = await postInteraction(e.url, ping, e.keys, { signature: null });
    const noTs = await postInteraction(e.url, ping, e.keys, { timestampHeader: null });
    const stale = await postInteraction(e.url, ping, e.keys, { timestamp: String(Math.floor(Date.now() / 1000) - 6 * 60) });
    const tampered = await postInteraction(e.url, ping, e.keys, { signature: e.keys.sign(String(Math.floor(Date.now() / 1000)), JSON.stringify({ ...ping, type: 2 })) });
    for (const [name, r] of Object.entries({ forged, noSig, noTs, stale, tampered })) assert.equal(r.status, 401, `${name}: ${r.body}`);
    assert.match(stale.body, /stale/);

    const ts = String(Math.floor(Date.now() / 1000));
    const raw = JSON.stringify(pingPayload(e.fake.applicationId));
    const sig = e.keys.sign(ts, raw);
    const first = await postInteraction(e.url, null, e.keys, { rawBody: raw, timestamp: ts, signature: sig });
    const replay = await postInteraction(e.url, null, e.keys, { rawBody: raw, timestamp: ts, signature: sig });
    assert.equal(first.status, 200);
    assert.equal(replay.status, 401);
    assert.match(replay.body, /replayed/);
  });

  it('answers other methods, paths and signed non-interactions without crashing', async () => {
    const notJson = await postInteraction(e.url, null, e.keys, { rawBody: '{"type":' });
    assert.equal(notJson.status, 400);
    const notInteraction = await postInteraction(e.url, { hello: 'world' }, e.keys);
    assert.equal(notInteraction.status, 400);
    assert.match(notInteraction.body, /Not a Discord interaction/);
    const wrongPath = await postInteraction(e.url.replace('/interactions', '/other'), pingPayload(e.fake.applicationId), e.keys);
    assert.equal(wrongPath.status, 404);
    const get = await fetch(e.url);
    assert.equal(get.status, 405);
  });

  it('/task add creates a task on the real board, attributed to the person', async () => {
    const t0 = Date.now();
    const a = await post(commandPayload(e.ctx(admin), 'task', [sub('add', [s('title', 'Write the Discord guide'), s('priority', 'high'), s('kind', 'docs')])]));
    assert.ok(Date.now() - t0 < 3_000);
    assert.equal(a.type, 4);
    assert.equal(a.data?.flags, undefined, 'a change is posted for everyone to see');
    const id = /`(tsk_[0-9a-f]{12})`/.exec(a.data?.content ?? '')?.[1];
    assert.ok(id, a.data?.content);
    const { task } = (await e.conn.call({ type: 'task.show', taskId: id })) as { task: Task };
    assert.equal(task.title, 'Write the Discord guide');
    assert.equal(task.priority, 2);
    assert.equal(task.kind, 'docs');
    assert.equal(task.createdBy, 'human:discord:ada');
  });

  it('explains invalid options instead of failing', async () => {
    const a = await post(commandPayload(e.ctx(admin), 'task', [sub('add', [s('title', '   ')])]));
    assert.equal(a.type, 4);
    assert.equal(a.data?.flags, 64, 'errors are shown only to the person');
    assert.match(a.data?.content ?? '', /title: a task needs a title/);
    const missing = await post(commandPayload(e.ctx(admin), 'task', [sub('show', [s('id', 'tsk_000000000000')])]));
    assert.match(missing.data?.content ?? '', /⚠️.*tsk_000000000000/);
  });

  it('denies write commands to people the settings do not list; reading stays open', async () => {
    const denied = await post(commandPayload(e.ctx(guest), 'task', [sub('add', [s('title', 'sneaky')])]));
    assert.equal(denied.data?.flags, 64);
    assert.match(denied.data?.content ?? '', /You may not use \/task add/);
    const tasks = (await e.conn.call({ type: 'task.list' })) as Task[];
    assert.ok(!tasks.some((t) => t.title === 'sneaky'));
    const list = await post(commandPayload(e.ctx(guest), 'tasks'));
    assert.equal(list.data?.flags, 64);
    assert.match(list.data?.content ?? '', /Write the Discord guide/);
  });

  it('refuses interactions from another server', async () => {
    const a = await post(commandPayload({ applicationId: e.fake.applicationId, guildId: snowflake(), who: admin }, 'status'));
    assert.match(a.data?.content ?? '', /only in its own Discord server/);
  });

  it('/status, /devlog, /claim, /message, /pause and /resume run their board commands', async () => {
    const agent = (await e.conn.call({ type: 'agent.register', name: 'claude-1', driver: 'command', capabilities: [] })) as Agent;
    const status = await post(commandPayload(e.ctx(admin), 'status'));
    assert.match(status.data?.content ?? '', /swarm (running|paused)[\s\S]*claude-1 (idle|offline)/);

    const claim = await post(commandPayload(e.ctx(admin), 'claim', [s('agent', 'claude-1')]));
    assert.match(claim.data?.content ?? '', /claude-1 took `tsk_/);
    const owned = (await e.conn.call({ type: 'task.list', assignee: agent.id })) as Task[];
    assert.equal(owned.length, 1);

    const msg = await post(commandPayload(e.ctx(admin), 'message', [s('agent', 'claude-1'), s('text', 'Please add tests\nfor the parser')]));
    assert.match(msg.data?.content ?? '', /Message sent to claude-1/);
    const inbox = (await e.conn.call({ type: 'mail.inbox', recipient: agent.id })) as { subject: string; body: string; from: string }[];
    assert.equal(inbox.at(-1)?.subject, 'Please add tests');
    assert.equal(inbox.at(-1)?.from, 'human:discord:ada');

    // /resume resumes only a live swarm host (it never starts one): a host holds this board.
    await e.conn.call({ type: 'swarm.claim', host: { loopId: 'loop_test_1', pid: process.pid, hostname: 'test-host' } });
    await post(commandPayload(e.ctx(admin), 'pause', [s('reason', 'lunch')]));
    assert.deepEqual(((await e.conn.call({ type: 'swarm.state' })) as SwarmState).desired, 'stopped');
    await post(commandPayload(e.ctx(admin), 'resume'));
    assert.deepEqual(((await e.conn.call({ type: 'swarm.state' })) as SwarmState).desired, 'running');

    const log = await post(commandPayload(e.ctx(admin), 'devlog', [{ name: 'count', type: 4, value: 5 }]));
    assert.match(log.data?.content ?? '', /Latest \d+ board events[\s\S]*task\.(claimed|transitioned)/);
  });

  it('/approve is deferred at once, then applies the files and finishes the answer through the webhook', async () => {
    const p = (await e.conn.call({
      type: 'proposal.submit',
      title: 'Add a greeting',
      rationale: 'people like to be greeted',
      files: [{ path: 'hello.txt', op: 'create', baseHash: null, content: 'hello from an agent\n', added: 1, removed: 0 }],
    })) as Proposal;
    const payload = commandPayload(e.ctx(admin), 'approve', [s('proposal', p.id)]);
    const r = await postInteraction(e.url, payload, e.keys);
    assert.equal(r.status, 200);
    assert.ok(r.elapsedMs < 1_000, `deferred quickly (${r.elapsedMs} ms)`);
    assert.deepEqual(r.json(), { type: 5 });
    const edit = await e.fake.until(() => e.fake.webhookEdits.find((w) => w.token === payload.token), 10_000, 'the follow-up PATCH');
    assert.match((edit.body as { content: string }).content, new RegExp(`${p.id}.*approved by ada and applied \\(1 file\\)`));
    const req = e.fake.requests.find((q) => q.route === 'PATCH /webhooks/:id/:token/messages/@original');
    assert.equal(req?.auth, undefined, 'interaction webhooks are called without the bot token');
    assert.equal(readFileSync(path.join(e.root, 'hello.txt'), 'utf8'), 'hello from an agent\n');
    assert.equal(((await e.conn.call({ type: 'proposal.show', proposalId: p.id })) as Proposal).status, 'applied');
  });

  it('buttons: approve updates the notification; reject asks why in a dialog; retry sends a failed task back', async () => {
    const files = (name: string) => [{ path: name, op: 'create' as const, baseHash: null, content: 'x\n', added: 1, removed: 0 }];
    const p1 = (await e.conn.call({ type: 'proposal.submit', title: 'One', rationale: 'r', files: files('one.txt') })) as Proposal;
    const press = buttonPayload(e.ctx(admin), encodeCustomId({ action: 'approve', id: p1.id }), { content: `📝 Proposal ${p1.id} waits` });
    const a = await post(press);
    assert.equal(a.type, 6, 'a button that applies files defers the update');
    const edit = await e.fake.until(() => e.fake.webhookEdits.find((w) => w.token === press.token), 10_000, 'the button follow-up');
    const body = edit.body as { content: string; components: unknown[] };
    assert.match(body.content, new RegExp(`^📝 Proposal ${p1.id} waits\\n✅ .*applied`));
    assert.deepEqual(body.components, [], 'the buttons are gone once decided');
    assert.ok(existsSync(path.join(e.root, 'one.txt')));

    const p2 = (await e.conn.call({ type: 'proposal.submit', title: 'Two', rationale: 'r', files: files('two.txt') })) as Proposal;
    const modal = await post(buttonPayload(e.ctx(admin), encodeCustomId({ action: 'reject', id: p2.id })));
    assert.equal(modal.type, 9);
    assert.equal(modal.data?.custom_id, encodeCustomId({ action: 'reject', id: p2.id }));
    const empty = await post(modalPayload(e.ctx(admin), modal.data!.custom_id!, { reason: '  ' }));
    assert.match(empty.data?.content ?? '', /Say why/);
    const rejected = await post(modalPayload(e.ctx(admin), modal.data!.custom_id!, { reason: 'Not this way' }, { content: 'proposal two' }));
    assert.equal(rejected.type, 7);
    assert.match(rejected.data?.content ?? '', /^proposal two\n❌ Rejected by ada: Not this way/);
    assert.equal(((await e.conn.call({ type: 'proposal.show', proposalId: p2.id })) as Proposal).status, 'rejected');

    // Approving it now fails after the deferral: the presser alone hears why, the notification stays.
    const late = buttonPayload(e.ctx(admin), encodeCustomId({ action: 'approve', id: p2.id }));
    assert.equal((await post(late)).type, 6);
    const why = await e.fake.until(() => e.fake.followUps.find((f) => f.token === late.token), 10_000, 'the ephemeral follow-up');
    assert.equal((why.body as { flags: number }).flags, 64);
    assert.match((why.body as { content: string }).content, new RegExp(`⚠️ Proposal ${p2.id} is rejected; it cannot become approved`));
    assert.ok(!e.fake.webhookEdits.some((w) => w.token === late.token), 'the notification was not overwritten');

    const t = (await e.conn.call({ type: 'task.add', title: 'Flaky' })) as Task;
    const agent = (await e.conn.call({ type: 'agent.register', name: 'retry-agent', capabilities: [] })) as Agent;
    const { lease } = (await e.conn.call({ type: 'task.claim', taskId: t.id, agentId: agent.id })) as { lease: { token: number } };
    await e.conn.call({ type: 'task.fail', taskId: t.id, token: lease.token, reason: 'tests failed' });
    const retry = await post(buttonPayload(e.ctx(admin), encodeCustomId({ action: 'retry', id: t.id })));
    assert.equal(retry.type, 7);
    assert.match(retry.data?.content ?? '', /Sent back to ready by ada/);

    const guestPress = await post(buttonPayload(e.ctx(guest), encodeCustomId({ action: 'retry', id: t.id })));
    assert.equal(guestPress.type, 4);
    assert.match(guestPress.data?.content ?? '', /You may not use Retry on a task/);
    const forgedButton = await post(buttonPayload(e.ctx(admin), 'dreamos:1:retry:prp_0123456789ab'));
    assert.match(forgedButton.data?.content ?? '', /invalid id/);
  });

  it('rate-limits each person politely', async () => {
    const spammer = person('spammer');
    const answers: Answer[] = [];
    for (let i = 0; i < 9; i++) answers.push(await post(commandPayload(e.ctx(spammer), 'status')));
    assert.ok(answers.slice(0, 8).every((a) => /Dream\.OS/.test(a.data?.content ?? '')), 'a burst of 8 is fine');
    assert.equal(answers[8]!.data?.flags, 64);
    assert.match(answers[8]!.data?.content ?? '', /Easy there.*Try again in \d+ seconds?/);
    const other = await post(commandPayload(e.ctx(person('calm')), 'status'));
    assert.doesNotMatch(other.data?.content ?? '', /Easy there/);
  });

  it('fuzz: signed garbage never crashes the endpoint', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const valid = commandPayload(e.ctx(admin), 'tasks', [s('status', 'ready')]);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 60; i++) {
      const copy = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
      const keys = Object.keys(copy);
      for (let k = 0; k < 3; k++) {
        const key = keys[Math.floor(rand() * keys.length)]!;
        copy[key] = [null, 42, 'x'.repeat(Math.floor(rand() * 3000)), [], { nested: { deeper: [1, 2, 3] } }, true][Math.floor(rand() * 6)];
      }
      copy.member = rand() < 0.5 ? copy.member : { user: { id: snowflake(), username: 'fuzz' }, roles: [] };
      const r = await postInteraction(e.url, copy, e.keys);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      assert.ok(r.status === 200 || r.status === 400, `status ${r.status}: ${r.body}`);
      if (r.status === 400) assert.match(r.body, /Not a Discord interaction/);
    }
    const ping = await postInteraction(e.url, pingPayload(e.fake.applicationId), e.keys);
    assert.equal(ping.status, 200, 'still alive');
  });
});

describe('Discord interactions endpoint: deferring slow answers', () => {
  let e: Env;
  const admin = person('ada', [ADMIN_ROLE]);
  before(async () => (e = await setUp({ deferAfterMs: 100 }, { 'task.list': 600 })));
  after(async () => tearDown(e));

  it('defers a command that is not done within the budget and completes it by PATCH @original', async () => {
    await e.conn.call({ type: 'task.add', title: 'Slow to list' });
    const payload = commandPayload(e.ctx(admin), 'tasks');
    const t0 = Date.now();
    const r = await postInteraction(e.url, payload, e.keys);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { type: 5, data: { flags: 64 } }, 'deferred, and the answer stays private');
    assert.ok(r.elapsedMs < 500, `answered within the budget (${r.elapsedMs} ms)`);
    const edit = await e.fake.until(() => e.fake.webhookEdits.find((w) => w.token === payload.token), 5_000, 'the follow-up');
    assert.match((edit.body as { content: string }).content, /Slow to list/);
    assert.ok(edit.at - t0 >= 550, `the follow-up came after the slow work (${edit.at - t0} ms)`);
    await e.plane.dispatcher.idle();
  });
});

describe('Discord interactions endpoint without a bot token', () => {
  it('still answers, and the status says what is missing', async () => {
    const fake = await FakeDiscord.start();
    const conn = await memoryConnection();
    const keys = appKeys();
    const config = parseDiscordConfig({ applicationId: fake.applicationId, guildId: fake.guildId, publicKey: keys.publicKeyHex, transport: 'interactions', interactions: { port: 0 }, apiBaseUrl: fake.apiBaseUrl });
    const plane = await startDiscord({ config, board: conn });
    try {
      assert.equal(plane.status.current.state, 'degraded');
      assert.match(plane.status.current.message, /^Answering Discord interactions at http:\/\/127\.0\.0\.1:\d+\/interactions\. No bot token/);
      assert.match(plane.status.current.fix ?? '', /Set Discord Bot Token/);
      assert.equal(plane.notifier, undefined);
      const r = await postInteraction(plane.endpoint!.url, commandPayload({ applicationId: fake.applicationId, guildId: fake.guildId, who: person('ada') }, 'status'), keys);
      assert.match((r.json() as Answer).data?.content ?? '', /Dream\.OS/);
      assert.equal(fake.requests.length, 0, 'nothing was sent to Discord');
    } finally {
      await plane.close();
      await fake.close();
      conn.close();
    }
  });
});
