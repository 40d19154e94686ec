/** `dreamos token ...`: named tokens with a scope, for the API (`dreamos serve`), MCP over HTTP and the phone page. */
import type { CredentialInfo } from '../../core/auth/credentials';
import { DreamError } from '../../core/errors';
import { need, str, type Sub } from '../kit';

const SCOPES = ['read', 'agent', 'operator', 'admin'] as const;
type Scope = (typeof SCOPES)[number];
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30d`, `12h`, `90m`: how long the token lives. */
export function parseTtl(s: string): number {
  const m = /^(\d{1,6})([mhd])$/.exec(s.trim());
  if (!m) throw new DreamError('invalid_input', `--ttl is a number and a unit, m (minutes), h (hours) or d (days), e.g. 30d; got "${s}".`, { field: 'ttl' });
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const state = (t: CredentialInfo) => (t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt < Date.now() ? 'expired' : 'live');
const when = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));

export const commands: Record<string, Sub> = {
  'token create': {
    usage: 'token create <name> --scope read|agent|operator|admin [--agent name] [--ttl 30d]   a named token for the API, MCP or the phone (shown once)',
    options: { scope: { type: 'string' }, agent: { type: 'string' }, ttl: { type: 'string' } },
    build: (p, v) => {
      const scope = str(v, 'scope');
      if (!scope) throw new DreamError('invalid_input', `Missing --scope: one of ${SCOPES.join(', ')} (read: look only; agent: act as one agent, with --agent; operator: act for you on the board's work; admin: everything, tokens included).`, { field: 'scope' });
      if (!(SCOPES as readonly string[]).includes(scope)) throw new DreamError('invalid_input', `--scope must be one of ${SCOPES.join(', ')}, got "${scope}".`, { field: 'scope' });
      const ttl = str(v, 'ttl');
      return {
        type: 'token.create',
        name: need(p, 0, 'the token name (e.g. phone, ci-bot)'),
        scope: scope as Scope,
        ...(str(v, 'agent') ? { agent: str(v, 'agent')! } : {}),
        ...(ttl !== undefined ? { ttlMs: parseTtl(ttl) } : {}),
      };
    },
    print: (r) => {
      const t = r as CredentialInfo & { token: string };
      return [
        `Token "${t.name}" (${t.scope}${t.agentId ? `, as agent ${t.agentId}` : ''}; expires ${when(t.expiresAt)}; ${t.id}):`,
        '',
        `  ${t.token}`,
        '',
        'It is shown this once: the board keeps only its hash. Keep it in a password manager or the program\'s secret store;',
        `send it as "Authorization: Bearer <token>". Revoke it with \`dreamos token revoke ${t.name}\`.`,
      ].join('\n');
    },
  },
  'token list': {
    usage: 'token list [--all]   named tokens: name, scope, state, agent, expiry (--all: with revoked ones)',
    options: { all: { type: 'boolean' } },
    build: (_p, v) => ({ type: 'token.list', includeRevoked: v.all === true }),
    print: (r) =>
      (r as CredentialInfo[]).map((t) => `${t.id}  ${(t.name ?? '').padEnd(20)} ${t.scope.padEnd(8)} ${state(t).padEnd(7)} expires ${when(t.expiresAt).padEnd(16)} ${t.agentId ?? ''}`.trimEnd()).join('\n') ||
      '(no tokens: create one with `dreamos token create <name> --scope read`)',
  },
  'token revoke': {
    usage: 'token revoke <name|credential-id>   refused at once, everywhere',
    build: (p) => ({ type: 'token.revoke', token: need(p, 0, 'the token name or id') }),
    print: (r) => `Token "${(r as CredentialInfo).name}" revoked: it is refused from now on.`,
  },
};
