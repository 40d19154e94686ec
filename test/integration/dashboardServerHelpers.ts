/**
 * Test helpers for the dashboard: a real board (sql.js, the real command handlers) behind the
 * BoardConnection shape the hub client has — call() and subscribe(afterSeq) fed by `events.since`,
 * asynchronous like the real thing — plus a populated 10k-task board and a dashboard bundle built
 * into a temporary folder (so tests never race a concurrent `npm run build` over dist/).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Agent, Task } from '../../src/core/board/boardModel';
import type { CommandInput } from '../../src/core/commands';
import type { ResultOf } from '../../src/core/port';
import type { BoardEvent } from '../../src/core/events/eventLog';
import { memoryBoard } from '../unit/helpers/memoryBoard';

export type MemoryConnection = Awaited<ReturnType<typeof memoryConnection>>;

export async function memoryConnection(actor = 'human:dashboard') {
  const board = await memoryBoard();
  const subs = new Set<{ after: number; cb: (e: BoardEvent) => void }>();
  let scheduled = false;
  // Events are pushed after the command's answer, on a later turn, as a hub over a socket does.
  const push = () => {
    scheduled = false;
    for (const s of subs) {
      for (;;) {
        const events = board.run<BoardEvent[]>({ type: 'events.since', afterSeq: s.after, limit: 10_000 });
        if (!events.length) break;
        for (const e of events) {
          s.after = e.seq;
          if (subs.has(s)) s.cb(e);
        }
      }
    }
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(push);
    }
  };
  let calls = 0;
  return {
    board,
    role: 'hub' as const,
    get calls() {
      return calls;
    },
    async call<C extends CommandInput>(command: C): Promise<ResultOf<C>> {
      calls++;
      await Promise.resolve();
      const r = board.run(command, actor) as ResultOf<C>;
      schedule();
      return r;
    },
    subscribe(afterSeq: number, cb: (e: BoardEvent) => void) {
      const s = { after: afterSeq, cb };
      subs.add(s);
      schedule();
      return { dispose: () => subs.delete(s) };
    },
    close() {
      subs.clear();
      board.db.close();
    },
  };
}

/** A board that looks lived-in: `n` tasks spread over every column, three agents at work. */
export async function populate(conn: MemoryConnection, n: number): Promise<{ agents: Agent[]; tasks: Task[] }> {
  const kinds = ['feature', 'bug', 'chore', 'test', 'docs'] as const;
  const words = ['parser', 'lexer', 'cache', 'login flow', 'search index', 'settings page', 'CLI help', 'sync engine', 'exporter', 'rate limiter'];
  const verbs = ['Fix', 'Write tests for', 'Refactor', 'Document', 'Speed up', 'Add metrics to'];
  const file = Array.from({ length: n }, (_, i) => ({
    title: `${verbs[i % verbs.length]} the ${words[(i * 7) % words.length]} #${i + 1}`,
    kind: kinds[i % kinds.length],
    priority: [1, 1, 2, 0, 3, 1][i % 6],
  }));
  const { created } = (await conn.call({ type: 'board.import', file: { tasks: file } })) as { created: Task[] };
  const agents: Agent[] = [];
  for (const [name, driver] of [
    ['claude-1', 'command'],
    ['codex-2', 'command'],
    ['cursor-chat', 'chat-window'],
  ] as const) {
    agents.push((await conn.call({ type: 'agent.register', name, driver, capabilities: [] })) as Agent);
  }
  const at = (i: number) => created[i]!.id;
  let i = 0;
  const work = async (agentId: string, taskId: string) => {
    const { lease } = (await conn.call({ type: 'task.claim', taskId, agentId })) as { lease: { token: number } };
    await conn.call({ type: 'task.start', taskId, token: lease.token });
    return lease.token;
  };
  for (let k = 0; k < 4; k++) {
    const token = await work(agents[0]!.id, at(i));
    await conn.call({ type: 'task.review', taskId: at(i++), token, summary: 'Ready for a look', evidence: [{ kind: 'test', summary: '42 passed' }] });
  }
  for (const a of agents) await work(a.id, at(i++));
  for (let k = 0; k < Math.floor(n / 12); k++) await conn.call({ type: 'task.done', taskId: at(i++), summary: 'Done by hand' });
  for (let k = 0; k < Math.floor(n / 60); k++) await conn.call({ type: 'task.cancel', taskId: at(i++), reason: 'Not needed' });
  for (let k = 0; k < 12; k++) await conn.call({ type: 'task.block', taskId: at(i++), reason: 'Waiting on the API key' });
  await conn.call({ type: 'task.depend', taskId: at(0), dependsOn: at(i - 1) }); // the first review task waits on a blocked one
  return { agents, tasks: created };
}

/** Builds webview-ui into a fresh folder with the same settings as esbuild.mjs. */
export async function buildDashboardAssets(): Promise<string> {
  const esbuild = await import('esbuild');
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-dashboard-assets-'));
  await esbuild.build({
    entryPoints: { dashboard: path.resolve(__dirname, '../../webview-ui/src/main.ts'), details: path.resolve(__dirname, '../../webview-ui/src/detailsPage.ts') },
    outdir,
    bundle: true,
    platform: 'browser',
    target: ['chrome114'],
    format: 'iife',
    loader: { '.css': 'css' },
    logLevel: 'error',
  });
  return outdir;
}
