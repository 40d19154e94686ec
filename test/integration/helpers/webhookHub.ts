/**
 * A standalone hub process that delivers webhooks, for the webhook crash test:
 * `node --import tsx webhookHub.ts '{"dir":...}'`. Tells its parent "ready" once it serves.
 */
import { runHub } from '../../../src/core/hub/standalone';
import { fetchWebhookSender } from '../../../src/integrations/webhooks/fetchSender';

const { dir } = JSON.parse(process.argv[2] ?? '{}') as { dir: string };
runHub(dir, {
  idleMs: 0,
  webhooks: { sender: fetchWebhookSender({ timeoutMs: 60_000 }), retry: { maxAttempts: 6, baseMs: 40, capMs: 5_000 }, pollMs: 20 },
  onReady: () => process.send?.('ready'),
}).then(
  () => process.exit(0),
  () => process.exit(4),
);
