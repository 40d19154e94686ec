/**
 * The dashboard's protocol, shared by the extension host, the HTTP/WebSocket dashboard server and
 * the dashboard UI (in a VS Code webview or a browser tab). Every message is a named type. What a
 * client sends has a zod schema that the host checks before acting (`decodeClientMessage`); what the
 * host sends has one too, checked by the contract tests — the UI imports types only, so zod never
 * ships in the webview bundle.
 *
 * The conversation: the client says `ready` (on every load and reconnect) → the host answers with
 * the full `state` → from then on `delta`s carry the new events plus the tasks and agents they
 * touched. Requests carry a `requestId` and get exactly one `response` with the same id.
 *
 * A client that already holds a state (the browser tab fetches its first one over HTTP, in parallel
 * with loading the UI; a reconnecting tab has its own) says `ready` with that state's `seq`: the host
 * then sends only a `delta` with what it missed, or nothing if it missed nothing — a full `state`
 * only when it cannot tell what was missed.
 *
 * Size matters on a 10,000-task board: a card carries only what a card shows (details come with
 * `task.show` on selection), and the `state` sends the cards as a `CardTable` — one array per field,
 * enum fields as small numbers — which is a third of the bytes of an array of card objects and
 * parses several times faster.
 */
import { z } from 'zod';
import type { TaskActionName } from '../core/board/actions';
import type { Agent, Task, TaskHistoryEntry, TaskStatus, TaskType } from '../core/board/boardModel';
import type { BoardEvent } from '../core/events/eventLog';
import type { RunStatus, RunUsage } from '../core/runs/runModel';
import { COLUMNS, type DropRules } from './boardColumns';
import { MAX_FILTER_LENGTH } from './taskFilter';

/** 2: cards lost tags, dependencies and lease (details carry them), and `state` sends a CardTable. 3: cards carry tags again (chips, search). */
export const PROTOCOL_VERSION = 3;
/** Client messages are small; anything larger is refused before it is parsed. */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

const TaskId = z.string().regex(/^tsk_[0-9a-f]{12}$/, 'expected a task id such as tsk_0123456789ab');
const AgentId = z.string().regex(/^agt_[0-9a-f]{12}$/, 'expected an agent id such as agt_0123456789ab');
const PriorityName = z.enum(['low', 'normal', 'high', 'critical']);
const Kind = z.enum(['feature', 'bug', 'chore', 'research', 'review', 'docs', 'test']);

/** What a dashboard may ask for. Each maps to one board command in the host's handler table. */
export const DashboardRequest = z.discriminatedUnion('action', [
  z.object({ action: z.literal('task.show'), taskId: TaskId }).strict(),
  z
    .object({
      action: z.literal('task.create'),
      title: z.string().trim().min(1, 'a task needs a title').max(200),
      priority: PriorityName.default('normal'),
      kind: Kind.optional(),
      description: z.string().max(20_000).optional(),
    })
    .strict(),
  z.object({ action: z.literal('task.done'), taskId: TaskId, summary: z.string().trim().min(1, 'say what was done').max(2_000) }).strict(),
  z.object({ action: z.literal('task.cancel'), taskId: TaskId, reason: z.string().trim().max(2_000).optional() }).strict(),
  z.object({ action: z.literal('task.retry'), taskId: TaskId }).strict(),
  z.object({ action: z.literal('task.assign'), taskId: TaskId, agentId: AgentId.nullable() }).strict(),
  z.object({ action: z.literal('agent.lifecycle'), agentId: AgentId, lifecycle: z.enum(['start', 'stop']) }).strict(),
]);
export type DashboardRequest = z.input<typeof DashboardRequest>;
export type DashboardAction = DashboardRequest['action'];

const RequestId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const ClientToHost = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('ready'),
      protocol: z.literal(PROTOCOL_VERSION).optional(),
      /** The client has the board through this event (its state's or its last delta's latestSeq). */
      seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    })
    .strict(),
  z.object({ type: z.literal('request'), requestId: RequestId, request: DashboardRequest }).strict(),
]);
export type ClientToHost = z.input<typeof ClientToHost>;
export type ParsedClientMessage = z.output<typeof ClientToHost>;

/** A task as a board card shows it: no description, evidence or lease (details fetch those). */
export interface TaskCard {
  id: string;
  title: string;
  /** Shown as chips and searched (tag:x). */
  tags: string[];
  status: TaskStatus;
  priority: number;
  kind: TaskType;
  assignee: string | null;
  attempts: number;
  maxAttempts: number;
  createdAt: number;
  updatedAt: number;
}

export function toTaskCard(t: Task): TaskCard {
  return {
    id: t.id,
    title: t.title,
    tags: t.tags,
    status: t.status,
    priority: t.priority,
    kind: t.kind,
    assignee: t.assignee,
    attempts: t.attempts,
    maxAttempts: t.maxAttempts,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/**
 * Many cards, column-wise: entry i of every array is card i. Strings that repeat (status, kind,
 * assignee) are sent once, in a small dictionary, and cards hold their index (-1: no assignee).
 * Times are milliseconds after `epoch`. The host sends cards in the board's claim order (priority,
 * then age, then id), so the UI's urgency-ordered columns arrive already sorted.
 */
export interface CardTable {
  ids: string[];
  titles: string[];
  /** Every tag once. Only cards with tags are listed: card `tagged[k]` has the tags `tags[k]` (indexes into tagNames). */
  tagNames: string[];
  tagged: number[];
  tags: number[][];
  statuses: TaskStatus[];
  status: number[];
  kinds: TaskType[];
  kind: number[];
  people: string[];
  assignee: number[];
  priority: number[];
  attempts: number[];
  maxAttempts: number[];
  epoch: number;
  createdAt: number[];
  updatedAt: number[];
}

/** The board's claim order: most urgent first, then oldest, then by id (as `task.list` returns them). */
export function claimOrder(a: TaskCard, b: TaskCard): number {
  return b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Packs cards into a CardTable, in the order given. (The UI's decoder is webview-ui/src/cards.ts.) */
export function encodeCards(cards: readonly TaskCard[]): CardTable {
  const n = cards.length;
  const t: CardTable = {
    ids: new Array<string>(n),
    titles: new Array<string>(n),
    tagNames: [],
    tagged: [],
    tags: [],
    statuses: [],
    status: new Array<number>(n),
    kinds: [],
    kind: new Array<number>(n),
    people: [],
    assignee: new Array<number>(n),
    priority: new Array<number>(n),
    attempts: new Array<number>(n),
    maxAttempts: new Array<number>(n),
    epoch: 0,
    createdAt: new Array<number>(n),
    updatedAt: new Array<number>(n),
  };
  const codes = <T extends string>(dict: T[]) => {
    const index = new Map<T, number>();
    return (v: T) => {
      let i = index.get(v);
      if (i === undefined) index.set(v, (i = dict.push(v) - 1));
      return i;
    };
  };
  const status = codes(t.statuses);
  const kind = codes(t.kinds);
  const person = codes(t.people);
  const tag = codes(t.tagNames);
  let epoch = Infinity;
  for (const c of cards) epoch = Math.min(epoch, c.createdAt, c.updatedAt);
  t.epoch = n ? epoch : 0;
  for (let i = 0; i < n; i++) {
    const c = cards[i]!;
    t.ids[i] = c.id;
    t.titles[i] = c.title;
    if (c.tags.length) {
      t.tagged.push(i);
      t.tags.push(c.tags.map(tag));
    }
    t.status[i] = status(c.status);
    t.kind[i] = kind(c.kind);
    t.assignee[i] = c.assignee === null ? -1 : person(c.assignee);
    t.priority[i] = c.priority;
    t.attempts[i] = c.attempts;
    t.maxAttempts[i] = c.maxAttempts;
    t.createdAt[i] = c.createdAt - t.epoch;
    t.updatedAt[i] = c.updatedAt - t.epoch;
  }
  return t;
}

/** Everything `task.show` knows. The lease token is never sent to a dashboard. */
export interface TaskDetails {
  task: Omit<Task, 'lease'> & { lease: { expiresAt: number } | null };
  history: TaskHistoryEntry[];
  dependents: string[];
  subtasks: string[];
  /** What the person may do to it now, from the one action table (src/core/board/actions.ts). */
  actions: { action: TaskActionName; label: string }[];
  /** Tokens and cost of the task's runs, summed and per agent (src/core/runs). */
  usage?: RunUsage & { agents: (RunUsage & { agentId: string })[] };
  /** The task's newest runs, newest first; the newest carries its transcript. */
  runs?: RunDigest[];
}

/** One run of an agent on the task, as the details show it. */
export interface RunDigest extends RunUsage {
  id: number;
  agentId: string;
  run: number;
  status: RunStatus;
  error: string | null;
  startedAt: number;
  endedAt: number | null;
  /** One line per event a person reads (src/core/runs/runModel describeEvent), oldest first; only the newest run has them. */
  transcript?: string[];
  /** Events left out of the transcript to keep it within its bound. */
  dropped: number;
}

export interface DashboardResults {
  'task.show': TaskDetails;
  'task.create': TaskCard;
  'task.done': TaskCard;
  'task.cancel': TaskCard;
  'task.retry': TaskCard;
  'task.assign': TaskCard;
  'agent.lifecycle': Agent;
}

export type HubRole = 'hub' | 'client' | 'closed';

export interface DashboardState {
  boardDir: string;
  role: HubRole;
  /** Every task on the board. */
  cards: CardTable;
  agents: Agent[];
  latestSeq: number;
  /** The newest events (up to 200), so a reloaded dashboard can refill its timeline. */
  recentEvents: BoardEvent[];
}

export interface DashboardError {
  code: string;
  message: string;
}

export interface StateMessage {
  type: 'state';
  state: DashboardState;
}
export interface DeltaMessage {
  type: 'delta';
  events: BoardEvent[];
  /** Tasks the events touched, as they are now (upsert by id). */
  tasks: TaskCard[];
  /** The full agent list, present when an event may have changed an agent. */
  agents?: Agent[];
  latestSeq: number;
  role: HubRole;
}
export type ResponseMessage =
  | { type: 'response'; requestId: number; ok: true; result: unknown }
  | { type: 'response'; requestId: number; ok: false; error: DashboardError };
/** A message that could not be answered as a response (no usable requestId). */
export interface ErrorMessage {
  type: 'error';
  error: DashboardError;
}
/**
 * The editor panel's own messages (src/extension/dashboard/dashboardPanel.ts), beside the shared
 * protocol: the filter shared with the Tasks tree, the drop rules for drag and drop, and what a
 * move did. The browser dashboard's server sends none of them, so there the UI has no drag and drop.
 */
export interface FilterMessage {
  type: 'filter';
  query: string;
}
export interface DropRulesMessage {
  type: 'dropRules';
  rules: DropRules;
}
export interface NoticeMessage {
  type: 'notice';
  level: 'info' | 'error';
  text: string;
}
export type PanelToClient = FilterMessage | DropRulesMessage | NoticeMessage;
export type HostToClient = StateMessage | DeltaMessage | ResponseMessage | ErrorMessage | PanelToClient;

// ---- Schemas of what the host sends. Not used at runtime by the UI; the contract tests parse every
// message a real host sends with them, so the types above cannot drift from what goes on the wire.
const TaskStatusSchema = z.enum(['waiting', 'ready', 'claimed', 'running', 'review', 'done', 'blocked', 'failed', 'cancelled']);
export const TaskCardSchema = z
  .object({
    id: TaskId,
    title: z.string(),
    tags: z.array(z.string()),
    status: TaskStatusSchema,
    priority: z.number().int().min(0).max(3),
    kind: Kind,
    assignee: z.string().nullable(),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .strict();
const Ints = z.array(z.number().int());
export const CardTableSchema = z
  .object({
    ids: z.array(TaskId),
    titles: z.array(z.string()),
    tagNames: z.array(z.string()),
    tagged: Ints,
    tags: z.array(Ints),
    statuses: z.array(TaskStatusSchema),
    status: Ints,
    kinds: z.array(Kind),
    kind: Ints,
    people: z.array(z.string()),
    assignee: Ints,
    priority: z.array(z.number().int().min(0).max(3)),
    attempts: Ints,
    maxAttempts: Ints,
    epoch: z.number().int().min(0),
    createdAt: z.array(z.number().int().min(0)),
    updatedAt: z.array(z.number().int().min(0)),
  })
  .strict()
  .superRefine((t, ctx) => {
    const n = t.ids.length;
    const columns = ['titles', 'status', 'kind', 'assignee', 'priority', 'attempts', 'maxAttempts', 'createdAt', 'updatedAt'] as const;
    for (const c of columns) if (t[c].length !== n) ctx.addIssue({ code: 'custom', path: [c], message: `${c} has ${t[c].length} entries for ${n} cards` });
    const inRange = (c: 'status' | 'kind' | 'assignee', size: number, min: number) => {
      if (t[c].some((i) => i < min || i >= size)) ctx.addIssue({ code: 'custom', path: [c], message: `${c} points outside its dictionary` });
    };
    inRange('status', t.statuses.length, 0);
    inRange('kind', t.kinds.length, 0);
    inRange('assignee', t.people.length, -1);
    if (t.tags.length !== t.tagged.length) ctx.addIssue({ code: 'custom', path: ['tags'], message: `tags has ${t.tags.length} entries for ${t.tagged.length} tagged cards` });
    if (t.tagged.some((i) => i < 0 || i >= n)) ctx.addIssue({ code: 'custom', path: ['tagged'], message: 'tagged names a card that is not there' });
    if (t.tags.some((list) => list.some((i) => i < 0 || i >= t.tagNames.length))) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'tags points outside its dictionary' });
  });
const AgentSchema = z.looseObject({ id: AgentId, name: z.string(), status: z.string(), driver: z.string(), currentTask: z.string().nullable() });
const EventSchema = z.object({ seq: z.number().int().positive(), type: z.string(), at: z.number(), actor: z.string(), subject: z.string(), payload: z.record(z.string(), z.unknown()) }).strict();
const Role = z.enum(['hub', 'client', 'closed']);
const ErrorSchema = z.object({ code: z.string(), message: z.string().min(1) }).strict();
export const HostToClientSchema = z.union([
  z.object({ type: z.literal('state'), state: z.object({ boardDir: z.string(), role: Role, cards: CardTableSchema, agents: z.array(AgentSchema), latestSeq: z.number().int().min(0), recentEvents: z.array(EventSchema).max(200) }).strict() }).strict(),
  z.object({ type: z.literal('delta'), events: z.array(EventSchema), tasks: z.array(TaskCardSchema), agents: z.array(AgentSchema).optional(), latestSeq: z.number().int().min(0), role: Role }).strict(),
  z.object({ type: z.literal('response'), requestId: RequestId, ok: z.literal(true), result: z.unknown() }).strict(),
  z.object({ type: z.literal('response'), requestId: RequestId, ok: z.literal(false), error: ErrorSchema }).strict(),
  z.object({ type: z.literal('error'), error: ErrorSchema }).strict(),
  z.object({ type: z.literal('filter'), query: z.string().max(MAX_FILTER_LENGTH) }).strict(),
  z.object({ type: z.literal('dropRules'), rules: z.partialRecord(TaskStatusSchema, z.array(z.union([z.object({ ok: z.literal(true), label: z.string() }).strict(), z.object({ ok: z.literal(false), why: z.string().min(1) }).strict()])).length(COLUMNS.length)) }).strict(),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'error']), text: z.string().min(1) }).strict(),
]);

/**
 * What the dashboard says to the editor panel itself (not to the shared DashboardHost): the search
 * query, to share with the Tasks tree, and a card dropped on a column. Checked by the panel before
 * anything else sees them; `decodePanelMessage` answers undefined for every other message.
 */
export const ClientToPanel = z.discriminatedUnion('type', [
  z.object({ type: z.literal('filter'), query: z.string().max(MAX_FILTER_LENGTH * 4, 'a search is at most a few hundred characters') }).strict(),
  z.object({ type: z.literal('task.move'), taskId: TaskId, column: z.number().int().min(0).max(COLUMNS.length - 1) }).strict(),
]);
export type ClientToPanel = z.input<typeof ClientToPanel>;

export function decodePanelMessage(raw: unknown): { ok: true; message: z.output<typeof ClientToPanel> } | { ok: false; error: DashboardError } | undefined {
  const type = raw !== null && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
  if (type !== 'filter' && type !== 'task.move') return undefined;
  const parsed = ClientToPanel.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  return invalid(z.prettifyError(parsed.error).slice(0, 600));
}

export type DecodeResult = { ok: true; message: ParsedClientMessage } | { ok: false; requestId?: number; error: DashboardError };

/**
 * Checks one raw client message — an already-parsed value (webview postMessage) or text (WebSocket).
 * Never throws: garbage gives a clear error, and the requestId when one can be salvaged, so the
 * sender's pending request is answered instead of hanging.
 */
export function decodeClientMessage(raw: unknown): DecodeResult {
  let value = raw;
  if (typeof raw === 'string') {
    if (raw.length > MAX_CLIENT_MESSAGE_BYTES) return invalid(`the message is ${raw.length} characters; the limit is ${MAX_CLIENT_MESSAGE_BYTES}.`);
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      return invalid('the message is not JSON.');
    }
  }
  const parsed = ClientToHost.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const id = value !== null && typeof value === 'object' ? (value as { requestId?: unknown }).requestId : undefined;
  const requestId = RequestId.safeParse(id).success ? (id as number) : undefined;
  const detail = z.prettifyError(parsed.error);
  return { ...invalid(detail.length > 600 ? `${detail.slice(0, 600)}…` : detail), ...(requestId !== undefined ? { requestId } : {}) };
}

function invalid(why: string): { ok: false; error: DashboardError } {
  return { ok: false, error: { code: 'invalid_input', message: `Invalid dashboard message: ${why}` } };
}
