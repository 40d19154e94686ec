/**
 * The Discord settings, validated once where they enter (editor settings, .dreamos/discord.json):
 * ids, which transport, who may run what, which events go to which channel, and the limits.
 */
import { z } from 'zod';
import { DreamError, formatIssues } from '../../core/errors';
import { Snowflake } from './payloads';
import { READ_ONLY, SLASH_NAMES, type SlashName } from './slashCommands';

/** Every action a person can take from Discord (the slash commands, and Retry, a button only); permissions are given per action. */
export type CommandName = SlashName | 'retry';
export const COMMAND_NAMES = [...SLASH_NAMES, 'retry'] as [CommandName, ...CommandName[]];
/** The actions that only read. Everything else changes the board and is denied unless allowed. */
export const READ_COMMANDS: ReadonlySet<CommandName> = READ_ONLY;

export const NOTIFICATION_KINDS = ['task.failed', 'task.blocked', 'task.review', 'task.done', 'proposal.waiting', 'agent.stalled', 'agent.error', 'mail.human', 'swarm.idle'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

const ChannelName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9_-]+$/, 'channel names are lower-case letters, digits, - and _ (how Discord names text channels)');

const Principals = z
  .object({
    roles: z.array(Snowflake).max(100).default([]),
    users: z.array(Snowflake).max(100).default([]),
  })
  .strict();
export type Principals = z.infer<typeof Principals>;

const Rule = z
  .object({
    on: z.enum(NOTIFICATION_KINDS),
    channel: ChannelName,
    /** Roles pinged with the notification (nobody else is ever pinged: agent text cannot @everyone). */
    mentionRoles: z.array(Snowflake).max(10).default([]),
  })
  .strict();
export type NotificationRule = z.infer<typeof Rule>;

export const DEFAULT_RULES: z.input<typeof Rule>[] = [
  { on: 'task.failed', channel: 'alerts' },
  { on: 'agent.stalled', channel: 'alerts' },
  { on: 'agent.error', channel: 'alerts' },
  { on: 'proposal.waiting', channel: 'proposals' },
  { on: 'mail.human', channel: 'alerts' },
  { on: 'swarm.idle', channel: 'status' },
];

export const DiscordConfig = z
  .object({
    $schema: z.string().optional().describe('The JSON schema of this file (editors validate without it too).'),
    applicationId: Snowflake.describe('The application id (Developer Portal → General Information).'),
    guildId: Snowflake.describe('The server (guild) id: right-click the server with Developer Mode on → Copy Server ID.'),
    /** The application's public key (hex), needed by the HTTP interactions endpoint. */
    publicKey: z
      .string()
      .trim()
      .regex(/^[0-9a-fA-F]{64}$/, 'expected the 64-character hex Public Key from the Developer Portal (General Information)')
      .optional()
      .describe('The application\'s public key (hex), needed by the HTTP interactions endpoint.'),
    /** gateway: a bot connection (needs the token); interactions: an HTTP endpoint Discord calls. */
    transport: z.enum(['gateway', 'interactions']).default('gateway').describe('"gateway": a bot connection (needs the token); "interactions": an HTTP endpoint Discord calls.'),
    categoryName: z.string().trim().min(1).max(100).default('Dream.OS').describe('The channel category Dream.OS creates its channels under.'),
    /** The channel under the category that holds a thread per task and per agent. */
    workChannel: ChannelName.default('work').describe('The channel that holds a thread per task and per agent.'),
    interactions: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8975),
        path: z.string().regex(/^\/[\w./-]*$/, 'a path such as /interactions').default('/interactions'),
      })
      .strict()
      .prefault({})
      .describe('Where the HTTP interactions endpoint listens (transport "interactions").'),
    permissions: z
      .object({
        /** May run everything. */
        admins: Principals.prefault({}),
        /** Per action: exactly these roles and users may run it (admins always may). */
        commands: z.partialRecord(z.enum(COMMAND_NAMES), Principals).default({}),
        /** Read-only actions without an entry in `commands` are open to everyone in the server. */
        readForEveryone: z.boolean().default(true),
      })
      .strict()
      .prefault({})
      .describe('Who may run what: "admins" run everything; "commands" names the roles and users per action.'),
    notifications: z
      .object({
        rules: z.array(Rule).max(50).prefault(DEFAULT_RULES),
        /** Events within this window become one digest message per channel. */
        coalesceMs: z.number().int().min(0).max(60_000).default(2_000),
        taskThreads: z.boolean().default(true),
        agentThreads: z.boolean().default(true),
      })
      .strict()
      .prefault({})
      .describe('Which board events are posted to which channel ("rules"), coalesced into digests.'),
    /** Per person: a burst of `burst` commands, then `perMinute` a minute. */
    rateLimit: z
      .object({
        burst: z.number().int().min(1).max(100).default(5),
        perMinute: z.number().int().min(1).max(600).default(20),
      })
      .strict()
      .prefault({})
      .describe('Per person: a burst of "burst" commands, then "perMinute" a minute.'),
    /** A command not answered within this is deferred and finished by a follow-up (Discord allows 3 s). */
    deferAfterMs: z.number().int().min(0).max(2_500).default(1_500).describe('A command not answered within this many ms is deferred and finished by a follow-up.'),
    /** Discord's API; a proxy or a test server may stand in. */
    apiBaseUrl: z.url({ protocol: /^https?$/ }).default('https://discord.com/api').describe('Discord\'s API; a proxy or a test server may stand in.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.transport === 'interactions' && !c.publicKey) {
      ctx.addIssue({ code: 'custom', path: ['publicKey'], message: 'the interactions transport verifies every request with the Public Key: copy it from the Developer Portal (General Information)' });
    }
  });
export type DiscordConfig = z.infer<typeof DiscordConfig>;
export type DiscordConfigInput = z.input<typeof DiscordConfig>;

/** Parses settings; a mistake becomes one message naming every field that is wrong. */
export function parseDiscordConfig(raw: unknown, source = 'the Discord settings'): DiscordConfig {
  const r = DiscordConfig.safeParse(raw);
  if (r.success) return r.data;
  const problems = formatIssues(r.error.issues, 'settings');
  throw new DreamError('invalid_input', `Dream.OS cannot use ${source}: ${problems.join('; ')}. Fix them and connect again.`, r.error.issues);
}
