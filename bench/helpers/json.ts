/**
 * The pattern the hub replaces: the whole board in one JSON file, taken under a lock file,
 * read, changed, written to a temp file, fsynced and renamed over, for every change.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';

export interface JsonTask {
  id: string;
  title: string;
  priority: number;
  status: string;
  createdAt: number;
  assignee: string | null;
  token: number | null;
  history: { to: string; at: number; actor: string }[];
}
export interface JsonBoard {
  fence: number;
  tasks: JsonTask[];
  events: { seq: number; type: string; subject: string; at: number }[];
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function writeBoard(file: string, board: JsonBoard): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, JSON.stringify(board));
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}

export function withBoard<T>(file: string, fn: (b: JsonBoard) => T): T {
  const lock = `${file}.lock`;
  for (let delay = 1; ; delay = Math.min(delay * 2, 8)) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      sleepSync(delay * Math.random());
    }
  }
  try {
    const board = JSON.parse(readFileSync(file, 'utf8')) as JsonBoard;
    const r = fn(board);
    writeBoard(file, board);
    return r;
  } finally {
    unlinkSync(lock);
  }
}

export function claimNextJson(file: string, agent: string): { id: string; token: number } | null {
  return withBoard(file, (b) => {
    let best: JsonTask | undefined;
    for (const t of b.tasks) if (t.status === 'ready' && (!best || t.priority > best.priority || (t.priority === best.priority && t.createdAt < best.createdAt))) best = t;
    if (!best) return null;
    const now = Date.now();
    best.status = 'claimed';
    best.assignee = agent;
    best.token = ++b.fence;
    best.history.push({ to: 'claimed', at: now, actor: agent });
    b.events.push({ seq: b.events.length + 1, type: 'task.claimed', subject: best.id, at: now });
    return { id: best.id, token: best.token };
  });
}

export function doneJson(file: string, id: string, token: number, agent: string): void {
  withBoard(file, (b) => {
    const t = b.tasks.find((x) => x.id === id);
    if (!t || t.token !== token) throw new Error(`stale token for ${id}`);
    const now = Date.now();
    t.status = 'done';
    t.history.push({ to: 'done', at: now, actor: agent });
    b.events.push({ seq: b.events.length + 1, type: 'task.transitioned', subject: id, at: now });
  });
}
