/**
 * Names, not ids, wherever a person reads: an actor or an agent reference becomes the agent's name,
 * "human" becomes "you", a swarm host id ("loop_<host>_<pid>_<hex>") becomes "the swarm on <host>".
 * Shared by the dashboard UI, the editor's trees and details view and its notifications; no imports
 * at run time, so the webview bundle stays small.
 */

export interface Named {
  id: string;
  name: string;
}

const AGENT_ID = /\bagt_[0-9a-f]{12}\b/g;
// A swarm host's id: loop_<hostname, up to 20 chars>_<pid>_<6 hex>.
const LOOP_ID = /\bloop_([\w.-]{1,20}?)_(\d+)_[0-9a-f]{6}\b/g;

/** A lookup from agent ids to names, made once per agent list. */
export function nameLookup(agents: readonly Named[]): (id: string) => string | undefined {
  const byId = new Map(agents.map((a) => [a.id, a.name]));
  return (id) => byId.get(id);
}

/** Who did something, for a person: the agent's name, "you", "the swarm on vm", or the actor as given. */
export function actorName(actor: string | null | undefined, name: (id: string) => string | undefined): string {
  if (!actor) return '';
  if (actor === 'human') return 'you';
  const direct = name(actor);
  if (direct) return direct;
  return namesIn(actor, name);
}

/** Replaces agent ids and swarm host ids inside a sentence ("claimed by agt_…", "started by loop_vm_…"). */
export function namesIn(text: string, name: (id: string) => string | undefined): string {
  if (!text) return text;
  return text.replace(AGENT_ID, (id) => name(id) ?? id).replace(LOOP_ID, (_m, host: string) => `the swarm on ${host}`);
}

/** "1 task", "2 tasks", "0 tasks"; `plural` for words that do not just take an s. */
export function plural(n: number, one: string, many = `${one}s`, format: (n: number) => string = String): string {
  return `${format(n)} ${n === 1 ? one : many}`;
}
