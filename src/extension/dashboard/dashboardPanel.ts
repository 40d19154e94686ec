import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { z } from 'zod';
import { DreamError } from '../../core/errors';
import type { BoardEvent } from '../../core/events/events';
import { DashboardAction, WebviewToHost, type HostToWebview } from '../../protocol/dashboard';
import type { BoardSession } from '../boardSession';
import { Disposable } from '../lifecycle';

type ActionHandler<A extends DashboardAction['action']> = (session: BoardSession, a: Extract<DashboardAction, { action: A }>) => Promise<unknown>;

/** One small handler per dashboard request. */
const HANDLERS: { [A in DashboardAction['action']]: ActionHandler<A> } = {
  'task.done': (s, a) => s.call({ type: 'task.done', taskId: a.taskId, summary: a.summary }),
  'task.cancel': (s, a) => s.call({ type: 'task.cancel', taskId: a.taskId, reason: 'cancelled from the dashboard' }),
  'task.retry': (s, a) => s.call({ type: 'task.retry', taskId: a.taskId, reason: 'retried from the dashboard' }),
  'task.create': (s, a) => s.call({ type: 'task.add', title: a.title, priority: a.priority }),
};

/**
 * The live dashboard. A ready handshake starts the stream: the webview asks for state when it
 * (re)loads, gets the full snapshot, then events as they happen. Strict CSP with a nonce; only
 * dist/webview and media are loadable.
 */
export class DashboardPanel extends Disposable {
  static readonly viewType = 'dreamos.dashboard';
  private static current: DashboardPanel | undefined;
  private ready = false;
  private pendingEvents: BoardEvent[] = [];

  static show(extensionUri: vscode.Uri, session: BoardSession, log: vscode.LogOutputChannel): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, 'Dream.OS Dashboard', vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    });
    DashboardPanel.current = new DashboardPanel(panel, extensionUri, session, log);
    return DashboardPanel.current;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly session: BoardSession,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'dreamos.svg');
    panel.webview.html = this.html(panel.webview, extensionUri);
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)));
    this._register(panel.onDidChangeViewState(() => panel.visible || (this.ready = false)));
    this._register(session.onDidChange(() => this.post({ type: 'state', state: this.state() })));
    this._register(
      session.onEvent((e) => {
        this.pendingEvents.push(e);
        if (this.pendingEvents.length === 1) setTimeout(() => this.flushEvents(), 50);
      }),
    );
  }

  private flushEvents(): void {
    const events = this.pendingEvents.splice(0);
    if (events.length) this.post({ type: 'events', events });
  }

  private state() {
    const s = this.session.current;
    return { boardDir: this.session.boardDir, role: this.session.role ?? 'closed', tasks: s.tasks, agents: s.agents, latestSeq: s.latestSeq } as const;
  }

  private post(m: HostToWebview): void {
    // Messages to a hidden or reloading webview are dropped; the next `ready` re-sends state.
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = WebviewToHost.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`Dashboard sent an invalid message, ignored: ${z.prettifyError(parsed.error)}`);
      const id = (raw as { requestId?: unknown } | null)?.requestId;
      if (typeof id === 'number') void this.panel.webview.postMessage({ type: 'response', requestId: id, ok: false, error: 'Invalid request.' });
      return;
    }
    const m = parsed.data;
    if (m.type === 'ready') {
      this.ready = true;
      await this.session.open().catch(() => undefined);
      this.post({ type: 'state', state: this.state() });
      return;
    }
    try {
      const handler = HANDLERS[m.request.action] as ActionHandler<DashboardAction['action']>;
      await handler(this.session, m.request);
      this.post({ type: 'response', requestId: m.requestId, ok: true });
    } catch (err) {
      this.post({ type: 'response', requestId: m.requestId, ok: false, error: DreamError.from(err).message });
    }
  }

  private html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'dashboard.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'dashboard.css'));
    const csp = [`default-src 'none'`, `style-src ${webview.cspSource}`, `img-src ${webview.cspSource} data:`, `font-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Dream.OS Dashboard</title>
</head>
<body>
<div id="app" role="main" aria-busy="true">Loading the board…</div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  override dispose(): void {
    DashboardPanel.current = undefined;
    this.panel.dispose();
    super.dispose();
  }
}
