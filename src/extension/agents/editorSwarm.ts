/**
 * The swarm inside the editor: the core swarm with all three drivers (command, the editor's
 * language model, chat windows) and Workspace Trust as its `trusted` input. The composition root
 * (main.ts) creates it on "Dream.OS: Start Swarm" and stops it on "Stop Swarm" and on deactivate.
 */
import path from 'node:path';
import type * as vscode from 'vscode';
import { loadSwarmConfig, type AgentConfig } from '../../core/loop/agentsConfig';
import type { DesktopAutomation, DriverFactory } from '../../core/loop/driver';
import { Swarm, type SwarmBoard } from '../../core/loop/swarm';
import { agentLogs } from '../../integrations/drivers/agentLog';
import { ProcessCheckRunner } from '../../integrations/drivers/processChecks';
import { CommandDriver } from '../../integrations/drivers/commandDriver';
import { GitWorkspace } from '../../integrations/drivers/git';
import { workspaceWorktrees } from '../../integrations/git/worktreeHost';
import { ChatWindowDriver, type ChatApi } from './chatWindowDriver';
import { LanguageModelDriver, type LmApi } from './languageModelDriver';

export interface EditorSwarmOptions {
  /** The vscode module (passed in so this file has no runtime import of it). */
  vscode: LmApi & ChatApi & { workspace: Pick<typeof vscode.workspace, 'isTrusted'> };
  /** The board connection (the hub client from connectBoard: it accepts a per-call actor). */
  board: SwarmBoard;
  boardDir: string;
  /** dist/cli.js, for the `dreamos` shim agents report through: path.join(context.extensionPath, 'dist', 'cli.js'). */
  cliPath: string;
  log?: (line: string) => void;
  desktop?: DesktopAutomation;
}

export function editorDrivers(o: Pick<EditorSwarmOptions, 'vscode' | 'cliPath' | 'desktop'> & { board?: SwarmBoard }): DriverFactory {
  return (cfg: AgentConfig) => {
    switch (cfg.driver) {
      case 'command':
        return new CommandDriver(cfg, { cliPath: o.cliPath });
      case 'language-model':
        return o.vscode.lm ? new LanguageModelDriver(o.vscode, cfg, { checks: new ProcessCheckRunner(), ...(o.board ? { board: o.board } : {}) }) : { unavailable: `${cfg.name}: this editor has no language-model API (vscode.lm).` };
      case 'chat-window':
        return new ChatWindowDriver(o.vscode, cfg, o.desktop);
    }
  };
}

/** The editor's swarm and the merge queue that lands the changes it makes (started once the swarm runs). */
export interface EditorSwarm {
  swarm: Swarm;
  /** Lands approved worktree changes while the swarm runs; returns the stop function. */
  runQueue(): () => Promise<void>;
}

/**
 * Loads .dreamos/agents.json (a clear error if it is missing or invalid) and builds the swarm: in a
 * git repository with a commit each task gets its own worktree and branch (issue 14), as in the
 * headless swarm; elsewhere every agent works in the workspace folder.
 */
export async function createEditorSwarm(o: EditorSwarmOptions): Promise<EditorSwarm> {
  const config = await loadSwarmConfig(o.boardDir);
  const workspaceRoot = path.dirname(o.boardDir);
  const worktrees = workspaceWorktrees({ workspaceRoot, boardDir: o.boardDir, board: o.board, holder: `editor:${process.pid}`, ...(o.log ? { log: o.log } : {}) });
  const swarm = new Swarm({
    board: o.board,
    worktrees: worktrees.manager,
    config,
    workspaceRoot,
    boardDir: o.boardDir,
    trusted: o.vscode.workspace.isTrusted,
    drivers: editorDrivers(o),
    checks: new ProcessCheckRunner(),
    workspace: new GitWorkspace(),
    agentLog: agentLogs(path.join(o.boardDir, 'logs')),
    ...(o.log ? { log: o.log } : {}),
  });
  return { swarm, runQueue: () => worktrees.runQueue() };
}
