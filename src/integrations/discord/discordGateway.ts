/**
 * The gateway transport: a discord.js Client logged in with the bot token. Interactions arrive as
 * raw INTERACTION_CREATE dispatches and go through the same dispatcher as the HTTP endpoint; the
 * first answer is posted to the interaction's callback route. Only the Guilds intent is asked for
 * (interactions need none; nothing privileged). Connection changes feed the status.
 */
import { DreamError } from '../../core/errors';
import type { DiscordLog } from './dispatcher';
import type { DiscordJsModule } from './discordjs';
import { explainDiscordError } from './discordErrors';
import type { DiscordStatusSource } from './status';

export interface GatewayOptions {
  djs: DiscordJsModule;
  token: string;
  apiBaseUrl: string;
  onInteraction: (raw: unknown) => void;
  status: DiscordStatusSource;
  log?: DiscordLog;
  /** Give up logging in after this long (default 30 s). */
  loginTimeoutMs?: number;
}

export interface GatewayConnection {
  /** The client's REST instance: one set of rate-limit buckets for everything Dream.OS sends. */
  readonly rest: InstanceType<DiscordJsModule['REST']>;
  readonly botName: string;
  readonly applicationId: string | undefined;
  close(): Promise<void>;
}

export async function connectGateway(o: GatewayOptions): Promise<GatewayConnection> {
  const { Client, GatewayIntentBits, GatewayDispatchEvents, Events } = o.djs;
  const log = o.log ?? (() => undefined);
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: o.apiBaseUrl } });
  let closing = false;

  client.ws.on(GatewayDispatchEvents.InteractionCreate, (data: unknown) => o.onInteraction(data));
  client.on(Events.ShardDisconnect, (event: { code: number }) => {
    if (closing) return;
    const p = explainDiscordError({ closeCode: event.code, message: `gateway closed with code ${event.code}` }, 'connecting to the gateway');
    o.status.set('error', p.message, p.fix);
  });
  client.on(Events.ShardReconnecting, () => {
    if (!closing) o.status.set('connecting', 'Reconnecting to Discord…');
  });
  client.on(Events.ShardResume, () => o.status.set('ready', `Connected to Discord as ${client.user?.username ?? 'the bot'}.`));
  client.on(Events.Error, (err: Error) => log('error', `Discord client error: ${err.message}`));
  client.on(Events.ShardError, (err: Error) => log('warn', `Discord gateway error: ${err.message}`));

  const timeoutMs = o.loginTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.login(o.token),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DreamError('unavailable', `Discord's gateway did not answer within ${Math.round(timeoutMs / 1000)} s. Check the network or proxy of this machine, then connect again.`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    closing = true;
    await client.destroy().catch(() => undefined);
    const p = explainDiscordError(err, 'logging in');
    o.status.set('error', p.message, p.fix);
    throw new DreamError(p.fatal ? 'unauthorized' : 'unavailable', `${p.message} ${p.fix}`, { cause: (err as Error).message });
  } finally {
    clearTimeout(timer);
  }

  return {
    rest: client.rest,
    botName: client.user?.username ?? 'the bot',
    applicationId: client.application?.id,
    async close() {
      closing = true;
      await client.destroy();
    },
  };
}
