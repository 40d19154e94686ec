import type { Agent, Message, Task } from '../core/board/boardModel';
import { priorityName } from '../core/board/vocabulary';
import type { BoardEvent } from '../core/events/eventLog';
import type { RunUsage } from '../core/runs/runModel';

// The run model (zod schemas) loads only for a task's usage line: `dreamos task done` prints a task without it.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use
const formatUsage = (u: RunUsage): string => (require('../core/runs/runModel') as typeof import('../core/runs/runModel')).formatUsage(u);

/** Human-readable output; `--json` prints the raw result instead. */
export function formatTask(t: Task): string {
  const owner = t.assignee ? ` @${t.assignee}` : '';
  return `${t.id}  ${t.status.padEnd(9)} ${priorityName(t.priority).padEnd(8)} ${t.title}${owner}`;
}

export function formatTaskDetails(d: { task: Task; history: { from: string | null; to: string; at: number; actor: string; reason: string }[]; dependents: string[]; subtasks: string[]; usage?: RunUsage & { agents?: (RunUsage & { agentId: string })[] } }): string {
  const t = d.task;
  const lines = [
    `${t.title}`,
    `  id:        ${t.id}`,
    `  status:    ${t.status}${t.assignee ? ` (owner ${t.assignee})` : ''}`,
    `  kind:      ${t.kind}, priority ${priorityName(t.priority)}`,
    `  attempts:  ${t.attempts} of ${t.maxAttempts}`,
  ];
  if (t.lease) lines.push(`  lease:     token ${t.lease.token}, expires ${new Date(t.lease.expiresAt).toISOString()}`);
  if (t.tags.length) lines.push(`  tags:      ${t.tags.join(', ')}`);
  if (t.requires.length) lines.push(`  requires:  ${t.requires.join(', ')}`);
  if (t.dependsOn.length) lines.push(`  depends on: ${t.dependsOn.join(', ')}`);
  if (d.dependents.length) lines.push(`  needed by: ${d.dependents.join(', ')}`);
  if (d.subtasks.length) lines.push(`  subtasks:  ${d.subtasks.join(', ')}`);
  if (d.usage?.runs) {
    lines.push(`  usage:     ${formatUsage(d.usage)}`);
    if ((d.usage.agents?.length ?? 0) > 1) for (const a of d.usage.agents!) lines.push(`    ${a.agentId}: ${formatUsage(a)}`);
  }
  if (t.description) lines.push('', ...t.description.split('\n').map((l) => `  ${l}`));
  if (t.resultSummary) lines.push('', `  result: ${t.resultSummary}`);
  for (const e of t.evidence) lines.push(`  evidence [${e.kind}]: ${e.summary}`);
  lines.push('', '  history:');
  for (const h of d.history) lines.push(`    ${new Date(h.at).toISOString()}  ${(h.from ?? '-').padEnd(9)} -> ${h.to.padEnd(9)} ${h.actor}${h.reason ? `: ${h.reason}` : ''}`);
  return lines.join('\n');
}

export function formatAgent(a: Agent): string {
  const hb = a.lastHeartbeat ? new Date(a.lastHeartbeat).toISOString() : 'never';
  return `${a.id}  ${a.name.padEnd(16)} ${a.status.padEnd(8)} ${a.driver.padEnd(14)} heartbeat ${hb}${a.currentTask ? `  task ${a.currentTask}` : ''}`;
}

export function formatMessage(m: Message): string {
  const to = m.to.kind === 'agent' ? m.to.id : m.to.kind;
  const ack = m.requiresAck ? (m.ackedAt ? ' [acked]' : ' [needs ack]') : '';
  return `${m.id}  ${new Date(m.createdAt).toISOString()}  ${m.from} -> ${to}  ${m.priority}  ${m.subject}${ack}${m.body ? `\n    ${m.body.split('\n').join('\n    ')}` : ''}`;
}

export function formatEvent(e: BoardEvent): string {
  return `#${e.seq} ${new Date(e.at).toISOString()} ${e.type} ${e.subject} by ${e.actor} ${JSON.stringify(e.payload)}`;
}
