import * as vscode from 'vscode';
import { DashboardHost, type DashboardClient } from '../../integrations/http/dashboardHost';
import type { HostToClient } from '../../protocol/dashboard';
import type { BoardSession } from '../boardSession';
import { webviewHtml } from '../dashboard/webviewHtml';
import { Disposable } from '../lifecycle';

/**
 * A task's details in an editor tab, read-only: title, status, owner by name, history, evidence,
 * dependencies, its runs' transcript and tokens/cost, and the actions that apply. It is the
 * dashboard's details pane (webview-ui/src/details.ts) on its own page, talking to a DashboardHost
 * over the session's board mirror, so it shows what the trees and the dashboard show. Like a preview
 * editor there is one such tab: clicking another task shows that one in it.
 */
export class TaskDetailsPanel extends Disposable {
  static readonly viewType = 'dreamos.taskDetails';
  private static current: TaskDetailsPanel | undefined;
  private readonly host: DashboardHost;
  private readonly client: DashboardClient;
  private taskId: string;
  /** Each page load is numbered: a reloaded page trusts its remembered task only if it is the same page. */
  private pages = 0;
  private readonly page: () => string;

  static show(extensionUri: vscode.Uri, session: BoardSession, log: vscode.LogOutputChannel, taskId: string): TaskDetailsPanel {
    const open = TaskDetailsPanel.current;
    if (open) {
      open.point(taskId);
      open.panel.reveal(undefined, false);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(TaskDetailsPanel.viewType, 'Task', { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    });
    TaskDetailsPanel.current = new TaskDetailsPanel(panel, extensionUri, session, log, taskId);
    return TaskDetailsPanel.current;
  }

  /** The task the open details tab shows, if one is open (for tests and the API). */
  static get shown(): string | undefined {
    return TaskDetailsPanel.current?.taskId;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly session: BoardSession,
    log: vscode.LogOutputChannel,
    taskId: string,
  ) {
    super();
    this.taskId = taskId;
    this.host = new DashboardHost({ open: () => session.open(), mirror: () => session.openMirror(), boardDir: session.boardDir, log: (level, message) => log[level](message) });
    this._register({ dispose: () => this.host.dispose() });
    this.host.warm();
    this.client = this.host.attach((m: HostToClient) => void panel.webview.postMessage(m));
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'dreamos.svg');
    this.retitle();
    this.page = () => webviewHtml(panel.webview, extensionUri, 'details', 'Task details', { task: this.taskId, at: String(++this.pages) });
    panel.webview.html = this.page();
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(
      panel.webview.onDidReceiveMessage((m: unknown) => {
        // The page asks for the task it shows (a link to a dependency moves it): the tab's title follows.
        const r = (m as { type?: string; request?: { action?: string; taskId?: unknown } } | null)?.request;
        if ((m as { type?: string } | null)?.type === 'request' && r?.action === 'task.show' && typeof r.taskId === 'string') {
          this.taskId = r.taskId;
          this.retitle();
        }
        void this.client.receive(m);
      }),
    );
    this._register(panel.onDidChangeViewState(() => panel.visible || this.client.setHidden()));
    this._register(session.onDidChangeBoard((c) => c.tasks.has(this.taskId) && this.retitle()));
  }

  private point(taskId: string): void {
    this.taskId = taskId;
    this.retitle();
    // A hidden webview gets no messages (it reloads when shown): then the page itself names the task.
    if (this.panel.visible) void this.panel.webview.postMessage({ type: 'dreamos.details.show', taskId });
    else this.panel.webview.html = this.page();
  }

  private retitle(): void {
    const t = this.session.mirror?.task(this.taskId);
    const title = t ? t.title : 'Task';
    this.panel.title = title.length > 40 ? `${title.slice(0, 39)}…` : title;
  }

  override dispose(): void {
    if (TaskDetailsPanel.current === this) TaskDetailsPanel.current = undefined;
    this.client.detach();
    this.panel.dispose();
    super.dispose();
  }
}
