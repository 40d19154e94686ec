/**
 * The phone page's only way to the board: the gateway's REST API under /api/v1, same origin, with
 * the session cookie that POST /api/v1/session set (HttpOnly: this script never holds the token
 * after signing in). Shapes are the API's (src/integrations/api/apiSchemas.ts), imported as types only.
 */
import type { Agent, Message, Task } from '../../src/core/board/boardModel';
import type { Proposal, ProposalSummary } from '../../src/core/proposals/proposalModel';

/** An answer the API refused: its problem details' words, for the person. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const p = json as { detail?: string; title?: string } | null;
    throw new ApiError(res.status, p?.detail ?? p?.title ?? `HTTP ${res.status}`);
  }
  return json as T;
}

export interface WhoAmI {
  scope: string;
  name: string | null;
  actor: string;
}

export interface NeedsYou {
  questions: Message[];
  proposals: ProposalSummary[];
  tasks: Task[];
  agents: Map<string, Agent>;
  seq: number;
}

export const api = {
  whoami: () => call<WhoAmI>('GET', '/whoami'),
  signIn: (token: string) => call<{ ok: true; actor: string; scope: string }>('POST', '/session', { token }),
  signOut: () => call<{ ok: true }>('DELETE', '/session'),
  async needsYou(): Promise<NeedsYou> {
    const [health, questions, proposals, tasks, agents] = await Promise.all([
      call<{ seq: number }>('GET', '/health'),
      call<Message[]>('GET', '/mail?unacked=true&limit=100'),
      call<ProposalSummary[]>('GET', '/proposals?status=pending,conflicted'),
      call<Task[]>('GET', '/tasks?status=review,failed,blocked&limit=200'),
      call<Agent[]>('GET', '/agents'),
    ]);
    return { questions, proposals, tasks, agents: new Map(agents.map((a) => [a.id, a])), seq: health.seq };
  },
  proposal: (id: string) => call<{ proposal: Proposal; diff: string }>('GET', `/proposals/${encodeURIComponent(id)}`),
  approve: (id: string) => call<Proposal>('POST', `/proposals/${encodeURIComponent(id)}/approve`, {}),
  reject: (id: string, reason: string) => call<Proposal>('POST', `/proposals/${encodeURIComponent(id)}/reject`, { reason }),
  task: (id: string) => call<{ task: Task; history: { to: string; at: number; actor: string; reason: string }[] }>('GET', `/tasks/${encodeURIComponent(id)}`),
  taskAction: (id: string, action: 'retry' | 'done', reason: string) => call<Task>('POST', `/tasks/${encodeURIComponent(id)}/actions/${action}`, reason ? { reason } : {}),
  /** `agentId`: the asking agent's id (mail keeps the sender as it named itself). */
  answer: (m: Message, agentId: string, body: string) =>
    call<Message>('POST', '/mail', { from: 'human', to: { kind: 'agent', id: agentId }, subject: m.subject.startsWith('Re: ') ? m.subject : `Re: ${m.subject}`, body, replyTo: m.id, ...(m.taskId ? { taskId: m.taskId } : {}) }),
  ack: (id: string) => call<Message>('POST', `/mail/${encodeURIComponent(id)}/ack`),
};
