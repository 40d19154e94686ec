import * as vscode from 'vscode';
import type { DesktopAutomation } from '../core/loop/driver';
import type { AgentControlOutcome, Swarm, SwarmBoard } from '../core/loop/swarm';
import { DreamError } from '../core/errors';
import type { BoardSession } from './boardSession';

/**
 * The window's swarm: started by "Start Swarm", stopped by "Stop Swarm" (which also stops swarms
 * in other processes through the board's desired state) and on deactivate, releasing leases.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the swarm loads when it is first used, not on activation */
const createEditorSwarm: typeof import('./agents/editorSwarm')['createEditorSwarm'] = (...a) => (require('./agents/editorSwarm') as typeof import('./agents/editorSwarm')).createEditorSwarm(...a);
const controlAgent: typeof import('../core/loop/swarm')['controlAgent'] = (...a) => (require('../core/loop/swarm') as typeof import('../core/loop/swarm')).controlAgent(...a);
/* eslint-enable @typescript-eslint/no-require-imports */

export class SwarmControl {
  private swarm: Swarm | undefined;

  constructor(
    private readonly session: BoardSession,
    private readonly cliPath: string,
    private readonly log: vscode.LogOutputChannel,
    private readonly desktop?: DesktopAutomation,
  ) {}

  get running(): boolean {
    return this.swarm?.isRunning ?? false;
  }

  async start(): Promise<{ started: string[]; refused: { name: string; reason: string }[] } | undefined> {
    if (this.swarm?.isRunning) {
      void vscode.window.showInformationMessage('Dream.OS: the swarm is already running.');
      return undefined;
    }
    const board = (await this.session.open()) as unknown as SwarmBoard;
    // The swarm claims the board itself (atomically, in start()): refused while another host runs one.
    const made = await createEditorSwarm({ vscode, board, boardDir: this.session.boardDir, cliPath: this.cliPath, log: (l) => this.log.info(`[swarm] ${l}`), ...(this.desktop ? { desktop: this.desktop } : {}) });
    this.swarm = made.swarm;
    const r = await this.swarm.start();
    if (r.started.length) {
      // The merge queue lands approved worktree changes while this window's swarm runs.
      const stopQueue = made.runQueue();
      void this.swarm.stopped.then(stopQueue);
    }
    for (const x of r.refused) this.log.warn(`[swarm] ${x.name} not started: ${x.reason}`);
    if (r.started.length) void vscode.window.showInformationMessage(`Dream.OS swarm running: ${r.started.join(', ')}`);
    else void vscode.window.showWarningMessage(`Dream.OS: no agent started. ${r.refused[0]?.reason ?? 'Check .dreamos/agents.json.'}`, 'Show Log').then((p) => p && this.log.show());
    void this.swarm.stopped.then(() => (this.swarm = undefined));
    return r;
  }

  /** Start Agent / Stop Agent: here when this window's swarm runs the board, else the board's holder does it, or the message says what to do. */
  async agent(ref: string, desired: 'running' | 'stopped'): Promise<AgentControlOutcome> {
    const board = (await this.session.open()) as unknown as SwarmBoard;
    const r = await controlAgent(board, ref, desired, { reason: desired === 'stopped' ? 'Stop Agent in the editor' : 'Start Agent in the editor', local: this.swarm });
    this.log.info(`[swarm] ${r.message}`);
    return r;
  }

  async stop(): Promise<void> {
    if (this.swarm) await this.swarm.stop();
    else await this.session.call({ type: 'swarm.set', desired: 'stopped', reason: 'stopped from the editor' });
  }

  async status(): Promise<unknown> {
    const status = { local: this.swarm?.status() ?? null, telemetry: await this.session.call({ type: 'loop.telemetry.summary' }) };
    this.log.info(`[swarm] ${JSON.stringify(status, null, 2)}`);
    this.log.show(true);
    return status;
  }

  async dispose(): Promise<void> {
    await this.swarm?.stop({ everywhere: false, reason: 'window closed' }).catch((err) => this.log.warn(`[swarm] stop on close: ${DreamError.from(err).message}`));
  }
}
