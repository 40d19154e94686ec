import * as vscode from 'vscode';
import type { DiscordControlPlane } from '../integrations/discord/controlPlane';
import { DiscordStatusSource } from '../integrations/discord/status';
import type { BoardSession } from './boardSession';
import { Disposable } from './lifecycle';

const SECRET = 'dreamos.discord.botToken';

/**
 * The window's Discord connection: the bot token lives in SecretStorage (never settings), the
 * control plane (and discord.js with it) loads only when the person connects, and its state shows
 * in the status bar with what to fix when it fails.
 */
export class DiscordConnection extends Disposable {
  readonly status = new DiscordStatusSource();
  private plane: DiscordControlPlane | undefined;
  private readonly item = this._register(vscode.window.createStatusBarItem('dreamos.discord', vscode.StatusBarAlignment.Left, 49));

  constructor(
    private readonly session: BoardSession,
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
    /** Where the checks an approval from Discord runs write their output (Dream.OS Checks). */
    private readonly checksOutput?: vscode.OutputChannel,
  ) {
    super();
    this.item.name = 'Dream.OS Discord';
    this._register(this.status.onDidChange(() => this.render()));
  }

  async setToken(): Promise<void> {
    const token = await vscode.window.showInputBox({
      title: 'Discord bot token',
      prompt: "Developer Portal → your app → Bot → Reset Token. Kept in the editor's secret storage, never in settings.",
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(v.trim()) ? undefined : 'A bot token has three parts separated by dots.'),
    });
    if (!token) return;
    await this.secrets.store(SECRET, token.trim());
    if (this.plane) await this.connect();
  }

  async connect(): Promise<void> {
    if (!vscode.workspace.isTrusted) throw new Error('Discord can approve and apply changes: trust this workspace first.');
    await this.disconnect();
    // The control plane (its schemas, the proposal review) loads here, not on activation.
    /* eslint-disable @typescript-eslint/no-require-imports -- modules of this bundle, evaluated on first use */
    const { parseDiscordConfig } = require('../integrations/discord/discordConfig') as typeof import('../integrations/discord/discordConfig');
    const { startDiscord, TOKEN_ENV } = require('../integrations/discord/controlPlane') as typeof import('../integrations/discord/controlPlane');
    const { editorProposalWorkspace } = require('./proposals/review') as typeof import('./proposals/review');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const s = vscode.workspace.getConfiguration('dreamos.discord');
    const config = parseDiscordConfig({
      applicationId: s.get('applicationId'),
      guildId: s.get('guildId'),
      ...(s.get<string>('publicKey') ? { publicKey: s.get('publicKey') } : {}),
      transport: s.get('transport', 'gateway'),
      categoryName: s.get('categoryName', 'Dream.OS'),
      interactions: { port: s.get('interactionsPort', 8975) },
      permissions: s.get('permissions', {}),
      notifications: s.get('notifications', {}),
    });
    const board = await this.session.open();
    const token = (await this.secrets.get(SECRET)) ?? process.env[TOKEN_ENV];
    // Approving from Discord here is approving in this editor: the same settings' checks before and after, the same writer.
    const workspace = editorProposalWorkspace({ root: () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', boardDir: this.session.boardDir, trusted: () => vscode.workspace.isTrusted, output: this.checksOutput });
    this.plane = await startDiscord({ config, board, token, status: this.status, workspace, log: (level, m) => this.log[level](`Discord: ${m}`) });
  }

  async disconnect(): Promise<void> {
    const p = this.plane;
    this.plane = undefined;
    await p?.close();
  }

  private render(): void {
    const s = this.status.current;
    if (s.state === 'off') return this.item.hide();
    const icon = { connecting: '$(sync~spin)', ready: '$(comment-discussion)', degraded: '$(warning)', error: '$(error)' }[s.state];
    this.item.text = `${icon} Discord`;
    this.item.tooltip = s.fix ? `${s.message}\n${s.fix}` : s.message;
    this.item.backgroundColor = s.state === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : s.state === 'degraded' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.command = s.state === 'error' || s.state === 'degraded' ? 'dreamos.discord.connect' : undefined;
    this.item.show();
  }

  override dispose(): void {
    void this.disconnect();
    super.dispose();
  }
}
