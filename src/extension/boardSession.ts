import * as vscode from 'vscode';
import type { Agent, Message, Task } from '../core/board/model';
import type { ProposalSummary } from '../core/proposals/model';
import type { CommandInput } from '../core/commands';
import type { BoardPort, PortCallOptions, ResultOf } from '../core/port';
import { DreamError } from '../core/errors';
import type { BoardEvent } from '../core/events/events';
import { Disposable } from './lifecycle';

/** What the extension needs from a board connection (the hub's BoardClient satisfies it). */
export interface BoardConnection extends BoardPort {
  subscribe(afterSeq: number, onEvent: (e: BoardEvent) => void): { dispose(): void };
  readonly role: 'hub' | 'client';
  close(): Promise<void> | void;
}

export type ConnectFn = (dir: string) => Promise<BoardConnection>;

export interface BoardSnapshot {
  tasks: Task[];
  agents: Agent[];
  /** Mail to the person that still waits for an answer or an ack. */
  humanInbox: Message[];
  /** Proposals recent enough to show: open ones first (as listed: without their audit trail). */
  proposals: ProposalSummary[];
  latestSeq: number;
}

/**
 * The window's view of the board: one connection, a snapshot kept fresh by the event stream
 * (never by polling), refreshes batched so a burst of events costs one reload.
 */
export class BoardSession extends Disposable {
  private conn: BoardConnection | undefined;
  private opening: Promise<BoardConnection> | undefined;
  private snapshot: BoardSnapshot = { tasks: [], agents: [], humanInbox: [], proposals: [], latestSeq: 0 };
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly changed = this._register(new vscode.EventEmitter<BoardSnapshot>());
  private readonly eventsEmitter = this._register(new vscode.EventEmitter<BoardEvent>());
  readonly onDidChange = this.changed.event;
  readonly onEvent = this.eventsEmitter.event;

  constructor(
    readonly boardDir: string,
    private readonly connect: ConnectFn,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.conn !== undefined;
  }

  get role(): 'hub' | 'client' | undefined {
    return this.conn?.role;
  }

  get current(): BoardSnapshot {
    return this.snapshot;
  }

  /** Opens (and on first use creates) the board. Safe to call many times. */
  async open(): Promise<BoardConnection> {
    if (this.conn) return this.conn;
    this.opening ??= (async () => {
      const conn = await this.connect(this.boardDir);
      this.conn = conn;
      await vscode.commands.executeCommand('setContext', 'dreamos.boardOpen', true);
      await this.reload();
      const sub = conn.subscribe(this.snapshot.latestSeq, (e) => {
        this.eventsEmitter.fire(e);
        this.scheduleRefresh();
      });
      this._register(sub);
      this._register({ dispose: () => void conn.close() });
      this.log.info(`Board ${this.boardDir} open (this window is the ${conn.role}).`);
      return conn;
    })().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** Runs a board command; `actor` attributes it to someone other than the person (an agent's tool call). */
  async call<C extends CommandInput>(command: C, opts?: PortCallOptions): Promise<ResultOf<C>> {
    const conn = await this.open();
    return conn.call(command, opts);
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.reload().catch((err) => this.log.error(`Refreshing the board failed: ${DreamError.from(err).message}`));
    }, 50);
  }

  async reload(): Promise<void> {
    if (!this.conn) return;
    const [tasks, agents, humanInbox, proposals, info] = await Promise.all([
      this.conn.call({ type: 'task.list' }),
      this.conn.call({ type: 'agent.list' }),
      this.conn.call({ type: 'mail.inbox', recipient: 'human', unackedOnly: true }),
      this.conn.call({ type: 'proposal.list' }),
      this.conn.call({ type: 'board.info' }),
    ]);
    const open = (p: ProposalSummary) => (['pending', 'validating', 'approved', 'conflicted'].includes(p.status) ? 0 : 1);
    this.snapshot = { tasks, agents, humanInbox, proposals: [...proposals].sort((a, b) => open(a) - open(b)).slice(0, 200), latestSeq: info.latestSeq };
    this.changed.fire(this.snapshot);
  }

  override dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    super.dispose();
  }
}
