/**
 * Who is calling the board, as the hub established it from the credential the caller presented —
 * never from what the caller says about itself.
 * - the person: whoever holds the hub token in hub.json (the editor, the person's CLI, the swarm
 *   host that Dream.OS runs for them). May act as anyone (a loop acts as its agent).
 * - an agent: whoever holds a credential the hub issued for one agent (and perhaps one task),
 *   handed to the agent process at spawn, or a named token of scope 'agent'. Acts as that agent only.
 * - a named token of scope read / operator / admin (`dreamos token create`, for the API, MCP over
 *   HTTP, the phone page): reads only, acts for the person on the board's work, or everything.
 */
export type Principal =
  | { kind: 'person' }
  | { kind: 'agent'; credentialId: string; agentId: string; taskId: string | null }
  | { kind: 'token'; credentialId: string; name: string; scope: 'read' | 'operator' | 'admin' };

export const PERSON: Principal = { kind: 'person' };

/**
 * Whether a call acts for the person on the board's work — may override a lease, finish a task by
 * hand, move a task an agent holds: the person acting as themself ('human', 'human:<name>'), or an
 * operator / admin token (a program, the phone page) acting for them. The one definition the
 * board's ownership and evidence rules ask.
 */
export function actsForPerson(actor: string, principal: Principal | undefined): boolean {
  if (principal?.kind === 'token') return principal.scope === 'operator' || principal.scope === 'admin';
  if (principal?.kind === 'agent') return false;
  return isPersonActor(actor);
}

/** The names the person's own actions are recorded under: 'human' and 'human:<name>'. */
export function isPersonActor(actor: string): boolean {
  return actor === 'human' || actor.startsWith('human:');
}
