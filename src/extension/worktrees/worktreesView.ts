/**
 * The Worktrees view: every task's worktree the board knows — its branch, where it is in its life
 * (active, proposed, queued, merged, discarded, setup failed), its folder, its proposal's revision —
 * with Open Worktree, Open All Changes, Discard and Restore. It reads `worktree.list` once per
 * burst of board events; worktrees with unlanded work are listed first, so nothing is out of sight.
 */
import * as vscode from 'vscode';
import type { WorktreeStatus } from '../../core/worktrees/worktreeModel';
import type { WorktreeListItem } from '../../core/worktrees/worktreeStore';
import type { BoardSession } from '../boardSession';
import { Disposable } from '../lifecycle';
import { escapeMd } from '../views/tasksView';

const ICON: Record<WorktreeStatus, [string, string?]> = {
  active: ['git-branch', 'charts.blue'],
  proposed: ['git-pull-request', 'charts.blue'],
  queued: ['list-ordered', 'charts.green'],
  merged: ['git-merge', 'charts.green'],
  discarded: ['archive', 'disabledForeground'],
  'setup-failed': ['warning', 'charts.orange'],
};

export class WorktreesTreeProvider extends Disposable implements vscode.TreeDataProvider<WorktreeListItem> {
  private readonly changed = this._register(new vscode.EventEmitter<undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private items: WorktreeListItem[] = [];
  private pending: Promise<void> | undefined;
  private again = false;

  constructor(private readonly session: BoardSession) {
    super();
    this._register(session.onDidChange(() => void this.refresh()));
  }

  /** Reads the list again; bursts of events while a read runs make one more read, not one each. */
  refresh(): Promise<void> {
    if (this.pending) {
      this.again = true;
      return this.pending;
    }
    this.pending = (async () => {
      do {
        this.again = false;
        try {
          const all = await this.session.call({ type: 'worktree.list' });
          // The model's module (zod) loads here, once the board is open, not on activation.
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { LIVE_WORKTREE } = require('../../core/worktrees/worktreeModel') as typeof import('../../core/worktrees/worktreeModel');
          const live = (w: WorktreeListItem) => (LIVE_WORKTREE.includes(w.status) ? 0 : 1);
          this.items = [...all].sort((a, b) => live(a) - live(b) || b.updatedAt - a.updatedAt);
          this.changed.fire(undefined);
        } catch {
          // No board yet (or it closed): the view shows its welcome text.
        }
      } while (this.again);
    })().finally(() => (this.pending = undefined));
    return this.pending;
  }

  get current(): readonly WorktreeListItem[] {
    return this.items;
  }

  getChildren(node?: WorktreeListItem): WorktreeListItem[] {
    return node ? [] : this.items;
  }

  getTreeItem(w: WorktreeListItem): vscode.TreeItem {
    const item = new vscode.TreeItem(w.taskTitle ?? w.taskId);
    item.id = `worktree:${w.taskId}`;
    const rev = w.proposal ? ` · r${w.proposal.revision} ${w.proposal.status}` : '';
    item.description = `${w.status.replace('-', ' ')} · ${w.branch}${rev}`;
    const [icon, color] = ICON[w.status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.contextValue = `worktree:${w.status}${w.proposal ? ':proposal' : ''}`;
    const why = w.reason ? `\n\n*${escapeMd(w.reason.slice(0, 1_000))}*` : '';
    const archive = w.archiveRef ? `\n\nkept at \`${w.archiveRef}\`` : '';
    item.tooltip = new vscode.MarkdownString(`**${escapeMd(w.taskTitle ?? w.taskId)}**\n\n\`${w.branch}\` from \`${w.baseBranch}\`\n\n${escapeMd(w.path)}${why}${archive}`);
    return item;
  }
}
