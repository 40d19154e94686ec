/**
 * The webhook commands, spread into the board's command union (src/core/commands.ts). Configuring
 * webhooks is the person's or an admin token's (src/core/auth/policy.ts ADMIN_COMMANDS); fanout,
 * due and attempt are what the hub's dispatcher (dispatcher.ts) runs, as the person.
 */
import { z } from 'zod';
import type { BoardContext } from '../board/tasks';
import { commandSchema } from '../commandSchema';
import { DeliveryId, WEBHOOK_EVENTS, WEBHOOK_FORMATS, WebhookEvents, WebhookId, WebhookUrl } from './webhookModel';
import { addWebhook, due, fanout, listDeliveries, listWebhooks, recordAttempt, removeWebhook, testWebhook } from './webhookStore';

const cmd = commandSchema;

export const WEBHOOK_COMMANDS = [
  /** Answers with the signing secret, once. */
  cmd('webhook.add', {
    url: WebhookUrl,
    events: WebhookEvents.default([...WEBHOOK_EVENTS]),
    format: z.enum(WEBHOOK_FORMATS, { error: () => `format is one of ${WEBHOOK_FORMATS.join(', ')}` }).default('json'),
    description: z.string().trim().max(200).default(''),
  }),
  cmd('webhook.list', { includeRemoved: z.boolean().default(false) }),
  cmd('webhook.remove', { webhookId: WebhookId }),
  /** Queues a test delivery behind what the webhook's URL is already waiting for. */
  cmd('webhook.test', { webhookId: WebhookId }),
  /** The delivery log, newest first, each with its attempts. */
  cmd('webhook.deliveries', { webhookId: WebhookId.optional(), deliveryId: DeliveryId.optional(), limit: z.number().int().min(1).max(1_000).default(50) }),
  cmd('webhook.fanout', {}),
  cmd('webhook.due', {}),
  cmd('webhook.attempt', {
    deliveryId: DeliveryId,
    result: z.union([
      z.object({ status: z.number().int().min(100).max(599), retryAfterMs: z.number().int().min(0).optional(), error: z.string().max(1_000).optional() }).strict(),
      z.object({ status: z.null(), error: z.string().min(1).max(1_000) }).strict(),
    ]),
    durationMs: z.number().int().min(0),
    /** The hub's retry policy (defaults: rules.ts DEFAULT_RETRY). */
    policy: z
      .object({ maxAttempts: z.number().int().min(1).max(50), baseMs: z.number().int().min(1).max(3_600_000), capMs: z.number().int().min(1).max(24 * 3_600_000) })
      .strict()
      .optional(),
  }),
] as const;

export const WEBHOOK_READ_ONLY = ['webhook.list', 'webhook.deliveries', 'webhook.due'] as const;


type Cmd = z.infer<(typeof WEBHOOK_COMMANDS)[number]>;
type H<K extends Cmd['type']> = (ctx: BoardContext, c: Extract<Cmd, { type: K }>) => unknown;

export const WEBHOOK_HANDLERS = {
  'webhook.add': (ctx, { type: _t, ...c }) => addWebhook(ctx, c),
  'webhook.list': (ctx, c) => listWebhooks(ctx.tx, c.includeRemoved),
  'webhook.remove': (ctx, c) => removeWebhook(ctx, c.webhookId),
  'webhook.test': (ctx, c) => testWebhook(ctx, c.webhookId),
  'webhook.deliveries': (ctx, c) => listDeliveries(ctx.tx, c),
  'webhook.fanout': (ctx) => fanout(ctx),
  'webhook.due': (ctx) => due(ctx),
  'webhook.attempt': (ctx, { type: _t, ...c }) => recordAttempt(ctx, c),
} satisfies { [K in Cmd['type']]: H<K> };
