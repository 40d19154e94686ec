import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DreamError } from '../../src/core/errors';
import { mayRun, UserRateLimiter } from '../../src/integrations/discord/access';
import { buttonsFor, decodeCustomId, encodeCustomId } from '../../src/integrations/discord/components';
import { COMMAND_NAMES, parseDiscordConfig, READ_COMMANDS } from '../../src/integrations/discord/discordConfig';
import { loadDiscordJs } from '../../src/integrations/discord/discordjs';
import { explainDiscordError } from '../../src/integrations/discord/discordErrors';
import { compose, type Notice } from '../../src/integrations/discord/outbox';
import { parseInteraction, type CommandData } from '../../src/integrations/discord/payloads';
import { parseInvocation, SLASH_COMMANDS } from '../../src/integrations/discord/slashCommands';

const APP = '112233445566778899';
const GUILD = '998877665544332211';
const USER = '123123123123123123';
const ROLE = '456456456456456456';

const data = (name: string, options: unknown[] = []): CommandData => ({ id: '100000000000000001', name, type: 1, options }) as CommandData;
const str = (name: string, value: unknown) => ({ name, type: 3, value });

/** A small seeded PRNG so a failing fuzz case can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function garbage(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * 12);
  const strings = ['', 'status', 'task', 'add', '@everyone', 'tsk_0123456789ab', 'prp_0123456789ab', '💥'.repeat(3), 'x'.repeat(7_000), '__proto__', 'constructor', '\u0000', APP];
  switch (pick) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return r() < 0.5;
    case 3:
      return [0, 1, 2, 3, 4, 5, -1, 1e308, NaN, 2 ** 53 + 1][Math.floor(r() * 10)];
    case 4:
    case 5:
      return strings[Math.floor(r() * strings.length)];
    case 6:
    case 7:
      if (depth > 4) return {};
      return Array.from({ length: Math.floor(r() * 4) }, () => garbage(r, depth + 1));
    default: {
      if (depth > 4) return 'deep';
      const keys = ['type', 'id', 'name', 'options', 'value', 'data', 'token', 'member', 'user', 'roles', 'custom_id', 'components', 'guild_id', 'application_id', '__proto__'];
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 6); i > 0; i--) o[keys[Math.floor(r() * keys.length)]!] = garbage(r, depth + 1);
      return o;
    }
  }
}

function validCommand(name: string, options: unknown[]) {
  return {
    id: '200000000000000001',
    application_id: APP,
    type: 2,
    token: 'tok',
    guild_id: GUILD,
    member: { user: { id: USER, username: 'ada' }, roles: [] },
    data: { id: '100000000000000001', name, type: 1, options },
  };
}

/** Mutates one random spot of a valid payload: drop, retype or replace a field, anywhere in the tree. */
function mutate(r: () => number, v: unknown): unknown {
  if (v === null || typeof v !== 'object') return r() < 0.5 ? garbage(r) : v;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(v) ? [...v] : { ...(v as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (!keys.length) return garbage(r);
  const k = keys[Math.floor(r() * keys.length)]!;
  const roll = r();
  if (roll < 0.2) delete (copy as Record<string, unknown>)[k];
  else if (roll < 0.5) (copy as Record<string, unknown>)[k] = garbage(r);
  else (copy as Record<string, unknown>)[k] = mutate(r, (copy as Record<string, unknown>)[k]);
  return copy;
}

describe('slash command parsing', () => {
  it('parses each command into typed arguments', () => {
    assert.deepEqual(parseInvocation(data('status')), { ok: true, value: { name: 'status', args: {} } });
    assert.deepEqual(parseInvocation(data('tasks', [str('status', 'failed')])), { ok: true, value: { name: 'tasks', args: { status: 'failed' } } });
    const add = parseInvocation(data('task', [{ name: 'add', type: 1, options: [str('title', '  Fix the parser '), str('priority', 'high'), str('kind', 'bug')] }]));
    assert.deepEqual(add, { ok: true, value: { name: 'task add', args: { title: 'Fix the parser', priority: 'high', kind: 'bug' } } });
    assert.equal(parseInvocation(data('task', [{ name: 'show', type: 1, options: [str('id', 'tsk_0123456789ab')] }])).ok, true);
    assert.equal(parseInvocation(data('approve', [str('proposal', 'prp_0123456789ab'), { name: 'override', type: 5, value: true }])).ok, true);
    assert.equal(parseInvocation(data('reject', [str('proposal', 'prp_0123456789ab'), str('reason', 'too big')])).ok, true);
    assert.equal(parseInvocation(data('message', [str('agent', 'claude-1'), str('text', 'please add tests')])).ok, true);
    assert.equal(parseInvocation(data('devlog', [{ name: 'count', type: 4, value: 5 }])).ok, true);
    for (const name of ['pause', 'resume', 'claim']) assert.equal(typeof parseInvocation(data(name, name === 'claim' ? [str('agent', 'a')] : [])).ok, 'boolean');
  });

  it('says what is wrong, naming the option', () => {
    const cases: [CommandData, RegExp][] = [
      [data('task', [{ name: 'add', type: 1, options: [str('title', '   ')] }]), /\/task add.*title: a task needs a title/],
      [data('task', [{ name: 'show', type: 1, options: [str('id', 'tsk_nothex')] }]), /id: expected an id such as tsk_0123456789ab/],
      [data('approve', [str('proposal', 'tsk_0123456789ab')]), /proposal: expected a proposal id/],
      [data('reject', [str('proposal', 'prp_0123456789ab')]), /reason/],
      [data('tasks', [str('status', 'sleeping')]), /status/],
      [data('devlog', [{ name: 'count', type: 4, value: 500 }]), /count/],
      [data('status', [str('surprise', 'x')]), /surprise/],
      [data('frobnicate'), /Dream.OS has no \/frobnicate.*\/status/],
      [data('task', [{ name: 'delete', type: 1, options: [] }]), /no \/task delete/],
      [data('tasks', [str('status', 'ready'), str('status', 'done')]), /twice/],
      [data('task', [{ name: 'add', type: 1, options: [] }, { name: 'show', type: 1, options: [] }]), /one subcommand/],
    ];
    for (const [d, re] of cases) {
      const r = parseInvocation(d);
      assert.equal(r.ok, false, `${JSON.stringify(d)} should fail`);
      if (!r.ok) assert.match(r.message, re);
    }
  });

  it('defines every slash command Discord accepts (names, lengths, choices)', () => {
    assert.deepEqual(SLASH_COMMANDS.map((c) => c.name).sort(), ['approve', 'claim', 'devlog', 'message', 'pause', 'reject', 'resume', 'status', 'task', 'tasks']);
    const walk = (o: { name: string; description: string; options?: unknown[]; choices?: unknown[] }) => {
      assert.match(o.name, /^[-_\p{L}\p{N}]{1,32}$/u);
      assert.ok(o.description.length >= 1 && o.description.length <= 100, `${o.name}: description length`);
      assert.ok((o.options?.length ?? 0) <= 25 && (o.choices?.length ?? 0) <= 25);
      for (const c of (o.options ?? []) as (typeof o)[]) walk(c);
    };
    for (const c of SLASH_COMMANDS) walk(c);
    assert.ok(JSON.stringify(SLASH_COMMANDS).length < 8_000, 'Discord caps a command set at 8,000 characters of names and descriptions');
  });

  it('fuzz: random and mutated payloads never throw and always explain themselves', () => {
    const r = rng(0xd15c0);
    const templates = [
      validCommand('status', []),
      validCommand('task', [{ name: 'add', type: 1, options: [str('title', 'x')] }]),
      validCommand('reject', [str('proposal', 'prp_0123456789ab'), str('reason', 'no')]),
      { ...validCommand('x', []), type: 3, data: { custom_id: encodeCustomId({ action: 'retry', id: 'tsk_0123456789ab' }), component_type: 2 } },
      { id: '200000000000000001', application_id: APP, type: 1 },
    ];
    let accepted = 0;
    for (let i = 0; i < 3_000; i++) {
      const input = i % 3 === 0 ? garbage(r) : mutate(r, mutate(r, templates[i % templates.length]));
      const parsed = parseInteraction(input);
      if (!parsed.ok) {
        assert.ok(parsed.message.length > 20 && parsed.message.length < 2_000, parsed.message);
        continue;
      }
      accepted++;
      const v = parsed.value;
      if (v.type === 2 || v.type === 4) {
        const inv = parseInvocation(v.data);
        if (!inv.ok) assert.ok(inv.message.length > 10 && inv.message.length < 2_000, inv.message);
      }
      if (v.type === 3 || v.type === 5) {
        const d = decodeCustomId(v.data.custom_id);
        if (!d.ok) assert.ok(d.message.length > 10);
      }
    }
    assert.ok(accepted > 100, `some mutated payloads stay valid (${accepted})`);
  });
});

describe('buttons', () => {
  it('round-trips a custom_id and refuses anything else', () => {
    const id = encodeCustomId({ action: 'approve', id: 'prp_0123456789ab' });
    assert.ok(id.length <= 100);
    assert.deepEqual(decodeCustomId(id), { ok: true, value: { action: 'approve', id: 'prp_0123456789ab' } });
    for (const bad of ['', 'other:approve', 'dreamos:1:approve:tsk_0123456789ab', 'dreamos:1:retry:prp_0123456789ab', 'dreamos:1:delete:tsk_0123456789ab', 'dreamos:1:approve:prp_0123456789ab:x', 'dreamos:2:approve:prp_0123456789ab']) {
      const r = decodeCustomId(bad);
      assert.equal(r.ok, false, bad);
    }
    const row = buttonsFor({ kind: 'proposal', id: 'prp_0123456789ab' });
    assert.deepEqual(row.components.map((c) => decodeCustomId(c.custom_id).ok), [true, true]);
  });
});

describe('permissions and rate limits', () => {
  const who = (roles: string[] = [], id = USER) => ({ id, name: 'ada', roles });
  const perms = (p: unknown = {}) => parseDiscordConfig({ applicationId: APP, guildId: GUILD, permissions: p }).permissions;

  it('lets everyone read and nobody write by default', () => {
    for (const c of COMMAND_NAMES) assert.equal(mayRun(perms(), who(), c).allowed, READ_COMMANDS.has(c), c);
    const denied = mayRun(perms(), who(), 'approve');
    assert.ok(!denied.allowed && /changes the board.*permissions/.test(denied.message));
  });

  it('allows admins everything and listed roles or users their commands only', () => {
    const p = perms({ admins: { roles: [ROLE] }, commands: { 'task add': { users: [USER] }, status: { roles: ['777777777777777777'] } } });
    assert.equal(mayRun(p, who([ROLE], '999999999999999999'), 'approve').allowed, true);
    assert.equal(mayRun(p, who(), 'task add').allowed, true);
    assert.equal(mayRun(p, who(), 'approve').allowed, false);
    assert.equal(mayRun(p, who(), 'status').allowed, false, 'a listed read command is limited to its list');
    assert.equal(mayRun(perms({ readForEveryone: false }), who(), 'tasks').allowed, false);
  });

  it('gives each person a token bucket', () => {
    let now = 0;
    const l = new UserRateLimiter(3, 60, () => now);
    assert.deepEqual([l.take('a'), l.take('a'), l.take('a')], [0, 0, 0]);
    const wait = l.take('a');
    assert.ok(wait > 0 && wait <= 1_000, `waits about a second (${wait})`);
    assert.equal(l.take('b'), 0, 'another person is not slowed down');
    now += 1_000;
    assert.equal(l.take('a'), 0, 'refilled');
  });
});

describe('settings', () => {
  it('fills defaults and names every wrong field', () => {
    const c = parseDiscordConfig({ applicationId: APP, guildId: GUILD });
    assert.equal(c.transport, 'gateway');
    assert.equal(c.categoryName, 'Dream.OS');
    assert.ok(c.notifications.rules.some((r) => r.on === 'proposal.waiting'));
    assert.equal(c.interactions.port, 8975);
    assert.throws(
      () => parseDiscordConfig({ applicationId: 'abc', guildId: GUILD, transport: 'interactions', notifications: { rules: [{ on: 'task.exploded', channel: 'Alerts!' }] } }),
      (e: unknown) => e instanceof DreamError && /applicationId: expected a Discord id/.test(e.message) && /notifications\.rules\[0\]\.on: must be one of task\.failed, /.test(e.message) && /rules\[0\]\.channel/.test(e.message),
    );
    assert.throws(() => parseDiscordConfig({ applicationId: APP, guildId: GUILD, transport: 'interactions' }), /publicKey: the interactions transport verifies every request/);
    assert.throws(() => parseDiscordConfig({ applicationId: APP, guildId: GUILD, surprise: 1 }), /surprise|Unrecognized/);
  });
});

describe('digest messages', () => {
  it('sends one notice as itself, with its buttons', () => {
    const body = compose([{ line: 'one', text: 'one, in full', buttons: buttonsFor({ kind: 'task', id: 'tsk_0123456789ab' }) }]);
    assert.equal(body.content, 'one, in full');
    assert.equal(body.components?.length, 1);
    assert.deepEqual(body.allowed_mentions, { parse: [] });
  });

  it('turns 100 notices into one digest under 2,000 characters', () => {
    const notices: Notice[] = Array.from({ length: 100 }, (_, i) => ({ line: `Task ${i} failed: ${'because '.repeat(5)}`, buttons: buttonsFor({ kind: 'task', id: `tsk_${i.toString(16).padStart(12, '0')}` }), ref: `#${i}` }));
    const body = compose(notices);
    assert.ok(body.content.length <= 2_000, `${body.content.length}`);
    assert.match(body.content, /^\*\*Dream\.OS — 100 updates\*\*/);
    assert.match(body.content, /…and \d+ more \(see \/devlog\)$/);
    assert.equal(body.components?.length, 5, 'at most 5 rows of buttons');
    assert.match(body.components![0]!.components[0]!.label, /#0$/, 'digest buttons say which item they are for');
  });

  it('pings only the roles a rule names, never @everyone from text', () => {
    const body = compose([{ line: '@everyone look', mentionRoles: [ROLE] }]);
    assert.deepEqual(body.allowed_mentions, { parse: [], roles: [ROLE] });
    assert.match(body.content, new RegExp(`^<@&${ROLE}> @everyone look`));
  });
});

describe('what to fix', () => {
  it('maps Discord failures to the fix', () => {
    assert.match(explainDiscordError({ code: 'TokenInvalid', message: 'An invalid token was provided.' }).fix, /Set Discord Bot Token|DREAMOS_DISCORD_TOKEN/);
    assert.equal(explainDiscordError({ code: 'TokenInvalid' }).fatal, true);
    assert.match(explainDiscordError(new Error('Used disallowed intents')).fix, /Privileged Gateway Intents/);
    assert.match(explainDiscordError({ closeCode: 4014 }).fix, /Privileged Gateway Intents/);
    assert.match(explainDiscordError({ code: 50013, status: 403, message: 'Missing Permissions' }).fix, /Manage Channels.*Create Public Threads/);
    assert.match(explainDiscordError({ code: 10004, status: 404 }).fix, /guild id/);
    assert.match(explainDiscordError({ status: 401, code: 0 }).message, /refused the bot token/);
    assert.match(explainDiscordError({ code: 'ECONNREFUSED' }).message, /could not be reached/);
  });

  it('reports a missing discord.js as something to install, not a crash', async () => {
    await assert.rejects(
      loadDiscordJs(() => import('discord-js-that-is-not-installed' as string)),
      (e: unknown) => e instanceof DreamError && e.code === 'unavailable' && /npm install discord\.js/.test(e.message),
    );
    const p = explainDiscordError(await loadDiscordJs(() => Promise.reject(Object.assign(new Error('x'), { code: 'MODULE_NOT_FOUND' }))).catch((e: unknown) => e));
    assert.match(p.fix, /npm install discord\.js/);
    assert.equal(p.fatal, true);
  });
});
