/**
 * Board events → Discord, through discord.js's REST client pointed at a local stand-in for Discord:
 * the category and channels are created, a thread per task is opened and archived, notifications
 * carry buttons, a burst becomes one digest, and the client waits out a 429 and the bucket limits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Agent, Task } from '../../src/core/board/boardModel';
import { ChannelDirectory } from '../../src/integrations/discord/channels';
import { parseDiscordConfig, type DiscordConfigInput } from '../../src/integrations/discord/discordConfig';
import { startDiscord, type DiscordControlPlane } from '../../src/integrations/discord/controlPlane';
import { decodeCustomId } from '../../src/integrations/discord/components';
import { loadDiscordJs } from '../../src/integrations/discord/discordjs';
import { messageBody } from '../../src/integrations/discord/payloads';
import { createRest, DiscordApi } from '../../src/integrations/discord/rest';
import { memoryConnection, type MemoryConnection } from './dashboardServerHelpers';
import { FakeDiscord, snowflake, type FakeDiscordOptions } from './helpers/fakeDiscord';

const REVIEWERS = snowflake();

interface Env {
  fake: FakeDiscord;
  conn: MemoryConnection;
  plane: DiscordControlPlane;
}

async function setUp(fakeOpts: FakeDiscordOptions = {}, notifications: DiscordConfigInput['notifications'] = {}): Promise<Env> {
  const fake = await FakeDiscord.start(fakeOpts);
  const conn = await memoryConnection();
  const config = parseDiscordConfig({
    applicationId: fake.applicationId,
    guildId: fake.guildId,
    publicKey: 'ab'.repeat(32),
    transport: 'interactions',
    interactions: { port: 0 },
    apiBaseUrl: fake.apiBaseUrl,
    notifications: {
      coalesceMs: 400,
      rules: [
        { on: 'task.failed', channel: 'alerts' },
        { on: 'agent.stalled', channel: 'alerts' },
        { on: 'proposal.waiting', channel: 'proposals', mentionRoles: [REVIEWERS] },
        { on: 'task.done', channel: 'status' },
        { on: 'swarm.idle', channel: 'idle' },
      ],
      ...notifications,
    },
  });
  const plane = await startDiscord({ config, board: conn, token: fake.token });
  return { fake, conn, plane };
}

async function tearDown(e: Env) {
  await e.plane.close();
  await e.fake.close();
  e.conn.close();
}

/** Waits until every event so far is handled and every notice sent. */
async function settle(e: Env) {
  await new Promise((r) => setImmediate(r));
  await e.plane.notifier!.idle();
  await e.plane.outbox!.drain();
}

describe('Discord notifications over REST', () => {
  let e: Env;
  before(async () => (e = await setUp()));
  after(async () => tearDown(e));

  it('opens a thread when work starts, reports the failure with a Retry button, archives the thread at the end', async () => {
    const agent = (await e.conn.call({ type: 'agent.register', name: 'codex-2', capabilities: [] })) as Agent;
    const task = (await e.conn.call({ type: 'task.add', title: 'Port the lexer' })) as Task;
    const { lease } = (await e.conn.call({ type: 'task.claim', taskId: task.id, agentId: agent.id })) as { lease: { token: number } };
    await e.conn.call({ type: 'task.start', taskId: task.id, token: lease.token });
    await e.conn.call({ type: 'task.fail', taskId: task.id, token: lease.token, reason: '3 tests still fail' });
    await settle(e);

    const category = e.fake.channelNamed('Dream.OS', 4);
    assert.ok(category, 'the category was created');
    for (const name of ['alerts', 'work']) assert.equal(e.fake.channelNamed(name, 0)?.parent_id, category.id, `#${name} is under the category`);
    const creations = e.fake.requests.filter((r) => r.route === 'POST /guilds/:id/channels' && (r.body as { type: number }).type === 4);
    assert.equal(creations.length, 1, 'one category, however many channels');

    const thread = [...e.fake.channels.values()].find((c) => c.type === 11);
    assert.ok(thread);
    assert.equal(thread.name, `${task.id} · Port the lexer`);
    assert.equal(thread.parent_id, e.fake.channelNamed('work', 0)!.id);
    const said = e.fake.messagesIn(thread.id).map((m) => m.content).join('\n');
    assert.match(said, /claimed/);
    assert.match(said, /failed.*3 tests still fail/);
    assert.equal(thread.thread_metadata?.archived, true, 'archived once the work is over');
    const lastPost = e.fake.requests.filter((r) => r.path === `/channels/${thread.id}/messages`).at(-1)!;
    const archive = e.fake.requests.find((r) => r.route === 'PATCH /channels/:id' && r.path.includes(thread.id))!;
    assert.ok(archive.at >= lastPost.at, 'archived after its last message');

    const alert = e.fake.messagesIn(e.fake.channelNamed('alerts', 0)!.id).at(-1)!;
    assert.match(alert.content, new RegExp(`❌ Task \`${task.id}\` \\*\\*Port the lexer\\*\\* failed: 3 tests still fail`));
    const button = (alert.components as { components: { custom_id: string; label: string }[] }[])[0]!.components[0]!;
    assert.deepEqual(decodeCustomId(button.custom_id), { ok: true, value: { action: 'retry', id: task.id } });
    assert.deepEqual(alert.allowed_mentions, { parse: [] });

    await e.fake.until(() => e.fake.channelNamed('idle', 0) && e.fake.messagesIn(e.fake.channelNamed('idle', 0)!.id).length > 0, 5_000, 'the swarm idle notice');
    assert.match(e.fake.messagesIn(e.fake.channelNamed('idle', 0)!.id)[0]!.content, /swarm is idle.*1 failed/);
  });

  it('a retried task reopens its archived thread', async () => {
    const task = ((await e.conn.call({ type: 'task.list', status: ['failed'] })) as Task[])[0]!;
    const agent = (await e.conn.call({ type: 'agent.show', agent: 'codex-2' })) as Agent;
    await e.conn.call({ type: 'task.retry', taskId: task.id });
    await e.conn.call({ type: 'task.claim', taskId: task.id, agentId: agent.id });
    await settle(e);
    const threads = [...e.fake.channels.values()].filter((c) => c.type === 11);
    assert.equal(threads.length, 1, 'the same thread, not a new one');
    assert.equal(threads[0]!.thread_metadata?.archived, false);
  });

  it('posts a proposal waiting for review with Approve / Reject buttons, pinging only the reviewers role', async () => {
    const p = (await e.conn.call({ type: 'proposal.submit', title: 'Faster lexer', rationale: 'r', files: [{ path: 'a.txt', op: 'create', baseHash: null, content: 'a', added: 1, removed: 0 }] })) as { id: string };
    await settle(e);
    const m = e.fake.messagesIn(e.fake.channelNamed('proposals', 0)!.id).at(-1)!;
    assert.match(m.content, new RegExp(`^<@&${REVIEWERS}> 📝 Proposal \`${p.id}\` \\*\\*Faster lexer\\*\\* waits for review \\(1 file\\)`));
    assert.deepEqual(m.allowed_mentions, { parse: [], roles: [REVIEWERS] });
    const actions = (m.components as { components: { custom_id: string }[] }[])[0]!.components.map((c) => decodeCustomId(c.custom_id));
    assert.deepEqual(actions, [
      { ok: true, value: { action: 'approve', id: p.id } },
      { ok: true, value: { action: 'reject', id: p.id } },
    ]);
  });

  it('tells #alerts when an agent stalls', async () => {
    await e.conn.call({ type: 'agent.lifecycle', agent: 'codex-2', action: 'stall', reason: 'no heartbeat for 120 s' });
    await settle(e);
    assert.match(e.fake.messagesIn(e.fake.channelNamed('alerts', 0)!.id).at(-1)!.content, /⚠️ Agent \*\*codex-2\*\* stalled: no heartbeat for 120 s/);
  });

  it('coalesces a burst of 100 events into one digest message', async () => {
    const { created } = (await e.conn.call({ type: 'board.import', file: { tasks: Array.from({ length: 100 }, (_, i) => ({ title: `Chore ${i + 1}` })) } })) as { created: Task[] };
    const before = e.fake.requests.filter((r) => r.route === 'POST /channels/:id/messages').length;
    // A burst: 100 transitions committed back to back, pushed to the notifier together.
    for (const t of created) e.conn.board.run({ type: 'task.done', taskId: t.id, summary: 'done by hand' });
    await e.conn.call({ type: 'board.info' });
    await settle(e);
    const status = e.fake.channelNamed('status', 0)!;
    const digests = e.fake.messagesIn(status.id);
    assert.equal(digests.length, 1, `one message, not ${digests.length}`);
    assert.match(digests[0]!.content, /^\*\*Dream\.OS — 100 updates\*\*\n• ✅ Task `tsk_[0-9a-f]{12}` \*\*Chore 1\*\* done: done by hand/);
    assert.ok(digests[0]!.content.length <= 2_000);
    const posted = e.fake.requests.filter((r) => r.route === 'POST /channels/:id/messages').length - before;
    assert.equal(posted, 1, 'and one request');
  });
});

describe("discord.js's REST client against Discord's rate limits", () => {
  let fake: FakeDiscord;
  let api: DiscordApi;
  let channel: string;
  before(async () => {
    fake = await FakeDiscord.start({ bucketLimit: 2, bucketWindowMs: 400 });
    api = new DiscordApi(createRest(await loadDiscordJs(), { apiBaseUrl: fake.apiBaseUrl, token: fake.token }));
    const dir = new ChannelDirectory(api, fake.guildId, 'Dream.OS');
    channel = await dir.channel('limits');
  });
  after(async () => fake.close());

  it('waits at least Retry-After after a 429, then succeeds once', async () => {
    fake.rateLimitNext('POST /channels/:id/messages', { retryAfterSeconds: 1 });
    const t0 = Date.now();
    await api.postMessage(channel, messageBody('after the 429'));
    const posts = fake.requests.filter((r) => r.route === 'POST /channels/:id/messages');
    const limited = posts.find((r) => r.status === 429)!;
    const ok = posts.find((r) => r.status === 200 && (r.body as { content: string }).content === 'after the 429')!;
    assert.ok(limited && ok);
    const gap = ok.at - limited.at;
    assert.ok(gap >= 950, `waited ${gap} ms after Retry-After: 1`);
    assert.ok(Date.now() - t0 < 4_000);
    assert.equal(fake.messagesIn(channel).filter((m) => m.content === 'after the 429').length, 1);
  });

  it('spaces requests by the X-RateLimit bucket instead of running into 429s', async () => {
    await new Promise((r) => setTimeout(r, 450)); // a fresh bucket
    const start = fake.requests.length;
    await Promise.all(Array.from({ length: 5 }, (_, i) => api.postMessage(channel, messageBody(`burst ${i}`))));
    const posts = fake.requests.slice(start).filter((r) => r.route === 'POST /channels/:id/messages');
    assert.equal(posts.length, 5);
    assert.ok(posts.every((r) => r.status === 200), `no 429s: ${posts.map((r) => r.status).join(',')}`);
    const spread = posts.at(-1)!.at - posts[0]!.at;
    assert.ok(spread >= 700, `5 requests at 2 per 400 ms took ${spread} ms`);
  });

  it('waits out a global 429 too', async () => {
    fake.rateLimitNext('POST /channels/:id/messages', { retryAfterSeconds: 1, global: true });
    await new Promise((r) => setTimeout(r, 450));
    await api.postMessage(channel, messageBody('after the global limit'));
    const posts = fake.requests.filter((r) => r.route === 'POST /channels/:id/messages');
    const limited = posts.filter((r) => r.status === 429).at(-1)!;
    const ok = posts.find((r) => (r.body as { content: string }).content === 'after the global limit' && r.status === 200)!;
    assert.ok(ok.at - limited.at >= 950, `waited ${ok.at - limited.at} ms`);
  });
});

describe('Discord notifications without the permissions they need', () => {
  let e: Env;
  before(async () => (e = await setUp({ denyChannelCreation: true }, { taskThreads: false, agentThreads: false })));
  after(async () => tearDown(e));

  it('turns 50013 into a degraded status saying which permissions to give, and does not hammer Discord', async () => {
    const agent = (await e.conn.call({ type: 'agent.register', name: 'a1', capabilities: [] })) as Agent;
    for (let i = 0; i < 5; i++) {
      const t = (await e.conn.call({ type: 'task.add', title: `t${i}` })) as Task;
      const { lease } = (await e.conn.call({ type: 'task.claim', taskId: t.id, agentId: agent.id })) as { lease: { token: number } };
      await e.conn.call({ type: 'task.fail', taskId: t.id, token: lease.token, reason: 'boom' });
    }
    await settle(e);
    const s = e.plane.status.current;
    assert.equal(s.state, 'degraded');
    assert.match(s.message, /missing a permission/);
    assert.match(s.fix ?? '', /Manage Channels/);
    const attempts = e.fake.requests.filter((r) => r.route === 'POST /guilds/:id/channels');
    assert.equal(attempts.length, 1, 'one failed attempt, then it waits before trying that channel again');
  });
});
