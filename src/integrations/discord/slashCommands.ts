/**
 * The slash commands, one entry each: what Discord shows (description, options: registered per
 * guild with PUT /applications/{app}/guilds/{guild}/commands), the zod schema its arguments must
 * pass, whether it only reads (then it is open to everyone unless restricted, and answered to the
 * asker alone), whether it answers slowly, and its handler. Adding a command is one entry here;
 * its permission name, definition and parsing follow. Parsing never throws: a bad invocation
 * becomes a message saying what to fix.
 */
import { z } from 'zod';
import { Id, priorityName, PriorityName, TASK_STATUSES, TASK_TYPES, TaskStatus, TaskType } from '../../core/board/boardModel';
import type { SwarmState } from '../../core/loop/loopCommands';
import { actorOf, agentNames, approveText, call, describeEvent, lines, OPEN, say, STATUS_ORDER, taskLine, time, type HandlerContext, type Reply } from './handlers';
import { describeIssues, inline, type CommandData, type CommandOption, type ParseResult } from './payloads';

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

const ProposalId = z.string().trim().regex(/^prp_[0-9a-f]{12}$/, 'expected a proposal id such as prp_0123456789ab (see the proposal notification)');
const TaskId = Id.describe('task id');
const AgentName = z.string().trim().min(1, 'name an agent').max(80);
const proposalOption = () => str('proposal', 'The proposal id (prp_…)', { required: true, min_length: 16, max_length: 16 });
const reasonOption = (description: string) => str('reason', description, { max_length: 500 });

// ── The commands ───────────────────────────────────────────────────────────────────────────────

interface SlashEntry<S extends z.ZodType> {
  /** Shown in Discord's command picker. */
  description: string;
  options?: OptionDef[];
  /** What the options must be; the handler gets them parsed. */
  args: S;
  /** Only reads the board: open to everyone unless restricted, and answered to the asker alone. */
  readOnly?: true;
  /** Answers slowly (validation, applying files): deferred at once instead of raced. */
  slow?: true;
  run(ctx: HandlerContext, args: z.infer<S>): Promise<Reply>;
}
const entry = <S extends z.ZodType>(e: SlashEntry<S>) => e;

/** The description of a command whose entries are its subcommands (`/task add`, `/task show`). */
const GROUPS: Record<string, string> = { task: 'Create or show a task' };

/** Every slash command, in the order Discord lists them; `'task add'` is `/task add`. */
export const SLASH = {
  status: entry({
    description: 'The board, the agents and the swarm at a glance',
    args: z.object({}).strict(),
    readOnly: true,
    async run(ctx) {
      const [info, agents, swarm, waiting] = await Promise.all([
        call(ctx, { type: 'board.info' }),
        call(ctx, { type: 'agent.list' }),
        call(ctx, { type: 'swarm.state' }),
        call(ctx, { type: 'proposal.list', status: ['pending', 'conflicted'] }),
      ]);
      const counts = STATUS_ORDER.filter((s) => info.byStatus[s]).map((s) => `${info.byStatus[s]} ${s}`);
      const where = swarm.live && swarm.host ? ` on ${inline(swarm.host.hostname, 80)} (pid ${swarm.host.pid})` : swarm.desired === 'running' ? ' (no swarm host is running: `dreamos swarm start` or Start Swarm in the editor)' : '';
      const swarmLine = `${swarm.desired === 'running' ? 'running' : `paused${swarm.reason ? ` (${inline(swarm.reason, 100)})` : ''}`}${where}`;
      const agentLine = agents.length ? agents.map((a) => `${a.name} ${a.status}${a.currentTask ? ` on \`${a.currentTask}\`` : ''}`).join(', ') : 'none registered';
      return say(
        [
          `**Dream.OS** — swarm ${swarmLine}`,
          `Tasks: ${counts.length ? counts.join(' · ') : 'none'} (${info.tasks} in all)`,
          `Agents: ${agentLine}`,
          `Proposals waiting for review: ${waiting.length ? waiting.slice(0, 10).map((p) => `\`${p.id}\``).join(', ') : 'none'}`,
        ].join('\n'),
        true,
      );
    },
  }),

  tasks: entry({
    description: 'List tasks',
    options: [str('status', 'Only tasks in this status', { choices: choices(TASK_STATUSES) })],
    args: z.object({ status: TaskStatus.optional() }).strict(),
    readOnly: true,
    async run(ctx, args) {
      const [tasks, names] = await Promise.all([call(ctx, { type: 'task.list', status: args.status ? [args.status] : OPEN, limit: 500 }), agentNames(ctx)]);
      const what = args.status ? `${args.status} tasks` : 'open tasks';
      if (!tasks.length) return say(`No ${what}.`, true);
      return say(lines(`**${tasks.length} ${what}**`, tasks.map((t) => taskLine(t, names))), true);
    },
  }),

  'task add': entry({
    description: 'Create a task on the board',
    options: [
      str('title', 'What needs doing', { required: true, max_length: 200 }),
      str('description', 'Details, acceptance criteria', { max_length: 4_000 }),
      str('priority', 'How urgent', { choices: choices(['low', 'normal', 'high', 'critical']) }),
      str('kind', 'What kind of work', { choices: choices(TASK_TYPES) }),
    ],
    args: z
      .object({
        title: z.string().trim().min(1, 'a task needs a title').max(200, 'a title is at most 200 characters'),
        description: z.string().max(4_000).optional(),
        priority: PriorityName.optional(),
        kind: TaskType.optional(),
      })
      .strict(),
    async run(ctx, args) {
      const task = await call(ctx, {
        type: 'task.add',
        title: args.title,
        ...(args.description ? { description: args.description } : {}),
        ...(args.priority ? { priority: args.priority } : {}),
        ...(args.kind ? { kind: args.kind } : {}),
      });
      return say(`Task created by ${inline(ctx.who.name, 60)}: \`${task.id}\` **${inline(task.title)}** (${task.status}, ${priorityName(task.priority)})`);
    },
  }),

  'task show': entry({
    description: 'Show a task and its history',
    options: [str('id', 'The task id (tsk_…)', { required: true, min_length: 16, max_length: 16 })],
    args: z.object({ id: TaskId }).strict(),
    readOnly: true,
    async run(ctx, args) {
      const [d, names] = await Promise.all([call(ctx, { type: 'task.show', taskId: args.id }), agentNames(ctx)]);
      const t = d.task;
      const out = [
        `**${inline(t.title)}** \`${t.id}\``,
        `${t.status} · ${t.kind} · ${priorityName(t.priority)} · attempt ${t.attempts} of ${t.maxAttempts}${t.assignee ? ` · owner ${names.get(t.assignee) ?? t.assignee}` : ''}`,
      ];
      if (t.description) out.push(`> ${inline(t.description, 600)}`);
      if (t.resultSummary) out.push(`Result: ${inline(t.resultSummary, 400)}`);
      const recent = d.history.slice(-6).map((h) => `\`${time(h.at)}\` ${h.from ?? '—'} → ${h.to} by ${inline(h.actor, 60)}${h.reason ? `: ${inline(h.reason, 120)}` : ''}`);
      if (recent.length) out.push('History:', ...recent);
      return say(out.join('\n'), true);
    },
  }),

  claim: entry({
    description: 'Give a task to an agent (the best ready one if no task is named)',
    options: [str('agent', 'The agent name or id', { required: true, max_length: 80 }), str('task', 'The task id (tsk_…)', { min_length: 16, max_length: 16 })],
    args: z.object({ agent: AgentName, task: TaskId.optional() }).strict(),
    async run(ctx, args) {
      if (args.task) {
        const r = await call(ctx, { type: 'task.claim', taskId: args.task, agentId: args.agent });
        return say(`\`${r.task.id}\` **${inline(r.task.title)}** is now ${args.agent}'s (claimed by ${inline(ctx.who.name, 60)}).`);
      }
      const r = await call(ctx, { type: 'task.claimNext', agentId: args.agent });
      if (!r) return say(`No ready task fits ${args.agent} (none ready, or it lacks the capabilities they require).`, true);
      return say(`${args.agent} took \`${r.task.id}\` **${inline(r.task.title)}** (claimed by ${inline(ctx.who.name, 60)}).`);
    },
  }),

  approve: entry({
    description: 'Approve a proposal and apply it (with a recovery point)',
    options: [proposalOption(), { type: T.boolean, name: 'override', description: 'Approve even though its checks failed' }],
    args: z.object({ proposal: ProposalId, override: z.boolean().optional() }).strict(),
    slow: true,
    async run(ctx, args) {
      return say(await approveText(ctx, args.proposal, args.override === true));
    },
  }),

  reject: entry({
    description: 'Reject a proposal; the agent gets your reason',
    options: [proposalOption(), str('reason', 'Why: the agent reads this', { required: true, max_length: 2_000 })],
    args: z.object({ proposal: ProposalId, reason: z.string().trim().min(1, 'say why, so the agent can do better').max(2_000) }).strict(),
    async run(ctx, args) {
      const p = await call(ctx, { type: 'proposal.reject', proposalId: args.proposal, reason: args.reason });
      return say(`Proposal \`${p.id}\` **${inline(p.title)}** rejected by ${inline(ctx.who.name, 60)}: ${inline(args.reason, 300)}`);
    },
  }),

  message: entry({
    description: 'Send a message to an agent',
    options: [str('agent', 'The agent name or id', { required: true, max_length: 80 }), str('text', 'The message', { required: true, max_length: 2_000 })],
    args: z.object({ agent: AgentName, text: z.string().trim().min(1, 'the message is empty').max(2_000) }).strict(),
    async run(ctx, args) {
      const agent = await call(ctx, { type: 'agent.show', agent: args.agent });
      const subject = inline(args.text.split('\n')[0] ?? args.text, 120) || 'Message from Discord';
      await call(ctx, { type: 'mail.send', from: actorOf(ctx.who), to: { kind: 'agent', id: agent.id }, subject, body: args.text, priority: 'high' });
      return say(`Message sent to ${agent.name}. Agents read their mail between steps.`, true);
    },
  }),

  pause: entry({
    description: 'Stop the swarm taking new tasks',
    options: [reasonOption('Why (shown to others)')],
    args: z.object({ reason: z.string().trim().max(500).optional() }).strict(),
    async run(ctx, args) {
      const reason = args.reason || `paused from Discord by ${ctx.who.name}`;
      await call(ctx, { type: 'swarm.set', desired: 'stopped', reason });
      return say(`Swarm paused by ${inline(ctx.who.name, 60)}: agents take no new tasks and the tasks in hand are released. /resume starts it again.`);
    },
  }),

  resume: entry({
    description: 'Let the swarm take tasks again',
    options: [reasonOption('Why (shown to others)')],
    args: z.object({ reason: z.string().trim().max(500).optional() }).strict(),
    async run(ctx, args) {
      const reason = args.reason || `resumed from Discord by ${ctx.who.name}`;
      // Only the swarm's live holder is told to run again (checked with the write, on the board): /resume never starts a second one.
      let s: SwarmState;
      try {
        s = await call(ctx, { type: 'swarm.set', desired: 'running', reason, onlyIfHeld: true });
      } catch (err) {
        if ((err as { code?: string }).code !== 'conflict') throw err;
        return say(`Nothing resumed: ${inline((err as Error).message, 600)}`);
      }
      const h = s.host!;
      return say(`Swarm set to run again by ${inline(ctx.who.name, 60)}: the swarm ${h.loopId} on ${inline(h.hostname, 80)} (pid ${h.pid}) takes tasks again.`);
    },
  }),

  devlog: entry({
    description: 'The latest board events',
    options: [{ type: T.integer, name: 'count', description: 'How many (default 15)', min_value: 1, max_value: 50 }],
    args: z.object({ count: z.number().int().min(1).max(50).optional() }).strict(),
    readOnly: true,
    async run(ctx, args) {
      const count = args.count ?? 15;
      const info = await call(ctx, { type: 'board.info' });
      // Heartbeats drown everything else out: skip them, reading a bit further back to fill the page.
      const events = await call(ctx, { type: 'events.since', afterSeq: Math.max(0, info.latestSeq - count * 20), limit: count * 20 });
      const shown = events.filter((e) => e.type !== 'agent.heartbeat').slice(-count);
      if (!shown.length) return say('Nothing has happened on the board yet.', true);
      return say(lines(`**Latest ${shown.length} board events**`, shown.map(describeEvent), count), true);
    },
  }),
};

export type SlashName = keyof typeof SLASH;
export type Invocation = { [K in SlashName]: { name: K; args: z.infer<(typeof SLASH)[K]['args']> } }[SlashName];
type AnyEntry = SlashEntry<z.ZodType>;

/** The slash commands' names, in table order (each is also a permission name). */
export const SLASH_NAMES = Object.keys(SLASH) as [SlashName, ...SlashName[]];
/** The commands that only read. */
export const READ_ONLY: ReadonlySet<SlashName> = new Set(SLASH_NAMES.filter((n) => (SLASH[n] as AnyEntry).readOnly));

/** The entry of a command, typed for any of them (the dispatcher runs it with parsed arguments). */
export function slashEntry(name: SlashName): AnyEntry {
  return SLASH[name] as AnyEntry;
}

/** What is registered with Discord: one definition per top-level command, subcommands nested. */
export const SLASH_COMMANDS: SlashCommandDefinition[] = [];
for (const name of SLASH_NAMES) {
  const e = slashEntry(name);
  const [top, sub] = name.split(' ') as [string, string | undefined];
  if (sub === undefined) {
    SLASH_COMMANDS.push(def(top, e.description, e.options));
    continue;
  }
  let group = SLASH_COMMANDS.find((d) => d.name === top);
  if (!group) SLASH_COMMANDS.push((group = def(top, GROUPS[top] ?? top, [])));
  group.options!.push({ type: T.subcommand, name: sub, description: e.description, ...(e.options ? { options: e.options } : {}) });
}

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
  return Object.hasOwn(SLASH, name);
}

export function parseInvocation(data: CommandData): ParseResult<Invocation> {
  const flat = flatten(data);
  if (!flat.ok) return flat;
  const { name, options } = flat.value;
  if (!isSlashName(name)) {
    return { ok: false, message: `Dream.OS has no /${name}. It knows ${SLASH_COMMANDS.map((c) => `/${c.name}`).join(', ')}; if Discord shows others, they are left over from an older version and disappear when Dream.OS reconnects.` };
  }
  const parsed = slashEntry(name).args.safeParse(options);
  if (!parsed.success) return { ok: false, message: `Could not run /${name} — ${describeIssues(parsed.error.issues)}.` };
  return { ok: true, value: { name, args: parsed.data } as Invocation };
}

/** The command name alone (for rate limiting and permissions before the options are checked). */
export function invokedName(data: CommandData): string {
  const flat = flatten(data);
  return flat.ok ? flat.value.name : data.name;
}
