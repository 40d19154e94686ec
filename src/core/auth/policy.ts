/**
 * Who may run which board command — the one place every path (socket, in-process hub, CLI, API,
 * MCP, the editor's tools) goes through, in `executeCommand`.
 *
 * The person may run everything. An agent credential may run only what is listed here, as its own
 * agent, and — when the credential is bound to a task — on that task only. Everything not listed
 * (approving, recording validation, applying, unblocking, retrying, assigning, registering agents,
 * issuing credentials, swarm control, import/export, ...) needs the person's credential, so a new
 * command is the person's until someone decides otherwise here.
 *
 * A named token (tokens.ts) of scope 'agent' is an agent credential; 'admin' may run everything;
 * 'operator' everything but ADMIN_COMMANDS (tokens, credentials, the board's settings, import,
 * pruning); 'read' only commands that never write.
 */
import { getAgent } from '../agents/registry';
import { DreamError } from '../errors';
import type { Tx } from '../store/sqlite';
import { assertCredentialLive } from './credentials';
import type { Principal } from './principal';

type AgentPrincipal = Extract<Principal, { kind: 'agent' }>;
type Cmd = { type: string } & Record<string, unknown>;
/** Returns why the agent may not run the command, or undefined when it may. */
type Rule = (tx: Tx, p: AgentPrincipal, c: Cmd) => string | undefined;

const self = (tx: Tx, p: AgentPrincipal, ref: unknown): string | undefined => {
  if (typeof ref !== 'string') return undefined; // the schema already required it where it is needed
  return getAgent(tx, ref).id === p.agentId ? undefined : `an agent acts only as itself (${p.agentId}), not as "${ref}"`;
};
const onTask = (p: AgentPrincipal, taskId: unknown): string | undefined =>
  p.taskId && taskId !== undefined && taskId !== p.taskId ? `this credential is for task ${p.taskId} only, not ${String(taskId)}` : undefined;

const read: Rule = () => undefined;
const selfField =
  (field: string): Rule =>
  (tx, p, c) =>
    self(tx, p, c[field]);
/** Lease-holder moves: the task's lease token is checked by the board itself (an agent is never "the person"). */
const ownTask: Rule = (_tx, p, c) => onTask(p, c.taskId);

const AGENT_RULES: Readonly<Record<string, Rule>> = {
  'board.info': read,
  'task.list': read,
  'task.show': read,
  'agent.list': read,
  'agent.show': read,
  'mail.thread': read,
  'events.since': read,
  'proposal.list': read,
  'proposal.show': read,
  'swarm.state': read,
  'credential.whoami': read,
  // Agents may split their work into new tasks; the board records them as the creator.
  'task.add': read,
  'task.claimNext': (tx, p, c) => (p.taskId ? `this credential is for task ${p.taskId}; it cannot claim other tasks` : self(tx, p, c.agentId)),
  'task.claim': (tx, p, c) => onTask(p, c.taskId) ?? self(tx, p, c.agentId),
  'task.renew': ownTask,
  'task.start': ownTask,
  'task.review': ownTask,
  'task.done': ownTask,
  'task.fail': ownTask,
  'task.block': ownTask,
  'task.release': ownTask,
  'agent.heartbeat': selfField('agent'),
  'mail.send': (tx, p, c) => self(tx, p, c.from),
  'mail.inbox': selfField('recipient'),
  'mail.ack': selfField('recipient'),
  'loop.checkpoint.get': selfField('agentId'),
  'loop.checkpoint.save': (tx, p, c) => onTask(p, c.taskId) ?? self(tx, p, c.agentId),
  'loop.checkpoint.clear': selfField('agentId'),
  'loop.telemetry.record': selfField('agentId'),
  'proposal.submit': (tx, p, c) => onTask(p, c.taskId) ?? (c.agentId === undefined ? undefined : self(tx, p, c.agentId)),
};

/** The commands an agent credential may run (for docs, the README and tests). */
export const AGENT_COMMANDS: readonly string[] = Object.keys(AGENT_RULES);

/** What only the person or an admin token may run. */
export const ADMIN_COMMANDS: ReadonlySet<string> = new Set([
  'token.create',
  'token.list',
  'token.revoke',
  'credential.issue',
  'credential.revoke',
  'credential.list',
  'board.import',
  'board.config.set',
  'board.prune',
  'board.retain',
  // Webhooks hold signing secrets and send the board's news elsewhere (src/core/webhooks).
  'webhook.add',
  'webhook.list',
  'webhook.remove',
  'webhook.test',
  'webhook.deliveries',
  'webhook.fanout',
  'webhook.due',
  'webhook.attempt',
]);

type TokenPrincipal = Extract<Principal, { kind: 'token' }>;
function tokenRule(p: TokenPrincipal, type: string, readOnly: boolean): string | undefined {
  if (type === 'credential.whoami' || p.scope === 'admin') return undefined;
  if (ADMIN_COMMANDS.has(type)) return `${type} needs an admin token; "${p.name}" is a ${p.scope} token`;
  if (p.scope === 'operator' || readOnly) return undefined;
  return `${type} changes the board; "${p.name}" is a read token`;
}

/** `readOnly`: the command never writes (commands.ts READ_ONLY), which is all a read token may run. */
export function authorize(tx: Tx, principal: Principal, command: Cmd, now: number, readOnly = false): void {
  if (principal.kind === 'person') return;
  assertCredentialLive(tx, principal, now);
  if (principal.kind === 'token') {
    const why = tokenRule(principal, command.type, readOnly);
    if (why) throw new DreamError('unauthorized', `Refused: ${why}. Ask the person for a token with the scope it needs (\`dreamos token create <name> --scope operator|admin\`).`, { command: command.type, token: principal.name, scope: principal.scope });
    return;
  }
  const rule = AGENT_RULES[command.type];
  const why = rule ? rule(tx, principal, command) : `${command.type} needs the person's credential`;
  if (why) {
    throw new DreamError('unauthorized', `Refused: ${why}. An agent may report on its own task, send and read its own mail and propose changes; approving, validating and acting for the person are the person's.`, {
      command: command.type,
      agentId: principal.agentId,
    });
  }
}
