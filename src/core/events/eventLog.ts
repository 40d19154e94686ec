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
  'board.configured',
  /** Not stored: stands for events retention deleted, so a subscriber knows to re-read the board. */
  'board.resync',
  'proposal.submitted',
  'proposal.transitioned',
  /** A task's worktree was made, changed status (proposed, queued, merged, discarded) or was restored. */
  'worktree.changed',
  /** An entry of the merge queue moved (queued, landing, waiting, landed, conflicted, failed). */
  'queue.changed',
  'credential.issued',
  'credential.revoked',
  /** A run crossed its budget; its task went to the person (payload: scope, unit, limit, spent, message). */
  'budget.exceeded',
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

const PRUNED = 'events.pruned';

/** Retention deleted every event up to `through` (kept in `meta`, so readers can tell a gap). */
export function markEventsPruned(tx: Tx, through: number, at: number): void {
  tx.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [PRUNED, JSON.stringify({ through, at })]);
}

function prunedThrough(tx: Tx): { through: number; at: number } | undefined {
  const raw = tx.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [PRUNED])?.value;
  return raw ? (JSON.parse(raw) as { through: number; at: number }) : undefined;
}

/**
 * The events after `afterSeq`, oldest first. If retention deleted some of them, the first item is
 * a `board.resync` marker (seq = the last deleted one, never stored): what the reader kept from
 * before is out of date, it should re-read the board, and it resumes after the marker's seq.
 */
export function readEventsSince(tx: Tx, afterSeq: number, limit = 1000): BoardEvent[] {
  const pruned = prunedThrough(tx);
  const gap = pruned !== undefined && afterSeq < pruned.through;
  const rows = tx
    .all<EventRow>('SELECT seq, type, at, actor, subject, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?', [gap ? pruned.through : afterSeq, gap ? limit - 1 : limit])
    .map((r) => ({ ...r, type: r.type as EventType, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  if (!gap) return rows;
  const marker: BoardEvent = {
    seq: pruned.through,
    type: 'board.resync',
    at: pruned.at,
    actor: 'hub',
    subject: '',
    payload: {
      afterSeq,
      oldestKept: pruned.through + 1,
      reason: `events up to #${pruned.through} were deleted by the board's retention (eventsDays); re-read the board, then follow from #${pruned.through}`,
    },
  };
  return [marker, ...rows];
}

export function latestSeq(tx: Tx): number {
  return tx.get<{ s: number | null }>('SELECT max(seq) AS s FROM events')?.s ?? 0;
}

/** Retention: drops events older than `before` but always keeps the newest `keep` (as a prefix, marked for readers). */
export function pruneEvents(tx: Tx, before: number, keep = 10_000): number {
  const through = tx.get<{ s: number | null }>('SELECT max(seq) AS s FROM events WHERE at < ? AND seq <= (SELECT max(seq) FROM events) - ?', [before, keep])?.s;
  if (!through) return 0;
  tx.run('DELETE FROM events WHERE seq <= ?', [through]);
  const n = tx.changes();
  markEventsPruned(tx, through, before);
  return n;
}
