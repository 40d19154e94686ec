import * as vscode from 'vscode';
import { DashboardHost, type DashboardClient } from '../../integrations/http/dashboardHost';
import type { HostToClient } from '../../protocol/dashboard';
import type { BoardSession } from '../boardSession';
import { Disposable } from '../lifecycle';
import { webviewHtml } from './webviewHtml';

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

  static show(extensionUri: vscode.Uri, session: BoardSession, log: vscode.LogOutputChannel): DashboardPanel {
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
    DashboardPanel.current = new DashboardPanel(panel, extensionUri, session, log);
    return DashboardPanel.current;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    session: BoardSession,
    log: vscode.LogOutputChannel,
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
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => void this.client.receive(m)));
    this._register(panel.onDidChangeViewState(() => panel.visible || this.client.setHidden()));
  }

  override dispose(): void {
    DashboardPanel.current = undefined;
    this.client.detach();
    this.panel.dispose();
    super.dispose();
  }
}
