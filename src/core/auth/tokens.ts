/**
 * Named tokens: what a program, an MCP client or a phone presents to `dreamos serve` (and, like
 * any credential, to the hub's socket). They live on the credentials table beside the agents' run
 * credentials — one system: hashed, shown once, revocable, checked again in every command's
 * transaction. The scope says what the token may do (the rule is in policy.ts):
 * - read:     read the board, its events and proposals;
 * - agent:    act as one agent (bound at creation), exactly like that agent's run credential;
 * - operator: act for the person on the board's work (approve, reject, answer, retry, ...);
 * - admin:    everything, including tokens and the board's settings.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { getAgent } from '../agents/registry';
import type { BoardContext } from '../board/tasks';
import { commandSchema } from '../commandSchema';
import { DreamError } from '../errors';
import { emitEvent } from '../events/eventLog';
import { hashToken, toInfo, TOKEN_PREFIX, type CredentialInfo, type Row } from './credentials';
import { PERSON, type Principal } from './principal';

export const TOKEN_SCOPES = ['read', 'agent', 'operator', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

const TokenName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\w.-]+$/, 'token names are letters, digits, . - _ (e.g. phone, ci-bot)');

export const TOKEN_COMMANDS = [
  commandSchema('token.create', {
    name: TokenName,
    scope: z.enum(TOKEN_SCOPES),
    /** Required for scope 'agent' (the agent it acts as), refused for the others. */
    agent: z.string().trim().min(1).max(80).optional(),
    ttlMs: z.number().int().min(60_000).max(366 * 24 * 3_600_000).optional(),
  }),
  commandSchema('token.list', { includeRevoked: z.boolean().default(false) }),
  /** By name (the live token of that name) or by credential id. */
  commandSchema('token.revoke', { token: z.string().trim().min(1).max(80) }),
  /** Who the presented credential is: any caller may ask. */
  commandSchema('credential.whoami', {}),
] as const;

export const TOKEN_READ_ONLY = ['token.list', 'credential.whoami'] as const;

type Cmd = z.infer<(typeof TOKEN_COMMANDS)[number]>;
type Of<K extends Cmd['type']> = Extract<Cmd, { type: K }>;

export interface WhoAmI {
  kind: Principal['kind'];
  /** What the caller may do: the person and admin tokens everything; see TOKEN_SCOPES. */
  scope: TokenScope;
  name: string | null;
  agentId: string | null;
  taskId: string | null;
  /** The name the board's events record for this caller's writes. */
  actor: string;
}

/** The actor a token's writes are recorded under: the audit trail names the token. */
export const tokenActor = (name: string) => `token:${name}`;

/** The token is returned once, here; the board keeps only its hash. */
export function createToken(ctx: BoardContext, c: Omit<Of<'token.create'>, 'type'>): CredentialInfo & { token: string } {
  if (c.scope === 'agent' && !c.agent) throw new DreamError('invalid_input', 'An agent token acts as one agent: name it with "agent" (--agent <name>).', { field: 'agent' });
  if (c.scope !== 'agent' && c.agent) throw new DreamError('invalid_input', `A ${c.scope} token is not bound to an agent: leave "agent" out, or use scope "agent".`, { field: 'agent' });
  const agentId = c.agent ? getAgent(ctx.tx, c.agent).id : null;
  const taken = ctx.tx.get<{ id: string }>('SELECT id FROM credentials WHERE name = ? AND revoked_at IS NULL', [c.name]);
  if (taken) throw new DreamError('conflict', `A token named "${c.name}" exists (${taken.id}). Revoke it first (\`dreamos token revoke ${c.name}\`) or pick another name.`, { name: c.name });
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const id = `crd_${randomBytes(6).toString('hex')}`;
  ctx.tx.run('INSERT INTO credentials (id, hash, scope, name, agent_id, task_id, label, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)', [
    id,
    hashToken(token),
    c.scope,
    c.name,
    agentId,
    '',
    ctx.actor,
    ctx.now,
    c.ttlMs !== undefined ? ctx.now + c.ttlMs : null,
  ]);
  emitEvent(ctx.tx, { type: 'credential.issued', at: ctx.now, actor: ctx.actor, subject: agentId ?? c.name, payload: { credentialId: id, name: c.name, scope: c.scope } });
  return { ...toInfo(ctx.tx.get<Row>('SELECT * FROM credentials WHERE id = ?', [id])!), token };
}

export function revokeToken(ctx: BoardContext, ref: string): CredentialInfo {
  const r = /^crd_[0-9a-f]{12}$/.test(ref)
    ? ctx.tx.get<Row>('SELECT * FROM credentials WHERE id = ? AND name IS NOT NULL', [ref])
    : ctx.tx.get<Row>('SELECT * FROM credentials WHERE name = ? AND revoked_at IS NULL', [ref]);
  if (!r) throw new DreamError('not_found', `No live token "${ref}". See them with \`dreamos token list\`.`, { token: ref });
  if (r.revoked_at === null) {
    ctx.tx.run('UPDATE credentials SET revoked_at = ? WHERE id = ?', [ctx.now, r.id]);
    emitEvent(ctx.tx, { type: 'credential.revoked', at: ctx.now, actor: ctx.actor, subject: r.agent_id ?? r.name ?? '', payload: { credentialId: r.id, name: r.name } });
  }
  return toInfo(ctx.tx.get<Row>('SELECT * FROM credentials WHERE id = ?', [r.id])!);
}

export function whoAmI(principal: Principal, actor: string): WhoAmI {
  switch (principal.kind) {
    case 'person':
      return { kind: 'person', scope: 'admin', name: null, agentId: null, taskId: null, actor };
    case 'agent':
      return { kind: 'agent', scope: 'agent', name: null, agentId: principal.agentId, taskId: principal.taskId, actor: principal.agentId };
    case 'token':
      return { kind: 'token', scope: principal.scope, name: principal.name, agentId: null, taskId: null, actor: tokenActor(principal.name) };
  }
}

export const TOKEN_HANDLERS = {
  'token.create': (ctx, { type: _t, ...c }) => createToken(ctx, c),
  'token.list': (ctx, c) =>
    ctx.tx.all<Row>(`SELECT * FROM credentials WHERE name IS NOT NULL ${c.includeRevoked ? '' : 'AND revoked_at IS NULL'} ORDER BY created_at DESC LIMIT 500`).map(toInfo),
  'token.revoke': (ctx, c) => revokeToken(ctx, c.token),
  'credential.whoami': (ctx) => whoAmI(ctx.principal ?? PERSON, ctx.actor),
} satisfies { [K in Cmd['type']]: (ctx: BoardContext & { readonly principal?: Principal }, c: Of<K>) => unknown };
