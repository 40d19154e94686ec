/**
 * Agent credentials: random tokens the hub issues for one agent (optionally one task), handed to
 * the agent process in its environment (DREAMOS_AGENT_TOKEN) instead of the person's hub token.
 * Only their sha256 is stored; a credential can expire and is revoked when its run ends.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { getAgent } from '../agents/registry';
import { Id } from '../board/boardModel';
import { getTask, type BoardContext } from '../board/tasks';
import { commandSchema } from '../commandSchema';
import { DreamError } from '../errors';
import { emitEvent } from '../events/eventLog';
import type { Tx } from '../store/sqlite';
import type { Principal } from './principal';

const CRED_PREFIX = 'dosa_';
/** Named tokens (src/core/auth/tokens.ts) carry their own prefix, so a leaked one is recognisable. */
export const TOKEN_PREFIX = 'dost_';
const CredId = z.string().regex(/^crd_[0-9a-f]{12}$/, 'expected a credential id such as crd_0123456789ab');
export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const hash = hashToken;

export const AUTH_COMMANDS = [
  commandSchema('credential.issue', {
    agent: z.string().trim().min(1).max(80),
    taskId: Id.optional(),
    label: z.string().trim().max(200).default(''),
    ttlMs: z.number().int().min(1_000).max(30 * 24 * 3_600_000).optional(),
  }),
  commandSchema('credential.revoke', { credentialId: CredId }),
  commandSchema('credential.list', { agent: z.string().trim().min(1).max(80).optional() }),
] as const;

export interface CredentialInfo {
  id: string;
  /** 'agent' for a run's credential; a named token's scope otherwise. */
  scope: 'read' | 'agent' | 'operator' | 'admin';
  /** A named token's name; null for a run's credential. */
  name: string | null;
  /** The agent it acts as; null for read / operator / admin tokens. */
  agentId: string | null;
  taskId: string | null;
  label: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface Row {
  id: string;
  scope: CredentialInfo['scope'];
  name: string | null;
  agent_id: string | null;
  task_id: string | null;
  label: string;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export const toInfo = (r: Row): CredentialInfo => ({
  id: r.id,
  scope: r.scope,
  name: r.name,
  agentId: r.agent_id,
  taskId: r.task_id,
  label: r.label,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

type Cmd = z.infer<(typeof AUTH_COMMANDS)[number]>;
type Of<K extends Cmd['type']> = Extract<Cmd, { type: K }>;

/** The token is returned once, here; the board keeps only its hash. */
export function issueCredential(ctx: BoardContext, c: Omit<Of<'credential.issue'>, 'type'>): CredentialInfo & { token: string } {
  const agentId = getAgent(ctx.tx, c.agent).id;
  if (c.taskId) getTask(ctx.tx, c.taskId);
  const token = `${CRED_PREFIX}${randomBytes(32).toString('hex')}`;
  const id = `crd_${randomBytes(6).toString('hex')}`;
  const expiresAt = c.ttlMs !== undefined ? ctx.now + c.ttlMs : null;
  ctx.tx.run('INSERT INTO credentials (id, hash, agent_id, task_id, label, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    id,
    hash(token),
    agentId,
    c.taskId ?? null,
    c.label,
    ctx.actor,
    ctx.now,
    expiresAt,
  ]);
  emitEvent(ctx.tx, { type: 'credential.issued', at: ctx.now, actor: ctx.actor, subject: agentId, payload: { credentialId: id, taskId: c.taskId ?? null } });
  return { ...toInfo(ctx.tx.get<Row>('SELECT * FROM credentials WHERE id = ?', [id])!), token };
}

export function revokeCredential(ctx: BoardContext, id: string): CredentialInfo {
  const r = ctx.tx.get<Row>('SELECT * FROM credentials WHERE id = ?', [id]);
  if (!r) throw new DreamError('not_found', `No credential ${id}. See them with \`dreamos credential list\`.`, { credentialId: id });
  if (r.revoked_at === null) {
    ctx.tx.run('UPDATE credentials SET revoked_at = ? WHERE id = ?', [ctx.now, id]);
    emitEvent(ctx.tx, { type: 'credential.revoked', at: ctx.now, actor: ctx.actor, subject: r.agent_id ?? r.name ?? '', payload: { credentialId: id } });
  }
  return toInfo(ctx.tx.get<Row>('SELECT * FROM credentials WHERE id = ?', [id])!);
}

export function listCredentials(tx: Tx, agent?: string): CredentialInfo[] {
  const rows = agent
    ? tx.all<Row>('SELECT * FROM credentials WHERE agent_id = ? ORDER BY created_at DESC LIMIT 500', [getAgent(tx, agent).id])
    : tx.all<Row>("SELECT * FROM credentials WHERE scope = 'agent' AND name IS NULL ORDER BY created_at DESC LIMIT 500");
  return rows.map(toInfo);
}

export const AUTH_HANDLERS = {
  'credential.issue': (ctx, { type: _t, ...c }) => issueCredential(ctx, c),
  'credential.revoke': (ctx, c) => revokeCredential(ctx, c.credentialId),
  'credential.list': (ctx, c) => listCredentials(ctx.tx, c.agent),
} satisfies { [K in Cmd['type']]: (ctx: BoardContext, c: Of<K>) => unknown };

export const AUTH_READ_ONLY = ['credential.list'] as const;

/** Looks a presented token up; undefined when it is unknown, revoked or expired. */
export function resolveCredential(tx: Tx, token: string, now: number): Principal | undefined {
  if (!token.startsWith(CRED_PREFIX) && !token.startsWith(TOKEN_PREFIX)) return undefined;
  const r = tx.get<Row>('SELECT * FROM credentials WHERE hash = ?', [hash(token)]);
  if (!r || r.revoked_at !== null || (r.expires_at !== null && r.expires_at <= now)) return undefined;
  if (r.scope === 'agent') return r.agent_id ? { kind: 'agent', credentialId: r.id, agentId: r.agent_id, taskId: r.task_id } : undefined;
  return { kind: 'token', credentialId: r.id, name: r.name ?? r.id, scope: r.scope };
}

/** A credential checked again inside each command's transaction: revoking it takes effect at once. */
export function assertCredentialLive(tx: Tx, p: Exclude<Principal, { kind: 'person' }>, now: number): void {
  const r = tx.get<{ revoked_at: number | null; expires_at: number | null }>('SELECT revoked_at, expires_at FROM credentials WHERE id = ?', [p.credentialId]);
  if (!r || r.revoked_at !== null || (r.expires_at !== null && r.expires_at <= now)) {
    const what = p.kind === 'agent' ? 'Stop working; Dream.OS starts a new run with a new credential.' : `Ask the person for a new token (\`dreamos token create ${p.name}\`).`;
    throw new DreamError('unauthorized', `This ${p.kind === 'agent' ? 'agent credential' : `token ("${p.name}")`} (${p.credentialId}) was revoked or has expired. ${what}`, {
      credentialId: p.credentialId,
    });
  }
}
