import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/**
 * The page of a Dream.OS webview (the dashboard, a task's details): one bundle from dist/webview,
 * a strict CSP with a nonce. `data` becomes data-* attributes of #app (escaped).
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: 'dashboard' | 'details', title: string, data: Record<string, string> = {}): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${bundle}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${bundle}.css`));
  const csp = [`default-src 'none'`, `style-src ${webview.cspSource}`, `img-src ${webview.cspSource} data:`, `font-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
  const attrs = Object.entries(data)
    .map(([k, v]) => ` data-${k.replace(/[^a-z-]/g, '')}="${escapeAttr(v)}"`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${escapeAttr(title)}</title>
</head>
<body>
<div id="app" role="main" aria-busy="true"${attrs}>Loading…</div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

function escapeAttr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
