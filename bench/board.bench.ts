/**
 * `npm run bench`: 8 client processes doing claim → done on a board of N tasks, against
 *   - the hub, journal persistence (the default) and whole-image persistence (the alternative);
 *   - native SQLite (better-sqlite3, WAL, synchronous=FULL, BEGIN IMMEDIATE) running the very same
 *     domain code, each process with its own connection;
 *   - the whole board as one JSON file under a lock file, rewritten (and fsynced) per change.
 * Every variant acknowledges a change only once it is on disk (fsync). Each variant runs until
 * the board is empty or its time budget is spent; throughput is acknowledged calls per second.
 *
 * Env: BENCH_SIZES=1000,10000,100000  BENCH_BUDGET_MS=15000  BENCH_WORKERS=8
 *      BENCH_ONLY=hub-journal,native (variants)  BENCH_PROFILE_DIR=dir (CPU profile of the hub)
 *      BENCH_CLAIM_LIMIT=16 (what-if: claimNext reads 16 candidates instead of 500, see helpers/claimLimit.ts)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectBoard } from '../src/core/hub/connect';
import { readDescriptor } from '../src/core/hub/descriptor';
import type { EngineStats } from '../src/core/hub/engine';
import { writeBoard, type JsonTask } from './helpers/json';
import { claimLimit } from './helpers/claimLimit';
import { migrateNative, openNative } from './helpers/native';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 15_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 8);
const SEED_CHUNK = 5_000;

type Variant = 'hub-journal' | 'hub-image' | 'native' | 'json';
const LABEL: Record<Variant, string> = {
  'hub-journal': 'hub, journal (default)',
  'hub-image': 'hub, whole image per batch',
  native: 'native SQLite WAL FULL',
  json: 'JSON file + lock',
};

interface Result {
  ops: number;
  secs: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  complete: boolean;
  note?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tsFork = (file: string, arg: unknown, execArgv: string[] = []): ChildProcess =>
  fork(path.join(__dirname, 'helpers', file), [JSON.stringify(arg)], { execArgv: ['--import', 'tsx', ...execArgv] });
const message = <T>(c: ChildProcess, type: string) =>
  new Promise<T>((resolve, reject) => {
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      c.off('message', on);
      resolve(m as T);
    };
    c.on('message', on);
    c.once('exit', (code) => reject(new Error(`${type}: child exited with ${code}`)));
  });

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

function seedItems(from: number, to: number) {
  return Array.from({ length: to - from }, (_, k) => ({ title: `bench task ${from + k}`, priority: (from + k) % 4 }));
}

async function drive(kind: 'hub' | 'native' | 'json', dir: string, file: string, n: number): Promise<Result> {
  const workers = Array.from({ length: WORKERS }, (_, i) => tsFork('worker.ts', { kind, dir, file, name: `bench-${i}` }));
  await Promise.all(workers.map((w) => message(w, 'ready')));
  const deadline = Date.now() + BUDGET_MS;
  const results = workers.map((w) => message<{ ops: number; lat: number[]; elapsed: number }>(w, 'result'));
  for (const w of workers) w.send({ type: 'go', deadline });
  const rs = await Promise.all(results);
  await Promise.all(workers.map((w) => (w.exitCode === null ? new Promise((r) => w.once('exit', r)) : undefined)));
  const ops = rs.reduce((a, r) => a + r.ops, 0);
  const secs = Math.max(...rs.map((r) => r.elapsed)) / 1000;
  const lat = rs.flatMap((r) => r.lat).sort((a, b) => a - b);
  // Each task costs a claim and a done; the 8 final "nothing left" claims count too.
  const complete = ops >= 2 * n;
  return { ops, secs, opsPerSec: ops / secs, p50: pct(lat, 50), p99: pct(lat, 99), complete };
}

async function runHubVariant(persistence: 'journal' | 'image', n: number): Promise<Result> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-bench-'));
  try {
    const hub = tsFork('hub.ts', { dir, persistence }, process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []);
    for (let i = 0; !readDescriptor(dir); i++) {
      if (i > 600) throw new Error('the bench hub did not start');
      await sleep(20);
    }
    const seed = await connectBoard({ dir, client: 'bench-seed', hubMode: 'never' });
    for (let i = 0; i < n; i += SEED_CHUNK) await seed.call({ type: 'board.import', file: seedItems(i, Math.min(n, i + SEED_CHUNK)) });
    await seed.close();
    const r = await drive('hub', dir, '', n);
    const stats = message<{ stats: EngineStats }>(hub, 'stats');
    hub.kill('SIGTERM');
    const s = (await stats).stats;
    r.note = `${s.batches} fsync batches, ${(s.committed / Math.max(1, s.batches)).toFixed(1)} commits per batch${s.checkpoints ? `, ${s.checkpoints} checkpoints (longest export ${s.maxStallMs} ms)` : ''}`;
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runNative(n: number): Promise<Result> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-bench-native-'));
  const file = path.join(dir, 'board.db');
  try {
    migrateNative(file);
    const { db, exec } = openNative(file);
    for (let i = 0; i < n; i += SEED_CHUNK) exec({ type: 'board.import', file: seedItems(i, Math.min(n, i + SEED_CHUNK)) }, 'bench');
    db.close();
    return await drive('native', dir, file, n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runJson(n: number): Promise<Result> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-bench-json-'));
  const file = path.join(dir, 'board.json');
  try {
    const now = Date.now();
    const tasks: JsonTask[] = Array.from({ length: n }, (_, i) => ({ id: `tsk_${i}`, title: `bench task ${i}`, priority: i % 4, status: 'ready', createdAt: now + i, assignee: null, token: null, history: [] }));
    writeBoard(file, { fence: 0, tasks, events: [] });
    return await drive('json', dir, file, n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function nativeAvailable(): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const D = require('better-sqlite3') as new (f: string) => { close(): void };
    new D(':memory:').close();
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

async function main(): Promise<void> {
  const noNative = nativeAvailable();
  console.log(`Dream.OS board bench: ${WORKERS} client processes, claim → done, budget ${BUDGET_MS / 1000} s per variant; ${os.cpus().length} cores, node ${process.version}`);
  if (claimLimit) console.log(`what-if: task.claimNext reads ${claimLimit} candidate rows instead of 500 (hub and native alike)`);
  if (noNative) console.log(`native SQLite skipped: better-sqlite3 cannot load (${noNative})`);
  if (!existsSync(path.join(__dirname, '..', 'node_modules', 'tsx'))) throw new Error('tsx is needed to run the bench workers');
  for (const n of SIZES) {
    console.log(`\nN = ${n.toLocaleString('en')} tasks`);
    console.log(`  ${'variant'.padEnd(28)} ${'acked'.padStart(7)} ${'secs'.padStart(6)} ${'ops/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)}`);
    const res: Partial<Record<Variant, Result>> = {};
    const variants: [Variant, () => Promise<Result>][] = [
      ['hub-journal', () => runHubVariant('journal', n)],
      ['hub-image', () => runHubVariant('image', n)],
      ...(noNative ? [] : ([['native', () => runNative(n)]] as [Variant, () => Promise<Result>][])),
      ['json', () => runJson(n)],
    ];
    const only = process.env.BENCH_ONLY?.split(',');
    for (const [v, run] of variants.filter(([v]) => !only || only.includes(v))) {
      const r = await run();
      res[v] = r;
      console.log(
        `  ${LABEL[v].padEnd(28)} ${String(r.ops).padStart(7)} ${fmt(r.secs).padStart(6)} ${fmt(r.opsPerSec, 0).padStart(8)} ${fmt(r.p50, 2).padStart(7)} ${fmt(r.p99, 2).padStart(7)}${r.complete ? '' : '  (budget hit)'}${r.note ? `  [${r.note}]` : ''}`,
      );
    }
    const j = res['hub-journal'];
    const ratio = (a: Result | undefined, b: Result | undefined) => (a && b ? `${(a.opsPerSec / b.opsPerSec).toFixed(2)}x` : 'n/a');
    console.log(`  ratios: hub/native ${ratio(j, res.native)}, hub/json ${ratio(j, res.json)}, journal/image ${ratio(j, res['hub-image'])}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
