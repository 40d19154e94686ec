#!/usr/bin/env node
// `npm run bench`: the cli, board, dashboard, mirror, editor and retention benches one after another (each in its own
// process, output as it comes), then one table of every target with its figure and pass / miss.
// Informational: timings depend on the machine and its load (printed with the figures), so this
// exits 0 whatever the figures are; a bench that crashes is reported in the table.
//
//   node bench/run.mjs [cli] [board] [dashboard] [mirror] [editor] [retention] [agent] [worktree] [mcp] [api]     (default: all ten, in that order)
//
// The cli, dashboard, mirror and editor benches write their figures to $BENCH_RESULTS (JSON lines). The board
// bench prints a table; its 10k-task figures are read from that output.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCHES = { cli: 'bench/cli.bench.ts', board: 'bench/board.bench.ts', dashboard: 'bench/dashboard.bench.ts', mirror: 'bench/mirror.bench.ts', editor: 'bench/editor.bench.ts', retention: 'bench/retention.bench.ts', agent: 'bench/agentOverhead.bench.ts', worktree: 'bench/worktree.bench.ts', mcp: 'bench/mcp.bench.ts', api: 'bench/api.bench.ts' };
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = asked.filter((a) => !(a in BENCHES));
if (unknown.length) {
  console.error(`unknown bench: ${unknown.join(', ')} (choose from ${Object.keys(BENCHES).join(', ')})`);
  process.exit(2);
}
const names = asked.length ? asked : Object.keys(BENCHES);
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

const scratch = mkdtempSync(path.join(os.tmpdir(), 'dreamos-bench-results-'));
const resultsFile = path.join(scratch, 'figures.jsonl');
const runs = [];

function run(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    console.log(`\n━━ ${name} bench (${BENCHES[name]}), load average ${load()}`);
    const child = spawn(process.execPath, ['--import', 'tsx', BENCHES[name]], {
      cwd: root,
      env: { ...process.env, BENCH_RESULTS: resultsFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      process.stdout.write(c);
    });
    child.on('close', (code, signal) => {
      runs.push({ name, code: code ?? signal, secs: (Date.now() - started) / 1000, out, loadAfter: load() });
      resolve();
    });
  });
}

/** The board bench's 10k figures, from its printed table (issue 3's targets). */
function boardFigures(out) {
  const block = out.split(/\nN = /).find((b) => b.startsWith('10,000 tasks'));
  if (!block) return [];
  const figs = [];
  const hub = block.match(/hub, journal \(default\)\s+(\d+)\s+([\d.-]+)\s+([\d.-]+)\s+([\d.-]+)\s+([\d.-]+)(.*)/);
  if (hub) {
    const [, , , opsPerSec, p50, p99, rest] = hub;
    figs.push({ bench: 'board', name: 'hub ack p99, 10k tasks, 8 clients', value: Number(p99), unit: 'ms', target: 25, note: `${opsPerSec} ops/s, p50 ${p50} ms${rest.includes('budget hit') ? ', budget hit' : ''}` });
  }
  const ratios = block.split('\n').find((l) => l.trim().startsWith('ratios:'));
  const num = (re) => {
    const m = ratios?.match(re);
    return m ? Number(m[1]) : NaN;
  };
  figs.push({ bench: 'board', name: 'hub / native SQLite throughput, 10k', value: num(/hub\/native ([\d.]+)x/), unit: 'x', target: 0.5, atLeast: true });
  figs.push({ bench: 'board', name: 'hub / JSON-file throughput, 10k', value: num(/hub\/json ([\d.]+)x/), unit: 'x', target: 20, atLeast: true });
  return figs;
}

for (const name of names) await run(name);

const figures = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const board = runs.find((r) => r.name === 'board');
if (board) figures.unshift(...boardFigures(board.out));
rmSync(scratch, { recursive: true, force: true });

const fmt = (v, unit) => (Number.isFinite(v) ? `${v >= 100 ? v.toFixed(0) : v.toFixed(unit === 'x' ? 2 : 1)} ${unit}` : 'n/a');
const rows = figures.map((f) => {
  const has = f.target !== undefined;
  const ok = has && Number.isFinite(f.value) && (f.atLeast ? f.value >= f.target : f.value <= f.target);
  return [f.bench, f.name, has ? `${f.atLeast ? '≥' : '≤'} ${f.target} ${f.unit}` : '', fmt(f.value, f.unit), has ? (ok ? 'pass' : 'MISS') : 'info', f.note ?? ''];
});
for (const r of runs) if (r.code !== 0) rows.push([r.name, 'the bench itself', '', '', 'FAILED', `exit ${r.code}`]);
const head = ['bench', 'figure', 'target', 'measured', 'result', 'note'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
console.log(`\n━━ summary (${runs.map((r) => `${r.name} ${r.secs.toFixed(0)} s`).join(', ')}; load average now ${load()}; ${os.cpus().length} cores)`);
console.log(line(head));
console.log(line(widths.map((w) => '─'.repeat(w))));
for (const r of rows) console.log(line(r));
console.log('\nInformational: figures move with the machine and its load; nothing here fails the build.');
