/** `dreamos task ...`: add, list and move tasks; what agents run to claim and report their work. */
import type { Task } from '../../core/board/boardModel';
import { agentOf, evidence, formatTask, formatTaskDetails, int, list, listOf, need, str, tokenOf, tokenOpt, type Sub } from '../kit';

export const commands: Record<string, Sub> = {
  'task add': {
    usage: 'task add <title> [--priority low|normal|high|critical] [--kind k] [--description d] [--tag t]... [--requires cap]... [--depends-on id]... [--parent id]',
    options: { priority: { type: 'string' }, kind: { type: 'string' }, description: { type: 'string' }, tag: { type: 'string', multiple: true }, requires: { type: 'string', multiple: true }, 'depends-on': { type: 'string', multiple: true }, parent: { type: 'string' } },
    build: (p, v) => ({
      type: 'task.add',
      title: need(p, 0, 'the task title'),
      ...(str(v, 'priority') ? { priority: str(v, 'priority') as 'normal' } : {}),
      ...(str(v, 'kind') ? { kind: str(v, 'kind') as 'feature' } : {}),
      ...(str(v, 'description') ? { description: str(v, 'description')! } : {}),
      tags: list(v, 'tag'),
      requires: list(v, 'requires'),
      dependsOn: list(v, 'depends-on'),
      ...(str(v, 'parent') ? { parentId: str(v, 'parent')! } : {}),
    }),
    print: (r) => formatTask(r as Task),
  },
  'task list': {
    usage: 'task list [--status s]... [--assignee agent] [--tag t]',
    options: { status: { type: 'string', multiple: true }, assignee: { type: 'string' }, tag: { type: 'string' } },
    build: (_p, v) => ({ type: 'task.list', ...(list(v, 'status').length ? { status: list(v, 'status') as Task['status'][] } : {}), ...(str(v, 'assignee') ? { assignee: str(v, 'assignee')! } : {}), ...(str(v, 'tag') ? { tag: str(v, 'tag')! } : {}) }),
    print: listOf(formatTask),
  },
  'task show': { usage: 'task show <id>', build: (p) => ({ type: 'task.show', taskId: need(p, 0, 'the task id') }), print: (r) => formatTaskDetails(r as Parameters<typeof formatTaskDetails>[0]) },
  'task next': {
    usage: 'task next --agent <agent> [--lease-seconds N]   claim the best ready task',
    options: { agent: { type: 'string' }, 'lease-seconds': { type: 'string' } },
    build: (_p, v) => ({ type: 'task.claimNext', agentId: agentOf(v) ?? need([], 0, '--agent (or DREAMOS_AGENT_ID)'), ...(int(v, 'lease-seconds') ? { leaseMs: int(v, 'lease-seconds')! * 1000 } : {}) }),
    print: (r) => (r ? `${formatTask((r as { task: Task }).task)}\nlease token ${(r as { lease: { token: number } }).lease.token}` : 'No ready task for this agent.'),
  },
  'task claim': {
    usage: 'task claim <id> --agent <agent>',
    options: { agent: { type: 'string' }, 'lease-seconds': { type: 'string' } },
    build: (p, v) => ({ type: 'task.claim', taskId: need(p, 0, 'the task id'), agentId: agentOf(v) ?? need([], 0, '--agent (or DREAMOS_AGENT_ID)'), ...(int(v, 'lease-seconds') ? { leaseMs: int(v, 'lease-seconds')! * 1000 } : {}) }),
    print: (r) => `${formatTask((r as { task: Task }).task)}\nlease token ${(r as { lease: { token: number } }).lease.token}`,
  },
  'task start': { usage: 'task start <id> [--token N]', options: tokenOpt, build: (p, v) => ({ type: 'task.start', taskId: need(p, 0, 'the task id'), token: tokenOf(v) }), print: (r) => formatTask(r as Task) },
  'task done': {
    usage: 'task done <id> --summary "what was done" [--token N] [--evidence kind:summary]...',
    options: { ...tokenOpt, summary: { type: 'string' }, evidence: { type: 'string', multiple: true } },
    build: (p, v) => ({ type: 'task.done', taskId: need(p, 0, 'the task id'), token: tokenOf(v), summary: str(v, 'summary') ?? need([], 0, '--summary'), evidence: evidence(v) }),
    print: (r) => formatTask(r as Task),
  },
  'task review': {
    usage: 'task review <id> --summary "..." [--token N] [--evidence kind:summary]...',
    options: { ...tokenOpt, summary: { type: 'string' }, evidence: { type: 'string', multiple: true } },
    build: (p, v) => ({ type: 'task.review', taskId: need(p, 0, 'the task id'), token: tokenOf(v), summary: str(v, 'summary') ?? need([], 0, '--summary'), evidence: evidence(v) }),
    print: (r) => formatTask(r as Task),
  },
  'task fail': {
    usage: 'task fail <id> --reason "why" [--token N]',
    options: { ...tokenOpt, reason: { type: 'string' }, evidence: { type: 'string', multiple: true } },
    build: (p, v) => ({ type: 'task.fail', taskId: need(p, 0, 'the task id'), token: tokenOf(v), reason: str(v, 'reason') ?? need([], 0, '--reason'), evidence: evidence(v) }),
    print: (r) => formatTask(r as Task),
  },
  'task block': { usage: 'task block <id> --reason "what blocks it" [--token N]', options: { ...tokenOpt, reason: { type: 'string' } }, build: (p, v) => ({ type: 'task.block', taskId: need(p, 0, 'the task id'), token: tokenOf(v), reason: str(v, 'reason') ?? need([], 0, '--reason') }), print: (r) => formatTask(r as Task) },
  'task unblock': { usage: 'task unblock <id>', build: (p) => ({ type: 'task.unblock', taskId: need(p, 0, 'the task id') }), print: (r) => formatTask(r as Task) },
  'task release': { usage: 'task release <id> [--token N] [--reason r]', options: { ...tokenOpt, reason: { type: 'string' } }, build: (p, v) => ({ type: 'task.release', taskId: need(p, 0, 'the task id'), token: tokenOf(v), reason: str(v, 'reason') ?? '' }), print: (r) => formatTask(r as Task) },
  'task cancel': { usage: 'task cancel <id> [--reason r]', options: { ...tokenOpt, reason: { type: 'string' } }, build: (p, v) => ({ type: 'task.cancel', taskId: need(p, 0, 'the task id'), token: tokenOf(v), reason: str(v, 'reason') ?? '' }), print: (r) => formatTask(r as Task) },
  'task retry': { usage: 'task retry <id>', build: (p) => ({ type: 'task.retry', taskId: need(p, 0, 'the task id') }), print: (r) => formatTask(r as Task) },
  'task depend': { usage: 'task depend <id> <depends-on-id>', build: (p) => ({ type: 'task.depend', taskId: need(p, 0, 'the task id'), dependsOn: need(p, 1, 'the id it depends on') }), print: (r) => formatTask(r as Task) },
  'task undepend': { usage: 'task undepend <id> <depends-on-id>', build: (p) => ({ type: 'task.undepend', taskId: need(p, 0, 'the task id'), dependsOn: need(p, 1, 'the id it no longer depends on') }), print: (r) => formatTask(r as Task) },
};
