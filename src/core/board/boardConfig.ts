/**
 * The board's own config: settings that the hub applies wherever it runs (an editor window, the
 * detached `dreamos hub`), because they are stored on the board itself, not in one editor's
 * settings. One `meta` row ('config') holds the values someone set explicitly (JSON); a missing
 * key means its default. Every value is validated on the way in, with a message that names what
 * is allowed.
 *
 *   leaseSeconds, stallSeconds     claims and stall detection (claims without a lease length, upkeep)
 *   durability                     applied when the hub opens the board
 *   eventsDays ... mailDays        retention (src/core/board/retention.ts)
 *   worktrees ... overlap          a worktree per task and the merge queue (src/core/worktrees)
 */
import { z } from 'zod';
import { commandSchema } from '../commandSchema';
import { DreamError } from '../errors';
import { emitEvent } from '../events/eventLog';
import type { Tx } from '../store/sqlite';
import type { BoardContext } from './tasks';

interface IntSpec {
  kind: 'int';
  min: number;
  max: number;
  default: number;
  unit: string;
  what: string;
}
interface EnumSpec {
  kind: 'enum';
  values: readonly string[];
  default: string;
  what: string;
}
/** Free text (a folder path): up to `max` characters, one line. */
interface TextSpec {
  kind: 'text';
  max: number;
  default: string;
  what: string;
}

const int = (min: number, max: number, def: number, unit: string, what: string): IntSpec => ({ kind: 'int', min, max, default: def, unit, what });

export const CONFIG_SPECS = {
  leaseSeconds: int(10, 86_400, 300, 'seconds', 'How long a claim lasts without a heartbeat before the task goes back to ready (when the claim does not say).'),
  stallSeconds: int(10, 86_400, 120, 'seconds', 'An agent silent for this long is marked stalled.'),
  durability: {
    kind: 'enum',
    values: ['full', 'process'],
    default: 'full',
    what: 'full: a write is acknowledged after fsync (survives power loss); process: once it reaches the OS. Applies when the hub next opens the board.',
  } as EnumSpec,
  eventsDays: int(0, 3_650, 7, 'days', 'Events older than this are deleted (the newest eventsKeep are always kept; 0 keeps every event).'),
  eventsKeep: int(100, 10_000_000, 10_000, 'events', 'The newest this many events are kept whatever their age.'),
  heartbeatEventSeconds: int(0, 3_600, 60, 'seconds', 'At most one heartbeat event per agent in this window (a change of status always makes one; 0: one per heartbeat).'),
  telemetryDays: int(0, 3_650, 14, 'days', 'Agent-loop telemetry older than this is deleted (0 keeps it).'),
  mailDays: int(0, 3_650, 30, 'days', 'Messages older than this are deleted once acknowledged (or, between agents, when they need no acknowledgement); unread mail to you is kept (0 keeps all mail).'),
  // A worktree per task (src/core/worktrees).
  worktrees: { kind: 'enum', values: ['auto', 'off'], default: 'auto', what: 'auto: in a git repository with at least one commit, each task gets its own worktree and branch; off: every agent works in the workspace folder.' } as EnumSpec,
  worktreeRoot: { kind: 'text', max: 1_000, default: '', what: "Where task worktrees are made: a folder (absolute, or relative to the workspace); each repository gets a subfolder. Empty: <workspace>/../.dreamos-worktrees/<repo>." } as TextSpec,
  mergeStrategy: { kind: 'enum', values: ['merge', 'fast-forward'], default: 'merge', what: 'How the merge queue moves the target branch: merge (always a merge commit) or fast-forward (when the branch already contains the target; a merge commit otherwise).' } as EnumSpec,
  mergeConflicts: { kind: 'enum', values: ['agent', 'person'], default: 'agent', what: "A change that conflicts with its target goes back to its agent as a rebase task in the same worktree (agent), or waits for you (person)." } as EnumSpec,
  overlap: { kind: 'enum', values: ['hold', 'flag'], default: 'hold', what: "A task whose scope overlaps the files a running task changed is held back until that one lands (hold), or dispatched and flagged (flag)." } as EnumSpec,
} as const satisfies Record<string, IntSpec | EnumSpec | TextSpec>;

export type ConfigKey = keyof typeof CONFIG_SPECS;
export const CONFIG_KEYS = Object.keys(CONFIG_SPECS) as ConfigKey[];

function schemaOf(spec: IntSpec | EnumSpec | TextSpec): z.ZodType {
  if (spec.kind === 'text') return z.string().trim().max(spec.max).regex(/^[^\n\r]*$/, 'one line');
  return spec.kind === 'int' ? z.number().int().min(spec.min).max(spec.max) : z.enum(spec.values as [string, ...string[]]);
}

/** The whole config, every key present (defaults filled in). */
export const BoardConfig = z.object({
  leaseSeconds: z.number().int().min(CONFIG_SPECS.leaseSeconds.min).max(CONFIG_SPECS.leaseSeconds.max).default(CONFIG_SPECS.leaseSeconds.default),
  stallSeconds: z.number().int().min(CONFIG_SPECS.stallSeconds.min).max(CONFIG_SPECS.stallSeconds.max).default(CONFIG_SPECS.stallSeconds.default),
  durability: z.enum(['full', 'process']).default('full'),
  eventsDays: z.number().int().min(CONFIG_SPECS.eventsDays.min).max(CONFIG_SPECS.eventsDays.max).default(CONFIG_SPECS.eventsDays.default),
  eventsKeep: z.number().int().min(CONFIG_SPECS.eventsKeep.min).max(CONFIG_SPECS.eventsKeep.max).default(CONFIG_SPECS.eventsKeep.default),
  heartbeatEventSeconds: z
    .number()
    .int()
    .min(CONFIG_SPECS.heartbeatEventSeconds.min)
    .max(CONFIG_SPECS.heartbeatEventSeconds.max)
    .default(CONFIG_SPECS.heartbeatEventSeconds.default),
  telemetryDays: z.number().int().min(CONFIG_SPECS.telemetryDays.min).max(CONFIG_SPECS.telemetryDays.max).default(CONFIG_SPECS.telemetryDays.default),
  mailDays: z.number().int().min(CONFIG_SPECS.mailDays.min).max(CONFIG_SPECS.mailDays.max).default(CONFIG_SPECS.mailDays.default),
  worktrees: z.enum(['auto', 'off']).default('auto'),
  worktreeRoot: z.string().max(CONFIG_SPECS.worktreeRoot.max).default(''),
  mergeStrategy: z.enum(['merge', 'fast-forward']).default('merge'),
  mergeConflicts: z.enum(['agent', 'person']).default('agent'),
  overlap: z.enum(['hold', 'flag']).default('hold'),
});
export type BoardConfig = z.infer<typeof BoardConfig>;

export const DEFAULT_BOARD_CONFIG: BoardConfig = BoardConfig.parse({});

/** What a key accepts, in words ("a whole number from 10 to 86400 (seconds)"). */
export function allowedValues(key: ConfigKey): string {
  const spec: IntSpec | EnumSpec | TextSpec = CONFIG_SPECS[key];
  if (spec.kind === 'text') return `text of up to ${spec.max} characters on one line`;
  return spec.kind === 'int' ? `a whole number from ${spec.min} to ${spec.max} (${spec.unit})` : `one of ${spec.values.join(', ')}`;
}

function isKey(k: string): k is ConfigKey {
  return Object.prototype.hasOwnProperty.call(CONFIG_SPECS, k);
}

/**
 * One value as given by a person or a program: numbers may come as text (the CLI), `null` means
 * "back to the default". Throws a message naming the allowed values.
 */
export function parseConfigValue(key: string, raw: unknown): string | number | null {
  if (!isKey(key)) {
    throw new DreamError('invalid_input', `There is no board setting "${key}". Board settings: ${CONFIG_KEYS.join(', ')}.`, { key, keys: CONFIG_KEYS });
  }
  if (raw === null) return null;
  const spec: IntSpec | EnumSpec | TextSpec = CONFIG_SPECS[key];
  const value = spec.kind === 'int' && typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : raw;
  const parsed = schemaOf(spec).safeParse(value);
  if (!parsed.success) {
    throw new DreamError('invalid_input', `${key} must be ${allowedValues(key)}; got ${JSON.stringify(raw)}. Nothing was changed.`, {
      key,
      allowed: spec.kind === 'int' ? { min: spec.min, max: spec.max, unit: spec.unit } : spec.kind === 'text' ? { maxLength: spec.max } : { values: spec.values },
    });
  }
  return parsed.data as string | number;
}

const ROW = 'config';
let cache: { raw: string; config: BoardConfig; explicit: Partial<Record<ConfigKey, unknown>> } | undefined;

/** The explicitly set values; anything unreadable (a hand edit, a newer build's key) is ignored. */
function readStored(tx: Tx): { raw: string; config: BoardConfig; explicit: Partial<Record<ConfigKey, unknown>> } {
  const raw = tx.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [ROW])?.value ?? '{}';
  if (cache?.raw === raw) return cache;
  let stored: Record<string, unknown> = {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) stored = v as Record<string, unknown>;
  } catch {
    /* unreadable: defaults */
  }
  const explicit: Partial<Record<ConfigKey, unknown>> = {};
  for (const [k, v] of Object.entries(stored)) {
    if (isKey(k) && schemaOf(CONFIG_SPECS[k]).safeParse(v).success) explicit[k] = v;
  }
  cache = { raw, config: BoardConfig.parse(explicit), explicit };
  return cache;
}

/** The board's config with defaults filled in. Cheap: one primary-key lookup, parsed once per change. */
export function readBoardConfig(tx: Tx): BoardConfig {
  return readStored(tx).config;
}

/** Like readBoardConfig, for a database that may not be a board (the hub's own tests): defaults then. */
export function readBoardConfigOrDefault(tx: Tx): BoardConfig {
  try {
    return readBoardConfig(tx);
  } catch {
    return DEFAULT_BOARD_CONFIG;
  }
}

export interface ConfigView {
  config: BoardConfig;
  settings: { key: ConfigKey; value: string | number; default: string | number; set: boolean; allowed: string; what: string }[];
}

export function describeBoardConfig(tx: Tx): ConfigView {
  const { config, explicit } = readStored(tx);
  return {
    config,
    settings: CONFIG_KEYS.map((key) => ({
      key,
      value: config[key],
      default: CONFIG_SPECS[key].default,
      set: key in explicit,
      allowed: allowedValues(key),
      what: CONFIG_SPECS[key].what,
    })),
  };
}

/** Sets (or with `null`, resets) some values at once: all valid or none applied. */
export function setBoardConfig(ctx: BoardContext, values: Record<string, unknown>): ConfigView & { changed: ConfigKey[] } {
  const entries = Object.entries(values);
  if (entries.length === 0) throw new DreamError('invalid_input', `Name at least one board setting to change (${CONFIG_KEYS.join(', ')}).`);
  const { explicit } = readStored(ctx.tx);
  const next: Record<string, unknown> = { ...explicit };
  const changed: ConfigKey[] = [];
  const shown: Record<string, unknown> = {};
  for (const [k, raw] of entries) {
    const v = parseConfigValue(k, raw);
    const key = k as ConfigKey;
    const before = key in next ? next[key] : undefined;
    if (v === null) delete next[key];
    else next[key] = v;
    if (before !== (v ?? undefined)) {
      changed.push(key);
      shown[key] = v ?? CONFIG_SPECS[key].default;
    }
  }
  if (changed.length > 0) {
    ctx.tx.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [ROW, JSON.stringify(next)]);
    emitEvent(ctx.tx, { type: 'board.configured', at: ctx.now, actor: ctx.actor, subject: '', payload: { changed: shown } });
  }
  return { ...describeBoardConfig(ctx.tx), changed };
}

/** The lease length a claim, renewal or heartbeat gets when the caller gives none. */
export function defaultLeaseMs(tx: Tx): number {
  return readBoardConfig(tx).leaseSeconds * 1000;
}

export const BOARD_CONFIG_COMMANDS = [
  commandSchema('board.config.get', {}),
  commandSchema('board.config.set', { values: z.record(z.string(), z.unknown()) }),
] as const;

export const BOARD_CONFIG_READ_ONLY = ['board.config.get'] as const;

export const BOARD_CONFIG_HANDLERS = {
  'board.config.get': (ctx: BoardContext) => describeBoardConfig(ctx.tx),
  'board.config.set': (ctx: BoardContext, c: { values: Record<string, unknown> }) => setBoardConfig(ctx, c.values),
};
