/**
 * A task's scope: the files its agent may change. Declared with tags `scope:<glob>` (one per
 * glob) or a line `Scope: <glob>, <glob>` in the description. Globs are workspace-relative and
 * use `**` (any folders), `*` (within a name) and `?`. No scope means no restriction. Files the
 * loop keeps (.dreamos/) never count.
 */
import type { Task } from '../board/boardModel';

export function taskScope(task: Pick<Task, 'tags' | 'description'>): string[] {
  const fromTags = task.tags.filter((t) => t.startsWith('scope:')).map((t) => t.slice('scope:'.length));
  const line = /^\s*scope:\s*(.+)$/im.exec(task.description)?.[1] ?? '';
  const fromText = line.split(/[,\s]+/).filter(Boolean);
  return [...new Set([...fromTags, ...fromText].map((g) => g.replace(/^\.\//, '')).filter(Boolean))];
}

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // "**/" matches zero or more folders; a trailing "**" matches everything below.
      if (glob[i + 2] === '/') {
        src += '(?:.*/)?';
        i += 2;
      } else {
        src += '.*';
        i += 1;
      }
    } else if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A folder name alone ("src/parser" or "src/parser/") covers what is inside it.
  if (!/[*?]/.test(glob)) src = `${src.replace(/\/$/, '')}(?:/.*)?`;
  re = new RegExp(`^${src}$`);
  cache.set(glob, re);
  return re;
}

export function inScope(file: string, scope: readonly string[]): boolean {
  if (scope.length === 0) return true;
  return scope.some((g) => globToRegExp(g).test(file));
}

/** Files changed outside the scope, ignoring the board's own folder. */
export function outOfScope(files: readonly string[], scope: readonly string[], ignore: readonly string[] = ['.dreamos/']): string[] {
  return files.filter((f) => !ignore.some((i) => f.startsWith(i)) && !inScope(f, scope));
}
