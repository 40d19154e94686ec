/** `dreamos mail ...`: messages between agents and the person. */
import type { Message } from '../../core/board/boardModel';
import { formatMessage, listOf, need, str, type Sub } from '../kit';

export const commands: Record<string, Sub> = {
  'mail send': {
    usage: 'mail send --to <agent|human|broadcast> --subject s [--body b] [--from f] [--priority p] [--reply-to id] [--ack] [--task id]   (an agent’s mail to the person is about its task, DREAMOS_TASK_ID, unless --task says otherwise)',
    options: { to: { type: 'string' }, subject: { type: 'string' }, body: { type: 'string' }, from: { type: 'string' }, priority: { type: 'string' }, 'reply-to': { type: 'string' }, ack: { type: 'boolean' }, task: { type: 'string' } },
    build: (_p, v, env) => {
      const to = str(v, 'to') ?? need([], 0, '--to');
      const taskId = str(v, 'task') ?? (to === 'human' ? process.env.DREAMOS_TASK_ID || undefined : undefined);
      return {
        type: 'mail.send',
        from: str(v, 'from') ?? process.env.DREAMOS_AGENT_ID ?? env.actor,
        to: to === 'human' ? { kind: 'human' } : to === 'broadcast' ? { kind: 'broadcast' } : { kind: 'agent', id: to },
        subject: str(v, 'subject') ?? need([], 0, '--subject'),
        body: str(v, 'body') ?? '',
        ...(str(v, 'priority') ? { priority: str(v, 'priority') as 'normal' } : {}),
        ...(str(v, 'reply-to') ? { replyTo: str(v, 'reply-to')! } : {}),
        requiresAck: v.ack === true,
        ...(taskId ? { taskId } : {}),
      };
    },
    print: (r) => formatMessage(r as Message),
  },
  'mail inbox': { usage: 'mail inbox [recipient] [--unacked]', options: { unacked: { type: 'boolean' } }, build: (p, v) => ({ type: 'mail.inbox', recipient: p[0] ?? process.env.DREAMOS_AGENT_ID ?? 'human', unackedOnly: v.unacked === true }), print: listOf(formatMessage) },
  'mail ack': { usage: 'mail ack <message-id> [--as recipient]', options: { as: { type: 'string' } }, build: (p, v) => ({ type: 'mail.ack', messageId: need(p, 0, 'the message id'), recipient: str(v, 'as') ?? process.env.DREAMOS_AGENT_ID ?? 'human' }), print: (r) => formatMessage(r as Message) },
  'mail search': { usage: 'mail search <text>', build: (p) => ({ type: 'mail.search', query: need(p, 0, 'the text to search') }), print: listOf(formatMessage) },
};
