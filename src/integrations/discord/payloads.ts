/**
 * The part of Discord's interaction protocol Dream.OS speaks, as zod schemas for what comes in and
 * plain types for what goes out. Incoming objects are loose (Discord adds fields over time) but
 * bounded: sizes and nesting are capped so a hostile or garbled payload costs little and never throws.
 */
import { z } from 'zod';
import { formatIssues } from '../../core/errors';

/** A Discord id. */
export const Snowflake = z.string().regex(/^\d{15,21}$/, 'expected a Discord id (a long number; turn on Developer Mode and use "Copy ID")');

export const InteractionType = { Ping: 1, ApplicationCommand: 2, MessageComponent: 3, Autocomplete: 4, ModalSubmit: 5 } as const;
export const ResponseType = { Pong: 1, Message: 4, DeferredMessage: 5, DeferredUpdate: 6, UpdateMessage: 7, AutocompleteResult: 8, Modal: 9 } as const;
export const EPHEMERAL = 1 << 6;

const Name = z.string().min(1).max(32);
const User = z.looseObject({ id: Snowflake, username: z.string().max(100), global_name: z.string().max(100).nullish() });
const Member = z.looseObject({ user: User, roles: z.array(Snowflake).max(250).default([]), nick: z.string().max(100).nullish() });
const Value = z.union([z.string().max(6_000), z.number(), z.boolean()]);
// Discord nests at most: group → subcommand → options; spelled out instead of z.lazy so depth is bounded.
const LeafOption = z.looseObject({ name: Name, type: z.number().int().min(3).max(11), value: Value.optional(), focused: z.boolean().optional() });
const SubcommandOption = z.looseObject({ name: Name, type: z.literal(1), options: z.array(LeafOption).max(25).default([]) });
const GroupOption = z.looseObject({ name: Name, type: z.literal(2), options: z.array(SubcommandOption).max(25).default([]) });
const CommandOption = z.union([GroupOption, SubcommandOption, LeafOption]);
export type CommandOption = z.infer<typeof CommandOption>;

const CommandData = z.looseObject({ id: Snowflake, name: Name, type: z.number().int().default(1), options: z.array(CommandOption).max(25).default([]) });
export type CommandData = z.infer<typeof CommandData>;
const ComponentData = z.looseObject({ custom_id: z.string().min(1).max(100), component_type: z.number().int() });
const ModalData = z.looseObject({
  custom_id: z.string().min(1).max(100),
  components: z
    .array(z.looseObject({ type: z.number().int(), components: z.array(z.looseObject({ type: z.number().int(), custom_id: z.string().max(100), value: z.string().max(4_000).optional() })).max(5) }))
    .max(5),
});
const SourceMessage = z.looseObject({ id: Snowflake, content: z.string().max(4_000).default('') });

const common = {
  id: Snowflake,
  application_id: Snowflake,
  token: z.string().min(1).max(1_000),
  version: z.number().int().optional(),
  guild_id: Snowflake.optional(),
  channel_id: Snowflake.optional(),
  member: Member.optional(),
  user: User.optional(),
  message: SourceMessage.optional(),
};

export const Interaction = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal(InteractionType.Ping), id: Snowflake, application_id: Snowflake, token: z.string().max(1_000).optional() }),
  z.looseObject({ type: z.literal(InteractionType.ApplicationCommand), ...common, data: CommandData }),
  z.looseObject({ type: z.literal(InteractionType.MessageComponent), ...common, data: ComponentData }),
  z.looseObject({ type: z.literal(InteractionType.Autocomplete), ...common, data: CommandData }),
  z.looseObject({ type: z.literal(InteractionType.ModalSubmit), ...common, data: ModalData }),
]);
export type Interaction = z.infer<typeof Interaction>;
/** Interactions that ask Dream.OS to do something (PING and autocomplete are answered before). */
export type ActionInteraction = Extract<Interaction, { type: 2 | 3 | 5 }>;

/** Who is asking: id, a display name and their roles in the server. */
export interface Invoker {
  id: string;
  name: string;
  roles: readonly string[];
}

export function invokerOf(i: ActionInteraction): Invoker | undefined {
  const user = i.member?.user ?? i.user;
  if (!user) return undefined;
  return { id: user.id, name: i.member?.nick || user.global_name || user.username, roles: i.member?.roles ?? [] };
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Turns zod issues into one line a person can act on. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], max = 5): string {
  const lines = formatIssues(issues, 'input');
  const parts = lines.slice(0, max);
  if (lines.length > max) parts.push(`and ${lines.length - max} more`);
  return parts.join('; ');
}

export function parseInteraction(raw: unknown): ParseResult<Interaction> {
  const r = Interaction.safeParse(raw);
  return r.success ? { ok: true, value: r.data } : { ok: false, message: `Not a Discord interaction Dream.OS understands — ${describeIssues(r.error.issues)}` };
}

// ── What goes out ──────────────────────────────────────────────────────────────────────────────

export interface Button {
  type: 2;
  style: 1 | 2 | 3 | 4;
  label: string;
  custom_id: string;
  disabled?: boolean;
}
export interface TextInput {
  type: 4;
  custom_id: string;
  style: 1 | 2;
  label: string;
  min_length?: number;
  max_length?: number;
  required?: boolean;
  placeholder?: string;
}
export interface ActionRow<C = Button> {
  type: 1;
  components: C[];
}

export interface AllowedMentions {
  parse: ('roles' | 'users' | 'everyone')[];
  roles?: string[];
}

export interface MessageBody {
  content: string;
  components?: ActionRow[];
  flags?: number;
  allowed_mentions: AllowedMentions;
}

export type InteractionResponse =
  | { type: 1 }
  | { type: 4 | 7; data: MessageBody }
  | { type: 5; data?: { flags?: number } }
  | { type: 6 }
  | { type: 8; data: { choices: [] } }
  | { type: 9; data: { custom_id: string; title: string; components: ActionRow<TextInput>[] } };

export const DISCORD_MESSAGE_LIMIT = 2_000;
/** Nobody is pinged unless a rule names a role: agent-written text may contain @everyone. */
export const NO_MENTIONS: AllowedMentions = { parse: [] };

export function clip(text: string, max = DISCORD_MESSAGE_LIMIT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Agent-written text shown inline: no code fences to break out of, one line, bounded. */
export function inline(text: string, max = 200): string {
  return clip(text.replace(/`/g, "'").replace(/\s+/g, ' ').trim(), max);
}

export function messageBody(content: string, opts: { components?: ActionRow[]; ephemeral?: boolean; mentionRoles?: readonly string[] } = {}): MessageBody {
  const body: MessageBody = { content: clip(content), allowed_mentions: opts.mentionRoles?.length ? { parse: [], roles: [...opts.mentionRoles] } : NO_MENTIONS };
  if (opts.components) body.components = opts.components;
  if (opts.ephemeral) body.flags = EPHEMERAL;
  return body;
}
