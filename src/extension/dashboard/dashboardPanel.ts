import * as vscode from 'vscode';
import { DashboardHost, type DashboardClient } from '../../integrations/http/dashboardHost';
import { DreamError } from '../../core/errors';
import { COLUMNS } from '../../protocol/boardColumns';
import { decodePanelMessage, type HostToClient, type PanelToClient } from '../../protocol/dashboard';
import type { BoardSession } from '../boardSession';
import { Disposable } from '../lifecycle';
import { moveTasks } from '../views/tasksView';
import { dropRules, dropTarget } from './dropRules';
import { webviewHtml } from './webviewHtml';

/** The Tasks tree's filter, which the dashboard's search box shares (both ways). */
export interface SharedFilter {
  readonly filter: string;
  setFilter(text: string): void;
  readonly onDidChangeFilter?: vscode.Event<string>;
}

/**
 * The live dashboard in an editor tab. The protocol work (ready handshake, full state on every
 * (re)load, batched deltas, the request handler table) is the shared `DashboardHost`, the same one
 * the browser dashboard server uses; this class is only the webview transport: strict CSP with a
 * nonce, and nothing posted while the webview is hidden (it is rebuilt and says `ready` when shown).
 */
export class DashboardPanel extends Disposable {
  static readonly viewType = 'dreamos.dashboard';
  private static current: DashboardPanel | undefined;
  private readonly host: DashboardHost;
  private readonly client: DashboardClient;

  static show(extensionUri: vscode.Uri, session: BoardSession, log: vscode.LogOutputChannel, filter?: SharedFilter): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, 'Dream.OS Dashboard', vscode.ViewColumn.Active, {
      enableScripts: true,
      // The UI keeps its own state (vscode.setState) and re-syncs on `ready`: no hidden webview kept alive.
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    });
    DashboardPanel.current = new DashboardPanel(panel, extensionUri, session, log, filter);
    return DashboardPanel.current;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    session: BoardSession,
    log: vscode.LogOutputChannel,
    private readonly filter?: SharedFilter,
  ) {
    super();
    this.host = new DashboardHost({
      // The session's own connection: its subscribe(afterSeq) replays what the dashboard missed.
      open: () => session.open(),
      // The session's board mirror: the panel shows what the trees show, with no second copy.
      mirror: () => session.openMirror(),
      boardDir: session.boardDir,
      log: (level, message) => log[level](message),
    });
    this._register({ dispose: () => this.host.dispose() });
    this.host.warm(); // reads the board while the webview loads
    this.client = this.host.attach((m: HostToClient) => void panel.webview.postMessage(m));
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'dreamos.svg');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'dashboard', 'Dream.OS Dashboard');
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m, session, log)));
    if (filter?.onDidChangeFilter) this._register(filter.onDidChangeFilter((query) => this.post({ type: 'filter', query })));
    this._register(panel.onDidChangeViewState(() => panel.visible || this.client.setHidden()));
  }

  private post(m: PanelToClient): void {
    if (this.panel.visible) void this.panel.webview.postMessage(m);
  }

  /** The panel's own messages (search, drag and drop); everything else goes to the shared DashboardHost. */
  private async receive(raw: unknown, session: BoardSession, log: vscode.LogOutputChannel): Promise<void> {
    const decoded = decodePanelMessage(raw);
    if (!decoded) {
      await this.client.receive(raw);
      // A (re)loaded dashboard gets the drop rules and the tree's filter along with its state.
      if ((raw as { type?: unknown }).type === 'ready') {
        this.post({ type: 'dropRules', rules: dropRules() });
        if (this.filter) this.post({ type: 'filter', query: this.filter.filter });
      }
      return;
    }
    if (!decoded.ok) {
      log.warn(decoded.error.message);
      return this.post({ type: 'notice', level: 'error', text: decoded.error.message });
    }
    const m = decoded.message;
    if (m.type === 'filter') return this.filter?.setFilter(m.query);
    // A card dropped on a column: the same path as a drop in the Tasks tree (moveTasks → the action's command).
    const task = session.current.tasks.find((t) => t.id === m.taskId);
    if (!task) return this.post({ type: 'notice', level: 'error', text: 'That task is no longer on the board. It may have been removed; the board is up to date now.' });
    const target = dropTarget(task.status, m.column);
    if (!target) {
      const rule = dropRules()[task.status]?.[m.column];
      return this.post({ type: 'notice', level: 'error', text: rule && !rule.ok ? rule.why : `“${task.title}” cannot be moved there.` });
    }
    try {
      const { moved, failures } = await moveTasks(session, [task.id], target.to);
      if (failures.length || !moved.length) throw new DreamError('conflict', failures[0] ?? `“${task.title}” did not move.`);
      this.post({ type: 'notice', level: 'info', text: `${target.label}: “${task.title}” is now in ${COLUMNS[m.column]!.title}.` });
    } catch (err) {
      this.post({ type: 'notice', level: 'error', text: `“${task.title}” could not move to ${COLUMNS[m.column]!.title}: ${DreamError.from(err).message}` });
    }
  }

  override dispose(): void {
    DashboardPanel.current = undefined;
    this.client.detach();
    this.panel.dispose();
    super.dispose();
  }
}
