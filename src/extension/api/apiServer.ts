/**
 * Dream.OS: Start / Stop API Server, and the named tokens from the palette. The server is the same
 * gateway `dreamos serve` runs (src/integrations/http/gateway.ts): the REST API with its docs, the
 * dashboard and MCP over HTTP on 127.0.0.1, backed by this window's board connection; token
 * requests reach the board's hub on their own connections. Loaded when one of these commands
 * first runs, never at activation.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { CredentialInfo } from '../../core/auth/credentials';
import { TOKEN_SCOPES, type TokenScope } from '../../core/auth/tokens';
import { mcpHttpHandler } from '../../integrations/mcp/http';
import { PHONE_PATH, phonePage } from '../../integrations/phone/phonePage';
import { startGateway, type Gateway } from '../../integrations/http/gateway';
import type { BoardSession } from '../boardSession';

let running: { gateway: Gateway; dir: string } | undefined;

export interface ApiServerInfo {
  origin: string;
  port: number;
  docsUrl: string;
}

const info = (g: Gateway): ApiServerInfo => ({ origin: g.origin, port: g.port, docsUrl: g.docsUrl });

async function announce(g: Gateway, again: boolean): Promise<void> {
  const pick = await vscode.window.showInformationMessage(
    `Dream.OS API server ${again ? 'is running' : 'started'} at ${g.origin} (127.0.0.1 only). Programs send a named token: "Authorization: Bearer <token>".`,
    'Open API Docs',
    'Open Dashboard',
    'Create Token',
  );
  if (pick === 'Open API Docs') await vscode.env.openExternal(vscode.Uri.parse(g.docsUrl));
  if (pick === 'Open Dashboard') await vscode.env.openExternal(vscode.Uri.parse(g.loginUrl()));
  if (pick === 'Create Token') await vscode.commands.executeCommand('dreamos.token.create');
}

/** Starts the server (or shows the running one). `port`: a fixed port; default a free one. */
export async function startApiServer(extensionUri: vscode.Uri, session: BoardSession, log: vscode.LogOutputChannel, arg?: unknown): Promise<ApiServerInfo> {
  const quiet = (arg as { quiet?: boolean } | undefined)?.quiet === true;
  if (running && running.dir === session.boardDir) {
    if (!quiet) void announce(running.gateway, true);
    return info(running.gateway);
  }
  await stopApiServer({ quiet: true });
  const connection = await session.open();
  const port = (arg as { port?: unknown } | undefined)?.port;
  const workspace = path.dirname(session.boardDir);
  const gateway = await startGateway({
    connection,
    dir: session.boardDir,
    workspace,
    ...(typeof port === 'number' && Number.isInteger(port) && port >= 0 && port < 65536 ? { port } : {}),
    dashboard: { assetsDir: vscode.Uri.joinPath(extensionUri, 'dist', 'webview').fsPath, boardDir: session.boardDir },
    mounts: { '/mcp': mcpHttpHandler({ workspace: { root: workspace, boardDir: session.boardDir } }) },
    staticPages: { [PHONE_PATH]: phonePage({ assetsDir: vscode.Uri.joinPath(extensionUri, 'dist', 'webview').fsPath }) },
    log: (level, message) => log[level](`API server: ${message}`),
  });
  running = { gateway, dir: session.boardDir };
  log.info(`API server listening on ${gateway.origin} (docs ${gateway.docsUrl})`);
  if (!quiet) void announce(gateway, false);
  return info(gateway);
}

export async function stopApiServer(arg?: unknown): Promise<boolean> {
  const r = running;
  running = undefined;
  if (!r) {
    if ((arg as { quiet?: boolean } | undefined)?.quiet !== true) void vscode.window.showInformationMessage('Dream.OS: the API server is not running.');
    return false;
  }
  await r.gateway.close();
  return true;
}

const SCOPE_HELP: Record<TokenScope, string> = {
  read: 'look only: tasks, agents, mail, proposals, events',
  agent: 'act as one agent (report on its tasks, its mail, propose)',
  operator: 'act for you on the work: approve, reject, answer, retry, assign',
  admin: 'everything, tokens and board settings included',
};

/** Dream.OS: Create API Token — name, scope (and agent), shown once with a Copy button. */
export async function createToken(session: BoardSession, arg?: unknown): Promise<(CredentialInfo & { token: string }) | undefined> {
  const given = (arg && typeof arg === 'object' ? arg : {}) as { name?: string; scope?: TokenScope; agent?: string };
  const name =
    given.name ??
    (await vscode.window.showInputBox({ prompt: 'A name for the token (who or what will use it)', placeHolder: 'phone, ci-bot, claude-mcp', validateInput: (v) => (/^[\w.-]{1,64}$/.test(v.trim()) ? undefined : 'Letters, digits, . - _ (up to 64).') }));
  if (!name) return undefined;
  const scope =
    given.scope ?? (await vscode.window.showQuickPick(TOKEN_SCOPES.map((s) => ({ label: s, description: SCOPE_HELP[s] })), { placeHolder: `What may "${name}" do?` }))?.label;
  if (!scope) return undefined;
  let agent = given.agent;
  if (scope === 'agent' && !agent) {
    await session.open();
    agent = (await vscode.window.showQuickPick(session.current.agents.filter((a) => a.status !== 'retired').map((a) => ({ label: a.name, description: a.id })), { placeHolder: 'The agent this token acts as' }))?.label;
    if (!agent) return undefined;
  }
  const made = await session.call({ type: 'token.create', name: name.trim(), scope, ...(agent ? { agent } : {}) });
  if (!given.name) {
    const pick = await vscode.window.showInformationMessage(`Token "${made.name}" (${made.scope}) — shown this once, the board keeps only its hash:\n\n${made.token}`, { modal: true }, 'Copy Token');
    if (pick === 'Copy Token') await vscode.env.clipboard.writeText(made.token);
  }
  return made;
}

const stateOf = (t: CredentialInfo) => (t.revokedAt ? 'revoked' : t.expiresAt !== null && t.expiresAt < Date.now() ? 'expired' : 'live');

/** Dream.OS: List API Tokens — pick one to revoke it. */
export async function listTokens(session: BoardSession): Promise<CredentialInfo[]> {
  const tokens = await session.call({ type: 'token.list' });
  if (tokens.length === 0) {
    const pick = await vscode.window.showInformationMessage('Dream.OS: no API tokens yet.', 'Create Token');
    if (pick) await vscode.commands.executeCommand('dreamos.token.create');
    return tokens;
  }
  const pick = await vscode.window.showQuickPick(
    tokens.map((t) => ({ label: t.name ?? t.id, description: `${t.scope}${t.agentId ? ` as ${t.agentId}` : ''} · ${stateOf(t)}`, detail: `created ${new Date(t.createdAt).toLocaleString()} by ${t.createdBy}${t.expiresAt ? ` · expires ${new Date(t.expiresAt).toLocaleString()}` : ''}`, t })),
    { placeHolder: 'API tokens (pick one to revoke it)' },
  );
  if (pick) {
    const ok = await vscode.window.showWarningMessage(`Revoke token "${pick.label}"? Whatever uses it is refused from now on.`, { modal: true }, 'Revoke');
    if (ok === 'Revoke') await revokeToken(session, pick.t.name ?? pick.t.id);
  }
  return tokens;
}

/** Dream.OS: Revoke API Token — refused at once, everywhere. */
export async function revokeToken(session: BoardSession, arg?: unknown): Promise<CredentialInfo | undefined> {
  let ref = typeof arg === 'string' ? arg : undefined;
  if (!ref) {
    const tokens = await session.call({ type: 'token.list' });
    ref = (await vscode.window.showQuickPick(tokens.map((t) => ({ label: t.name ?? t.id, description: t.scope })), { placeHolder: 'The token to revoke' }))?.label;
    if (!ref) return undefined;
    const ok = await vscode.window.showWarningMessage(`Revoke token "${ref}"? Whatever uses it is refused from now on.`, { modal: true }, 'Revoke');
    if (ok !== 'Revoke') return undefined;
  }
  const r = await session.call({ type: 'token.revoke', token: ref });
  void vscode.window.showInformationMessage(`Dream.OS: token "${r.name}" revoked.`);
  return r;
}
