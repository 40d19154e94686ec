/**
 * What Discord sends: interaction payloads shaped like the real ones (ids, member, token, version,
 * locale, ...) and Ed25519-signed POSTs to an interactions endpoint, with a real key pair.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { request } from 'node:http';
import { snowflake } from './fakeDiscord';

export interface AppKeys {
  publicKeyHex: string;
  privateKey: KeyObject;
  /** Discord's signature: Ed25519 over timestamp + raw body, hex. */
  sign(timestamp: string, rawBody: string | Buffer): string;
}

export function appKeys(): AppKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return {
    publicKeyHex: raw.toString('hex'),
    privateKey,
    sign: (timestamp, rawBody) => sign(null, Buffer.concat([Buffer.from(timestamp), Buffer.from(rawBody)]), privateKey).toString('hex'),
  };
}

export interface Person {
  id: string;
  username: string;
  roles: string[];
}

export const person = (username: string, roles: string[] = []): Person => ({ id: snowflake(), username, roles });

function base(type: number, ctx: { applicationId: string; guildId: string; who: Person; channelId?: string }) {
  return {
    id: snowflake(),
    application_id: ctx.applicationId,
    type,
    token: `aW50ZXJhY3Rpb246${snowflake()}:${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`,
    version: 1,
    guild_id: ctx.guildId,
    channel_id: ctx.channelId ?? snowflake(),
    channel: { id: ctx.channelId ?? snowflake(), type: 0, guild_id: ctx.guildId, name: 'general', flags: 0 },
    guild: { id: ctx.guildId, locale: 'en-US', features: [] },
    member: {
      user: { id: ctx.who.id, username: ctx.who.username, global_name: null, discriminator: '0', avatar: null, public_flags: 0 },
      roles: ctx.who.roles,
      nick: null,
      avatar: null,
      joined_at: '2024-01-01T00:00:00.000000+00:00',
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      permissions: '2248473465835073',
    },
    app_permissions: '2248473465835073',
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': ctx.guildId },
    context: 0,
    attachment_size_limit: 10_485_760,
  };
}

export type Opt = { name: string; type: number; value?: string | number | boolean; options?: Opt[] };
export const s = (name: string, value: string): Opt => ({ name, type: 3, value });
export const n = (name: string, value: number): Opt => ({ name, type: 4, value });
export const b = (name: string, value: boolean): Opt => ({ name, type: 5, value });
export const sub = (name: string, options: Opt[]): Opt => ({ name, type: 1, options });

export function commandPayload(ctx: { applicationId: string; guildId: string; who: Person }, name: string, options: Opt[] = []) {
  return { ...base(2, ctx), data: { id: snowflake(), name, type: 1, options, guild_id: ctx.guildId } };
}

export function buttonPayload(ctx: { applicationId: string; guildId: string; who: Person }, customId: string, message = { content: 'notification' }) {
  return {
    ...base(3, ctx),
    data: { custom_id: customId, component_type: 2 },
    message: { id: snowflake(), channel_id: snowflake(), type: 0, content: message.content, components: [], author: { id: snowflake(), username: 'dreamos-bot', bot: true }, timestamp: new Date().toISOString(), embeds: [], attachments: [], flags: 0 },
  };
}

export function modalPayload(ctx: { applicationId: string; guildId: string; who: Person }, customId: string, fields: Record<string, string>, message = { content: 'notification' }) {
  return {
    ...base(5, ctx),
    data: { custom_id: customId, components: Object.entries(fields).map(([k, v]) => ({ type: 1, components: [{ type: 4, custom_id: k, value: v }] })) },
    message: { id: snowflake(), channel_id: snowflake(), type: 0, content: message.content, components: [], author: { id: snowflake(), username: 'dreamos-bot', bot: true }, timestamp: new Date().toISOString(), embeds: [], attachments: [], flags: 0 },
  };
}

export function pingPayload(applicationId: string) {
  return { id: snowflake(), application_id: applicationId, type: 1, token: 'ping-token', version: 1, user: { id: snowflake(), username: 'discord', discriminator: '0000' } };
}

export interface PostResult {
  status: number;
  body: string;
  json: () => unknown;
  elapsedMs: number;
}

/** POSTs like Discord does: signed headers over the exact bytes sent. Overrides forge or drop them. */
export function postInteraction(
  url: string,
  payload: unknown,
  keys: AppKeys,
  o: { timestamp?: string; signature?: string | null; timestampHeader?: string | null; rawBody?: string } = {},
): Promise<PostResult> {
  const raw = o.rawBody ?? JSON.stringify(payload);
  const timestamp = o.timestamp ?? String(Math.floor(Date.now() / 1000));
  const signature = o.signature === undefined ? keys.sign(timestamp, raw) : o.signature;
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'Discord-Interactions/1.0 (+https://discord.com)' };
  if (signature !== null) headers['X-Signature-Ed25519'] = signature;
  if (o.timestampHeader !== null) headers['X-Signature-Timestamp'] = o.timestampHeader ?? timestamp;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, json: () => JSON.parse(body) as unknown, elapsedMs: Date.now() - started }));
    });
    req.on('error', reject);
    req.end(raw);
  });
}
