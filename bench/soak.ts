/**
 * `npm run soak`: a time-compressed soak of the whole system. A swarm of scripted agents
 * (bench/soakAgent.mjs, real processes) works through many tasks on a board owned by a real
 * detached hub process, while the soak injects faults: agents that crash, kill -9 themselves, hang
 * until the loop's task timeout, stall (silent past the no-output limit), print malformed results
 * or garbage, or claim "done" with nothing behind it; kill -9s of the hub (the clients restart it,
 * or the soak starts one itself and the clients' own start loses the race); and a full-disk moment
 * on the board's folder (a small tmpfs where this process may mount one, otherwise an injected
 * ENOSPC at the journal's write — the report says which ran).
 *
 * A client-side ledger keeps every acknowledged write (each task added; each transition the swarm
 * was told had happened; each report an agent made through the CLI) and, after a last kill -9,
 * checks each against the board recovered from disk, with PRAGMA integrity_check on it.
 *
 *   npm run soak -- [--tasks 10000] [--seed N] [--kills N] [--disk tmpfs|inject] [--keep]
 *
 * Exits 1 when an invariant fails: a task stuck or lost, an acknowledged write lost, an injected
 * stall or hang not detected, integrity not ok. Timing is reported, never judged.
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, statfsSync, unlinkSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import type { Task, TaskHistoryEntry } from '../src/core/board/boardModel';
import { connectBoard, type BoardClient } from '../src/core/hub/connect';
import { readDescriptor } from '../src/core/hub/descriptor';
import { HubEngine } from '../src/core/hub/engine';
import { inspectLock, tryAcquireLock } from '../src/core/hub/lock';
import type { TelemetryRow } from '../src/core/loop/loopCommands';
import { startHeadlessSwarm } from '../src/integrations/drivers/swarmHost';

const ROOT = path.resolve(__dirname, '..');
const AGENT = path.join(__dirname, 'soakAgent.mjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SoakOptions {
  tasks: number;
  seed: number;
  /** Agent instances (two agent entries share them). */
  agents: number;
  /** Swarm-wide cap on agents working at once. */
  maxConcurrent: number;
  hubKills: number;
  /** 'auto': a tmpfs when this process may mount one, else the injected ENOSPC. */
  disk: 'auto' | 'tmpfs' | 'inject' | 'none';
  /** How long the disk stays full. */
  diskFullMs: number;
  /** Give up waiting for the board to settle after this long (the rest counts as stuck). */
  deadlineMs: number;
  sampleMs: number;
  /** Per-agent timeouts (agents.json: the board's own leaseSeconds / stallSeconds have a 10 s floor). */
  leaseMs: number;
  noOutputMs: number;
  taskMs: number;
  keep?: boolean;
  log?: (line: string) => void;
}

export const FULL: SoakOptions = { tasks: 10_000, seed: 0, agents: 16, maxConcurrent: 12, hubKills: 24, disk: 'auto', diskFullMs: 5_000, deadlineMs: 45 * 60_000, sampleMs: 30_000, leaseMs: 2_500, noOutputMs: 1_000, taskMs: 3_000 };

interface RunLine {
  at: number;
  task: string;
  agent: string;
  run: number;
  token: number;
  pid: number;
  b?: string;
  ack?: string;
}

export interface SizeSample {
  atS: number;
  tasks: number;
  done: number;
  active: number;
  imageBytes: number;
  journalBytes: number;
  folderBytes: number;
}

export interface SoakReport {
  seed: number;
  tasks: number;
  byStatus: Record<string, number>;
  /** Waiting for a dependency that failed or is blocked: a person decides (board rule, not stuck). */
  waitingOnFailedDependency: number;
  endedWithoutReason: string[];
  stuck: string[];
  lost: string[];
  duplicates: number;
  runs: number;
  runsByBehaviour: Record<string, number>;
  stalls: { injected: number; detected: number; missed: string[] };
  hangs: { injected: number; detected: number; missed: string[] };
  faultedTasks: number;
  faultedTasksDone: number;
  hubKills: number;
  hubRecoveries: number;
  hubRecoveryMs: { max: number; mean: number };
  hubStarts: number;
  disk: { mode: string; fullForMs: number; hubStoppedOnIt: boolean; recoveredMs: number | null; note: string };
  acked: { tasksAdded: number; transitions: number; cliReports: number; checked: number; lost: string[] };
  integrity: string;
  sizes: SizeSample[];
  durationMs: number;
  failures: string[];
  dir: string;
}

/** Bundles the CLI (what agents call as `dreamos`) and the hub process from this working tree. */
async function build(out: string): Promise<{ cli: string; hub: string }> {
  mkdirSync(out, { recursive: true });
  const common = { bundle: true, platform: 'node' as const, target: 'node20', format: 'cjs' as const, logLevel: 'warning' as const, external: ['vscode', 'sql.js/dist/sql-wasm.wasm', 'discord.js', 'x11', '@nut-tree-fork/nut-js', 'better-sqlite3', 'playwright-core'], absWorkingDir: ROOT };
  await Promise.all([
    esbuild.build({ ...common, entryPoints: { cli: path.join(ROOT, 'src/cli/main.ts') }, outdir: out }),
    esbuild.build({ ...common, entryPoints: { soakHub: path.join(ROOT, 'bench/soakHub.ts') }, outdir: out }),
  ]);
  copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(out, 'sql-wasm.wasm'));
  return { cli: path.join(out, 'cli.js'), hub: path.join(out, 'soakHub.js') };
}

function tryMountTmpfs(dir: string): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2g,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function folderBytes(dir: string): { image: number; journal: number; all: number } {
  let image = 0;
  let journal = 0;
  let all = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        try {
          const s = statSync(p).size;
          all += s;
          if (d === dir && e.name === 'board.sqlite') image = s;
          if (d === dir && e.name.startsWith('board.journal.')) journal += s;
        } catch {
          /* gone meanwhile */
        }
      }
    }
  };
  try {
    walk(dir);
  } catch {
    /* a file vanished */
  }
  return { image, journal, all };
}

const isSoakAgent = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('soakAgent.mjs');
  } catch {
    return false;
  }
};

export async function runSoak(opts: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const o: SoakOptions = { ...FULL, ...opts };
  const seed = o.seed || randomInt(1, 2 ** 31);
  const say = o.log ?? ((l: string) => console.log(l));
  const t0 = Date.now();
  const el = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
  const failures: string[] = [];

  const root = mkdtempSync(path.join(os.tmpdir(), 'dreamos-soak-'));
  const ws = path.join(root, 'ws');
  const dir = path.join(ws, '.dreamos');
  mkdirSync(dir, { recursive: true });
  const runLog = path.join(root, 'runs.jsonl');
  const hubLog = path.join(root, 'hub.log');
  const swarmLog = path.join(root, 'swarm.log');
  const flag = path.join(root, 'enospc.flag');
  writeFileSync(runLog, '');
  say(`soak: seed ${seed}, ${o.tasks} tasks, ${o.agents} agents (${o.maxConcurrent} at once), ${o.hubKills} hub kills; in ${root}`);

  let mounted = false;
  let diskMode: string = o.disk;
  if (o.disk === 'auto' || o.disk === 'tmpfs') {
    mounted = tryMountTmpfs(dir);
    if (!mounted && o.disk === 'tmpfs') throw new Error('could not mount a tmpfs for the board (needs root on Linux); use --disk inject');
    diskMode = mounted ? 'tmpfs' : 'inject';
  }
  const built = await build(path.join(root, 'build'));
  writeFileSync(path.join(ws, '.gitignore'), '.dreamos/\n');
  execFileSync('git', ['init', '-q'], { cwd: ws });

  const agentEntry = (name: string, n: number) => ({
    name,
    driver: 'command',
    command: process.execPath,
    args: [AGENT, String(seed), runLog],
    maxConcurrent: n,
    maxBackoffRetries: 1,
    timeouts: { leaseMs: o.leaseMs, noOutputMs: o.noOutputMs, taskMs: o.taskMs },
  });
  const half = Math.ceil(o.agents / 2);
  writeFileSync(path.join(dir, 'agents.json'), JSON.stringify({ maxConcurrent: o.maxConcurrent, idlePollMs: 250, agents: [agentEntry('soak-a', half), agentEntry('soak-b', o.agents - half)] }, null, 2));

  const hubArg = JSON.stringify({ dir, idleMs: 300_000 });
  const hubEnv = { ...process.env, SOAK_HUB_LOG: hubLog, ...(diskMode === 'inject' ? { SOAK_ENOSPC_FLAG: flag } : {}) };
  const spawnCfg = { command: process.execPath, args: [built.hub, hubArg], env: hubEnv };
  const startHub = () => spawn(spawnCfg.command, spawnCfg.args, { detached: true, stdio: 'ignore', env: hubEnv }).unref();
  const connect = (client: string, actor?: string) => connectBoard({ dir, client, hubMode: 'spawn', spawn: spawnCfg, connectTimeoutMs: 60_000, callTimeoutMs: 60_000, ...(actor ? { actor } : {}) });

  startHub();
  const producer = await connect('soak-producer');
  await producer.call({ type: 'board.config.set', values: { leaseSeconds: 10, stallSeconds: 10 } });

  // The swarm's view of the board, with every acknowledged transition written down.
  const swarmBoard = await connect('soak-swarm', 'swarm');
  const transitions: { taskId: string; to: string }[] = [];
  const TO: Record<string, string> = { 'task.done': 'done', 'task.fail': 'failed', 'task.block': 'blocked', 'task.start': 'running', 'task.release': 'ready', 'task.reopen': 'ready' };
  const ledgered: BoardClient = {
    get role() {
      return swarmBoard.role;
    },
    onDidChangeRole: swarmBoard.onDidChangeRole,
    subscribe: (s, f) => swarmBoard.subscribe(s, f),
    close: () => swarmBoard.close(),
    call: async <T>(command: unknown, co?: Parameters<BoardClient['call']>[1]): Promise<T> => {
      const r = await swarmBoard.call<T>(command, co);
      const c = command as { type: string; taskId?: string };
      if (c.type === 'task.claimNext' && r) transitions.push({ taskId: (r as unknown as { task: Task }).task.id, to: 'claimed' });
      else if (c.type in TO && c.taskId) transitions.push({ taskId: c.taskId, to: (r as unknown as Task | null)?.status ?? TO[c.type]! });
      return r;
    },
  };
  const host = await startHeadlessSwarm({
    dir,
    board: ledgered,
    cliPath: built.cli,
    gauge: () => ({ ok: true, reason: '', loadPerCpu: 0, freeMemMb: 1_000 }),
    backoffBaseMs: 100,
    killGraceMs: 200,
    log: (l) => appendFileSync(swarmLog, `${Date.now()} ${l}\n`),
  });
  if (host.report.refused.length) throw new Error(`agents refused: ${JSON.stringify(host.report.refused)}`);
  say(`${el()}  swarm running: ${host.report.started.length} agents`);

  // Producer: tasks arrive over the whole run, a few depending on a recent one.
  const added: { id: string; title: string }[] = [];
  let addErrors = 0;
  let stopAll = false;
  let ready = 0;
  const backlog = Math.max(40, o.agents * 4);
  const produce = async () => {
    for (let i = 0; i < o.tasks && !stopAll; ) {
      if (ready > backlog) {
        await sleep(100);
        continue;
      }
      const dep = i > 20 && i % 19 === 0 ? added[added.length - 1 - (i % 13)]?.id : undefined;
      const cmd = { type: 'task.add', title: `soak task ${i}`, description: `Scope: work/slot${i % 64}/**`, priority: i % 4, ...(dep ? { dependsOn: [dep] } : {}) };
      try {
        const t = await producer.call<Task>(cmd, { requestId: `soak-${seed}-add-${i}` });
        added.push({ id: t.id, title: t.title });
        ready++;
        i++;
      } catch (err) {
        if ((err as { code?: string }).code === 'invalid_input') throw err;
        if (addErrors++ < 3) say(`${el()}  task.add not acknowledged: ${(err as Error).message}`);
        // not acknowledged: the same request id again (applied once, whatever happened)
        await sleep(200);
      }
    }
  };

  // Sampler: counts and the board folder's size over time.
  const sizes: SizeSample[] = [];
  let lastInfo: { tasks: number; byStatus: Record<string, number> } | undefined;
  let lastSampleAt = 0;
  const sampler = (async () => {
    while (!stopAll) {
      try {
        lastInfo = await producer.call<{ tasks: number; byStatus: Record<string, number> }>({ type: 'board.info' }, { timeoutMs: 10_000 });
        const b = lastInfo.byStatus;
        ready = b.ready ?? 0;
        if (Date.now() - lastSampleAt >= o.sampleMs) {
          lastSampleAt = Date.now();
          const f = folderBytes(dir);
          const active = (b.ready ?? 0) + (b.claimed ?? 0) + (b.running ?? 0) + (b.review ?? 0) + (b.waiting ?? 0);
          sizes.push({ atS: Math.round((Date.now() - t0) / 1000), tasks: lastInfo.tasks, done: b.done ?? 0, active, imageBytes: f.image, journalBytes: f.journal, folderBytes: f.all });
          say(`${el()}  ${lastInfo.tasks} tasks: ${Object.entries(b).map(([k, v]) => `${k} ${v}`).join(', ')}; image ${(f.image / 1e6).toFixed(1)} MB, journal ${(f.journal / 1e6).toFixed(1)} MB`);
        }
      } catch {
        /* the hub is away: next time */
      }
      await sleep(300);
    }
  })();

  // Chaos: hub kill -9s spread over the run, and one full-disk moment in the middle.
  const kills: { at: number; pid: number; recoveredMs?: number }[] = [];
  const disk = { mode: diskMode, fullForMs: 0, hubStoppedOnIt: false, recoveredMs: null as number | null, note: '' };
  const servingHub = async (notPid: number, timeoutMs: number): Promise<number | undefined> => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const d = readDescriptor(dir);
      if (d && d.pid !== notPid && inspectLock(dir).state === 'alive') {
        try {
          await producer.call({ type: 'board.info' }, { timeoutMs: 5_000 });
          return Date.now();
        } catch {
          /* not yet */
        }
      }
      await sleep(50);
    }
    return undefined;
  };
  const killHub = async (restartOurselves: boolean) => {
    const d = readDescriptor(dir);
    if (!d || inspectLock(dir).state !== 'alive') return;
    const at = Date.now();
    try {
      process.kill(d.pid, 'SIGKILL');
    } catch {
      return;
    }
    const k: (typeof kills)[number] = { at, pid: d.pid };
    kills.push(k);
    if (restartOurselves) startHub(); // races the clients' own restart: one takes the lock
    const back = await servingHub(d.pid, 90_000);
    if (back) k.recoveredMs = back - at;
  };
  const fillDisk = async () => {
    const start = Date.now();
    if (diskMode === 'tmpfs') {
      const st = statfsSync(dir);
      const used = (st.blocks - st.bfree) * st.bsize;
      execFileSync('mount', ['-o', `remount,size=${used + 1024 * 1024}`, dir]);
      const filler = path.join(dir, 'soak-filler.tmp');
      const fd = openSync(filler, 'w');
      const chunk = Buffer.alloc(64 * 1024);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        disk.note = `board folder filled to ${(err as NodeJS.ErrnoException).code}`;
      } finally {
        closeSync(fd);
      }
      await sleep(o.diskFullMs);
      unlinkSync(filler);
      execFileSync('mount', ['-o', 'remount,size=2g', dir]);
    } else {
      writeFileSync(flag, 'full');
      disk.note = 'ENOSPC injected at the journal write (no tmpfs: not root, or mount not permitted)';
      await sleep(o.diskFullMs);
      unlinkSync(flag);
    }
    disk.fullForMs = Date.now() - start;
    const freed = Date.now();
    const hubs = (await servingHub(-1, 120_000)) ?? undefined;
    disk.recoveredMs = hubs ? hubs - freed : null;
  };

  const producing = produce();
  const chaos = (async () => {
    let kill = 0;
    let diskDone = o.disk === 'none';
    while (!stopAll) {
      await sleep(200);
      const progress = (lastInfo?.byStatus.done ?? 0) / o.tasks;
      if (kill < o.hubKills && progress >= (kill + 0.5) / (o.hubKills + 1)) {
        await killHub(kill % 2 === 1);
        kill++;
        say(`${el()}  hub kill -9 #${kill} (pid ${kills.at(-1)?.pid}), back after ${kills.at(-1)?.recoveredMs ?? '—'} ms`);
      }
      if (!diskDone && progress >= 0.5) {
        diskDone = true;
        say(`${el()}  disk full (${diskMode}) for ${o.diskFullMs} ms`);
        await fillDisk();
        say(`${el()}  disk free again; a hub serves ${disk.recoveredMs} ms later (${disk.note})`);
      }
    }
  })();

  // Settled: everything added, nothing left that an agent can still move.
  await producing;
  say(`${el()}  all ${added.length} tasks added (${addErrors} unacknowledged adds repeated)`);
  const deadline = t0 + o.deadlineMs;
  let settled = false;
  let calm = 0;
  while (Date.now() < deadline) {
    await sleep(500);
    const b = lastInfo?.byStatus ?? {};
    const moving = (b.ready ?? 0) + (b.claimed ?? 0) + (b.running ?? 0) + (b.review ?? 0);
    if (moving > 0) {
      calm = 0;
      continue;
    }
    // Waiting tasks are settled only when what they wait for cannot move without a person.
    const waiting = b.waiting ? await producer.call<Task[]>({ type: 'task.list', status: ['waiting'] }).catch(() => undefined) : [];
    if (!waiting) continue;
    let open = 0;
    for (const w of waiting) {
      const deps = await Promise.all(w.dependsOn.map((id) => producer.call<{ task: Task }>({ type: 'task.show', taskId: id }).then((s) => s.task.status)));
      if (!deps.some((s) => s === 'failed' || s === 'blocked')) open++;
    }
    if (open === 0 && ++calm >= 3) {
      settled = true;
      break;
    }
  }
  if (!settled) failures.push(`the board did not settle within ${Math.round(o.deadlineMs / 1000)} s`);
  stopAll = true;
  await chaos;
  await sampler;
  await host.close({ everywhere: true });
  await producer.close();
  // Agents a stopped loop left behind (none expected): only our own scripted agents.
  const runs: RunLine[] = readFileSync(runLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunLine);
  let strays = 0;
  for (const r of runs) {
    if (r.b && isSoakAgent(r.pid)) {
      strays++;
      try {
        process.kill(r.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  if (strays) failures.push(`${strays} agent process(es) were still running after the swarm stopped`);

  // The last kill: the final image comes from journal replay, not from a graceful close.
  const last = readDescriptor(dir);
  if (last && inspectLock(dir).state === 'alive') {
    process.kill(last.pid, 'SIGKILL');
    kills.push({ at: Date.now(), pid: last.pid, recoveredMs: 0 });
  }
  const until = Date.now() + 20_000;
  while (inspectLock(dir).state === 'alive' && Date.now() < until) await sleep(50);
  const f = folderBytes(dir);
  sizes.push({ atS: Math.round((Date.now() - t0) / 1000), tasks: lastInfo?.tasks ?? 0, done: lastInfo?.byStatus.done ?? 0, active: 0, imageBytes: f.image, journalBytes: f.journal, folderBytes: f.all });

  // Check the ledger against the board as the next hub recovers it.
  const lock = tryAcquireLock(dir);
  if (!lock) throw new Error('could not take the hub lock to check the board');
  const engine = await HubEngine.open(dir, { upkeepCommands: [] });
  let report: SoakReport;
  try {
    const integrity = engine.inspect((tx) => tx.get<{ integrity_check: string }>('PRAGMA integrity_check')?.integrity_check ?? '?');
    const exp = (await engine.call({ type: 'board.export' }, { actor: 'soak' })) as { tasks: (Task & { history: TaskHistoryEntry[] })[] };
    const incidents = (await engine.call({ type: 'loop.telemetry.list', kind: 'incident', limit: 10_000 }, { actor: 'soak' })) as TelemetryRow[];
    const byId = new Map(exp.tasks.map((t) => [t.id, t]));
    const lost = added.filter((a) => byId.get(a.id)?.title !== a.title).map((a) => a.id);
    const duplicates = exp.tasks.length - new Set(exp.tasks.map((t) => t.title)).size;
    const byStatus: Record<string, number> = {};
    for (const t of exp.tasks) byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
    const endedWithoutReason: string[] = [];
    const stuck: string[] = [];
    let waitingOnFailedDependency = 0;
    for (const t of exp.tasks) {
      if (t.status === 'done') continue;
      if (t.status === 'failed' || t.status === 'blocked' || t.status === 'cancelled') {
        if (!t.history.at(-1)?.reason) endedWithoutReason.push(t.id);
      } else if (t.status === 'waiting' && t.dependsOn.some((d) => ['failed', 'blocked'].includes(byId.get(d)?.status ?? ''))) waitingOnFailedDependency++;
      else stuck.push(`${t.id} (${t.status})`);
    }
    // Acknowledged transitions: each one the swarm was told happened is in the task's history.
    const seen = new Map<string, number>();
    for (const t of exp.tasks) for (const h of t.history) seen.set(`${t.id}>${h.to}`, (seen.get(`${t.id}>${h.to}`) ?? 0) + 1);
    const need = new Map<string, number>();
    for (const tr of transitions) need.set(`${tr.taskId}>${tr.to}`, (need.get(`${tr.taskId}>${tr.to}`) ?? 0) + 1);
    const cli = runs.filter((r) => r.ack === 'done');
    for (const r of cli) need.set(`${r.task}>done`, Math.max(need.get(`${r.task}>done`) ?? 0, 1));
    const ackLost = [...need].filter(([k, n]) => (seen.get(k) ?? 0) < n).map(([k, n]) => `${k} (acknowledged ${n}, on the board ${seen.get(k) ?? 0})`);
    ackLost.push(...lost.map((id) => `${id} (task.add acknowledged, missing)`));

    // Every injected stall (silent run) and hang (endless run) shows up as an incident on its task.
    const behaviours = runs.filter((r) => r.b);
    const runsByBehaviour: Record<string, number> = {};
    for (const r of behaviours) runsByBehaviour[r.b!] = (runsByBehaviour[r.b!] ?? 0) + 1;
    const detect = (b: string, outcome: string) => {
      const used = new Set<number>();
      const missed: string[] = [];
      const list = behaviours.filter((r) => r.b === b).sort((x, y) => x.at - y.at);
      for (const r of list) {
        const hit = incidents.find((i) => i.taskId === r.task && i.outcome === outcome && i.at >= r.at && !used.has(i.id));
        if (hit) used.add(hit.id);
        else missed.push(`${r.task} run ${r.run} by ${r.agent} at +${Math.round((r.at - t0) / 1000)} s`);
      }
      return { injected: list.length, detected: list.length - missed.length, missed };
    };
    const stalls = detect('stall', 'no-output');
    const hangs = detect('hang', 'timeout');
    const FAULTS = new Set(['crash', 'kill9', 'hang', 'stall', 'badresult', 'liar']);
    const faulted = new Set(behaviours.filter((r) => FAULTS.has(r.b!)).map((r) => r.task));
    const faultedDone = [...faulted].filter((id) => byId.get(id)?.status === 'done').length;
    const recovered = kills.filter((k) => k.recoveredMs !== undefined);
    const hubStarts = existsSync(hubLog) ? readFileSync(hubLog, 'utf8').split('\n').filter((l) => l.includes(' listening on ')).length : 0;
    disk.hubStoppedOnIt = existsSync(hubLog) && /storage failure|ENOSPC/.test(readFileSync(hubLog, 'utf8'));

    report = {
      seed,
      tasks: exp.tasks.length,
      byStatus,
      waitingOnFailedDependency,
      endedWithoutReason,
      stuck,
      lost,
      duplicates,
      runs: behaviours.length,
      runsByBehaviour,
      stalls,
      hangs,
      faultedTasks: faulted.size,
      faultedTasksDone: faultedDone,
      hubKills: kills.length,
      hubRecoveries: recovered.length,
      hubRecoveryMs: { max: Math.max(0, ...recovered.map((k) => k.recoveredMs!)), mean: recovered.length ? Math.round(recovered.reduce((a, k) => a + k.recoveredMs!, 0) / recovered.length) : 0 },
      hubStarts,
      disk,
      acked: { tasksAdded: added.length, transitions: transitions.length, cliReports: cli.length, checked: added.length + need.size, lost: ackLost },
      integrity,
      sizes,
      durationMs: Date.now() - t0,
      failures,
      dir: root,
    };
  } finally {
    await engine.close();
    lock.release();
  }
  if (report.tasks < o.tasks) failures.push(`only ${report.tasks} of ${o.tasks} tasks reached the board`);
  if (report.stuck.length) failures.push(`${report.stuck.length} task(s) stuck: ${report.stuck.slice(0, 5).join(', ')}`);
  if (report.lost.length) failures.push(`${report.lost.length} task(s) lost`);
  if (report.duplicates) failures.push(`${report.duplicates} task(s) added twice`);
  if (report.endedWithoutReason.length) failures.push(`${report.endedWithoutReason.length} task(s) failed or blocked without a reason`);
  if (report.acked.lost.length) failures.push(`${report.acked.lost.length} acknowledged write(s) lost: ${report.acked.lost.slice(0, 5).join('; ')}`);
  if (report.stalls.missed.length) failures.push(`${report.stalls.missed.length} stall(s) not detected: ${report.stalls.missed.slice(0, 5).join('; ')}`);
  if (report.hangs.missed.length) failures.push(`${report.hangs.missed.length} hang(s) not detected: ${report.hangs.missed.slice(0, 5).join('; ')}`);
  if (report.integrity !== 'ok') failures.push(`integrity_check: ${report.integrity}`);
  if (report.hubRecoveries < report.hubKills) failures.push(`${report.hubKills - report.hubRecoveries} hub kill(s) with no hub serving again`);
  if (mounted) {
    try {
      execFileSync('umount', [dir]);
    } catch {
      execFileSync('umount', ['-l', dir]);
    }
  }
  if (!o.keep && failures.length === 0) rmSync(root, { recursive: true, force: true });
  return report;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export function formatReport(r: SoakReport): string {
  const rows: [string, string][] = [
    ['seed', String(r.seed)],
    ['tasks on the board', String(r.tasks)],
    ['done / failed / blocked / cancelled', `${r.byStatus.done ?? 0} / ${r.byStatus.failed ?? 0} / ${r.byStatus.blocked ?? 0} / ${r.byStatus.cancelled ?? 0}`],
    ['waiting on a failed/blocked dependency', String(r.waitingOnFailedDependency)],
    ['failed/blocked without a reason', String(r.endedWithoutReason.length)],
    ['stuck', String(r.stuck.length)],
    ['lost', String(r.lost.length)],
    ['added twice', String(r.duplicates)],
    ['agent runs', `${r.runs} (${Object.entries(r.runsByBehaviour).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')})`],
    ['stalls injected / detected', `${r.stalls.injected} / ${r.stalls.detected}`],
    ['hangs injected / detected (task timeout)', `${r.hangs.injected} / ${r.hangs.detected}`],
    ['recovery rate (tasks hit by a fault that ended done)', `${r.faultedTasksDone} / ${r.faultedTasks} = ${r.faultedTasks ? ((100 * r.faultedTasksDone) / r.faultedTasks).toFixed(1) : '—'} %`],
    ['hub kill -9s / a hub serving again', `${r.hubKills} / ${r.hubRecoveries} (back after max ${r.hubRecoveryMs.max} ms, mean ${r.hubRecoveryMs.mean} ms; ${r.hubStarts} hub starts)`],
    ['full disk', `${r.disk.mode}, ${r.disk.fullForMs} ms; hub stopped on it: ${r.disk.hubStoppedOnIt ? 'yes' : 'no'}; serving ${r.disk.recoveredMs ?? '—'} ms after the space came back (${r.disk.note})`],
    ['acknowledged writes checked / lost', `${r.acked.checked} / ${r.acked.lost.length} (${r.acked.tasksAdded} adds, ${r.acked.transitions} swarm transitions, ${r.acked.cliReports} CLI reports)`],
    ['PRAGMA integrity_check (final image)', r.integrity],
    ['duration', `${(r.durationMs / 1000).toFixed(0)} s`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = ['', 'Soak report', '─'.repeat(w + 40), ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`), '', 'Board size over time', '   t (s)   tasks    done  active     image   journal    folder'];
  for (const s of r.sizes) lines.push(`${String(s.atS).padStart(8)}${String(s.tasks).padStart(8)}${String(s.done).padStart(8)}${String(s.active).padStart(8)}${mb(s.imageBytes).padStart(10)}${mb(s.journalBytes).padStart(10)}${mb(s.folderBytes).padStart(10)}`);
  lines.push('', r.failures.length ? `FAILED:\n${r.failures.map((f) => `  - ${f}`).join('\n')}\n(kept for a look: ${r.dir})` : 'All invariants hold.');
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const val = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const num = (name: string) => (val(name) !== undefined ? Number(val(name)) : undefined);
  const opts: Partial<SoakOptions> = {
    ...(num('tasks') ? { tasks: num('tasks')! } : {}),
    ...(num('seed') ? { seed: num('seed')! } : {}),
    ...(num('kills') !== undefined ? { hubKills: num('kills')! } : {}),
    ...(num('agents') ? { agents: num('agents')! } : {}),
    ...(num('sample-ms') ? { sampleMs: num('sample-ms')! } : {}),
    ...(num('deadline-s') ? { deadlineMs: num('deadline-s')! * 1000 } : {}),
    ...(val('disk') ? { disk: val('disk') as SoakOptions['disk'] } : {}),
    ...(args.includes('--keep') ? { keep: true } : {}),
  };
  runSoak(opts).then(
    (r) => {
      console.log(formatReport(r));
      process.exit(r.failures.length ? 1 : 0);
    },
    (err: Error) => {
      console.error(`soak crashed: ${err.stack ?? err.message}`);
      process.exit(2);
    },
  );
}
