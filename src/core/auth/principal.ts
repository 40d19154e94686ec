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
