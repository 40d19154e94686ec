/**
 * Which board events are news for a webhook, what a delivery says, how it is signed and when a
 * failed one is tried again. Pure functions: the store and the dispatcher call them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isPersonActor } from '../auth/principal';
import type { BoardEvent } from '../events/eventLog';
import type { DeliveryKind, WebhookEvent, WebhookFormat } from './webhookModel';

/** The webhook kind a board event is, if any. */
export function classify(e: BoardEvent): WebhookEvent | undefined {
  const p = e.payload;
  switch (e.type) {
    case 'task.transitioned':
      return p.to === 'blocked' ? 'blocked' : p.to === 'failed' ? 'failed' : p.to === 'done' ? 'done' : undefined;
    case 'mail.sent': {
      // An agent (or the hub) asking the person; the person's own notes to themself are not news.
      const to = p.to as { kind?: unknown } | undefined;
      const from = typeof p.from === 'string' ? p.from : '';
      return to?.kind === 'human' && !isPersonActor(from) ? 'needs-input' : undefined;
    }
    case 'proposal.submitted':
      return 'proposal-ready';
    case 'proposal.transitioned':
      // A branch proposal's next revision is ready for review again (src/core/worktrees/proposals.ts).
      return p.to === 'pending' && typeof p.detail === 'string' && /^revision \d+/.test(p.detail) ? 'proposal-ready' : undefined;
    case 'budget.exceeded':
      return 'over-budget';
    default:
      return undefined;
  }
}

/** What the board knows about an event's subject, looked up when the delivery is queued. */
export interface Context {
  task?: { id: string; title: string; status: string } | undefined;
  proposal?: { id: string; title: string; status: string } | undefined;
  message?: { id: string; from: string; subject: string; body: string } | undefined;
  agent?: { id: string; name: string } | undefined;
}

export interface Notice {
  id: string;
  event: DeliveryKind;
  /** The board event's sequence number (null for a test). */
  seq: number | null;
  at: string;
  actor: string;
  title: string;
  text: string;
  task: Context['task'] | null;
  proposal: Context['proposal'] | null;
  message: Context['message'] | null;
  agent: Context['agent'] | null;
  data: Record<string, unknown>;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The words of a notice: one title line and a short text, the same in JSON and in Slack. */
export function describe(kind: DeliveryKind, e: Pick<BoardEvent, 'payload' | 'subject'> | undefined, c: Context): { title: string; text: string } {
  const task = c.task ? `“${c.task.title}”` : e?.subject || 'a task';
  const who = c.agent?.name ?? c.message?.from ?? '';
  const p = e?.payload ?? {};
  switch (kind) {
    case 'test':
      return { title: 'Test delivery from Dream.OS', text: 'This webhook is configured and reachable.' };
    case 'needs-input':
      return { title: `${who || 'An agent'} asks: ${c.message?.subject ?? str(p.subject)}`, text: clip(c.message?.body ?? '', 1_000) };
    case 'blocked':
      return { title: `Blocked: ${task}`, text: clip(str(p.reason), 1_000) };
    case 'failed':
      return { title: `Failed: ${task}`, text: clip(str(p.reason), 1_000) };
    case 'done':
      return { title: `Done: ${task}`, text: clip(str(p.reason), 1_000) };
    case 'proposal-ready':
      return { title: `Ready for review: ${c.proposal ? `“${c.proposal.title}”` : str(p.title) || 'a proposal'}`, text: c.task ? `For task ${task}.` : '' };
    case 'over-budget':
      return { title: `Over budget: ${task}`, text: clip(str(p.message) || `${str(p.scope)} ${str(p.unit)}: spent ${String(p.spent)} of ${String(p.limit)}`, 1_000) };
  }
}

const escapeSlack = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The exact bytes a delivery sends: kept on the board, so every retry sends the same body. */
export function renderBody(format: WebhookFormat, n: Notice): string {
  if (format === 'json') return JSON.stringify(n);
  const refs = [n.task && `task \`${n.task.id}\``, n.proposal && `proposal \`${n.proposal.id}\``, n.seq !== null && `event #${n.seq}`].filter(Boolean).join(' · ');
  return JSON.stringify({
    text: `Dream.OS · ${n.title}${n.text ? ` — ${clip(n.text, 200)}` : ''}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${escapeSlack(n.title)}*${n.text ? `\n${escapeSlack(n.text)}` : ''}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: escapeSlack(`Dream.OS · ${n.event}${refs ? ` · ${refs}` : ''}`) }] },
    ],
  });
}

export const SIGNATURE_HEADER = 'X-DreamOS-Signature';

/** `sha256=<hex>` of HMAC-SHA256(secret, `<timestamp>.<body>`): the receiver recomputes it. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does (documented, and what the tests' receiver runs): recompute, compare in
 * constant time, and refuse a timestamp older than `toleranceS` (a replayed request).
 */
export function verify(secret: string, headers: { signature?: string | undefined; timestamp?: string | undefined }, body: string, nowS = Math.floor(Date.now() / 1000), toleranceS = 300): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts) || Math.abs(nowS - ts) > toleranceS) return false;
  const want = Buffer.from(sign(secret, ts, body));
  const got = Buffer.from(headers.signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

export function signedHeaders(o: { secret: string; kind: DeliveryKind; deliveryId: string; body: string; nowMs: number }): Record<string, string> {
  const ts = Math.floor(o.nowMs / 1000);
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'Dream.OS-Webhooks/1',
    'X-DreamOS-Event': o.kind,
    'X-DreamOS-Delivery': o.deliveryId,
    'X-DreamOS-Timestamp': String(ts),
    [SIGNATURE_HEADER]: sign(o.secret, ts, o.body),
  };
}

export interface RetryPolicy {
  /** Attempts in all, the first included (default 8). */
  maxAttempts: number;
  /** The wait after the first failure; doubled after each next one (default 10 s). */
  baseMs: number;
  /** No wait is longer than this, Retry-After included (default 1 h). */
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseMs: 10_000, capMs: 3_600_000 };

export type AttemptResult = { status: number; retryAfterMs?: number | undefined; error?: string | undefined } | { status: null; error: string };

export type Outcome = { outcome: 'delivered' } | { outcome: 'retry'; retryAt: number; why: string } | { outcome: 'failed'; why: string };

/** A redirect or a 4xx other than 408/425/429 will not get better by waiting: give up at once. */
const permanent = (s: number) => (s >= 300 && s < 400) || (s >= 400 && s < 500 && s !== 408 && s !== 425 && s !== 429);

/** What follows attempt number `attempt` (1-based) that ended with `r`. */
export function decide(attempt: number, r: AttemptResult, now: number, policy: RetryPolicy = DEFAULT_RETRY): Outcome {
  if (r.status !== null && r.status >= 200 && r.status < 300) return { outcome: 'delivered' };
  const what = r.status === null ? r.error : `HTTP ${r.status}${r.error ? `: ${r.error}` : ''}`;
  if (r.status !== null && permanent(r.status)) return { outcome: 'failed', why: `${what} (not retried: fix the receiver or the URL, then \`dreamos webhook test\`)` };
  if (attempt >= policy.maxAttempts) return { outcome: 'failed', why: `${what} (gave up after ${attempt} attempts)` };
  const backoff = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  const wait = r.status === 429 && r.retryAfterMs !== undefined ? Math.min(policy.capMs, Math.max(0, r.retryAfterMs)) : backoff;
  return { outcome: 'retry', retryAt: now + wait, why: what };
}
