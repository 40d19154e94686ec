/**
 * The board mirror bench (part of `npm run bench`): one event → the Tasks tree updated, on a board
 * of BENCH_MIRROR_TASKS (10,000) tasks in a real hub process, the editor's side as its client over
 * the socket.
 *
 *   mirror     the editor's BoardSession (src/core/mirror's BoardMirror) and the real
 *              TasksTreeProvider: the event is applied as a delta (task.get of the touched task) and
 *              the tree redraws the nodes the provider names.
 *   baseline   the old path, kept here only: on each event the five full-list calls the session
 *              made before the mirror (tasks, agents, the person's inbox, proposals, board.info)
 *              and a redraw of the whole tree (without the 50 ms debounce the old session added).
 *
 * "Redraw" is what VS Code does with onDidChangeTreeData(element): getTreeItem of the element and,
 * for a group (or the root), getChildren and getTreeItem of every child of an expanded group. The
 * `vscode` module is a small stand-in (EventEmitter, TreeItem, ...): what is measured is the
 * board reads and the provider's own work, not the editor's rendering.
 *
 * Each event moves a Ready task to Blocked or back (two groups change, the Ready one ~7,000 long),
 * or renames a task (its own node only); p50 / p95 over BENCH_MIRROR_EVENTS each. Also measured:
 * the board calls per event, and a full read against task.get of k tasks (where a burst is
 * better read in full: FULL_RELOAD_AFTER). Printed, never asserted.
 *
 * Env: BENCH_MIRROR_TASKS=10000  BENCH_MIRROR_EVENTS=40  BENCH_RESULTS=<file>
 */
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Message, Task } from '../src/core/board/boardModel';
import type { CommandInput } from '../src/core/commands';
import type { BoardEvent } from '../src/core/events/eventLog';
import { connectBoard, type BoardClient } from '../src/core/hub/connect';
import { readDescriptor } from '../src/core/hub/descriptor';
import type { MirrorChange, MirrorSnapshot } from '../src/core/mirror/boardMirror';
import type { BoardPort, ResultOf } from '../src/core/port';
import type { ProposalSummary } from '../src/core/proposals/proposalModel';
import type { Figure } from './dashboard.bench';

const N = Number(process.env.BENCH_MIRROR_TASKS ?? 10_000);
const EVENTS = Number(process.env.BENCH_MIRROR_EVENTS ?? 40);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
function figure(f: Figure): void {
  if (process.env.BENCH_RESULTS) appendFileSync(process.env.BENCH_RESULTS, `${JSON.stringify(f)}\n`);
}

// ---- a stand-in for the `vscode` module: what the session and the Tasks tree use

class EventEmitter<T> {
  private listeners = new Set<(e: T) => void>();
  readonly event = (l: (e: T) => void) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };
  fire(e: T): void {
    for (const l of this.listeners) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}
class TreeItem {
  [k: string]: unknown;
  constructor(
    public label: string,
    public collapsibleState = 0,
  ) {}
}
class MarkdownString {
  value = '';
  constructor(v?: string) {
    this.value = v ?? '';
  }
  appendMarkdown(s: string) {
    this.value += s;
    return this;
  }
}
const fakeVscode = {
  EventEmitter,
  TreeItem,
  MarkdownString,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  ThemeIcon: class {
    constructor(
      public id: string,
      public color?: unknown,
    ) {}
  },
  ThemeColor: class {
    constructor(public id: string) {}
  },
  DataTransferItem: class {
    constructor(public value: unknown) {}
  },
  commands: { executeCommand: async () => undefined },
  window: { showWarningMessage: async () => undefined },
};
const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const realLoad = M._load;
M._load = (request, ...rest) => (request === 'vscode' ? fakeVscode : realLoad(request, ...rest));
/* eslint-disable @typescript-eslint/no-require-imports */
const { BoardSession } = require('../src/extension/boardSession') as typeof import('../src/extension/boardSession');
const { TasksTreeProvider } = require('../src/extension/views/tasksView') as typeof import('../src/extension/views/tasksView');
/* eslint-enable @typescript-eslint/no-require-imports */
type Provider = InstanceType<typeof TasksTreeProvider>;
type Node = ReturnType<Provider['getChildren']>[number];

/** What VS Code does on onDidChangeTreeData(element): redraw it and the children it shows. */
function redraw(p: Provider, el: Node | undefined): number {
  let items = 0;
  const expanded = (n: Node) => n.kind === 'group' && n.status !== 'done' && n.status !== 'cancelled';
  const children = (n: Node) => {
    for (const c of p.getChildren(n)) {
      p.getTreeItem(c);
      items++;
    }
  };
  if (!el) {
    for (const g of p.getChildren()) {
      p.getTreeItem(g);
      items++;
      if (expanded(g)) children(g);
    }
  } else {
    p.getTreeItem(el);
    items++;
    if (expanded(el)) children(el);
  }
  return items;
}

// ---- the board

async function startBoard(n: number): Promise<{ dir: string; hub: ChildProcess; actor: BoardClient; tasks: Task[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-mirror-bench-'));
  const hub = fork(path.join(__dirname, 'helpers', 'hub.ts'), [JSON.stringify({ dir })], { execArgv: ['--import', 'tsx'] });
  for (let i = 0; !readDescriptor(dir); i++) {
    if (i > 600) throw new Error('the bench hub did not start');
    await sleep(20);
  }
  const actor = await connectBoard({ dir, client: 'bench-mirror-actor', hubMode: 'never' });
  // A lived-in board: every column, three agents at work (done with evidence, as the hub asks).
  const file = Array.from({ length: n }, (_, i) => ({ title: `Fix the part #${i + 1}`, kind: (['feature', 'bug', 'chore', 'test', 'docs'] as const)[i % 5], priority: [1, 1, 2, 0, 3, 1][i % 6]! }));
  const { created: tasks } = await actor.call({ type: 'board.import', file: { tasks: file } });
  let i = 0;
  for (const name of ['claude-1', 'codex-2', 'cursor-chat']) {
    const a = await actor.call({ type: 'agent.register', name, capabilities: [] });
    const { lease } = await actor.call({ type: 'task.claim', taskId: tasks[i]!.id, agentId: a.id });
    await actor.call({ type: 'task.start', taskId: tasks[i++]!.id, token: lease.token });
  }
  const evidence = [{ kind: 'test' as const, summary: '42 passed' }];
  for (let k = 0; k < Math.floor(n / 12); k++) await actor.call({ type: 'task.done', taskId: tasks[i++]!.id, summary: 'Done by hand', evidence });
  for (let k = 0; k < Math.floor(n / 60); k++) await actor.call({ type: 'task.cancel', taskId: tasks[i++]!.id, reason: 'Not needed' });
  for (let k = 0; k < 12; k++) await actor.call({ type: 'task.block', taskId: tasks[i++]!.id, reason: 'Waiting on the API key' });
  return { dir, hub, actor, tasks };
}

/** A connection that counts its calls by command type. */
async function countedClient(dir: string, name: string) {
  const conn = await connectBoard({ dir, client: name, hubMode: 'never' });
  const calls = new Map<string, number>();
  const port = {
    role: conn.role,
    call: <C extends CommandInput>(command: C) => {
      calls.set(command.type, (calls.get(command.type) ?? 0) + 1);
      return conn.call(command) as Promise<ResultOf<C>>;
    },
    subscribe: (afterSeq: number, onEvent: (e: BoardEvent) => void) => conn.subscribe(afterSeq, onEvent),
    close: () => conn.close(),
  };
  return { conn, port, calls, total: () => [...calls.values()].reduce((a, b) => a + b, 0) };
}

/** The old session, kept only as the bench's baseline: five full lists per event. */
function oldSession(port: BoardPort, subscribe: (afterSeq: number, cb: (e: BoardEvent) => void) => { dispose(): void }) {
  const changed = new EventEmitter<MirrorChange>();
  const done = new EventEmitter<void>();
  let current: MirrorSnapshot = { tasks: [], agents: [], humanInbox: [], proposals: [], latestSeq: 0 };
  const reload = async () => {
    const [tasks, agents, humanInbox, proposals, info] = await Promise.all([
      port.call({ type: 'task.list' }),
      port.call({ type: 'agent.list' }),
      port.call({ type: 'mail.inbox', recipient: 'human', unackedOnly: true }),
      port.call({ type: 'proposal.list' }),
      port.call({ type: 'board.info' }),
    ]);
    const open = (p: ProposalSummary) => (['pending', 'validating', 'approved', 'conflicted'].includes(p.status) ? 0 : 1);
    const previous = current;
    current = { tasks, agents, humanInbox: humanInbox as Message[], proposals: [...proposals].sort((a, b) => open(a) - open(b)).slice(0, 200), latestSeq: info.latestSeq };
    changed.fire({ full: true, reason: 'reload', tasks: new Map(), agents: new Map(), inbox: true, proposals: new Map(), events: [], snapshot: current, previous });
    done.fire();
  };
  let sub: { dispose(): void } | undefined;
  return {
    session: {
      get current() {
        return current;
      },
      mirror: undefined,
      onDidChangeBoard: changed.event,
      call: port.call,
    },
    onDone: done.event,
    async open() {
      await reload();
      let running = false;
      let again = false;
      sub = subscribe(current.latestSeq, () => {
        onArrival();
        // One reload at a time; events during one make one more (the old timer, without its 50 ms).
        if (running) return void (again = true);
        running = true;
        void (async () => {
          do {
            again = false;
            await reload();
          } while (again);
          running = false;
        })();
      });
    },
    dispose: () => sub?.dispose(),
  };
}

/** When the first event after a command reached the client (set by each path's event listener). */
let arrived = 0;
const onArrival = () => (arrived ||= performance.now());

interface Run {
  move: number[];
  rename: number[];
  callsPerEvent: number;
  moveItems: number[];
  /** From the event's arrival at the client to the tree updated (the command's own round trip left out). */
  work: number[];
  renameItems: number[];
}

/** Sends EVENTS moves and EVENTS renames through `actor`; `updated` resolves when the tree shows each one. */
async function drive(actor: BoardClient, ready: Task[], updated: () => Promise<number>, callsNow: () => number): Promise<Run> {
  const run: Run = { move: [], rename: [], callsPerEvent: 0, moveItems: [], renameItems: [], work: [] };
  let calls = 0;
  for (let i = 0; i < EVENTS * 2; i++) {
    const t = ready[i % ready.length]!;
    const rename = i % 2 === 1;
    await sleep(40); // a quiet spell before each event: no batching, no backlog
    const before = callsNow();
    const shown = updated();
    arrived = 0;
    const t0 = performance.now();
    if (rename) await actor.call({ type: 'task.update', taskId: t.id, patch: { title: `${t.title} (renamed ${i})` } });
    else await actor.call({ type: 'task.block', taskId: t.id, reason: 'bench' });
    (rename ? run.renameItems : run.moveItems).push(await shown);
    const t1 = performance.now();
    (rename ? run.rename : run.move).push(t1 - t0);
    run.work.push(t1 - arrived);
    calls += callsNow() - before;
    if (!rename) await actor.call({ type: 'task.unblock', taskId: t.id });
    if (!rename) await updated(); // the move back, not measured
  }
  run.callsPerEvent = calls / (EVENTS * 2);
  return run;
}

async function main(): Promise<void> {
  console.log(`Dream.OS mirror bench: ${N} tasks, ${EVENTS} events of each kind; ${os.cpus().length} cores, node ${process.version}, load ${load()}`);
  const board = await startBoard(N);
  try {
    const ready = (await board.actor.call({ type: 'task.list', status: ['ready'] })).slice(0, EVENTS);

    // ---- mirror: the real session and tree
    const m = await countedClient(board.dir, 'bench-mirror-editor');
    const log = { info() {}, warn() {}, error() {} } as never;
    const session = new BoardSession(board.dir, async () => m.port as never, log);
    const tree = new TasksTreeProvider(session);
    let items = 0;
    tree.onDidChangeTreeData((el) => (items += redraw(tree, el ?? undefined)));
    await session.open();
    session.onEvent(onArrival);
    redraw(tree, undefined);
    const updatedMirror = () =>
      new Promise<number>((resolve) => {
        items = 0;
        const sub = session.onDidChange(() => {
          sub.dispose();
          resolve(items);
        });
      });
    const mirror = await drive(board.actor, ready, updatedMirror, m.total);
    const mirrorLoads = session.mirror!.stats.fullLoads;
    session.dispose();
    tree.dispose();
    await m.conn.close();

    // ---- baseline: the old full reload
    const o = await countedClient(board.dir, 'bench-mirror-old');
    const old = oldSession(o.port, o.port.subscribe);
    const oldTree = new TasksTreeProvider(old.session as never);
    let oldItems = 0;
    oldTree.onDidChangeTreeData((el) => (oldItems += redraw(oldTree, el ?? undefined)));
    await old.open();
    const updatedOld = () =>
      new Promise<number>((resolve) => {
        oldItems = 0;
        const sub = old.onDone(() => {
          sub.dispose();
          resolve(oldItems);
        });
      });
    const baseline = await drive(board.actor, ready, updatedOld, o.total);
    old.dispose();
    oldTree.dispose();
    await o.conn.close();

    // ---- where a full read beats a batched one
    const c = await countedClient(board.dir, 'bench-mirror-reads');
    const all = await c.port.call({ type: 'task.list' });
    const time = async (f: () => Promise<unknown>, reps = 5) => {
      const xs: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        await f();
        xs.push(performance.now() - t0);
      }
      return pct(xs, 50);
    };
    const full = await time(() => Promise.all([c.port.call({ type: 'board.info' }), c.port.call({ type: 'task.list' }), c.port.call({ type: 'agent.list' })]));
    const reads: [number, number][] = [];
    for (const k of [1, 10, 100, 1_000, 2_000, 5_000].filter((k) => k <= all.length)) {
      const ids = all.slice(0, k).map((t) => t.id);
      reads.push([k, await time(() => Promise.all(Array.from({ length: Math.ceil(k / 1_000) }, (_, i) => c.port.call({ type: 'task.get', taskIds: ids.slice(i * 1_000, (i + 1) * 1_000) }))))]);
    }
    await c.conn.close();

    const row = (name: string, r: Run) =>
      `  ${name.padEnd(34)} move p50 ${pct(r.move, 50).toFixed(1).padStart(6)} ms  p95 ${pct(r.move, 95).toFixed(1).padStart(6)} ms   rename p50 ${pct(r.rename, 50).toFixed(1).padStart(6)} ms  p95 ${pct(r.rename, 95).toFixed(1).padStart(6)} ms   ${r.callsPerEvent.toFixed(2)} board calls/event; tree items redrawn: move ${pct(r.moveItems, 50)}, rename ${pct(r.renameItems, 50)}\n  ${''.padEnd(34)} from the event's arrival: p50 ${pct(r.work, 50).toFixed(1)} ms, p95 ${pct(r.work, 95).toFixed(1)} ms`;
    console.log(`\none event → Tasks tree updated (${N} tasks; ${ready.length} Ready tasks moved to Blocked and back, and renamed):`);
    console.log(row('mirror (BoardSession + BoardMirror)', mirror));
    console.log(row('baseline: full reload per event', baseline));
    const both = [...mirror.move, ...mirror.rename];
    const bothOld = [...baseline.move, ...baseline.rename];
    console.log(`  ratios from arrival (baseline / mirror): p50 ${(pct(baseline.work, 50) / pct(mirror.work, 50)).toFixed(1)}x, p95 ${(pct(baseline.work, 95) / pct(mirror.work, 95)).toFixed(1)}x`);
    console.log(`  ratios end to end (baseline / mirror): p50 ${(pct(bothOld, 50) / pct(both, 50)).toFixed(1)}x, p95 ${(pct(bothOld, 95) / pct(both, 95)).toFixed(1)}x; full reads by the mirror after its first load: ${mirrorLoads - 1}`);
    console.log(`\nre-reading k tasks (task.get, in chunks of 1,000) vs a full read (board.info + task.list + agent.list: ${full.toFixed(1)} ms):`);
    for (const [k, ms] of reads) console.log(`  k = ${String(k).padStart(5)}: ${ms.toFixed(1).padStart(7)} ms  (${(ms / full).toFixed(2)} of a full read)`);
    console.log(`  load average now: ${load()}`);

    figure({ bench: 'mirror', name: `one event → Tasks tree updated, ${N / 1000}k tasks, p95`, value: pct(both, 95), unit: 'ms', target: 50, note: `p50 ${pct(both, 50).toFixed(1)} ms; full reload baseline p50 ${pct(bothOld, 50).toFixed(0)} / p95 ${pct(bothOld, 95).toFixed(0)} ms (${(pct(bothOld, 95) / pct(both, 95)).toFixed(1)}x)` });
    figure({ bench: 'mirror', name: 'board calls per event (mirror)', value: mirror.callsPerEvent, unit: 'calls', target: 1, note: `baseline ${baseline.callsPerEvent.toFixed(1)}; full reloads after load: ${mirrorLoads - 1}` });
  } finally {
    await board.actor.close();
    const exited = new Promise((r) => board.hub.once('exit', r));
    board.hub.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    rmSync(board.dir, { recursive: true, force: true });
  }
}

void (async () => {
  try {
    await main();
    process.exit(0);
  } catch (err) {
    console.error(err);
    process.exit(1);
  }
})();
