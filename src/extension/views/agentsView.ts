import * as vscode from 'vscode';
import type { Agent } from '../../core/board/boardModel';
import type { BoardSession } from '../boardSession';
import { Disposable } from '../lifecycle';
import { escapeMd, parseIds, TASK_IDS_MIME } from './tasksView';

const STATUS_ICON: Record<Agent['status'], [string, string?]> = {
  idle: ['circle-large-outline', 'charts.green'],
  busy: ['sync~spin', 'charts.blue'],
  offline: ['circle-slash', 'disabledForeground'],
  stalled: ['warning', 'charts.orange'],
  error: ['error', 'errorForeground'],
  retired: ['archive', 'disabledForeground'],
};

function ago(ts: number | null): string {
  if (!ts) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ts) / 1000));
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

export class AgentsTreeProvider extends Disposable implements vscode.TreeDataProvider<Agent>, vscode.TreeDragAndDropController<Agent> {
  private readonly changed = this._register(new vscode.EventEmitter<Agent | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly dragMimeTypes: string[] = [];
  readonly dropMimeTypes = [TASK_IDS_MIME];

  /** Dropping tasks on an agent reassigns them to it. */
  async handleDrop(target: Agent | undefined, data: vscode.DataTransfer): Promise<void> {
    const raw = await data.get(TASK_IDS_MIME)?.asString();
    if (!raw || !target) return;
    for (const id of parseIds(raw)) {
      await this.session.call({ type: 'task.assign', taskId: id, agentId: target.id }).catch((err: Error) => void vscode.window.showWarningMessage(`Dream.OS: ${err.message}`));
    }
  }

  constructor(private readonly session: BoardSession) {
    super();
    // A short list: redrawn whole, but only when an agent changed or the task one is working on did.
    this._register(
      session.onDidChangeBoard((c) => {
        if (c.full || c.agents.size || [...c.tasks.keys()].some((id) => c.snapshot.agents.some((a) => a.currentTask === id))) this.changed.fire(undefined);
      }),
    );
  }

  getChildren(node?: Agent): Agent[] {
    return node ? [] : this.session.current.agents;
  }

  getTreeItem(a: Agent): vscode.TreeItem {
    const item = new vscode.TreeItem(a.name, vscode.TreeItemCollapsibleState.None);
    item.id = a.id;
    const task = a.currentTask ? this.session.mirror?.task(a.currentTask) : undefined;
    item.description = [a.status, a.driver, task ? `→ ${task.title}` : undefined].filter(Boolean).join(' · ');
    const [icon, color] = STATUS_ICON[a.status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.contextValue = `agent:${a.status}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${escapeMd(a.name)}** (${a.driver})  \nStatus: ${a.status}${a.statusReason ? ` — ${escapeMd(a.statusReason)}` : ''}  \n`);
    md.appendMarkdown(`Last heartbeat: ${ago(a.lastHeartbeat)}  \n`);
    if (a.capabilities.length) md.appendMarkdown(`Capabilities: ${a.capabilities.map(escapeMd).join(', ')}  \n`);
    if (task) md.appendMarkdown(`Working on: ${escapeMd(task.title)}  \n`);
    md.appendMarkdown(`\n\`${a.id}\``);
    item.tooltip = md;
    item.accessibilityInformation = { label: `${a.name}, ${a.status}${task ? `, working on ${task.title}` : ''}` };
    return item;
  }
}
