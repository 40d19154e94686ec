/**
 * Composition root: builds the window's services from one context and registers them. Kept small;
 * behaviour lives in the services, rules live in src/core.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { DreamError } from '../core/errors';
import { connectBoard } from '../core/hub/connect';
import { BoardSession, type BoardConnection } from './boardSession';
import { syncBoardSettings } from './boardSettings';
import { CommandFailures, registerCommands } from './editorCommands';
import { DiscordConnection } from './discordConnection';
import { SwarmControl } from './swarmControl';
import type { DesktopAutomationOptions, DesktopOrchestrator } from '../integrations/desktop';
import { registerReportTools } from './agents/reportToolRegistry';
import { registerMcpProvider } from './mcp/mcpProvider';
import type { ReportBoard } from './agents/reportTools';
import { StatusBar } from './statusBar';
import { AgentsTreeProvider } from './views/agentsView';
import { InboxTreeProvider } from './views/inboxView';
import { ProposalDocuments } from './proposals/proposalDocuments';
import { WorktreesTreeProvider } from './worktrees/worktreesView';
import { fetchWebhookSender } from '../integrations/webhooks/fetchSender';
import { ProposalStatusContext, ProposalsTreeProvider } from './proposals/proposalsView';
import { SCHEME } from './proposals/proposalUri';
import { TasksTreeProvider } from './views/tasksView';
import { Notifications } from './notifications';
import { prompts, type Prompts } from './prompts';

/** What activate() returns: other extensions and the extension-host tests read the board through it. */
export interface DreamOsApi {
  readonly session: BoardSession;
  /** Failures of Dream.OS commands (each was also shown to the person), newest last. */
  readonly commandFailures: CommandFailures;
  readonly views: { readonly tasks: TasksTreeProvider; readonly agents: AgentsTreeProvider; readonly inbox: InboxTreeProvider; readonly proposals: ProposalsTreeProvider; readonly worktrees: WorktreesTreeProvider };
  /** The notifications shown (text and actions), newest last. */
  readonly notifications: Notifications;
  /** What commands asked and told the person (messages with their actions, input boxes, quick picks); tests answer here. */
  readonly prompts: Prompts;
}

/**
 * Desktop automation as the window uses it, built on its first use: its modules (calibration,
 * window registry, the X11 client's glue) are not evaluated on activation. Unused, dispose is a no-op.
 */
function lazyDesktop(options: DesktopAutomationOptions): DesktopOrchestrator {
  let real: DesktopOrchestrator | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use
  const get = () => (real ??= (require('../integrations/desktop/desktopAutomation') as typeof import('../integrations/desktop/desktopAutomation')).createDesktopAutomation(options));
  return new Proxy({} as DesktopOrchestrator, {
    get: (_t, key) => {
      if (key === 'then') return undefined;
      if (key === 'dispose' && !real) return async () => undefined;
      const d = get();
      const v = d[key as keyof DesktopOrchestrator];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(d) : v;
    },
    has: (_t, key) => key in get(),
  });
}

function boardDirFor(folder: vscode.WorkspaceFolder | undefined): string | undefined {
  if (!folder) return undefined;
  const configured = vscode.workspace.getConfiguration('dreamos', folder.uri).get<string>('boardDirectory', '.dreamos').trim() || '.dreamos';
  return path.resolve(folder.uri.fsPath, configured);
}

export async function activate(context: vscode.ExtensionContext): Promise<DreamOsApi> {
  const log = vscode.window.createOutputChannel('Dream.OS', { log: true });
  context.subscriptions.push(log);
  const config = () => vscode.workspace.getConfiguration('dreamos');
  const boardDir = boardDirFor(vscode.workspace.workspaceFolders?.[0]);

  const connect = async (dir: string): Promise<BoardConnection> => {
    if (!boardDir) throw new DreamError('unavailable', 'Open a folder first: the Dream.OS board lives in your workspace.');
    return connectBoard({
      dir,
      client: `vscode-window:${process.pid}`,
      // What a person does in the editor is done as the person (who may override an agent's lease).
      actor: 'human',
      hubMode: 'in-process',
      // When this window is the board's hub, it delivers the board's webhooks (src/core/webhooks).
      engine: { webhooks: { sender: fetchWebhookSender() } },
      // durability, leaseSeconds and stallSeconds are the board's own (board.config, kept in step
      // with the editor's settings by syncBoardSettings), so they apply wherever the hub runs.
    });
  };
  const session = new BoardSession(boardDir ?? '', connect, log);
  context.subscriptions.push(session, syncBoardSettings(session, log));
  session.onEvent((e) => log.info(`#${e.seq} ${e.type} ${e.subject} by ${e.actor} ${JSON.stringify(e.payload)}`), undefined, context.subscriptions);

  const tasks = new TasksTreeProvider(session);
  const agents = new AgentsTreeProvider(session);
  const inbox = new InboxTreeProvider(session);
  const tasksView = vscode.window.createTreeView('dreamos.tasks', { treeDataProvider: tasks, showCollapseAll: true, canSelectMany: true, dragAndDropController: tasks });
  const agentsView = vscode.window.createTreeView('dreamos.agents', { treeDataProvider: agents, dragAndDropController: agents });
  const inboxView = vscode.window.createTreeView('dreamos.inbox', { treeDataProvider: inbox });
  const proposals = new ProposalsTreeProvider(session);
  const proposalsView = vscode.window.createTreeView('dreamos.proposals', { treeDataProvider: proposals });
  const proposalDocs = new ProposalDocuments(session, () => path.dirname(session.boardDir));
  const worktrees = new WorktreesTreeProvider(session);
  context.subscriptions.push(worktrees, vscode.window.createTreeView('dreamos.worktrees', { treeDataProvider: worktrees }));
  const checksOutput = vscode.window.createOutputChannel('Dream.OS Checks');
  context.subscriptions.push(proposals, proposalsView, proposalDocs, checksOutput, new ProposalStatusContext(session), vscode.workspace.registerTextDocumentContentProvider(SCHEME, proposalDocs));
  let needsYouShown = false;
  const updateBadge = () => {
    const n = inbox.getChildren().length;
    const badge = n ? { value: n, tooltip: `${n} things need you: questions from agents, reviews, failed or blocked tasks, stalled agents` } : undefined;
    tasksView.badge = badge;
    inboxView.badge = badge;
    // Needs You takes the top of the sidebar only while something needs the person.
    if (n > 0 !== needsYouShown) void vscode.commands.executeCommand('setContext', 'dreamos.needsYou', (needsYouShown = n > 0));
    tasksView.description = tasks.filter ? `filter: ${tasks.filter}` : undefined;
  };
  session.onDidChange(updateBadge, undefined, context.subscriptions);
  tasks.onDidChangeFilter(updateBadge, undefined, context.subscriptions); // also when the dashboard sets it
  const notifications = new Notifications(session);
  context.subscriptions.push(tasks, agents, inbox, tasksView, agentsView, inboxView, new StatusBar(session), notifications);

  // Desktop automation (nut-js) loads nothing until a chat-window agent or a desktop command needs it.
  const desktopSettings = () => vscode.workspace.getConfiguration('dreamos.desktop');
  const desktop = lazyDesktop({
    boardDir: boardDir ?? '',
    settings: { enabled: desktopSettings().get<boolean>('enabled', true), pasteSettleMs: desktopSettings().get<number>('pasteSettleMs', 150) },
    log: (l) => log.info(`[desktop] ${l}`),
  });
  context.subscriptions.push({ dispose: () => void desktop.dispose() });
  const swarm = new SwarmControl(session, vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath, log, desktop);
  activeSwarm = swarm;
  // Agents running as the editor's language model report back through these tools.
  if (typeof (vscode.lm as { registerTool?: unknown } | undefined)?.registerTool === 'function') {
    const board: ReportBoard = { call: (command, opts) => session.call(command, opts) };
    context.subscriptions.push(...registerReportTools(vscode, board));
  }
  // The editor's own chat reaches the board through `dreamos mcp`, where the editor has MCP server definitions (1.101+).
  const workspaceFolder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const mcpBoard = () => (boardDir && workspaceFolder ? { boardDir, workspace: workspaceFolder } : undefined);
  context.subscriptions.push(...registerMcpProvider(vscode, { cliPath: vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath, nodePath: process.execPath, board: mcpBoard, version: String((context.extension.packageJSON as { version?: string }).version ?? '') }));
  const discord = new DiscordConnection(session, context.secrets, log, checksOutput);
  context.subscriptions.push(discord);
  if (config().get<boolean>('discord.enabled', false) && vscode.workspace.isTrusted) {
    void discord.connect().catch((err: Error) => log.warn(`Discord: ${err.message}`));
  }
  const commandFailures = new CommandFailures();
  context.subscriptions.push(
    ...registerCommands({
      desktop,
      discord,
      swarm,
      extensionUri: context.extensionUri,
      session,
      log,
      review: { session, output: checksOutput, root: () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', trusted: () => vscode.workspace.isTrusted },
      tasksView: {
        get filter() {
          return tasks.filter;
        },
        setFilter: (text) => {
          tasks.setFilter(text);
          updateBadge();
        },
        onDidChangeFilter: tasks.onDidChangeFilter,
      },
    }, commandFailures),
  );

  // Not awaited: activation should not wait for a round trip to the workbench.
  void vscode.commands.executeCommand('setContext', 'dreamos.boardOpen', false);
  // Open an existing board right away; a new one is created on the first command that needs it.
  // Right after activation, not in it: becoming the board's hub loads the hub (engine, sql.js) and
  // reads the board, which the workbench need not wait for.
  if (boardDir && existsSync(path.join(boardDir, 'board.sqlite'))) {
    setImmediate(() =>
      session.open().catch((err) => {
        const e = DreamError.from(err);
        log.error(`Could not open the board in ${boardDir}: ${e.message}`);
        void vscode.window.showErrorMessage(`Dream.OS could not open the board: ${e.message}`, 'Show Log').then((p) => p && log.show());
      }),
    );
  }
  return { session, commandFailures, views: { tasks, agents, inbox, proposals, worktrees }, notifications, prompts };
}

let activeSwarm: SwarmControl | undefined;

/** Stops the window's swarm first (releasing leases while the connection is still open). */
export async function deactivate(): Promise<void> {
  await activeSwarm?.dispose();
  activeSwarm = undefined;
}
