/**
 * The retention bench (part of `npm run bench`): the board's size after a simulated week of a
 * 10-agent swarm (test/integration/helpers/swarmWeek.ts: claims, lease renewals and idle heartbeats
 * every 20 s as the agent loop sends them, telemetry per cycle, mail, the hub's upkeep), driven
 * through the real hub engine (journal persistence, checkpoints, the image written on close) with
 * a fake clock, so a week takes a minute or so.
 *
 * Variants, in the same run, same seed, same work:
 *   - baseline: the board before retention: an event per heartbeat, nothing ever deleted;
 *   - retention, defaults: heartbeat events coalesced (heartbeatEventSeconds 60) and compacted
 *     after an hour, events 7 days (newest 10,000 kept), telemetry 14 days, settled mail 30 days;
 *   - retention, 1 day: eventsDays / telemetryDays / mailDays 1, eventsKeep 100 (the floor).
 * Figures: image bytes on disk (board.sqlite after close) and rows per table, per simulated day;
 * ratios are variant / baseline. Sizes only: nothing here depends on the machine's speed.
 *
 * Env: BENCH_RETENTION_DAYS=7  BENCH_RETENTION_AGENTS=10  BENCH_RESULTS=<file> (JSON figures for bench/run.mjs)
 */
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { executeCommand, type CommandInput } from '../src/core/commands';
import { HubEngine, imagePath } from '../src/core/hub/engine';
import { tryAcquireLock } from '../src/core/hub/lock';
import { simulateSwarm } from '../test/integration/helpers/swarmWeek';

const DAYS = Number(process.env.BENCH_RETENTION_DAYS ?? 7);
const AGENTS = Number(process.env.BENCH_RETENTION_AGENTS ?? 10);
const TABLES = ['events', 'task_history', 'tasks', 'loop_telemetry', 'messages'] as const;

interface Variant {
  name: string;
  retain: boolean;
  config: Record<string, unknown>;
}
const VARIANTS: Variant[] = [
  { name: 'baseline (no retention)', retain: false, config: { heartbeatEventSeconds: 0 } },
  { name: 'retention, defaults', retain: true, config: {} },
  { name: 'retention, 1 day', retain: true, config: { eventsDays: 1, eventsKeep: 100, telemetryDays: 1, mailDays: 1 } },
];

interface Run {
  variant: Variant;
  perDay: { day: number; pageBytes: number; rows: Record<string, number> }[];
  imageBytes: number;
  tasksDone: number;
  calls: number;
  secs: number;
}

async function runVariant(v: Variant): Promise<Run> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-bench-retention-'));
  const lock = tryAcquireLock(dir)!;
  const clock = { now: Date.UTC(2025, 0, 6) };
  const engine = await HubEngine.open(dir, {
    durability: 'process', // sizes do not depend on fsync; the bench stays quick
    upkeepCommands: [], // the simulation runs the upkeep itself, on its clock
    executor: (ctx, raw) => executeCommand({ ...ctx, now: clock.now }, raw),
  });
  const t0 = performance.now();
  const perDay: Run['perDay'] = [];
  try {
    if (Object.keys(v.config).length) await engine.call({ type: 'board.config.set', values: v.config }, { actor: 'human:bench' });
    const sim = await simulateSwarm({
      call: (c: CommandInput, actor: string) => engine.call(c, { actor }),
      clock,
      agents: AGENTS,
      days: DAYS,
      retain: v.retain,
      onDay: (day) => {
        const rows = engine.inspect((tx) => Object.fromEntries(TABLES.map((t) => [t, tx.get<{ n: number }>(`SELECT count(*) AS n FROM ${t}`)!.n])));
        const pageBytes = engine.inspect((tx) => tx.get<{ page_count: number }>('PRAGMA page_count')!.page_count * tx.get<{ page_size: number }>('PRAGMA page_size')!.page_size);
        perDay.push({ day, pageBytes, rows });
        process.stdout.write(`  ${v.name}: day ${day}  ${(pageBytes / 1024 / 1024).toFixed(2)} MiB  ${TABLES.map((t) => `${t} ${rows[t]}`).join('  ')}\n`);
      },
    });
    await engine.close();
    const imageBytes = statSync(imagePath(dir)).size;
    return { variant: v, perDay, imageBytes, tasksDone: sim.tasksDone, calls: sim.calls, secs: (performance.now() - t0) / 1000 };
  } finally {
    if (engine.isOpen) await engine.close();
    lock.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MiB`;

async function main(): Promise<void> {
  console.log(`Retention: ${AGENTS} agents, ${DAYS} simulated days, loop beat 20 s, fake clock through the hub engine\n`);
  const runs: Run[] = [];
  for (const v of VARIANTS) runs.push(await runVariant(v));
  const base = runs[0]!;
  console.log(`\n${'variant'.padEnd(26)} ${'image'.padStart(10)} ${'vs base'.padStart(8)} ${'events'.padStart(8)} ${'telemetry'.padStart(9)} ${'messages'.padStart(8)} ${'history'.padStart(8)} ${'tasks done'.padStart(10)}  calls (sim s)`);
  for (const r of runs) {
    const last = r.perDay.at(-1)!.rows;
    console.log(
      `${r.variant.name.padEnd(26)} ${mib(r.imageBytes).padStart(10)} ${`${(r.imageBytes / base.imageBytes).toFixed(2)}x`.padStart(8)} ${String(last.events).padStart(8)} ${String(last.loop_telemetry).padStart(9)} ${String(last.messages).padStart(8)} ${String(last.task_history).padStart(8)} ${String(r.tasksDone).padStart(10)}  ${r.calls} (${r.secs.toFixed(0)} s)`,
    );
  }
  // Growth per day over the last days: what the board still gains once retention has caught up.
  const growth = (r: Run) => {
    const d = r.perDay;
    return d.length >= 3 ? (d.at(-1)!.pageBytes - d[1]!.pageBytes) / (d.length - 2) : NaN;
  };
  console.log(`\ngrowth per day after day 2: ${runs.map((r) => `${r.variant.name} ${mib(growth(r))}`).join(', ')}`);
  console.log(`ratios: ${runs.slice(1).map((r) => `${r.variant.name}/baseline image ${(r.imageBytes / base.imageBytes).toFixed(2)}x, growth ${(growth(r) / growth(base)).toFixed(2)}x`).join('; ')}`);
  if (process.env.BENCH_RESULTS) {
    for (const r of runs) {
      appendFileSync(
        process.env.BENCH_RESULTS,
        `${JSON.stringify({ bench: 'retention', name: `board image after ${DAYS} days, ${AGENTS} agents: ${r.variant.name}`, value: r.imageBytes / 1024 / 1024, unit: 'MiB', note: r === base ? 'baseline' : `${(r.imageBytes / base.imageBytes).toFixed(2)}x baseline` })}\n`,
      );
    }
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
