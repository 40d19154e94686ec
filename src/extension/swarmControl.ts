import * as vscode from 'vscode';
import type { DesktopAutomation } from '../core/loop/driver';
import type { AgentControlOutcome, Swarm, SwarmBoard } from '../core/loop/swarm';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DreamError } from '../core/errors';
import { locateJsonPath, parseJson } from '../core/json';
import { openAt, prompts } from './prompts';

const ADD_AGENT = 'Add Agent…';
const OPEN_AGENTS = 'Open agents.json';
/** core/loop/agentsConfig's AGENTS_FILE (not imported: the swarm's modules load when it first starts). */
const AGENTS_FILE = 'agents.json';
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
    const missing = r.refused.filter((x) => x.program);
    if (missing.length) void this.sayMissing(r.started, missing);
    else if (r.started.length) void prompts.message('info', `Dream.OS swarm running: ${r.started.join(', ')}`);
    else void prompts.message('warning', `Dream.OS: no agent started. ${r.refused[0]?.reason ?? 'Check .dreamos/agents.json.'}`, 'Show Log').then((p) => p && this.log.show());
    void this.swarm.stopped.then(() => (this.swarm = undefined));
    return r;
  }

  /** Which agents' programs are missing, and the ways on: Add Agent… (finds the CLIs on PATH) or agents.json at the first one. */
  private async sayMissing(started: string[], missing: { name: string; reason: string; program?: string }[]): Promise<void> {
    const what = missing.map((x) => `${x.name} (${x.program})`).join(', ');
    const head = started.length ? `Dream.OS swarm running: ${started.join(', ')}. Not started, their programs are missing: ${what}.` : `Dream.OS: no agent started, their programs are missing: ${what}.`;
    const advice = missing.length === 1 ? ` ${missing[0]!.reason.slice(`its program is missing: ${missing[0]!.program}. `.length)}` : ' Install them, or set each one\'s "command" in agents.json to the program\'s full path.';
    const pick = await prompts.message('warning', `${head}${advice}`, ADD_AGENT, OPEN_AGENTS);
    if (pick === ADD_AGENT) await vscode.commands.executeCommand('dreamos.addAgent');
    if (pick !== OPEN_AGENTS) return;
    const file = path.join(this.session.boardDir, AGENTS_FILE);
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    const json = parseJson(text);
    const entries = json.ok ? ((json.value as { agents?: { name?: unknown }[] }).agents ?? []) : [];
    const first = missing[0]!.name;
    const i = entries.findIndex((a) => typeof a?.name === 'string' && (a.name === first || first.startsWith(`${a.name}-`)));
    const at = i >= 0 ? locateJsonPath(text, ['agents', i]) : undefined;
    await openAt(file, at?.line, at?.column);
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
