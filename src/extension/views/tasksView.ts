import * as vscode from 'vscode';
import type { Task, TaskStatus } from '../../core/board/boardModel';
import { priorityName } from '../../core/board/vocabulary';
import { actionTo, commandForAction, taskContextValue } from '../../core/board/actions';
import { compareTasks, type MirrorChange } from '../../core/mirror/boardMirror';
import { normalizeQuery, taskMatcher } from '../../protocol/taskFilter';
import type { BoardSession } from '../boardSession';
import { Disposable } from '../lifecycle';
import { confirmDestructive } from './taskBulk';

const GROUP_ORDER: readonly TaskStatus[] = ['running', 'claimed', 'review', 'ready', 'waiting', 'blocked', 'failed', 'done', 'cancelled'];
const GROUP_LABEL: Record<TaskStatus, string> = {
  running: 'Running',
  claimed: 'Claimed',
  review: 'In review',
  ready: 'Ready',
  waiting: 'Waiting on dependencies',
  blocked: 'Blocked',
  failed: 'Failed',
  done: 'Done',
  cancelled: 'Cancelled',
};
const STATUS_ICON: Record<TaskStatus, [string, string?]> = {
  running: ['sync~spin', 'charts.blue'],
  claimed: ['person', 'charts.blue'],
  review: ['eye', 'charts.purple'],
  ready: ['circle-large-outline'],
  waiting: ['clock'],
  blocked: ['debug-pause', 'charts.orange'],
  failed: ['error', 'errorForeground'],
  done: ['pass', 'charts.green'],
  cancelled: ['circle-slash', 'disabledForeground'],
};
const KIND_ICON: Record<Task['kind'], string> = {
  feature: 'sparkle',
  bug: 'bug',
  chore: 'tools',
  research: 'search',
  review: 'eye',
  docs: 'book',
  test: 'beaker',
};

export type TaskNode = { kind: 'group'; status: TaskStatus; count: number } | { kind: 'task'; task: Task };
type GroupNode = Extract<TaskNode, { kind: 'group' }>;
type TaskItemNode = Extract<TaskNode, { kind: 'task' }>;

function remaining(ms: number): string {
  if (ms <= 0) return 'expired';
  const s = Math.round(ms / 1000);
  return s < 90 ? `${s}s` : `${Math.round(s / 60)}m`;
}

export const TASK_IDS_MIME = 'application/vnd.dreamos.task-ids';

/** What dropping tasks on a status group does: the action that makes that move (core/board/actions), as the person. */
export function commandForDrop(task: Task, to: TaskStatus) {
  const action = task.status === to ? undefined : actionTo(task.status, to);
  return action && commandForAction(action, task, action === 'done' ? 'Moved to Done in the editor' : `moved to ${GROUP_LABEL[to]}`);
}

/**
 * Moves tasks to a status as a drop does, in the tree and on the dashboard: each by the action that
 * makes that move (commandForDrop), as the person. Tasks already there, or that no action moves
 * there, are skipped; failures are the board's own messages.
 */
export async function moveTasks(session: BoardSession, ids: readonly string[], to: TaskStatus): Promise<{ moved: Task[]; failures: string[] }> {
  const byId = new Map(session.current.tasks.map((t) => [t.id, t]));
  const moved: Task[] = [];
  const failures: string[] = [];
  // A drop that cancels (a failed or blocked task dropped on Done) asks first, as Cancel does.
  const cancels = ids.flatMap((id) => {
    const t = byId.get(id);
    return t && t.status !== to && actionTo(t.status, to) === 'cancel' ? [t] : [];
  });
  const skip = new Set(cancels.length && !(await confirmDestructive('cancel', cancels)) ? cancels.map((t) => t.id) : []);
  for (const id of ids) {
    if (skip.has(id)) continue;
    const task = byId.get(id);
    const command = task && commandForDrop(task, to);
    if (!command) continue;
    await session.call(command).then(
      (t) => moved.push(t as Task),
      (err: Error) => failures.push(err.message),
    );
  }
  return { moved, failures };
}

/**
 * Tasks grouped by status. The data lives in the session's board mirror; this class only maps it to
 * tree items. A change refreshes only what it touched: the task's own node when it stays in its
 * group and place, else the groups it left and joined; the whole tree only after a full read of the
 * board, with a filter set, or when a group appears or empties. Nodes are kept (one per group and
 * per task id) so that a refresh can name them, and an unchanged task's tree item is reused.
 */
export class TasksTreeProvider extends Disposable implements vscode.TreeDataProvider<TaskNode>, vscode.TreeDragAndDropController<TaskNode> {
  private readonly changed = this._register(new vscode.EventEmitter<TaskNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly dragMimeTypes = [TASK_IDS_MIME];
  readonly dropMimeTypes = [TASK_IDS_MIME];
  private filterText = '';
  private readonly filterChanged = this._register(new vscode.EventEmitter<string>());
  /** The query changed (here or from the dashboard, which shares it): its new text. */
  readonly onDidChangeFilter = this.filterChanged.event;
  private readonly groups = new Map<TaskStatus, GroupNode>();
  private readonly nodes = new Map<string, TaskItemNode>();
  /** Tree items of tasks without a lease (a lease's remaining time is computed when drawn). */
  private readonly items = new WeakMap<Task, vscode.TreeItem>();

  get filter(): string {
    return this.filterText;
  }

  /** One query for the tree and the dashboard (src/protocol/taskFilter): `tag:x owner:name status:s words`. */
  setFilter(text: string): void {
    const q = normalizeQuery(text);
    if (q === this.filterText) return;
    this.filterText = q;
    void vscode.commands.executeCommand('setContext', 'dreamos.tasksFiltered', q.length > 0);
    this.changed.fire(undefined);
    this.filterChanged.fire(q);
  }

  private visible(): Task[] {
    const match = this.filterText ? taskMatcher(this.filterText, (id) => this.session.mirror?.agent(id)?.name) : undefined;
    return match ? this.session.current.tasks.filter(match) : this.session.current.tasks;
  }

  handleDrag(source: readonly TaskNode[], data: vscode.DataTransfer): void {
    const ids = source.flatMap((n) => (n.kind === 'task' ? [n.task.id] : []));
    if (ids.length) data.set(TASK_IDS_MIME, new vscode.DataTransferItem(JSON.stringify(ids)));
  }

  async handleDrop(target: TaskNode | undefined, data: vscode.DataTransfer): Promise<void> {
    const raw = await data.get(TASK_IDS_MIME)?.asString();
    if (!raw || !target) return;
    const to = target.kind === 'group' ? target.status : target.task.status;
    const { failures } = await moveTasks(this.session, parseIds(raw), to);
    if (failures.length) void vscode.window.showWarningMessage(`Dream.OS: ${failures.length} task(s) could not move: ${failures[0]}`);
  }

  constructor(private readonly session: BoardSession) {
    super();
    this._register(session.onDidChangeBoard((c) => this.applyChange(c)));
  }

  /** Which nodes a change of the board redraws (see the class comment). */
  private applyChange(c: MirrorChange): void {
    if (c.full || this.filterText) return this.changed.fire(undefined);
    if (!c.tasks.size) return;
    const statuses = new Set<TaskStatus>();
    const touched: TaskItemNode[] = [];
    for (const [id, { before, after }] of c.tasks) {
      if (before && after && before.status === after.status && compareTasks(before, after) === 0) {
        const n = this.nodes.get(id);
        if (n) {
          n.task = after;
          touched.push(n);
        }
        continue;
      }
      if (before) statuses.add(before.status);
      if (after) statuses.add(after.status);
    }
    if (statuses.size) {
      const counts = new Map<TaskStatus, number>();
      for (const t of c.snapshot.tasks) if (statuses.has(t.status)) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
      for (const s of statuses) {
        const g = this.groups.get(s);
        const n = counts.get(s) ?? 0;
        // A group that appears or empties changes the root's children.
        if (!g || n === 0) return this.changed.fire(undefined);
        g.count = n;
      }
    }
    for (const s of statuses) this.changed.fire(this.groups.get(s)!);
    for (const n of touched) if (!statuses.has(n.task.status)) this.changed.fire(n);
  }

  private taskNode(task: Task): TaskItemNode {
    let n = this.nodes.get(task.id);
    if (n) n.task = task;
    else this.nodes.set(task.id, (n = { kind: 'task', task }));
    return n;
  }

  getChildren(node?: TaskNode): TaskNode[] {
    const tasks = this.visible();
    if (!node) {
      if (tasks.length === 0) return []; // the view's welcome content takes over
      const counts = new Map<TaskStatus, number>();
      for (const t of tasks) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
      for (const s of [...this.groups.keys()]) if (!counts.has(s)) this.groups.delete(s);
      return GROUP_ORDER.filter((s) => counts.has(s)).map((status) => {
        let g = this.groups.get(status);
        if (g) g.count = counts.get(status)!;
        else this.groups.set(status, (g = { kind: 'group', status, count: counts.get(status)! }));
        return g;
      });
    }
    if (node.kind === 'group') return tasks.filter((t) => t.status === node.status).map((task) => this.taskNode(task));
    return [];
  }

  getTreeItem(node: TaskNode): vscode.TreeItem {
    if (node.kind === 'task' && !node.task.lease) {
      const cached = this.items.get(node.task);
      if (cached) return cached;
      const item = this.makeItem(node);
      this.items.set(node.task, item);
      return item;
    }
    return this.makeItem(node);
  }

  private makeItem(node: TaskNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const collapsed = node.status === 'done' || node.status === 'cancelled';
      const item = new vscode.TreeItem(GROUP_LABEL[node.status], collapsed ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
      item.id = `group:${node.status}`;
      item.description = String(node.count);
      item.contextValue = `group:${node.status}`;
      const [icon, color] = STATUS_ICON[node.status];
      item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
      return item;
    }
    const t = node.task;
    const owner = t.assignee ? (this.session.mirror?.agent(t.assignee)?.name ?? t.assignee) : undefined;
    const item = new vscode.TreeItem(t.title, vscode.TreeItemCollapsibleState.None);
    item.id = t.id;
    const bits: string[] = [priorityName(t.priority)];
    if (owner) bits.push(`@${owner}`);
    if (t.lease) bits.push(`lease ${remaining(t.lease.expiresAt - Date.now())}`);
    if (t.dependsOn.length) bits.push(`${t.dependsOn.length} dep${t.dependsOn.length > 1 ? 's' : ''}`);
    item.description = bits.join(' · ');
    const priColor = t.priority >= 3 ? 'errorForeground' : t.priority === 2 ? 'charts.orange' : undefined;
    item.iconPath = new vscode.ThemeIcon(KIND_ICON[t.kind], priColor ? new vscode.ThemeColor(priColor) : undefined);
    item.contextValue = taskContextValue('task', t.status);
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${escapeMd(t.title)}**  \n`);
    md.appendMarkdown(`$(${STATUS_ICON[t.status][0].replace('~spin', '')}) ${t.status} · ${t.kind} · priority ${priorityName(t.priority)}  \n`);
    if (owner) md.appendMarkdown(`Owner: ${escapeMd(owner)}  \n`);
    if (t.dependsOn.length) md.appendMarkdown(`Depends on: ${t.dependsOn.join(', ')}  \n`);
    if (t.tags.length) md.appendMarkdown(`Tags: ${t.tags.map(escapeMd).join(', ')}  \n`);
    if (t.description) md.appendMarkdown(`\n---\n${escapeMd(t.description.slice(0, 500))}`);
    if (t.resultSummary) md.appendMarkdown(`\n\n**Result:** ${escapeMd(t.resultSummary.slice(0, 500))}`);
    md.appendMarkdown(`\n\n\`${t.id}\``);
    item.tooltip = md;
    item.accessibilityInformation = { label: `${t.title}, ${t.status}, priority ${priorityName(t.priority)}${owner ? `, owner ${owner}` : ''}` };
    item.command = { command: 'dreamos.task.show', title: 'Show Task Details', arguments: [node] };
    return item;
  }
}

/** Agent-written text must not turn into links or commands in a tooltip. */
export function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>$]/g, (c) => `\\${c}`);
}

/** Drag data comes from outside the extension's control: accept only a JSON list of task ids. */
export function parseIds(raw: string): string[] {
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && /^tsk_[0-9a-f]{12}$/.test(x)).slice(0, 1_000) : [];
  } catch {
    return [];
  }
}
