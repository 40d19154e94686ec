/**
 * The Discord control plane, put together: discord.js loaded on demand, one REST client, the slash
 * commands registered in the guild, the chosen transport (gateway bot or HTTP interactions endpoint)
 * feeding the dispatcher, and the notifier posting board events. Hosts call `startDiscord` (the
 * extension, with the token from SecretStorage) or `runDiscordCommand` (`dreamos discord`).
 */
import { untilInterrupted } from '../untilInterrupted';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DreamError } from '../../core/errors';
import { boardWorkspace } from '../../core/proposals/approval';
import { ChannelDirectory } from './channels';
import { parseDiscordConfig, type DiscordConfig } from './discordConfig';
import { InteractionDispatcher, type DiscordLog } from './dispatcher';
import { loadDiscordJs, type DiscordJsImporter } from './discordjs';
import { explainDiscordError } from './discordErrors';
import { connectGateway, type GatewayConnection } from './discordGateway';
import type { DiscordBoard } from './handlers';
import { startInteractionsEndpoint, type InteractionsEndpoint } from './interactionsServer';
import { Notifier } from './notifier';
import { Outbox } from './outbox';
import type { ProposalWorkspace } from '../../core/proposals/approval';
import { createRest, DiscordApi } from './rest';
import { SLASH_COMMANDS } from './slashCommands';
import { DiscordStatusSource } from './status';

export const TOKEN_ENV = 'DREAMOS_DISCORD_TOKEN';

export interface StartDiscordOptions {
  config: DiscordConfig;
  board: DiscordBoard;
  /** The bot token. The gateway needs it; the HTTP endpoint alone can answer without it, but then posts no notifications. */
  token?: string | undefined;
  /** Lets /approve apply files; without it, approving says to use the editor or the CLI. */
  workspace?: ProposalWorkspace | undefined;
  log?: DiscordLog;
  /** Pass one to watch the state from before the first connection attempt. */
  status?: DiscordStatusSource;
  /** For tests: how discord.js is imported. */
  importDiscordJs?: DiscordJsImporter;
}

export interface DiscordControlPlane {
  readonly status: DiscordStatusSource;
  readonly dispatcher: InteractionDispatcher;
  readonly api: DiscordApi;
  /** Present with the interactions transport. */
  readonly endpoint: InteractionsEndpoint | undefined;
  /** Present when a bot token was given. */
  readonly notifier: Notifier | undefined;
  readonly outbox: Outbox | undefined;
  close(): Promise<void>;
}

const InteractionRef = z.looseObject({ id: z.string().min(1).max(30), token: z.string().min(1).max(1_000) });

export async function startDiscord(o: StartDiscordOptions): Promise<DiscordControlPlane> {
  const status = o.status ?? new DiscordStatusSource();
  const log: DiscordLog = o.log ?? (() => undefined);
  const { config } = o;
  const fail = (err: unknown, doing: string): never => {
    const p = explainDiscordError(err, doing);
    status.set('error', p.message, p.fix);
    throw err instanceof DreamError ? err : new DreamError('unavailable', `${p.message} ${p.fix}`);
  };
  status.set('connecting', 'Connecting to Discord…');

  const djs = await loadDiscordJs(o.importDiscordJs).catch((err: unknown) => fail(err, 'loading discord.js'));
  if (config.transport === 'gateway' && !o.token) {
    fail(new DreamError('unavailable', `The Discord bot needs its token: run "Dream.OS: Set Discord Bot Token" in the editor, or set ${TOKEN_ENV} for the headless hub.`), 'starting the bot');
  }

  let gateway: GatewayConnection | undefined;
  let endpoint: InteractionsEndpoint | undefined;
  let notifier: Notifier | undefined;
  let outbox: Outbox | undefined;
  let api: DiscordApi | undefined;
  let readyMessage = '';
  const dispatcherRef: { current?: InteractionDispatcher } = {};

  // Set while the status is degraded by a notification failure, which the next successful post clears.
  let notificationsFailing = false;
  const problem = (err: unknown, doing: string) => {
    const p = explainDiscordError(err, doing);
    log(p.fatal ? 'error' : 'warn', `${p.message} ${p.fix}`);
    notificationsFailing = true;
    status.set(p.fatal ? 'error' : 'degraded', p.message, p.fix);
  };

  try {
    if (config.transport === 'gateway') {
      gateway = await connectGateway({
        djs,
        token: o.token!,
        apiBaseUrl: config.apiBaseUrl,
        status,
        log,
        onInteraction: (raw) => {
          const ref = InteractionRef.safeParse(raw);
          if (!ref.success || !dispatcherRef.current || !api) return;
          const gatewayApi = api;
          dispatcherRef.current.dispatch(raw, (r) => gatewayApi.interactionCallback(ref.data.id, ref.data.token, r)).catch((err: unknown) => log('warn', `Ignored a Discord interaction: ${(err as Error).message}`));
        },
      });
      api = new DiscordApi(gateway.rest);
      readyMessage = `Connected to Discord as ${gateway.botName}.`;
    } else {
      api = new DiscordApi(createRest(djs, { apiBaseUrl: config.apiBaseUrl, token: o.token }));
    }
    const restApi = api;
    const dispatcher = new InteractionDispatcher({ config, board: o.board, followUps: restApi, workspace: o.workspace, log });
    dispatcherRef.current = dispatcher;

    let warning: { message: string; fix: string } | undefined;
    if (o.token) {
      try {
        await restApi.registerCommands(config.applicationId, config.guildId, SLASH_COMMANDS);
      } catch (err) {
        const p = explainDiscordError(err, 'registering the slash commands');
        if (p.fatal) throw err;
        warning = p;
      }
      const directory = new ChannelDirectory(restApi, config.guildId, config.categoryName);
      const box = new Outbox({
        windowMs: config.notifications.coalesceMs,
        send: async (channelId, body) => {
          await restApi.postMessage(channelId, body);
          if (notificationsFailing && status.current.state === 'degraded') status.set('ready', readyMessage);
          notificationsFailing = false;
        },
        onError: (err, channelId) => {
          if ((err as { code?: unknown }).code === 10003) directory.forget(channelId);
          problem(err, 'posting a notification');
        },
        log,
      });
      outbox = box;
      notifier = new Notifier({ board: o.board, directory, outbox: box, config, log, onProblem: problem });
      await notifier.start();
    } else {
      warning = {
        message: 'No bot token: the slash commands were not registered and notifications are off.',
        fix: `Set the bot token ("Dream.OS: Set Discord Bot Token", or ${TOKEN_ENV}) to register the commands and get notifications and threads; commands registered before keep working without it.`,
      };
    }

    if (config.transport === 'interactions') {
      endpoint = await startInteractionsEndpoint({ publicKey: config.publicKey!, dispatcher, host: config.interactions.host, port: config.interactions.port, path: config.interactions.path, log });
      readyMessage = `Answering Discord interactions at ${endpoint.url}.`;
    }
    if (warning) status.set('degraded', `${readyMessage} ${warning.message}`, warning.fix);
    else status.set('ready', readyMessage);

    const plane: DiscordControlPlane = {
      status,
      dispatcher,
      api: restApi,
      endpoint,
      notifier,
      outbox,
      async close() {
        notifier?.dispose();
        await endpoint?.close();
        await dispatcher.idle();
        await outbox?.close();
        await gateway?.close();
        status.set('off', 'Discord is disconnected.');
      },
    };
    return plane;
  } catch (err) {
    notifier?.dispose();
    await outbox?.close().catch(() => undefined);
    await endpoint?.close().catch(() => undefined);
    await gateway?.close().catch(() => undefined);
    // The step that failed may already have said what to fix (the gateway does): keep its words.
    if (status.current.state === 'error' && err instanceof DreamError) throw err;
    return fail(err, 'connecting');
  }
}

/** `.dreamos/discord.json`: the same settings the editor keeps, for the headless hub. */
export async function readDiscordConfigFile(file: string): Promise<DiscordConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new DreamError('not_found', `No Discord settings at ${file}. Create it with at least {"applicationId": "…", "guildId": "…"} (see the README's Discord section).`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DreamError('invalid_input', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseDiscordConfig(raw, file);
}

/**
 * `dreamos discord`: runs the control plane until Ctrl+C (or `signal` aborts). Settings come from
 * `<boardDir>/discord.json`, the token from DREAMOS_DISCORD_TOKEN. The caller owns `board`.
 */
export async function runDiscordCommand(
  board: DiscordBoard,
  opts: { boardDir: string; root?: string; configFile?: string; env?: NodeJS.ProcessEnv; out?: (s: string) => void; signal?: AbortSignal; importDiscordJs?: DiscordJsImporter },
): Promise<number> {
  const out = opts.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const config = await readDiscordConfigFile(opts.configFile ?? path.join(opts.boardDir, 'discord.json'));
  const token = (opts.env ?? process.env)[TOKEN_ENV]?.trim() || undefined;
  const root = opts.root ?? path.dirname(opts.boardDir);
  const status = new DiscordStatusSource();
  status.onDidChange((s) => out(`discord: ${s.state} — ${s.message}${s.fix ? `\n  fix: ${s.fix}` : ''}`));
  const plane = await startDiscord({
    config,
    board,
    token,
    status,
    // The same checks as `dreamos proposal approve`: pre- and post-apply, from checks.json.
    workspace: await boardWorkspace(root, opts.boardDir),
    log: (level, message) => level !== 'info' && out(`discord ${level}: ${message}`),
    ...(opts.importDiscordJs ? { importDiscordJs: opts.importDiscordJs } : {}),
  });
  out('Press Ctrl+C to disconnect from Discord.');
  await untilInterrupted(opts.signal);
  await plane.close();
  return 0;
}
