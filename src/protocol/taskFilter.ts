/**
 * One search for tasks, shared by the editor's Tasks tree and the dashboard (which imports it at run
 * time, so this module imports nothing but types). A query is words separated by spaces:
 *
 *   tag:ui          a tag that starts with "ui" (tag:scope matches scope:src/x)
 *   owner:claude-1  the owner's NAME starts with it (never its id); owner:none is unassigned; @claude is short for it
 *   status:ready    the status starts with it (status:run is running); is: is the same
 *   anything else   must appear in the title, the id, a tag, the owner's name or the status
 *   "two words"     quotes keep spaces inside one word, also after a key (tag:"needs design")
 *
 * Words of the same key are alternatives (tag:ui tag:api: either); everything else must hold at once.
 * Case does not matter. A word such as `foo:bar` with a key we do not know is plain text.
 */
import type { TaskStatus } from '../core/board/boardModel';

/** Longer queries are cut: a search box, not a document. */
export const MAX_FILTER_LENGTH = 200;

export interface TaskFilter {
  /** The query as the person typed it (trimmed, cut to MAX_FILTER_LENGTH). */
  query: string;
  tags: string[];
  owners: string[];
  statuses: string[];
  /** Plain words, each required. */
  text: string[];
}

/** What a task offers to the filter: the tree's tasks and the dashboard's cards both have it. */
export interface FilterableTask {
  id: string;
  title: string;
  status: TaskStatus;
  tags: readonly string[];
  assignee: string | null;
}

const KEYS: Record<string, 'tags' | 'owners' | 'statuses'> = { tag: 'tags', tags: 'tags', owner: 'owners', assignee: 'owners', status: 'statuses', is: 'statuses' };

/** Splits on spaces, keeping "quoted words" whole (a quote may start after `key:`). */
function words(query: string): string[] {
  const out: string[] = [];
  const re = /(?:([A-Za-z]+):)?"([^"]*)"?|(\S+)/g;
  for (const m of query.matchAll(re)) {
    if (m[3] !== undefined) out.push(m[3]);
    else out.push(m[1] ? `${m[1]}:${m[2] ?? ''}` : (m[2] ?? ''));
  }
  return out.filter((w) => w.length > 0);
}

export function parseFilter(query: string): TaskFilter {
  const q = normalizeQuery(query);
  const f: TaskFilter = { query: q, tags: [], owners: [], statuses: [], text: [] };
  for (const w of words(q.toLowerCase())) {
    if (w.startsWith('@') && w.length > 1) {
      f.owners.push(w.slice(1));
      continue;
    }
    const colon = w.indexOf(':');
    const key = colon > 0 ? KEYS[w.slice(0, colon)] : undefined;
    const value = key ? w.slice(colon + 1) : '';
    if (key && value) f[key].push(value);
    else if (!key) f.text.push(w);
    // `tag:` with nothing after it yet (still typing): no condition.
  }
  return f;
}

/** The query as it is kept and sent: trimmed, inner runs of spaces made one, at most MAX_FILTER_LENGTH. */
export function normalizeQuery(query: string): string {
  return query.replace(/\s+/g, ' ').trim().slice(0, MAX_FILTER_LENGTH);
}

export function isEmptyFilter(f: TaskFilter): boolean {
  return !f.tags.length && !f.owners.length && !f.statuses.length && !f.text.length;
}

/**
 * Does the task match? `ownerName` turns an assignee id into the agent's name (src/protocol/names
 * nameLookup); an id with no known name matches by the id itself.
 */
export function matchesFilter(t: FilterableTask, f: TaskFilter, ownerName: (id: string) => string | undefined): boolean {
  if (f.statuses.length && !f.statuses.some((s) => t.status.startsWith(s))) return false;
  const tags = t.tags.map((g) => g.toLowerCase());
  if (f.tags.length && !f.tags.some((want) => tags.some((g) => g.startsWith(want)))) return false;
  const owner = t.assignee ? (ownerName(t.assignee) ?? t.assignee).toLowerCase() : '';
  if (f.owners.length && !f.owners.some((o) => (o === 'none' ? !t.assignee : owner.startsWith(o)))) return false;
  if (!f.text.length) return true;
  const title = t.title.toLowerCase();
  return f.text.every((w) => title.includes(w) || t.id.includes(w) || owner.includes(w) || t.status.includes(w) || tags.some((g) => g.includes(w)));
}

/** A predicate for many tasks (the query parsed once); undefined when the query asks for nothing. */
export function taskMatcher(query: string, ownerName: (id: string) => string | undefined): ((t: FilterableTask) => boolean) | undefined {
  const f = parseFilter(query);
  return isEmptyFilter(f) ? undefined : (t) => matchesFilter(t, f, ownerName);
}
