/**
 * What a person does with a task's worktree from the editor: open it in its own window, see its
 * change, discard it (its head is kept under refs/dreamos/archive/, and a modal says so) and
 * restore it. Discard and restore go through the same worktree manager as `dreamos worktree`.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { DreamError } from '../../core/errors';
import type { WorktreeListItem } from '../../core/worktrees/worktreeStore';
import type { BoardSession } from '../boardSession';

/* eslint-disable @typescript-eslint/no-require-imports -- git plumbing, loaded on first use */
const host = () => require('../../integrations/git/worktreeHost') as typeof import('../../integrations/git/worktreeHost');
/* eslint-enable @typescript-eslint/no-require-imports */

async function pick(session: BoardSession, arg: unknown, statuses: readonly WorktreeListItem['status'][], placeHolder: string): Promise<WorktreeListItem | undefined> {
  const all = await session.call({ type: 'worktree.list' });
  const id = typeof arg === 'string' ? arg : arg && typeof arg === 'object' && 'taskId' in arg ? String((arg as { taskId: unknown }).taskId) : undefined;
  if (id) {
    const w = all.find((x) => x.taskId === id);
    if (!w) throw new DreamError('not_found', `Task ${id} has no worktree. The Worktrees view lists the ones there are.`);
    return w;
  }
  const open = all.filter((w) => statuses.includes(w.status));
  if (!open.length) {
    void vscode.window.showInformationMessage(`Dream.OS: no worktree is ${statuses.join(' or ')}.`);
    return undefined;
  }
  const chosen = await vscode.window.showQuickPick(
    open.map((w) => ({ label: w.taskTitle ?? w.taskId, description: `${w.status} · ${w.branch}`, detail: w.path, w })),
    { placeHolder },
  );
  return chosen?.w;
}

const tools = (session: BoardSession) =>
  host().workspaceWorktrees({ workspaceRoot: path.dirname(session.boardDir), boardDir: session.boardDir, board: session, holder: `editor:${process.pid}` });

export async function openWorktree(session: BoardSession, arg: unknown): Promise<WorktreeListItem | undefined> {
  const w = await pick(session, arg, ['active', 'proposed', 'queued', 'setup-failed'], 'Open which task\'s worktree?');
  if (!w) return undefined;
  await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(w.path), { forceNewWindow: true });
  return w;
}

export async function discardWorktree(session: BoardSession, arg: unknown, opts: { confirm?: boolean } = {}): Promise<WorktreeListItem | undefined> {
  const w = await pick(session, arg, ['active', 'proposed', 'setup-failed'], 'Discard which task\'s worktree?');
  if (!w) return undefined;
  if (opts.confirm !== false) {
    const ok = await vscode.window.showWarningMessage(
      `Discard the worktree of "${w.taskTitle ?? w.taskId}"?`,
      { modal: true, detail: `Its folder ${w.path} is removed. Its last commit stays under refs/dreamos/archive/${w.branch}; Restore Worktree brings it back. Uncommitted changes in the folder are committed on the branch first.` },
      'Discard',
    );
    if (ok !== 'Discard') return undefined;
  }
  const done = await tools(session).manager.discard(w.taskId);
  void vscode.window.showInformationMessage(`Dream.OS: discarded the worktree of "${w.taskTitle ?? w.taskId}"; its head is kept at ${done.archiveRef ?? `refs/dreamos/archive/${w.branch}`}.`);
  return { ...w, ...done };
}

export async function restoreWorktree(session: BoardSession, arg: unknown): Promise<WorktreeListItem | undefined> {
  const w = await pick(session, arg, ['discarded'], 'Restore which discarded worktree?');
  if (!w) return undefined;
  const back = await tools(session).manager.restore(w.taskId);
  void vscode.window.showInformationMessage(`Dream.OS: restored the worktree of "${w.taskTitle ?? w.taskId}" at ${back.path}.`);
  return { ...w, ...back };
}
