import type { z } from 'zod';
import { getAgent } from '../agents/registry';
import { NewMessage, type Message, type Recipient } from '../board/boardModel';
import type { BoardContext } from '../board/tasks';
import { DreamError } from '../errors';
import { emitEvent } from '../events/eventLog';
import { newId } from '../ids';
import type { Tx } from '../store/sqlite';

/**
 * Mailboxes: messages between agents, and between agents and the person. A message goes to one
 * agent, to every agent (broadcast) or to the human; acks are per recipient, so a broadcast that
 * needs acknowledging is acknowledged by each agent separately.
 */

interface MessageRow {
  id: string;
  from_id: string;
  to_kind: Recipient['kind'];
  to_id: string | null;
  subject: string;
  body: string;
  body_type: Message['bodyType'];
  priority: Message['priority'];
  thread_id: string;
  reply_to: string | null;
  requires_ack: number;
  created_at: number;
  acked_at: number | null;
  task_id: string | null;
}

function toMessage(r: MessageRow): Message {
  const to: Recipient = r.to_kind === 'agent' ? { kind: 'agent', id: r.to_id! } : { kind: r.to_kind };
  return {
    id: r.id,
    from: r.from_id,
    to,
    subject: r.subject,
    body: r.body,
    bodyType: r.body_type,
    priority: r.priority,
    threadId: r.thread_id,
    replyTo: r.reply_to,
    requiresAck: r.requires_ack === 1,
    ackedAt: r.acked_at ?? null,
    taskId: r.task_id ?? null,
    createdAt: r.created_at,
  };
}

/** The mailbox name of a recipient: an agent id, or 'human'. */
function mailboxOf(tx: Tx, who: string): string {
  return who === 'human' ? 'human' : getAgent(tx, who).id;
}

export function sendMessage(ctx: BoardContext, input: z.input<typeof NewMessage>): Message {
  const m = NewMessage.parse(input);
  if (m.to.kind === 'agent') getAgent(ctx.tx, m.to.id);
  if (m.taskId && !ctx.tx.get('SELECT 1 AS x FROM tasks WHERE id = ?', [m.taskId])) throw new DreamError('not_found', `The message is about task ${m.taskId}, which is not on this board: leave taskId out or name a task from \`dreamos task list\`.`, { field: 'taskId', taskId: m.taskId });
  let threadId: string;
  const id = newId('msg');
  if (m.replyTo) {
    const parent = ctx.tx.get<{ thread_id: string }>('SELECT thread_id FROM messages WHERE id = ?', [m.replyTo]);
    if (!parent) throw new DreamError('not_found', `Cannot reply to ${m.replyTo}: no such message.`, { replyTo: m.replyTo });
    threadId = parent.thread_id;
  } else threadId = id;
  ctx.tx.run(
    `INSERT INTO messages (id, from_id, to_kind, to_id, subject, body, body_type, priority, thread_id, reply_to, requires_ack, created_at, task_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, m.from, m.to.kind, m.to.kind === 'agent' ? m.to.id : null, m.subject, m.body, m.bodyType, m.priority, threadId, m.replyTo ?? null, m.requiresAck ? 1 : 0, ctx.now, m.taskId ?? null],
  );
  emitEvent(ctx.tx, {
    type: 'mail.sent',
    at: ctx.now,
    actor: ctx.actor,
    subject: id,
    payload: { from: m.from, to: m.to, subject: m.subject, priority: m.priority, requiresAck: m.requiresAck, ...(m.taskId ? { taskId: m.taskId } : {}) },
  });
  return getMessage(ctx.tx, id, m.to.kind === 'agent' ? m.to.id : m.to.kind === 'human' ? 'human' : undefined);
}

export function getMessage(tx: Tx, id: string, recipient?: string): Message {
  const r = tx.get<MessageRow>(
    'SELECT m.*, (SELECT acked_at FROM message_acks a WHERE a.message_id = m.id AND a.recipient = ?) AS acked_at FROM messages m WHERE id = ?',
    [recipient ?? '', id],
  );
  if (!r) throw new DreamError('not_found', `No message ${id}.`, { messageId: id });
  return toMessage(r);
}

export function inbox(tx: Tx, who: string, opts: { unackedOnly?: boolean | undefined; limit?: number | undefined } = {}): Message[] {
  const box = mailboxOf(tx, who);
  const rows = tx.all<MessageRow>(
    `SELECT m.*, a.acked_at FROM messages m LEFT JOIN message_acks a ON a.message_id = m.id AND a.recipient = ?
     WHERE ${box === 'human' ? "m.to_kind = 'human'" : "((m.to_kind = 'agent' AND m.to_id = ?) OR m.to_kind = 'broadcast')"}
     ${opts.unackedOnly ? 'AND a.acked_at IS NULL' : ''}
     ORDER BY m.created_at DESC, m.id LIMIT ?`,
    box === 'human' ? [box, opts.limit ?? 200] : [box, box, opts.limit ?? 200],
  );
  return rows.map(toMessage);
}

export function ackMessage(ctx: BoardContext, messageId: string, who: string): Message {
  const box = mailboxOf(ctx.tx, who);
  const msg = getMessage(ctx.tx, messageId, box);
  const addressed = msg.to.kind === 'broadcast' ? box !== 'human' : msg.to.kind === 'human' ? box === 'human' : msg.to.id === box;
  if (!addressed) throw new DreamError('conflict', `Message ${messageId} was not sent to ${who}; only its recipient can acknowledge it.`, { messageId });
  ctx.tx.run('INSERT OR IGNORE INTO message_acks (message_id, recipient, acked_at) VALUES (?, ?, ?)', [messageId, box, ctx.now]);
  emitEvent(ctx.tx, { type: 'mail.acked', at: ctx.now, actor: ctx.actor, subject: messageId, payload: { by: box } });
  return getMessage(ctx.tx, messageId, box);
}

export function searchMessages(tx: Tx, query: string, limit = 50): Message[] {
  const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return tx
    .all<MessageRow>(
      `SELECT m.*, NULL AS acked_at FROM messages m WHERE m.subject LIKE ? ESCAPE '\\' OR m.body LIKE ? ESCAPE '\\' ORDER BY m.created_at DESC LIMIT ?`,
      [like, like, limit],
    )
    .map(toMessage);
}

export function thread(tx: Tx, threadId: string): Message[] {
  return tx.all<MessageRow>('SELECT m.*, NULL AS acked_at FROM messages m WHERE thread_id = ? ORDER BY created_at, id', [threadId]).map(toMessage);
}

/** Retention: deletes messages older than `before`, except those still waiting for a required ack. */
export function pruneMessages(ctx: BoardContext, before: number): number {
  ctx.tx.run(
    `DELETE FROM messages WHERE created_at < ? AND NOT (requires_ack = 1 AND NOT EXISTS (SELECT 1 FROM message_acks a WHERE a.message_id = messages.id))`,
    [before],
  );
  return ctx.tx.changes();
}
