/**
 * Webhooks: what the person configures (a URL, the kinds of news it wants, its payload format) and
 * what the board keeps about each delivery. The kinds are the moments a person cares about when
 * away from the editor; rules.ts says which board events they are.
 */
import { z } from 'zod';

export const WEBHOOK_EVENTS = ['needs-input', 'blocked', 'failed', 'done', 'proposal-ready', 'over-budget'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** What `webhook.test` sends: not configurable, every webhook accepts it. */
export type DeliveryKind = WebhookEvent | 'test';

export const WEBHOOK_FORMATS = ['json', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const MAX_WEBHOOKS = 50;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https anywhere; plain http only to this machine (a receiver on loopback, a tunnel's local end). */
export const WebhookUrl = z
  .string()
  .trim()
  .max(2_000, 'a webhook URL is at most 2000 characters')
  .superRefine((s, ctx) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a URL: give the full address, e.g. https://hooks.slack.com/services/…` });
      return;
    }
    if (u.protocol === 'https:') return;
    if (u.protocol === 'http:' && LOOPBACK.has(u.hostname)) return;
    ctx.addIssue({
      code: 'custom',
      message: u.protocol === 'http:' ? `plain http is allowed only to 127.0.0.1 or localhost; use https://${u.host}${u.pathname}` : `a webhook URL starts with https:// (got ${u.protocol})`,
    });
  });

export const WebhookEvents = z
  .array(
    z.string().refine((e): e is WebhookEvent => (WEBHOOK_EVENTS as readonly string[]).includes(e), {
      error: (i) => `unknown webhook event "${String(i.input)}"; choose from ${WEBHOOK_EVENTS.join(', ')}`,
    }),
  )
  .min(1, `name at least one event: ${WEBHOOK_EVENTS.join(', ')}`)
  .max(WEBHOOK_EVENTS.length)
  .transform((es) => [...new Set(es)] as WebhookEvent[]);

export const WebhookId = z.string().regex(/^whk_[0-9a-f]{12}$/, 'expected a webhook id such as whk_0123456789ab (see `dreamos webhook list`)');
export const DeliveryId = z.string().regex(/^dlv_[0-9a-f]{12}$/, 'expected a delivery id such as dlv_0123456789ab');

export interface WebhookInfo {
  id: string;
  url: string;
  events: WebhookEvent[];
  format: WebhookFormat;
  description: string;
  createdBy: string;
  createdAt: number;
  removedAt: number | null;
  /** Deliveries still waiting (queued or between retries). */
  pending: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';

export interface DeliveryAttempt {
  n: number;
  at: number;
  /** The receiver's HTTP status; null when no answer came (refused, timed out, DNS). */
  status: number | null;
  error: string | null;
  durationMs: number;
  /** When the next attempt is due after this one (null: none). */
  retryAt: number | null;
}

export interface Delivery {
  id: string;
  webhookId: string;
  url: string;
  kind: DeliveryKind;
  /** The board event it tells of (null for a test). */
  seq: number | null;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  nextAt: number | null;
  createdAt: number;
  updatedAt: number;
  body: string;
}
