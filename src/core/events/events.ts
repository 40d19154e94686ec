import type { Tx } from '../store/sqlite';

/**
 * Every change on the board is an event with a sequence number, committed in the same transaction
 * as the change. Subscribers keep the last seq they saw and resume from it after a reconnect or a
 * hub takeover, so nothing is missed.
 */
export const EVENT_TYPES = [
  'task.created',
  'task.updated',
  'task.transitioned',
  'task.claimed',
  'task.dependencies',
  'agent.registered',
  'agent.started',
  'agent.heartbeat',
  'agent.stalled',
  'agent.stopped',
  'agent.retired',
  'agent.error',
  'agent.updated',
  'mail.sent',
  'mail.acked',
  'board.imported',
  'proposal.submitted',
  'proposal.transitioned',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface BoardEvent {
  seq: number;
  type: EventType;
  at: number;
  actor: string;
  /** The id of the task, agent or message the event is about ('' for board-wide events). */
  subject: string;
  payload: Record<string, unknown>;
}

export function emitEvent(
  tx: Tx,
  e: { type: EventType; at: number; actor: string; subject: string; payload?: Record<string, unknown> },
): void {
  tx.run('INSERT INTO events (type, at, actor, subject, payload) VALUES (?, ?, ?, ?, ?)', [
    e.type,
    e.at,
    e.actor,
    e.subject,
    JSON.stringify(e.payload ?? {}),
  ]);
}

interface EventRow {
  seq: number;
  type: string;
  at: number;
  actor: string;
  subject: string;
  payload: string;
}

export function readEventsSince(tx: Tx, afterSeq: number, limit = 1000): BoardEvent[] {
  return tx
    .all<EventRow>('SELECT seq, type, at, actor, subject, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?', [afterSeq, limit])
    .map((r) => ({ ...r, type: r.type as EventType, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

export function latestSeq(tx: Tx): number {
  return tx.get<{ s: number | null }>('SELECT max(seq) AS s FROM events')?.s ?? 0;
}

/** Retention: drops events older than `before` but always keeps the newest `keep`. */
export function pruneEvents(tx: Tx, before: number, keep = 10_000): number {
  tx.run('DELETE FROM events WHERE at < ? AND seq <= (SELECT max(seq) FROM events) - ?', [before, keep]);
  return tx.changes();
}
