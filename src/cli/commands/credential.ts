/** `dreamos credential ...`: the per-agent tokens an agent presents instead of the person's hub token. */
import { int, need, str, type Sub } from '../kit';

export const commands: Record<string, Sub> = {
  'credential issue': {
    usage: 'credential issue <agent> [--task id] [--ttl-seconds N] [--label text]   a token for one agent (shown once)',
    options: { task: { type: 'string' }, 'ttl-seconds': { type: 'string' }, label: { type: 'string' } },
    build: (p, v) => {
      const ttl = int(v, 'ttl-seconds');
      return { type: 'credential.issue', agent: need(p, 0, 'the agent'), ...(str(v, 'task') ? { taskId: str(v, 'task') } : {}), ...(ttl !== undefined ? { ttlMs: ttl * 1000 } : {}), label: str(v, 'label') ?? '' };
    },
    print: (r) => {
      const c = r as { id: string; agentId: string; token: string; taskId: string | null };
      return `${c.id} for ${c.agentId}${c.taskId ? ` on ${c.taskId}` : ''}\n${c.token}\n(shown once: give it to the agent as DREAMOS_AGENT_TOKEN)`;
    },
  },
  'credential list': {
    usage: 'credential list [agent]',
    build: (p) => ({ type: 'credential.list', ...(p[0] ? { agent: p[0] } : {}) }),
    print: (r) =>
      (r as { id: string; agentId: string; taskId: string | null; revokedAt: number | null; expiresAt: number | null; label: string }[])
        .map((c) => `${c.id}  ${c.agentId}${c.taskId ? ` ${c.taskId}` : ''}  ${c.revokedAt ? 'revoked' : c.expiresAt && c.expiresAt < Date.now() ? 'expired' : 'live'}  ${c.label}`)
        .join('\n') || '(no credentials)',
  },
  'credential revoke': { usage: 'credential revoke <credential-id>', build: (p) => ({ type: 'credential.revoke', credentialId: need(p, 0, 'the credential id') }), print: (r) => `${(r as { id: string }).id} revoked` },
};
