/** `dreamos webhook ...`: outbound notifications the hub delivers (src/core/webhooks), and their delivery log. */
import type { Delivery, WebhookInfo } from '../../core/webhooks/webhookModel';
import { DreamError } from '../../core/errors';
import { int, need, str, withClient, type Sub } from '../kit';

const when = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

function formatHook(h: WebhookInfo): string {
  return `${h.id}  ${h.url}  ${h.events.join(',')}  ${h.format}${h.removedAt ? '  removed' : ''}${h.pending ? `  ${h.pending} waiting` : ''}${h.description ? `  ${h.description}` : ''}`;
}

function formatDelivery(d: Delivery): string {
  const last = d.attempts.at(-1);
  const lines = [`${d.id}  ${d.kind}${d.seq !== null ? ` #${d.seq}` : ''}  ${d.status}${d.status === 'pending' && d.nextAt ? ` (next try ${when(d.nextAt)})` : ''}  ${d.url}`];
  for (const a of d.attempts) lines.push(`    ${a.n}. ${when(a.at)}  ${a.status ?? 'no answer'}  ${a.durationMs} ms${a.error ? `  ${a.error}` : ''}`);
  if (!last) lines.push('    (not tried yet)');
  return lines.join('\n');
}

export const commands: Record<string, Sub> = {
  'webhook add': {
    usage: 'webhook add <url> [--events done,failed,...] [--format json|slack] [--description text]   the signing secret is shown once',
    options: { events: { type: 'string' }, format: { type: 'string' }, description: { type: 'string' } },
    build: (p, v) => {
      const events = str(v, 'events');
      return {
        type: 'webhook.add',
        url: need(p, 0, 'the URL to deliver to (https://…)'),
        ...(events !== undefined ? { events: events.split(',').map((e) => e.trim()).filter(Boolean) } : {}),
        ...(str(v, 'format') ? { format: str(v, 'format') as 'json' } : {}),
        ...(str(v, 'description') ? { description: str(v, 'description')! } : {}),
      };
    },
    print: (r) => {
      const h = r as WebhookInfo & { secret: string };
      return `${formatHook(h)}\nsecret: ${h.secret}\n(shown once: the receiver checks X-DreamOS-Signature = sha256=HMAC-SHA256(secret, "<X-DreamOS-Timestamp>.<body>"))`;
    },
  },
  'webhook list': {
    usage: 'webhook list [--all]   the configured webhooks (--all: removed ones too)',
    options: { all: { type: 'boolean' } },
    build: (_p, v) => ({ type: 'webhook.list', includeRemoved: v.all === true }),
    print: (r) => (r as WebhookInfo[]).map(formatHook).join('\n') || '(no webhooks: add one with `dreamos webhook add <url>`)',
  },
  'webhook remove': {
    usage: 'webhook remove <id>   stop delivering to it (its waiting deliveries are cancelled)',
    build: (p) => ({ type: 'webhook.remove', webhookId: need(p, 0, 'the webhook id (see `dreamos webhook list`)') }),
    print: (r) => `${(r as WebhookInfo).id} removed`,
  },
  'webhook test': {
    usage: 'webhook test <id> [--wait-seconds N]   send a test delivery and wait for its outcome (default 20 s; 0: do not wait)',
    options: { 'wait-seconds': { type: 'string' } },
    run: (p, v, env, io) =>
      withClient(env, async (client) => {
        const webhookId = need(p, 0, 'the webhook id (see `dreamos webhook list`)');
        const { deliveryId } = await client.call({ type: 'webhook.test', webhookId });
        const until = Date.now() + (int(v, 'wait-seconds') ?? 20) * 1000;
        let d: Delivery | undefined;
        for (;;) {
          [d] = await client.call({ type: 'webhook.deliveries', deliveryId });
          if (!d || d.status !== 'pending' || Date.now() >= until) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        if (!d) throw new DreamError('internal', `The test delivery ${deliveryId} is not in the log.`);
        io.out(env.json ? JSON.stringify(d) : formatDelivery(d));
        if (d.status === 'delivered') return 0;
        if (d.status === 'pending' && d.attempts.length === 0) io.err('Not tried yet: is the hub running? Webhooks are delivered by the hub (`dreamos hub`, or the editor window that hosts it).');
        return d.status === 'pending' ? 5 : 4;
      }),
  },
  'webhook deliveries': {
    usage: 'webhook deliveries [--id whk_…] [--delivery dlv_…] [--limit N]   the delivery log, newest first, with each attempt',
    options: { id: { type: 'string' }, delivery: { type: 'string' }, limit: { type: 'string' } },
    build: (_p, v) => ({
      type: 'webhook.deliveries',
      ...(str(v, 'id') ? { webhookId: str(v, 'id')! } : {}),
      ...(str(v, 'delivery') ? { deliveryId: str(v, 'delivery')! } : {}),
      ...(int(v, 'limit') !== undefined ? { limit: int(v, 'limit')! } : {}),
    }),
    print: (r) => (r as Delivery[]).map(formatDelivery).join('\n') || '(no deliveries yet)',
  },
};
