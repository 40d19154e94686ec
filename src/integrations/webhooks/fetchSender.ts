/**
 * The webhook dispatcher's HTTP port (src/core/webhooks/webhookDispatcher.ts), on Node's own fetch: one
 * POST, no redirects followed (a redirect is reported, not chased with a signed body), a timeout,
 * and Retry-After read as seconds or as an HTTP date.
 */
import type { WebhookSender } from '../../core/webhooks/webhookDispatcher';

/** Retry-After as milliseconds from now, if it says anything usable. */
export function parseRetryAfter(v: string | null, now = Date.now()): number | undefined {
  if (!v) return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** At most `max` bytes of the body as text; the rest is not read. */
async function head(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  while (n < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.length;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

export function fetchWebhookSender(o: { timeoutMs?: number } = {}): WebhookSender {
  const timeoutMs = o.timeoutMs ?? 10_000;
  return {
    async send(url, headers, body, signal) {
      const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
      // What the receiver said, for the delivery log when it refused: its first few hundred characters, never all of a huge body.
      const text = await head(res, 4_096).catch(() => '');
      const ok = res.status >= 200 && res.status < 300;
      const where = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      const error = ok ? undefined : where ? `redirects to ${where}; configure that URL instead` : text.trim().slice(0, 300) || undefined;
      return { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')), ...(error ? { error } : {}) };
    },
  };
}
