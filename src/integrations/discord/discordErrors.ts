/**
 * Discord failures turned into what a person can fix. discord.js and its REST client throw a few
 * shapes (DiscordjsError with a string code, DiscordAPIError with Discord's numeric JSON code and the
 * HTTP status, plain Errors from the gateway shard, network errors); they are matched by shape so
 * this file needs no import of discord.js.
 */
import { DreamError } from '../../core/errors';

export interface DiscordProblem {
  /** What happened. */
  message: string;
  /** What to do about it. */
  fix: string;
  /** True when retrying will not help until the person changes something (token, intents, ids). */
  fatal: boolean;
}

const PORTAL = 'https://discord.com/developers/applications';
const TOKEN_FIX = `Copy a fresh bot token from the Developer Portal (${PORTAL} → your app → Bot → Reset Token), then run "Dream.OS: Set Discord Bot Token" in the editor, or set DREAMOS_DISCORD_TOKEN for the headless hub.`;
const PERMISSIONS_FIX =
  "In Discord, give the bot's role these permissions on the Dream.OS category: View Channels, Manage Channels, Send Messages, Send Messages in Threads, Create Public Threads, Manage Threads, Read Message History (Server Settings → Roles, or the category's Permissions tab).";

interface Shaped {
  code?: unknown;
  status?: unknown;
  message?: unknown;
  method?: unknown;
  url?: unknown;
  closeCode?: unknown;
}

export function explainDiscordError(err: unknown, doing = 'talking to Discord'): DiscordProblem {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Shaped;
  const text = typeof e.message === 'string' ? e.message : String(err);
  const code = e.code;
  const status = typeof e.status === 'number' ? e.status : undefined;

  if (code === 'TokenInvalid' || code === 'TokenMissing' || text === 'Authentication failed' || e.closeCode === 4004 || status === 401) {
    return { message: `Discord refused the bot token while ${doing}.`, fix: TOKEN_FIX, fatal: true };
  }
  if (code === 'DisallowedIntents' || text === 'Used disallowed intents' || e.closeCode === 4014) {
    return {
      message: `Discord refused a gateway intent the bot is not allowed to use while ${doing}.`,
      fix: `Dream.OS only needs the Guilds intent. If you added privileged intents (Message Content, Server Members, Presence), enable them in the Developer Portal (${PORTAL} → your app → Bot → Privileged Gateway Intents) or remove them.`,
      fatal: true,
    };
  }
  if (code === 50013) {
    return { message: `The bot is missing a permission in the server while ${doing}.`, fix: PERMISSIONS_FIX, fatal: false };
  }
  if (code === 50001) {
    return {
      message: `The bot cannot see the server or channel while ${doing}.`,
      fix: `Invite the bot to the server with the "bot" and "applications.commands" scopes (Developer Portal → OAuth2 → URL Generator), and let its role view the Dream.OS category.`,
      fatal: false,
    };
  }
  if (code === 10004) {
    return { message: `Discord does not know the configured server (guild id) while ${doing}.`, fix: 'Check the guild id in the Dream.OS Discord settings (right-click the server icon → Copy Server ID, with Developer Mode on) and that the bot was invited to it.', fatal: true };
  }
  if (code === 10002) {
    return { message: `Discord does not know the configured application id while ${doing}.`, fix: `Copy the Application ID from the Developer Portal (${PORTAL} → your app → General Information) into the Dream.OS Discord settings.`, fatal: true };
  }
  if (code === 10003) {
    return { message: `A Discord channel Dream.OS used was deleted while ${doing}.`, fix: 'Nothing to do: Dream.OS creates it again on the next notification.', fatal: false };
  }
  if (code === 10062 || code === 10015) {
    return { message: `The Discord interaction expired before Dream.OS answered it while ${doing}.`, fix: 'Run the command again; if it keeps happening the hub is overloaded or its clock is wrong.', fatal: false };
  }
  if (code === 30007 || code === 30013 || code === 30033) {
    return { message: `The server reached a Discord limit (channels or threads) while ${doing}.`, fix: 'Delete old Dream.OS channels or archived threads in the category, or turn task threads off in the Discord notification settings.', fatal: false };
  }
  if (code === 50035) {
    return { message: `Discord rejected a request as malformed while ${doing}: ${text}`, fix: 'This is a Dream.OS bug: please report it with the message above.', fatal: false };
  }
  if (typeof code === 'string' && ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'].includes(code)) {
    return { message: `Discord could not be reached while ${doing} (${code}).`, fix: 'Check the network or proxy of the machine running the hub; Dream.OS retries on its own.', fatal: false };
  }
  if (err instanceof DreamError) {
    const missing = (err.details as { missingModule?: string } | undefined)?.missingModule;
    if (missing) return { message: err.message, fix: `Install ${missing} where Dream.OS runs (npm install ${missing}) or reinstall Dream.OS.`, fatal: true };
    return { message: err.message, fix: 'Do what the message says, then connect again.', fatal: err.code === 'invalid_input' || err.code === 'unavailable' };
  }
  if (status !== undefined && status >= 500) {
    return { message: `Discord had a server error (${status}) while ${doing}.`, fix: 'Nothing to fix on your side; Dream.OS retries on its own. https://discordstatus.com shows outages.', fatal: false };
  }
  return { message: `Discord failed while ${doing}: ${text}`, fix: 'Check the Dream.OS Discord settings and the log (Output → Dream.OS) for details.', fatal: false };
}
