import * as vscode from 'vscode';
import type { CommandInput } from '../core/commands';
import type { BoardPort, PortCallOptions, ResultOf } from '../core/port';
import type { BoardEvent } from '../core/events/eventLog';
import { BoardMirror, type MirrorChange, type MirrorSnapshot } from '../core/mirror/boardMirror';
import { DreamError } from '../core/errors';
import { Disposable } from './lifecycle';
import { NO_FOLDER_MESSAGE } from './prompts';

/** What the extension needs from a board connection (the hub's BoardClient satisfies it). */
export interface BoardConnection extends BoardPort {
  subscribe(afterSeq: number, onEvent: (e: BoardEvent) => void): { dispose(): void };
  readonly role: 'hub' | 'client';
  close(): Promise<void> | void;
}

export type ConnectFn = (dir: string) => Promise<BoardConnection>;

/** Tasks, agents, the person's inbox and the proposals to show, as the board mirror has them. */
export type BoardSnapshot = MirrorSnapshot;

const EMPTY: BoardSnapshot = { tasks: [], agents: [], humanInbox: [], proposals: [], latestSeq: 0 };
/** The dashboard's recent events, kept by the same mirror (DashboardPanel reads it). */
const RECENT_EVENTS = 200;

/**
 * The window's view of the board: one connection and one BoardMirror (src/core/mirror), which the
 * trees, Needs You, the status bar and the dashboard panel all read. The mirror is kept by the
 * event stream, never by polling: a burst of events re-reads only what it touched.
 */
export class BoardSession extends Disposable {
  private conn: BoardConnection | undefined;
  private opening: Promise<BoardConnection> | undefined;
  private boardMirror: BoardMirror | undefined;
  private readonly changed = this._register(new vscode.EventEmitter<BoardSnapshot>());
  private readonly mirrorChanged = this._register(new vscode.EventEmitter<MirrorChange>());
  private readonly eventsEmitter = this._register(new vscode.EventEmitter<BoardEvent>());
  /** The snapshot after any change. */
  readonly onDidChange = this.changed.event;
  /** What changed, by id (or `full`): a view refreshes just those nodes. Fires before onDidChange. */
  readonly onDidChangeBoard = this.mirrorChanged.event;
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
    return this.boardMirror?.snapshot ?? EMPTY;
  }

  /** The board mirror, once the board is open. */
  get mirror(): BoardMirror | undefined {
    return this.boardMirror;
  }

  /** Opens the board and returns its mirror, loaded (the dashboard panel reads it). */
  async openMirror(): Promise<BoardMirror> {
    await this.open();
    return this.boardMirror!;
  }

  /** Opens (and on first use creates) the board. Safe to call many times. */
  async open(): Promise<BoardConnection> {
    if (this.conn && this.boardMirror?.isLoaded) return this.conn;
    // No folder open: every board command says so (with Open Folder) before it asks anything.
    if (!this.boardDir) throw new DreamError('unavailable', NO_FOLDER_MESSAGE, { openFolder: true });
    this.opening ??= (async () => {
      let conn = this.conn;
      if (!conn) {
        const opened = await this.connect(this.boardDir);
        conn = opened;
        this.conn = conn;
        await vscode.commands.executeCommand('setContext', 'dreamos.boardOpen', true);
        const mirror = new BoardMirror(conn, (afterSeq, onEvent) => opened.subscribe(afterSeq, onEvent), {
          recentEvents: RECENT_EVENTS,
          log: (level, message) => this.log[level](message),
        });
        this.boardMirror = mirror;
        this._register(mirror.onEvent((e) => this.eventsEmitter.fire(e)));
        this._register(
          mirror.onDidChange((c) => {
            this.mirrorChanged.fire(c);
            this.changed.fire(c.snapshot);
          }),
        );
        this._register({ dispose: () => mirror.dispose() });
        this._register({ dispose: () => void opened.close() });
      }
      // Reads the board once, then follows its events (a failed first read is tried again on the next open).
      await this.boardMirror!.start();
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

  /** Reads the whole board again (the Refresh command); events never need it. */
  async reload(): Promise<void> {
    if (!this.boardMirror?.isLoaded) return;
    await this.boardMirror.reload();
  }
}
