/**
 * The slash commands: their definitions (registered per guild with
 * PUT /applications/{app}/guilds/{guild}/commands) and the parsing of an invocation into typed,
 * validated arguments. Parsing never throws: a bad invocation becomes a message saying what to fix.
 */
import { z } from 'zod';
import { Id, PriorityName, TASK_STATUSES, TASK_TYPES, TaskStatus, TaskType } from '../../core/board/model';
import type { CommandName } from './config';
import { describeIssues, type CommandData, type CommandOption, type ParseResult } from './payloads';

export type SlashName = Exclude<CommandName, 'retry'>;

const ProposalId = z.string().trim().regex(/^prp_[0-9a-f]{12}$/, 'expected a proposal id such as prp_0123456789ab (see the proposal notification)');
const TaskId = Id.describe('task id');
const AgentName = z.string().trim().min(1, 'name an agent').max(80);

export const INVOCATIONS = {
  status: z.object({}).strict(),
  tasks: z.object({ status: TaskStatus.optional() }).strict(),
  'task add': z
    .object({
      title: z.string().trim().min(1, 'a task needs a title').max(200, 'a title is at most 200 characters'),
      description: z.string().max(4_000).optional(),
      priority: PriorityName.optional(),
      kind: TaskType.optional(),
    })
    .strict(),
  'task show': z.object({ id: TaskId }).strict(),
  claim: z.object({ agent: AgentName, task: TaskId.optional() }).strict(),
  approve: z.object({ proposal: ProposalId, override: z.boolean().optional() }).strict(),
  reject: z.object({ proposal: ProposalId, reason: z.string().trim().min(1, 'say why, so the agent can do better').max(2_000) }).strict(),
  message: z.object({ agent: AgentName, text: z.string().trim().min(1, 'the message is empty').max(2_000) }).strict(),
  pause: z.object({ reason: z.string().trim().max(500).optional() }).strict(),
  resume: z.object({ reason: z.string().trim().max(500).optional() }).strict(),
  devlog: z.object({ count: z.number().int().min(1).max(50).optional() }).strict(),
} satisfies Record<SlashName, z.ZodType>;

export type Invocation = { [K in SlashName]: { name: K; args: z.infer<(typeof INVOCATIONS)[K]> } }[SlashName];

/** Commands that answer slowly (validation, applying files): deferred at once instead of raced. */
export const SLOW_COMMANDS: ReadonlySet<SlashName> = new Set<SlashName>(['approve']);
/** Read-only answers are shown only to the person who asked; changes are posted for all to see. */
export const PRIVATE_ANSWERS: ReadonlySet<SlashName> = new Set<SlashName>(['status', 'tasks', 'task show', 'devlog']);

// ── Definitions ────────────────────────────────────────────────────────────────────────────────

const T = { subcommand: 1, string: 3, integer: 4, boolean: 5 } as const;
interface OptionDef {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  choices?: { name: string; value: string }[];
  min_length?: number;
  max_length?: number;
  min_value?: number;
  max_value?: number;
  options?: OptionDef[];
}
export interface SlashCommandDefinition {
  name: string;
  description: string;
  type: 1;
  /** Guild-only: 0 = in a server. */
  contexts: number[];
  options?: OptionDef[];
}

const choices = (xs: readonly string[]) => xs.map((x) => ({ name: x, value: x }));
const str = (name: string, description: string, extra: Partial<OptionDef> = {}): OptionDef => ({ type: T.string, name, description, ...extra });
const def = (name: string, description: string, options?: OptionDef[]): SlashCommandDefinition => ({ name, description, type: 1, contexts: [0], ...(options ? { options } : {}) });

export const SLASH_COMMANDS: SlashCommandDefinition[] = [
  def('status', 'The board, the agents and the swarm at a glance'),
  def('tasks', 'List tasks', [str('status', 'Only tasks in this status', { choices: choices(TASK_STATUSES) })]),
  def('task', 'Create or show a task', [
    {
      type: T.subcommand,
      name: 'add',
      description: 'Create a task on the board',
      options: [
        str('title', 'What needs doing', { required: true, max_length: 200 }),
        str('description', 'Details, acceptance criteria', { max_length: 4_000 }),
        str('priority', 'How urgent', { choices: choices(['low', 'normal', 'high', 'critical']) }),
        str('kind', 'What kind of work', { choices: choices(TASK_TYPES) }),
      ],
    },
    { type: T.subcommand, name: 'show', description: 'Show a task and its history', options: [str('id', 'The task id (tsk_…)', { required: true, min_length: 16, max_length: 16 })] },
  ]),
  def('claim', 'Give a task to an agent (the best ready one if no task is named)', [str('agent', 'The agent name or id', { required: true, max_length: 80 }), str('task', 'The task id (tsk_…)', { min_length: 16, max_length: 16 })]),
  def('approve', 'Approve a proposal and apply it (with a recovery point)', [
    str('proposal', 'The proposal id (prp_…)', { required: true, min_length: 16, max_length: 16 }),
    { type: T.boolean, name: 'override', description: 'Approve even though its checks failed' },
  ]),
  def('reject', 'Reject a proposal; the agent gets your reason', [str('proposal', 'The proposal id (prp_…)', { required: true, min_length: 16, max_length: 16 }), str('reason', 'Why: the agent reads this', { required: true, max_length: 2_000 })]),
  def('message', 'Send a message to an agent', [str('agent', 'The agent name or id', { required: true, max_length: 80 }), str('text', 'The message', { required: true, max_length: 2_000 })]),
  def('pause', 'Stop the swarm taking new tasks', [str('reason', 'Why (shown to others)', { max_length: 500 })]),
  def('resume', 'Let the swarm take tasks again', [str('reason', 'Why (shown to others)', { max_length: 500 })]),
  def('devlog', 'The latest board events', [{ type: T.integer, name: 'count', description: 'How many (default 15)', min_value: 1, max_value: 50 }]),
];

// ── Parsing ────────────────────────────────────────────────────────────────────────────────────

/** `/task add title:x` → name 'task add' and the leaf options as a record. */
function flatten(data: CommandData): ParseResult<{ name: string; options: Record<string, unknown> }> {
  const names = [data.name];
  let options: CommandOption[] = data.options;
  for (let depth = 0; depth < 2; depth++) {
    const nested = options.find((o) => o.type === 1 || o.type === 2);
    if (!nested) break;
    if (options.length > 1) return { ok: false, message: `/${names.join(' ')} takes one subcommand at a time.` };
    names.push(nested.name);
    options = (nested as { options: CommandOption[] }).options;
  }
  const record: Record<string, unknown> = {};
  for (const o of options) {
    if (o.type === 1 || o.type === 2) return { ok: false, message: `/${names.join(' ')} has no subcommand ${o.name}.` };
    if (Object.hasOwn(record, o.name)) return { ok: false, message: `/${names.join(' ')} got the option "${o.name}" twice.` };
    if ('value' in o && o.value !== undefined) record[o.name] = o.value;
  }
  return { ok: true, value: { name: names.join(' '), options: record } };
}

export function isSlashName(name: string): name is SlashName {
  return Object.hasOwn(INVOCATIONS, name);
}

export function parseInvocation(data: CommandData): ParseResult<Invocation> {
  const flat = flatten(data);
  if (!flat.ok) return flat;
  const { name, options } = flat.value;
  if (!isSlashName(name)) {
    return { ok: false, message: `Dream.OS has no /${name}. It knows ${SLASH_COMMANDS.map((c) => `/${c.name}`).join(', ')}; if Discord shows others, they are left over from an older version and disappear when Dream.OS reconnects.` };
  }
  const parsed = INVOCATIONS[name].safeParse(options);
  if (!parsed.success) return { ok: false, message: `Could not run /${name} — ${describeIssues(parsed.error.issues)}.` };
  return { ok: true, value: { name, args: parsed.data } as Invocation };
}

/** The command name alone (for rate limiting and permissions before the options are checked). */
export function invokedName(data: CommandData): string {
  const flat = flatten(data);
  return flat.ok ? flat.value.name : data.name;
}
