/**
 * Webhooks on the board: their configuration (with the secret the hub signs with), the delivery
 * queue and its log. Deliveries are queued by `fanout` in one transaction with the webhooks'
 * cursors, so a hub that restarts resumes after the last event it queued: nothing twice, nothing
 * lost. Per URL, deliveries go out in the order they were queued (the head waits for its retries).
 */
import { randomBytes } from 'node:crypto';
import { findTask, type BoardContext } from '../board/tasks';
import { DreamError } from '../errors';
import { emitEvent, latestSeq, readEventsSince, type BoardEvent } from '../events/eventLog';
import type { Tx } from '../store/sqlite';
import { MAX_WEBHOOKS, type Delivery, type DeliveryAttempt, type DeliveryKind, type DeliveryStatus, type WebhookEvent, type WebhookFormat, type WebhookInfo } from './webhookModel';
import { classify, decide, describe, renderBody, signedHeaders, type AttemptResult, type Context, type Notice, type RetryPolicy, DEFAULT_RETRY } from './rules';

interface HookRow {
  id: string;
  url: string;
  events: string;
  format: string;
  description: string;
  secret: string;
  cursor: number;
  created_by: string;
  created_at: number;
  removed_at: number | null;
}

interface DeliveryRow {
  n: number;
  id: string;
  webhook_id: string;
  url: string;
  kind: string;
  seq: number | null;
  body: string;
  status: string;
  next_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Finished deliveries are kept this long in the log. */
const KEEP_MS = 14 * 24 * 3_600_000;
/** Events read per fanout; a longer backlog takes several. */
const PAGE = 500;

const hexId = (kind: 'whk' | 'dlv') => `${kind}_${randomBytes(6).toString('hex')}`;

function toInfo(tx: Tx, r: HookRow): WebhookInfo {
  const pending = tx.get<{ n: number }>("SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = ? AND status = 'pending'", [r.id])?.n ?? 0;
  return {
    id: r.id,
    url: r.url,
    events: JSON.parse(r.events) as WebhookEvent[],
    format: r.format as WebhookFormat,
    description: r.description,
    createdBy: r.created_by,
    createdAt: r.created_at,
    removedAt: r.removed_at,
    pending,
  };
}

function hook(tx: Tx, id: string): HookRow {
  const r = tx.get<HookRow>('SELECT * FROM webhooks WHERE id = ?', [id]);
  if (!r) throw new DreamError('not_found', `No webhook ${id}. See them with \`dreamos webhook list\`.`, { webhook: id });
  return r;
}

/** Only the URL's origin: a Slack-style URL's path is itself a secret, and agents and read tokens see events. */
function audit(ctx: BoardContext, action: string, r: HookRow): void {
  emitEvent(ctx.tx, { type: 'board.configured', at: ctx.now, actor: ctx.actor, subject: '', payload: { changed: ['webhooks'], webhook: { id: r.id, action, to: new URL(r.url).origin } } });
}

/** The secret is returned once, here; the board keeps it so the hub can sign, and never shows it again. */
export function addWebhook(ctx: BoardContext, c: { url: string; events: WebhookEvent[]; format: WebhookFormat; description: string }): WebhookInfo & { secret: string } {
  const live = ctx.tx.get<{ n: number }>('SELECT count(*) AS n FROM webhooks WHERE removed_at IS NULL')?.n ?? 0;
  if (live >= MAX_WEBHOOKS) throw new DreamError('conflict', `This board has ${live} webhooks, the most it keeps. Remove one first (\`dreamos webhook remove <id>\`).`);
  const id = hexId('whk');
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  // It hears of what happens from now on, not of the board's past.
  ctx.tx.run('INSERT INTO webhooks (id, url, events, format, description, secret, cursor, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
    id,
    c.url,
    JSON.stringify(c.events),
    c.format,
    c.description,
    secret,
    latestSeq(ctx.tx),
    ctx.actor,
    ctx.now,
  ]);
  const r = hook(ctx.tx, id);
  audit(ctx, 'added', r);
  return { ...toInfo(ctx.tx, r), secret };
}

export function listWebhooks(tx: Tx, includeRemoved: boolean): WebhookInfo[] {
  return tx.all<HookRow>(`SELECT * FROM webhooks ${includeRemoved ? '' : 'WHERE removed_at IS NULL'} ORDER BY created_at, id`).map((r) => toInfo(tx, r));
}

/** Its waiting deliveries are cancelled; the log keeps them. */
export function removeWebhook(ctx: BoardContext, id: string): WebhookInfo {
  const r = hook(ctx.tx, id);
  if (r.removed_at === null) {
    ctx.tx.run('UPDATE webhooks SET removed_at = ? WHERE id = ?', [ctx.now, id]);
    ctx.tx.run("UPDATE webhook_deliveries SET status = 'cancelled', next_at = NULL, updated_at = ? WHERE webhook_id = ? AND status = 'pending'", [ctx.now, id]);
    audit(ctx, 'removed', r);
  }
  return toInfo(ctx.tx, hook(ctx.tx, id));
}

function liveHook(tx: Tx, id: string): HookRow {
  const r = hook(tx, id);
  if (r.removed_at !== null) throw new DreamError('conflict', `Webhook ${id} was removed; add it again with \`dreamos webhook add\`.`, { webhook: id });
  return r;
}

function notice(id: string, kind: DeliveryKind, e: BoardEvent | undefined, c: Context): Notice {
  const words = describe(kind, e, c);
  return {
    id,
    event: kind,
    seq: e?.seq ?? null,
    at: new Date(e?.at ?? Date.now()).toISOString(),
    actor: e?.actor ?? 'hub',
    ...words,
    task: c.task ?? null,
    proposal: c.proposal ?? null,
    message: c.message ?? null,
    agent: c.agent ?? null,
    data: e?.payload ?? {},
  };
}

function enqueue(ctx: BoardContext, r: HookRow, kind: DeliveryKind, e: BoardEvent | undefined, c: Context): string {
  const id = hexId('dlv');
  const body = renderBody(r.format as WebhookFormat, notice(id, kind, e, c));
  ctx.tx.run("INSERT OR IGNORE INTO webhook_deliveries (id, webhook_id, url, kind, seq, body, status, next_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)", [
    id,
    r.id,
    r.url,
    kind,
    e?.seq ?? null,
    body,
    ctx.now,
    ctx.now,
    ctx.now,
  ]);
  return id;
}

export function testWebhook(ctx: BoardContext, id: string): { deliveryId: string } {
  return { deliveryId: enqueue(ctx, liveHook(ctx.tx, id), 'test', undefined, {}) };
}

/** What the board knows about the event's task, proposal, message and agent, for the notice's words. */
function contextOf(tx: Tx, e: BoardEvent): Context {
  const c: Context = {};
  const taskId = e.subject.startsWith('tsk_') ? e.subject : typeof e.payload.taskId === 'string' ? e.payload.taskId : undefined;
  const t = taskId ? findTask(tx, taskId) : undefined;
  if (t) c.task = { id: t.id, title: t.title, status: t.status };
  if (e.subject.startsWith('prp_')) {
    const p = tx.get<{ id: string; title: string; status: string }>('SELECT id, title, status FROM proposals WHERE id = ?', [e.subject]);
    if (p) c.proposal = p;
  }
  if (e.type === 'mail.sent') {
    const m = tx.get<{ id: string; from_id: string; subject: string; body: string }>('SELECT id, from_id, subject, body FROM messages WHERE id = ?', [e.subject]);
    if (m) c.message = { id: m.id, from: m.from_id, subject: m.subject, body: m.body.slice(0, 2_000) };
  }
  const agentRef = e.type === 'mail.sent' ? c.message?.from : typeof e.payload.agentId === 'string' ? e.payload.agentId : e.actor;
  const a = agentRef ? tx.get<{ id: string; name: string }>('SELECT id, name FROM agents WHERE id = ?', [agentRef]) : undefined;
  if (a) c.agent = a;
  return c;
}

/**
 * Queues a delivery for every live webhook that wants each event after its cursor, and moves the
 * cursors on. It writes only when something was queued (or the cursors lag far behind): reading
 * the same uninteresting events again after a restart queues nothing, so nothing is lost by not
 * moving them. Emits no event (it runs because of events).
 */
export function fanout(ctx: BoardContext): { enqueued: number; cursor: number; more: boolean; webhooks: number } {
  const hooks = ctx.tx.all<HookRow>('SELECT * FROM webhooks WHERE removed_at IS NULL ORDER BY created_at, id');
  if (hooks.length === 0) return { enqueued: 0, cursor: 0, more: false, webhooks: 0 };
  const from = Math.min(...hooks.map((h) => h.cursor));
  const events = readEventsSince(ctx.tx, from, PAGE);
  const last = events.at(-1)?.seq ?? from;
  let enqueued = 0;
  for (const e of events) {
    const kind = classify(e);
    if (!kind) continue;
    const wanting = hooks.filter((h) => e.seq > h.cursor && (JSON.parse(h.events) as string[]).includes(kind));
    if (wanting.length === 0) continue;
    const c = contextOf(ctx.tx, e);
    for (const h of wanting) {
      enqueue(ctx, h, kind, e, c);
      enqueued++;
    }
  }
  if (enqueued > 0 || last - from >= PAGE / 2) {
    ctx.tx.run('UPDATE webhooks SET cursor = ? WHERE removed_at IS NULL AND cursor < ?', [last, last]);
    const old = ctx.now - KEEP_MS;
    ctx.tx.run("DELETE FROM webhook_attempts WHERE delivery_n IN (SELECT n FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < ?)", [old]);
    ctx.tx.run("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < ?", [old]);
  }
  return { enqueued, cursor: last, more: events.length === PAGE, webhooks: hooks.length };
}

export interface DueDelivery {
  deliveryId: string;
  url: string;
  kind: DeliveryKind;
  nextAt: number;
  /** Only for a delivery due now: the body and its signed headers, as of this moment. */
  send?: { headers: Record<string, string>; body: string };
}

/** The head of each URL's queue; those due now come with their signed request. */
export function due(ctx: BoardContext): DueDelivery[] {
  const heads = ctx.tx.all<DeliveryRow & { secret: string }>(
    `SELECT d.*, w.secret FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
     WHERE d.n IN (SELECT min(n) FROM webhook_deliveries WHERE status = 'pending' GROUP BY url) ORDER BY d.n`,
  );
  return heads.map((h) => ({
    deliveryId: h.id,
    url: h.url,
    kind: h.kind as DeliveryKind,
    nextAt: h.next_at ?? ctx.now,
    ...((h.next_at ?? 0) <= ctx.now ? { send: { headers: signedHeaders({ secret: h.secret, kind: h.kind as DeliveryKind, deliveryId: h.id, body: h.body, nowMs: ctx.now }), body: h.body } } : {}),
  }));
}

/** Records one attempt and what follows from it (delivered, a retry at a time, or given up). */
export function recordAttempt(ctx: BoardContext, c: { deliveryId: string; result: AttemptResult; durationMs: number; policy?: RetryPolicy | undefined }): { status: DeliveryStatus; attempt: number; retryAt: number | null; why: string | null } {
  const d = ctx.tx.get<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?', [c.deliveryId]);
  if (!d) throw new DreamError('not_found', `No delivery ${c.deliveryId}.`, { delivery: c.deliveryId });
  const attempt = (ctx.tx.get<{ n: number | null }>('SELECT max(attempt) AS n FROM webhook_attempts WHERE delivery_n = ?', [d.n])?.n ?? 0) + 1;
  const o = decide(attempt, c.result, ctx.now, c.policy ?? DEFAULT_RETRY);
  const retryAt = o.outcome === 'retry' ? o.retryAt : null;
  const why = o.outcome === 'delivered' ? null : o.why;
  ctx.tx.run('INSERT INTO webhook_attempts (delivery_n, attempt, at, status, error, duration_ms, retry_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    d.n,
    attempt,
    ctx.now,
    c.result.status,
    why,
    c.durationMs,
    retryAt,
  ]);
  // A delivery cancelled meanwhile (its webhook removed) keeps that status; the attempt is logged.
  if (d.status !== 'pending') return { status: d.status as DeliveryStatus, attempt, retryAt: null, why };
  const status: DeliveryStatus = o.outcome === 'retry' ? 'pending' : o.outcome;
  ctx.tx.run('UPDATE webhook_deliveries SET status = ?, next_at = ?, updated_at = ? WHERE n = ?', [status, retryAt, ctx.now, d.n]);
  return { status, attempt, retryAt, why };
}

export function listDeliveries(tx: Tx, c: { webhookId?: string | undefined; deliveryId?: string | undefined; limit: number }): Delivery[] {
  const where = c.deliveryId ? 'WHERE id = ?' : c.webhookId ? 'WHERE webhook_id = ?' : '';
  const args = c.deliveryId ? [c.deliveryId] : c.webhookId ? [c.webhookId] : [];
  const rows = tx.all<DeliveryRow>(`SELECT * FROM webhook_deliveries ${where} ORDER BY n DESC LIMIT ?`, [...args, c.limit]);
  return rows.map((r) => ({
    id: r.id,
    webhookId: r.webhook_id,
    url: r.url,
    kind: r.kind as DeliveryKind,
    seq: r.seq,
    status: r.status as DeliveryStatus,
    nextAt: r.next_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    body: r.body,
    attempts: tx
      .all<{ attempt: number; at: number; status: number | null; error: string | null; duration_ms: number; retry_at: number | null }>('SELECT * FROM webhook_attempts WHERE delivery_n = ? ORDER BY attempt', [r.n])
      .map((a): DeliveryAttempt => ({ n: a.attempt, at: a.at, status: a.status, error: a.error, durationMs: a.duration_ms, retryAt: a.retry_at })),
  }));
}
