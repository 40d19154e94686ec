/**
 * Retention: what the board forgets, and when. Run by the hub's upkeep (`board.retain` every tick,
 * which does nothing — no write — unless RETENTION_EVERY_MS has passed since its last run), with
 * the limits of the board's config (boardConfig.ts).
 *
 * Kept for good: tasks, their history, proposals and their audit trail, agents, unread mail to the
 * person, mail still waiting for a required acknowledgement.
 * Forgotten:
 *   - events older than eventsDays, except the newest eventsKeep. Events are deleted as a prefix
 *     (everything up to one sequence number, remembered as `events.pruned`), so a subscriber
 *     resuming from before it gets a `board.resync` marker first (events.ts) and re-reads the board;
 *   - heartbeat events older than an hour (the agents table has each agent's last heartbeat);
 *   - loop telemetry older than telemetryDays;
 *   - settled mail older than mailDays.
 */
import { z } from 'zod';
import { commandSchema } from '../commandSchema';
import { markEventsPruned } from '../events/eventLog';
import { readBoardConfig } from './boardConfig';
import type { BoardContext } from './tasks';

export const RETENTION_EVERY_MS = 10 * 60_000;
export const HEARTBEAT_EVENTS_KEPT_MS = 60 * 60_000;
const DAY = 86_400_000;
const LAST = 'retention.last';

export interface RetentionResult {
  ran: boolean;
  events: number;
  heartbeats: number;
  telemetry: number;
  messages: number;
}

export function runRetention(ctx: BoardContext, opts: { force?: boolean } = {}): RetentionResult {
  const tx = ctx.tx;
  const last = Number(tx.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [LAST])?.value ?? 0);
  // ctx.now < last: the clock went back; run rather than wait for it to catch up.
  if (!opts.force && ctx.now >= last && ctx.now - last < RETENTION_EVERY_MS) return { ran: false, events: 0, heartbeats: 0, telemetry: 0, messages: 0 };
  const cfg = readBoardConfig(tx);
  const r: RetentionResult = { ran: true, events: 0, heartbeats: 0, telemetry: 0, messages: 0 };
  if (cfg.eventsDays > 0) {
    const through = tx.get<{ s: number | null }>('SELECT max(seq) AS s FROM events WHERE at < ? AND seq <= (SELECT max(seq) FROM events) - ?', [
      ctx.now - cfg.eventsDays * DAY,
      cfg.eventsKeep,
    ])?.s;
    if (through) {
      tx.run('DELETE FROM events WHERE seq <= ?', [through]);
      r.events = tx.changes();
      markEventsPruned(tx, through, ctx.now);
    }
    tx.run("DELETE FROM events WHERE type = 'agent.heartbeat' AND at < ?", [ctx.now - HEARTBEAT_EVENTS_KEPT_MS]);
    r.heartbeats = tx.changes();
  }
  if (cfg.telemetryDays > 0) {
    tx.run('DELETE FROM loop_telemetry WHERE at < ?', [ctx.now - cfg.telemetryDays * DAY]);
    r.telemetry = tx.changes();
  }
  if (cfg.mailDays > 0) {
    tx.run(
      `DELETE FROM messages WHERE created_at < ? AND (
         EXISTS (SELECT 1 FROM message_acks a WHERE a.message_id = messages.id)
         OR (to_kind <> 'human' AND requires_ack = 0))`,
      [ctx.now - cfg.mailDays * DAY],
    );
    r.messages = tx.changes();
    if (r.messages > 0) tx.run('DELETE FROM message_acks WHERE message_id NOT IN (SELECT id FROM messages)');
  }
  tx.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [LAST, String(ctx.now)]);
  return r;
}

export const RETENTION_COMMANDS = [commandSchema('board.retain', { force: z.boolean().default(false) })] as const;

export const RETENTION_HANDLERS = {
  'board.retain': (ctx: BoardContext, c: { force: boolean }) => runRetention(ctx, { force: c.force }),
};
