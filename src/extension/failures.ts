/**
 * A command's failure, shown to the person with the action that leads somewhere: Open File at the
 * line and column of a bad config file, Open Folder when no folder is open, else Show Log. A
 * message listing several problems (one per line, src/core/errors.ts) shows its first problem
 * and how many more there are; the log has them all.
 */
import * as vscode from 'vscode';
import type { DreamError } from '../core/errors';
import { OPEN_FILE, OPEN_FOLDER, openAt, prompts } from './prompts';

const SHOW_LOG = 'Show Log';

/** One notification line from a message that may list problems on indented lines. */
export function notificationText(message: string): string {
  const lines = message.split('\n');
  if (lines.length === 1) return message;
  const problems = lines.filter((l) => /^\s+\S/.test(l)).map((l) => l.trim());
  const rest = lines.slice(1).filter((l) => l.trim() && !/^\s/.test(l));
  const first = problems[0] ? ` ${problems[0]}` : '';
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more: Show Log lists them)` : '';
  return `${lines[0]!}${first}${more}.${rest.length ? ` ${rest.join(' ')}` : ''}`.replace(/\.\./g, '.');
}

export async function showFailure(e: DreamError, log: vscode.LogOutputChannel): Promise<void> {
  const d = (e.details && typeof e.details === 'object' && !Array.isArray(e.details) ? e.details : {}) as { file?: unknown; line?: unknown; column?: unknown; openFolder?: unknown };
  const text = `Dream.OS: ${notificationText(e.message)}`;
  if (d.openFolder === true) {
    if ((await prompts.message('error', text, OPEN_FOLDER)) === OPEN_FOLDER) await vscode.commands.executeCommand('workbench.action.files.openFolder');
    return;
  }
  if (typeof d.file === 'string') {
    const pick = await prompts.message('error', text, OPEN_FILE, SHOW_LOG);
    if (pick === OPEN_FILE) await openAt(d.file, typeof d.line === 'number' ? d.line : undefined, typeof d.column === 'number' ? d.column : undefined);
    else if (pick === SHOW_LOG) log.show();
    return;
  }
  if ((await prompts.message('error', text, SHOW_LOG)) === SHOW_LOG) log.show();
}
