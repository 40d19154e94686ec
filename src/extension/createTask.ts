/**
 * Create Task: the wizard (title, priority, kind, description, tags, dependencies picked from the
 * board's tasks by title), numbered by the steps it really shows. The board is opened before the
 * first step, so with no folder open the person hears it at once, with Open Folder, not after
 * answering every question. Escape at any step cancels without writing.
 */
import type * as vscode from 'vscode';
import type { CommandInput } from '../core/commands';
import { NewTask, type PriorityName, type Task } from '../core/board/boardModel';
import { TASK_TYPES } from '../core/board/vocabulary';
import { formatIssues } from '../core/errors';
import { prompts } from './prompts';

export interface CreateTaskArgs {
  title?: string;
  priority?: PriorityName;
  description?: string;
  kind?: Task['kind'];
  tags?: string[];
  dependsOn?: string[];
}

type TaskAdd = Extract<CommandInput, { type: 'task.add' }>;

const validateTitle = (v: string) => (v.trim().length === 0 ? 'A task needs a title.' : v.length > 200 ? 'Keep the title under 200 characters.' : undefined);

/** "ui, docs scope:src/api" → the tags, validated as the board validates them. */
export function parseTags(text: string): { tags: string[] } | { problem: string } {
  const tags = [...new Set(text.split(/[\s,]+/).filter(Boolean))];
  const r = NewTask.shape.tags.safeParse(tags);
  return r.success ? { tags: r.data } : { problem: formatIssues(r.error.issues, 'tags').map((l) => l.replace(/^\[(\d+)\]/, (_m, i: string) => `"${tags[Number(i)]}"`)).join('; ') };
}

/**
 * Asks for what `args` does not give (given a title, it asks nothing) and returns the task.add
 * command, or undefined when the person cancelled. `tasks`: the board's tasks, for dependencies.
 */
export async function askNewTask(args: CreateTaskArgs, tasks: readonly Task[]): Promise<TaskAdd | undefined> {
  const base = (a: CreateTaskArgs): TaskAdd => ({
    type: 'task.add',
    title: a.title!,
    ...(a.priority ? { priority: a.priority } : {}),
    ...(a.kind ? { kind: a.kind } : {}),
    ...(a.description ? { description: a.description } : {}),
    ...(a.tags?.length ? { tags: a.tags } : {}),
    ...(a.dependsOn?.length ? { dependsOn: a.dependsOn } : {}),
  });
  if (args.title !== undefined) return base(args);
  const open = tasks.filter((t) => t.status !== 'done' && t.status !== 'cancelled');
  const total = open.length ? 6 : 5;
  const title = (n: number) => `Create Task (${n}/${total})`;
  const name = await prompts.inputBox({ title: title(1), prompt: 'What should be done?', placeHolder: 'e.g. Add retry to the HTTP client', validateInput: validateTitle, ignoreFocusOut: true });
  if (name === undefined) return undefined;
  // 'normal' first, so Enter takes the usual choice.
  const p = await prompts.quickPick((['normal', 'high', 'critical', 'low'] as PriorityName[]).map((label) => ({ label })), { title: title(2), placeHolder: 'Priority' });
  if (!p) return undefined;
  const k = await prompts.quickPick(TASK_TYPES.map((label) => ({ label })), { title: title(3), placeHolder: 'Kind of work' });
  if (!k) return undefined;
  const description = await prompts.inputBox({ title: title(4), prompt: 'Description (optional): context for the agent — files, acceptance criteria…', ignoreFocusOut: true });
  if (description === undefined) return undefined;
  const tagText = await prompts.inputBox({
    title: title(5),
    prompt: 'Tags (optional), separated by spaces or commas: e.g. ui docs — scope:src/api limits the files the task may change to that folder, dir:<folder> is where the agent works',
    validateInput: (v) => {
      const r = parseTags(v);
      return 'problem' in r ? r.problem : undefined;
    },
    ignoreFocusOut: true,
  });
  if (tagText === undefined) return undefined;
  const tags = (parseTags(tagText) as { tags: string[] }).tags;
  let dependsOn: string[] = [];
  if (open.length) {
    const items: (vscode.QuickPickItem & { id: string })[] = open.map((t) => ({ label: t.title, description: t.status, id: t.id }));
    const picked = await prompts.quickPick(items, { title: title(6), placeHolder: 'Depends on (optional): it becomes ready when these are done. Pick none and press Enter for none.', canPickMany: true, matchOnDescription: true });
    if (picked === undefined) return undefined;
    dependsOn = picked.map((i) => i.id);
  }
  return base({ title: name.trim(), priority: p.label, kind: k.label, description: description.trim(), tags, dependsOn });
}
