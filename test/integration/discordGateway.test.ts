/**
 * The gateway transport: a real discord.js Client logs in against a local stand-in for Discord
 * (REST /gateway/bot, then the gateway WebSocket: HELLO, IDENTIFY, READY), receives an
 * INTERACTION_CREATE dispatch, runs it on the real board and answers on the callback route.
 * Bad tokens and refused intents end as a status that says what to fix.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Task } from '../../src/core/board/boardModel';
import { DreamError } from '../../src/core/errors';
import { parseDiscordConfig, type DiscordConfig } from '../../src/integrations/discord/discordConfig';
import { runDiscordCommand, startDiscord, type DiscordControlPlane } from '../../src/integrations/discord/controlPlane';
import { DiscordStatusSource, type DiscordStatus } from '../../src/integrations/discord/status';
import { memoryConnection, type MemoryConnection } from './dashboardServerHelpers';
import { FakeDiscord, snowflake, type FakeDiscordOptions } from './helpers/fakeDiscord';
import { commandPayload, person, s, sub } from './helpers/fakeDiscordPayloads';

const ADMIN = snowflake();

function config(fake: FakeDiscord) {
  return parseDiscordConfig({
    applicationId: fake.applicationId,
    guildId: fake.guildId,
    apiBaseUrl: fake.apiBaseUrl,
    permissions: { admins: { roles: [ADMIN] } },
    notifications: { rules: [], taskThreads: false, agentThreads: false },
  });
}

describe('Discord gateway bot (discord.js Client)', () => {
  let fake: FakeDiscord;
  let conn: MemoryConnection;
  let plane: DiscordControlPlane;
  const states: DiscordStatus['state'][] = [];
  before(async () => {
    fake = await FakeDiscord.start();
    conn = await memoryConnection();
    const status = new DiscordStatusSource();
    status.onDidChange((st) => states.push(st.state));
    plane = await startDiscord({ config: config(fake), board: conn, token: fake.token, status });
  });
  after(async () => {
    await plane.close();
    await fake.close();
    conn.close();
  });

  it('logs in with only the Guilds intent and reports ready', () => {
    assert.equal(plane.status.current.state, 'ready');
    assert.equal(plane.status.current.message, 'Connected to Discord as dreamos-bot.');
    assert.deepEqual(states.slice(0, 2), ['connecting', 'ready']);
    assert.deepEqual(fake.identifies, [{ token: fake.token, intents: 1 }]);
    assert.equal(fake.commands.length, 10, 'slash commands registered');
  });

  it('answers an interaction from the gateway on its callback route, running it on the board', async () => {
    const interaction = commandPayload({ applicationId: fake.applicationId, guildId: fake.guildId, who: person('grace', [ADMIN]) }, 'task', [sub('add', [s('title', 'Created over the gateway')])]);
    fake.dispatch('INTERACTION_CREATE', interaction);
    const cb = await fake.until(() => fake.callbacks.find((c) => c.id === interaction.id), 5_000, 'the interaction callback');
    assert.equal(cb.token, interaction.token);
    const body = cb.body as { type: number; data: { content: string } };
    assert.equal(body.type, 4);
    assert.match(body.data.content, /Task created by grace: `tsk_[0-9a-f]{12}` \*\*Created over the gateway\*\*/);
    const req = fake.requests.find((r) => r.route === 'POST /interactions/:id/:token/callback');
    assert.equal(req?.auth, undefined, 'interaction callbacks carry no bot token');
    const tasks = (await conn.call({ type: 'task.list' })) as Task[];
    assert.ok(tasks.some((t) => t.title === 'Created over the gateway'));
  });

  it('answers a command it does not know with what it does know', async () => {
    const interaction = commandPayload({ applicationId: fake.applicationId, guildId: fake.guildId, who: person('grace') }, 'frobnicate');
    fake.dispatch('INTERACTION_CREATE', interaction);
    const cb = await fake.until(() => fake.callbacks.find((c) => c.id === interaction.id), 5_000, 'the callback');
    const body = cb.body as { type: number; data: { content: string; flags: number } };
    assert.equal(body.data.flags, 64);
    assert.match(body.data.content, /Dream\.OS has no \/frobnicate\. It knows \/status/);
    assert.equal(plane.status.current.state, 'ready');
  });
});

describe('Discord gateway errors say what to fix', () => {
  const attempt = async (opts: FakeDiscordOptions, token?: (f: FakeDiscord) => string | undefined, cfg: (c: DiscordConfig) => DiscordConfig = (c) => c) => {
    const fake = await FakeDiscord.start(opts);
    const conn = await memoryConnection();
    const status = new DiscordStatusSource();
    try {
      const err = await startDiscord({ config: cfg(config(fake)), board: conn, token: token ? token(fake) : fake.token, status }).then(
        async (p) => {
          await p.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      return { err, status: status.current, fake };
    } finally {
      await fake.close();
      conn.close();
    }
  };

  it('a bad token', async () => {
    const { err, status } = await attempt({}, () => 'MTIz.bad.token');
    assert.ok(err instanceof DreamError);
    assert.equal(status.state, 'error');
    assert.match(status.message, /refused the bot token/);
    assert.match(status.fix ?? '', /Reset Token.*Set Discord Bot Token.*DREAMOS_DISCORD_TOKEN/);
  });

  it('no token at all', async () => {
    const { err, status } = await attempt({}, () => undefined);
    assert.ok(err instanceof DreamError);
    assert.match(err.message, /needs its token.*Set Discord Bot Token/);
    assert.equal(status.state, 'error');
  });

  it('intents the app may not use (gateway close 4014)', async () => {
    const { err, status } = await attempt({ closeOnIdentify: 4014 });
    assert.ok(err instanceof DreamError);
    assert.equal(status.state, 'error');
    assert.match(status.fix ?? '', /Privileged Gateway Intents/);
  });

  it('an unknown guild id', async () => {
    const { err, status } = await attempt({}, undefined, (c) => ({ ...c, guildId: snowflake() }));
    assert.ok(err instanceof DreamError);
    assert.equal(status.state, 'error');
    assert.match(status.fix ?? '', /guild id/);
  });
});

describe('dreamos discord (the headless hub entry)', () => {
  it('reads <board>/discord.json and DREAMOS_DISCORD_TOKEN, connects, and stops on abort', async () => {
    const fake = await FakeDiscord.start();
    const conn = await memoryConnection();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-discord-cli-'));
    try {
      writeFileSync(path.join(dir, 'discord.json'), JSON.stringify({ applicationId: fake.applicationId, guildId: fake.guildId, apiBaseUrl: fake.apiBaseUrl }));
      const lines: string[] = [];
      const ctrl = new AbortController();
      const run = runDiscordCommand(conn, { boardDir: dir, env: { DREAMOS_DISCORD_TOKEN: fake.token }, signal: ctrl.signal, out: (l) => lines.push(l) });
      await fake.until(() => lines.some((l) => l.startsWith('discord: ready')), 10_000, 'ready');
      assert.equal(fake.connectedBots, 1);
      ctrl.abort();
      assert.equal(await run, 0);
      assert.ok(lines.some((l) => /discord: off/.test(l)));
      await fake.until(() => fake.connectedBots === 0, 5_000, 'the bot to disconnect');

      await assert.rejects(runDiscordCommand(conn, { boardDir: path.join(dir, 'missing'), env: {} }), /No Discord settings at .*discord\.json/);
      writeFileSync(path.join(dir, 'discord.json'), JSON.stringify({ applicationId: 'x', guildId: fake.guildId }));
      await assert.rejects(runDiscordCommand(conn, { boardDir: dir, env: {} }), /cannot use .*discord\.json: applicationId/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await fake.close();
      conn.close();
    }
  });
});
