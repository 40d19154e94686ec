/**
 * The CLI bench (part of `npm run bench`): the `dreamos` round trip agents pay on every report.
 *
 *   build       `node esbuild.mjs --production` of this tree, and of the baseline commit
 *               (BENCH_CLI_BASE, default 824b352: before the client-only load path and the code
 *               cache), each in a scratch copy, so dist/ is left alone.
 *   round trip  `node dist/cli.js info` against a running hub (`dreamos hub`, this tree's build), from
 *               spawn to exit, in interleaved rounds so that the machine's load hits every variant
 *               alike: `node -e 0` (Node's own start, the floor), the baseline, this build without its
 *               code cache (DREAMOS_COMPILE_CACHE=off: the first call after an install), and with it.
 *   profile     one `--cpu-prof` run of the baseline and of this build (warm): the top self-time items.
 *
 * Env: BENCH_CLI_ROUNDS=15, BENCH_CLI_BASE=<commit>, BENCH_RESULTS=<file> (JSON figures for bench/run.mjs).
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Figure } from './dashboard.bench';

const root = path.resolve(__dirname, '..');
const ROUNDS = Math.max(3, Number(process.env.BENCH_CLI_ROUNDS ?? 15));
const BASE = process.env.BENCH_CLI_BASE ?? '824b352';
const TARGET_MS = 80;
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

function figure(f: Figure): void {
  if (process.env.BENCH_RESULTS) appendFileSync(process.env.BENCH_RESULTS, `${JSON.stringify(f)}\n`);
}

function build(dir: string, from: 'tree' | string): string {
  mkdirSync(dir, { recursive: true });
  if (from === 'tree') {
    for (const entry of ['src', 'webview-ui', 'media']) symlinkSync(path.join(root, entry), path.join(dir, entry));
    for (const file of ['package.json', 'esbuild.mjs', 'tsconfig.json']) copyFileSync(path.join(root, file), path.join(dir, file));
  } else {
    const tar = spawnSync('sh', ['-c', `git -C "${root}" archive ${from} src webview-ui media package.json esbuild.mjs tsconfig.json | tar -x -C "${dir}"`], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`cannot check out the baseline ${from}: ${tar.stderr}`);
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const r = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the production build of ${from} failed:\n${r.stdout}${r.stderr}`);
  return path.join(dir, 'dist');
}

/** Wall time of one process, spawn to exit. */
function time(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`${args.join(' ')} exited ${code}: ${err}`))));
  });
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** The top self-time items of a .cpuprofile (ms). */
function topSelf(file: string, n: number): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  p.samples.forEach((s, i) => {
    const f = byId.get(s)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return [`${total.toFixed(0)} ms sampled`, ...[...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, ms]) => `${ms.toFixed(1).padStart(6)} ms  ${k}`)];
}

async function main(): Promise<void> {
  console.log(`Dream.OS CLI bench: ${os.cpus().length} cores, node ${process.version}, load ${load()}`);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'dreamos-cli-bench-'));
  let hub: ReturnType<typeof spawn> | undefined;
  try {
    const started = Date.now();
    const base = build(path.join(scratch, 'base'), BASE);
    const cur = build(path.join(scratch, 'cur'), 'tree');
    console.log(`production builds of ${BASE} and of this tree in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const size = (d: string, f: string) => (existsSync(path.join(d, f)) ? `${(readFileSync(path.join(d, f)).length / 1024).toFixed(0)} KiB` : '-');
    console.log(`  baseline: cli.js ${size(base, 'cli.js')}; this tree: cli.js ${size(cur, 'cli.js')} (launcher) + cli-main.js ${size(cur, 'cli-main.js')}`);

    const ws = path.join(scratch, 'ws');
    const dir = path.join(ws, '.dreamos');
    mkdirSync(ws);
    const cache = path.join(scratch, 'v8-cache');
    const env: NodeJS.ProcessEnv = { ...process.env, DREAMOS_DIR: dir, DREAMOS_COMPILE_CACHE: cache };
    for (const k of ['DREAMOS_AGENT_ID', 'DREAMOS_AGENT_TOKEN', 'DREAMOS_HUB_SOCKET', 'DREAMOS_LEASE_TOKEN']) delete env[k];
    hub = spawn(process.execPath, [path.join(cur, 'cli.js'), 'hub', '--dir', dir], { cwd: ws, env, stdio: 'ignore' });
    for (let i = 0; i < 200 && !existsSync(path.join(dir, 'hub.json')); i++) await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(path.join(dir, 'hub.json'))) throw new Error('the hub did not start');
    await time([path.join(cur, 'cli.js'), 'task', 'add', 'a task for the bench'], env, ws);

    const variants: { name: string; args: string[]; env: NodeJS.ProcessEnv }[] = [
      { name: 'node -e 0 (Node start alone)', args: ['-e', '0'], env },
      { name: `baseline ${BASE}`, args: [path.join(base, 'cli.js'), 'info'], env },
      { name: 'this build, no code cache', args: [path.join(cur, 'cli.js'), 'info'], env: { ...env, DREAMOS_COMPILE_CACHE: 'off' } },
      { name: 'this build, code cache', args: [path.join(cur, 'cli.js'), 'info'], env },
    ];
    for (const v of variants) await time(v.args, v.env, ws); // warm the disk cache; writes the code cache
    const ms: number[][] = variants.map(() => []);
    for (let r = 0; r < ROUNDS; r++) for (const [i, v] of variants.entries()) ms[i]!.push(await time(v.args, v.env, ws));
    console.log(`\n\`dreamos info\` against a running hub, spawn to exit, ${ROUNDS} interleaved rounds (load ${load()}):`);
    console.log(`  ${'variant'.padEnd(34)} ${'p50'.padStart(7)} ${'p90'.padStart(7)}  p50 ratio to baseline`);
    const p50 = ms.map((xs) => quantile(xs, 0.5));
    for (const [i, v] of variants.entries()) console.log(`  ${v.name.padEnd(34)} ${p50[i]!.toFixed(0).padStart(5)} ms ${quantile(ms[i]!, 0.9).toFixed(0).padStart(4)} ms  ${(p50[i]! / p50[1]!).toFixed(2)}x`);
    const [floor, old, cold, warm] = p50 as [number, number, number, number];
    console.log(`  over Node's own start: baseline +${(old - floor).toFixed(0)} ms, this build +${(cold - floor).toFixed(0)} ms without the cache, +${(warm - floor).toFixed(0)} ms with it`);
    figure({ bench: 'cli', name: '`dreamos info` round trip (code cache)', value: warm, unit: 'ms', target: TARGET_MS, note: `${(warm / old).toFixed(2)}x of ${BASE} (${old.toFixed(0)} ms); node -e 0 ${floor.toFixed(0)} ms` });
    figure({ bench: 'cli', name: '`dreamos info` round trip (no code cache)', value: cold, unit: 'ms', note: `${(cold / old).toFixed(2)}x of ${BASE}` });

    const profiles = path.join(scratch, 'profiles');
    for (const [label, v] of [['baseline', variants[1]!], ['this build', variants[3]!]] as const) {
      const d = path.join(profiles, label.replace(' ', '-'));
      await time(['--cpu-prof', '--cpu-prof-dir', d, '--cpu-prof-interval', '100', ...v.args], v.env, ws);
      const [head, ...items] = topSelf(path.join(d, readdirSync(d)[0]!), 8);
      console.log(`\nprofile of ${label} (${head}), top self time:`);
      for (const l of items) console.log(`  ${l}`);
    }
    console.log(`\nload average now: ${load()}`);
  } finally {
    hub?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
