/**
 * The Discord REST routes Dream.OS uses, over discord.js's REST client. That client owns outbound
 * rate limiting (per-route buckets from X-RateLimit-*, 429 Retry-After, the global limit), so this
 * file never sleeps or retries on its own; it only names routes and checks the answers' shapes.
 */
import { z } from 'zod';
import type { DiscordJsModule } from './discordjs';
import type { InteractionResponse, MessageBody } from './payloads';
import type { SlashCommandDefinition } from './slashCommands';

type Route = `/${string}`;
interface RequestOptions {
  body?: unknown;
  auth?: boolean;
  reason?: string;
}
/** The slice of discord.js's REST this file uses (REST satisfies it; so can a test double). */
export interface RestLike {
  get(route: Route, options?: RequestOptions): Promise<unknown>;
  post(route: Route, options?: RequestOptions): Promise<unknown>;
  put(route: Route, options?: RequestOptions): Promise<unknown>;
  patch(route: Route, options?: RequestOptions): Promise<unknown>;
}

export const ChannelType = { GuildText: 0, GuildCategory: 4, PublicThread: 11 } as const;

export const Channel = z.looseObject({
  id: z.string(),
  type: z.number().int(),
  name: z.string().nullish(),
  parent_id: z.string().nullish(),
  thread_metadata: z.looseObject({ archived: z.boolean().optional() }).optional(),
});
export type Channel = z.infer<typeof Channel>;
const SentMessage = z.looseObject({ id: z.string(), channel_id: z.string() });
export type SentMessage = z.infer<typeof SentMessage>;

export function createRest(djs: DiscordJsModule, opts: { apiBaseUrl: string; token?: string | undefined }): InstanceType<DiscordJsModule['REST']> {
  const rest = new djs.REST({ api: opts.apiBaseUrl, version: '10' });
  if (opts.token) rest.setToken(opts.token);
  return rest;
}

const seg = (s: string) => encodeURIComponent(s);

export class DiscordApi {
  constructor(private readonly rest: RestLike) {}

  async registerCommands(applicationId: string, guildId: string, commands: readonly SlashCommandDefinition[]): Promise<{ id: string; name: string }[]> {
    const r = await this.rest.put(`/applications/${seg(applicationId)}/guilds/${seg(guildId)}/commands`, { body: commands });
    return z.array(z.looseObject({ id: z.string(), name: z.string() })).parse(r);
  }

  async guildChannels(guildId: string): Promise<Channel[]> {
    return z.array(Channel).parse(await this.rest.get(`/guilds/${seg(guildId)}/channels`));
  }

  async activeThreads(guildId: string): Promise<Channel[]> {
    const r = z.looseObject({ threads: z.array(Channel) }).parse(await this.rest.get(`/guilds/${seg(guildId)}/threads/active`));
    return r.threads;
  }

  async createChannel(guildId: string, body: { name: string; type: number; parent_id?: string; topic?: string }): Promise<Channel> {
    return Channel.parse(await this.rest.post(`/guilds/${seg(guildId)}/channels`, { body, reason: 'Dream.OS notifications' }));
  }

  /** A public thread in a text channel, without a starter message. */
  async createThread(channelId: string, name: string): Promise<Channel> {
    return Channel.parse(await this.rest.post(`/channels/${seg(channelId)}/threads`, { body: { name: name.slice(0, 100), type: ChannelType.PublicThread, auto_archive_duration: 10_080 } }));
  }

  async setArchived(threadId: string, archived: boolean): Promise<Channel> {
    return Channel.parse(await this.rest.patch(`/channels/${seg(threadId)}`, { body: { archived } }));
  }

  async postMessage(channelId: string, body: MessageBody): Promise<SentMessage> {
    return SentMessage.parse(await this.rest.post(`/channels/${seg(channelId)}/messages`, { body }));
  }

  /** Finishes a deferred answer (or edits the message a button was on). Interaction routes take no bot token. */
  async editOriginal(applicationId: string, interactionToken: string, body: MessageBody): Promise<void> {
    await this.rest.patch(`/webhooks/${seg(applicationId)}/${seg(interactionToken)}/messages/@original`, { body, auth: false });
  }

  /** A further message for an interaction (e.g. an ephemeral error after a deferred button press). */
  async followUp(applicationId: string, interactionToken: string, body: MessageBody): Promise<void> {
    await this.rest.post(`/webhooks/${seg(applicationId)}/${seg(interactionToken)}`, { body, auth: false });
  }

  /** The first answer to an interaction that arrived over the gateway (the HTTP endpoint answers in its response). */
  async interactionCallback(interactionId: string, interactionToken: string, response: InteractionResponse): Promise<void> {
    await this.rest.post(`/interactions/${seg(interactionId)}/${seg(interactionToken)}/callback`, { body: response, auth: false });
  }
}
