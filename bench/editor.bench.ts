/**
 * The editor bench (part of `npm run bench`):
 *
 *   bundle size   `node esbuild.mjs --production` (the real build script, run in a scratch copy of
 *                 the project so dist/ is left alone) → dist/extension.js against the 1 MB budget
 *                 (the wasm, and the lazily loaded bundles beside it, are listed apart).
 *   activate()    measured inside a real editor: code-server's Node extension host (the test
 *                 harness's runExtensionTests) loads the production build in development mode, and
 *                 a probe running in that extension host times `await extension.activate()` — code
 *                 loading, the activate call and its promise — with the `vscode` module the editor
 *                 provides, nothing stood in. The workspace has no board at startup, so nothing
 *                 activates Dream.OS before the probe; in the second run the probe puts a board in
 *                 the workspace first, so activate() takes its "open the board" path.
 *   baseline      in the same extension host: require() of an empty module; and, for scale, require()
 *                 of a fresh copy of the bundle (code loading alone, with a warm disk cache). And the
 *                 same activate() runs, interleaved, with the production build of the baseline commit
 *                 (BENCH_EDITOR_BASE, default 824b352: before activation deferred the hub, sql.js and
 *                 zod-heavy features), so before / after is a ratio from one run.
 *
 * Env: BENCH_EDITOR_RUNS=3 (code-server starts per build after a first one without a board and without
 *      the code cache (DREAMOS_COMPILE_CACHE, in the scratch folder): then one without a board, the rest with one)
 *      BENCH_EDITOR_BASE=<commit> (the baseline build; "none" skips it)
 *      BENCH_EDITOR_PROFILE=<dir> (CPU profiles of activate(), taken in the extension host; slower)
 *      BENCH_RESULTS=<file> (JSON figures for bench/run.mjs's summary)
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectBoard } from '../src/core/hub/connect';
import { ensureCodeServer, runExtensionTests } from '../test/harness/codeServer';
import type { Figure } from './dashboard.bench';

const root = path.resolve(__dirname, '..');
const RUNS = Math.max(2, Number(process.env.BENCH_EDITOR_RUNS ?? 3));
const BASE = process.env.BENCH_EDITOR_BASE ?? '824b352';
const BUDGET_BYTES = 1024 * 1024;
const ACTIVATE_TARGET_MS = 50;
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

function figure(f: Figure): void {
  if (process.env.BENCH_RESULTS) appendFileSync(process.env.BENCH_RESULTS, `${JSON.stringify(f)}\n`);
}

/** Runs the project's own esbuild.mjs --production in a scratch folder; returns that folder's dist. */
function productionBuild(scratch: string, commit?: string): { dist: string; ms: number } {
  if (commit) {
    mkdirSync(scratch, { recursive: true });
    const tar = spawnSync('sh', ['-c', `git -C "${root}" archive ${commit} src webview-ui media package.json esbuild.mjs tsconfig.json | tar -x -C "${scratch}"`], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`cannot check out the baseline ${commit}: ${tar.stderr}`);
    symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));
  } else {
    for (const entry of ['src', 'webview-ui', 'node_modules', 'media']) symlinkSync(path.join(root, entry), path.join(scratch, entry));
    for (const file of ['package.json', 'esbuild.mjs', 'tsconfig.json']) copyFileSync(path.join(root, file), path.join(scratch, file));
  }
  const started = Date.now();
  const r = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: scratch, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the production build failed:\n${r.stdout}${r.stderr}`);
  return { dist: path.join(scratch, 'dist'), ms: Date.now() - started };
}

function files(dir: string, base = dir): { file: string; bytes: number }[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p, base) : [{ file: path.relative(base, p), bytes: statSync(p).size }];
  });
}

/** The probe, run by the editor as an extension test suite: it times the activation and writes what it saw. */
const PROBE = `
const vscode = require('vscode');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
exports.run = async function run() {
  const out = process.env.DREAMOS_BENCH_OUT;
  const result = {};
  try {
    const ext = vscode.extensions.getExtension('dreamos.dreamos');
    if (!ext) throw new Error('dreamos.dreamos is not loaded');
    result.activeBefore = ext.isActive;
    const board = process.env.DREAMOS_BENCH_BOARD;
    const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0].uri.fsPath;
    if (board && folder) fs.cpSync(board, path.join(folder, '.dreamos'), { recursive: true });
    result.withBoard = Boolean(board);
    // BENCH_EDITOR_PROFILE: a CPU profile of the activation, taken in this extension host (adds overhead).
    const profileDir = process.env.DREAMOS_BENCH_PROFILE;
    let session;
    if (profileDir) {
      const inspector = require('node:inspector');
      session = new inspector.Session();
      session.connect();
      const post = (m, p) => new Promise((res, rej) => session.post(m, p || {}, (e, r) => (e ? rej(e) : res(r))));
      session.postAsync = post;
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 100 });
      await post('Profiler.start');
    }
    // Where the time goes: the extension's own code (loading its entry module; its activate() call
    // until its promise settles), the rest is the extension host's (the extension context, storage, IPC).
    const Module = require('node:module');
    const entry = require.resolve(path.join(ext.extensionPath, ext.packageJSON.main || 'index.js'));
    const load = Module._load;
    Module._load = function (request, parent, isMain) {
      let file;
      try { file = Module._resolveFilename(request, parent, isMain); } catch {}
      if (file !== entry || result.loadMs !== undefined) return load.apply(this, arguments);
      const t = performance.now();
      const m = load.apply(this, arguments);
      result.loadMs = performance.now() - t;
      return { ...m, activate: async (context) => { const t = performance.now(); try { return await m.activate(context); } finally { result.activateCallMs = performance.now() - t; } } };
    };
    const t0 = performance.now();
    await ext.activate();
    result.activateMs = performance.now() - t0;
    Module._load = load;
    if (session) {
      const { profile } = await session.postAsync('Profiler.stop');
      fs.writeFileSync(path.join(profileDir, 'activate-' + (board ? 'board' : 'noboard') + '.cpuprofile'), JSON.stringify(profile));
      session.disconnect();
    }
    result.isActive = ext.isActive;
    // Baselines in this same extension host: an empty module, then a fresh copy of the bundle.
    const dist = path.join(ext.extensionPath, 'dist');
    const req = createRequire(path.join(dist, 'probe.js'));
    fs.writeFileSync(path.join(dist, 'bench-empty.js'), 'module.exports = {};\\n');
    const t1 = performance.now();
    req('./bench-empty.js');
    result.emptyRequireMs = performance.now() - t1;
    fs.copyFileSync(path.join(dist, 'extension.js'), path.join(dist, 'bench-copy.js'));
    const t2 = performance.now();
    req('./bench-copy.js');
    result.bundleRequireMs = performance.now() - t2;
  } catch (err) {
    result.error = String(err && err.stack || err);
  }
  fs.writeFileSync(out, JSON.stringify(result));
};
`;

type Cond = 'first' | 'noboard' | 'board';
const COND: Record<Cond, string> = { first: 'no board, first activation (no code cache)', noboard: 'no board', board: 'board in workspace' };

interface Probe {
  activeBefore?: boolean;
  /** Loading the extension's entry module (package.json main), and its activate() call. */
  loadMs?: number;
  activateCallMs?: number;
  withBoard?: boolean;
  activateMs?: number;
  isActive?: boolean;
  emptyRequireMs?: number;
  bundleRequireMs?: number;
  error?: string;
}

/** A board folder made by the real code (a hub that starts, takes 100 tasks and stops), to copy into the workspace. */
async function makeBoard(parent: string): Promise<string> {
  const dir = path.join(parent, 'board');
  const b = await connectBoard({ dir, client: 'bench-editor', hubMode: 'in-process' });
  for (let i = 0; i < 100; i++) await b.call({ type: 'task.add', title: `bench task ${i}` });
  await b.close(); // checkpoints: board.sqlite is all that is left
  if (!existsSync(path.join(dir, 'board.sqlite'))) throw new Error(`no board.sqlite in ${dir}: ${readdirSync(dir).join(', ')}`);
  return dir;
}

async function main(): Promise<void> {
  console.log(`Dream.OS editor bench: ${os.cpus().length} cores, node ${process.version}, load ${load()}`);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'dreamos-editor-bench-'));
  try {
    // ---- bundle size
    mkdirSync(path.join(scratch, 'build'));
    const { dist, ms } = productionBuild(path.join(scratch, 'build'));
    const all = files(dist).filter((f) => !f.file.endsWith('.map'));
    const ext = all.find((f) => f.file === 'extension.js')!;
    console.log(`\nproduction build (esbuild.mjs --production) in ${(ms / 1000).toFixed(1)} s:`);
    for (const f of all.sort((a, b) => b.bytes - a.bytes)) {
      const role = f.file === 'extension.js' ? 'loaded on activation' : f.file.endsWith('.wasm') ? 'wasm, loaded when a board opens' : f.file.startsWith('vendor/') ? 'loaded lazily, by the feature that needs it' : f.file.startsWith('webview/') ? 'the dashboard page' : f.file === 'launch.js' ? 'the entry: starts extension.js from a code cache' : f.file === 'cli.js' ? 'the dreamos CLI (starts cli-main.js)' : f.file === 'cli-main.js' ? 'the dreamos CLI bundle' : '';
      console.log(`  ${f.file.padEnd(24)} ${kb(f.bytes).padStart(9)}  ${role}`);
    }
    const share = ext.bytes / BUDGET_BYTES;
    console.log(`  extension bundle: ${kb(ext.bytes)} of the 1024 KiB budget (${(share * 100).toFixed(0)}%)`);
    figure({ bench: 'editor', name: 'extension bundle (minified, no wasm)', value: ext.bytes / 1024, unit: 'KiB', target: 1024, note: `${(share * 100).toFixed(0)}% of budget` });

    // ---- activate() in code-server
    const started = Date.now();
    await ensureCodeServer();
    console.log(`\ncode-server ready in ${((Date.now() - started) / 1000).toFixed(1)} s (load ${load()})`);
    const probeFile = path.join(scratch, 'probe', 'index.js');
    mkdirSync(path.dirname(probeFile));
    writeFileSync(probeFile, PROBE);
    const board = await makeBoard(scratch);
    const variants: { label: string; dist: string; pkg: string; extDir: string; results: (Probe & { cond: Cond })[] }[] = [];
    // A code cache of our own: the first run of each build is without one (a first activation after an install).
    process.env.DREAMOS_COMPILE_CACHE = path.join(scratch, 'v8-cache');
    if (BASE !== 'none') {
      const baseDir = path.join(scratch, 'base-build');
      const b = productionBuild(baseDir, BASE);
      variants.push({ label: `baseline ${BASE}`, dist: b.dist, pkg: path.join(baseDir, 'package.json'), extDir: path.join(scratch, 'extension-base'), results: [] });
    }
    variants.push({ label: 'this build', dist, pkg: path.join(root, 'package.json'), extDir: path.join(scratch, 'extension'), results: [] });
    for (const v of variants) {
      mkdirSync(v.extDir);
      copyFileSync(v.pkg, path.join(v.extDir, 'package.json'));
      cpSync(path.join(root, 'media'), path.join(v.extDir, 'media'), { recursive: true });
    }
    for (let run = -1; run < RUNS; run++) {
      const cond: Cond = run < 0 ? 'first' : run === 0 ? 'noboard' : 'board';
      for (const v of variants) {
        // A fresh copy of the build each time: the probe leaves its baseline modules in dist/.
        rmSync(path.join(v.extDir, 'dist'), { recursive: true, force: true });
        cpSync(v.dist, path.join(v.extDir, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
        const workspace = mkdtempSync(path.join(scratch, 'ws-'));
        const out = path.join(scratch, `probe-${variants.indexOf(v)}-${run}.json`);
        process.env.DREAMOS_BENCH_OUT = out;
        if (process.env.BENCH_EDITOR_PROFILE) process.env.DREAMOS_BENCH_PROFILE = path.resolve(process.env.BENCH_EDITOR_PROFILE, v.label.replace(/\W+/g, '-'));
        if (process.env.DREAMOS_BENCH_PROFILE) mkdirSync(process.env.DREAMOS_BENCH_PROFILE, { recursive: true });
        if (cond === 'board') process.env.DREAMOS_BENCH_BOARD = board;
        else delete process.env.DREAMOS_BENCH_BOARD;
        const t = Date.now();
        const code = await runExtensionTests({ extensionDevelopmentPath: v.extDir, extensionTestsPath: probeFile, workspace, timeoutMs: 180_000 });
        const r = { ...((existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { error: `no result (exit ${code})` }) as Probe), cond };
        v.results.push(r);
        if (r.error) {
          console.log(`  ${v.label}, run ${run + 1}: ${r.error}`);
          continue;
        }
        console.log(
          `  ${v.label}, run ${run + 2} (${COND[cond]}; editor up and probe done in ${((Date.now() - t) / 1000).toFixed(1)} s): ` +
            `activate() ${r.activateMs!.toFixed(1)} ms (entry module load ${r.loadMs?.toFixed(1) ?? '?'} ms, its activate() ${r.activateCallMs?.toFixed(1) ?? '?'} ms, the extension host the rest)${r.activeBefore ? ' (ALREADY ACTIVE before the probe: not a clean measurement)' : ''}; ` +
            `baseline require(empty module) ${r.emptyRequireMs!.toFixed(2)} ms; require(a fresh copy of the bundle) ${r.bundleRequireMs!.toFixed(1)} ms; load ${load()}`,
        );
      }
    }
    delete process.env.DREAMOS_BENCH_OUT;
    delete process.env.DREAMOS_BENCH_BOARD;
    delete process.env.DREAMOS_BENCH_PROFILE;
    delete process.env.DREAMOS_COMPILE_CACHE;
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
    const clean = (v: (typeof variants)[number], cond: Cond) => v.results.filter((r) => r.cond === cond && r.activateMs !== undefined && !r.activeBefore);
    const current = variants[variants.length - 1]!;
    const baseline = variants.length > 1 ? variants[0]! : undefined;
    console.log(`\n  activate(), median per condition${baseline ? ` (${baseline.label} → this build, same run)` : ''}:`);
    for (const cond of ['first', 'noboard', 'board'] as const) {
      const now = clean(current, cond);
      if (!now.length) {
        figure({ bench: 'editor', name: `activate() in code-server, ${COND[cond]}`, value: NaN, unit: 'ms', target: ACTIVATE_TARGET_MS, note: current.results.map((r) => r.error ?? '').join('; ').slice(0, 120) });
        continue;
      }
      const after = median(now.map((r) => r.activateMs!));
      const load = median(now.map((r) => r.bundleRequireMs!));
      const ours = median(now.map((r) => (r.loadMs ?? NaN) + (r.activateCallMs ?? NaN)));
      const was = baseline && clean(baseline, cond);
      const before = was?.length ? median(was.map((r) => r.activateMs!)) : undefined;
      const ratio = before !== undefined ? `${(after / before).toFixed(2)}x of ${baseline!.label} (${before.toFixed(0)} ms)` : '';
      console.log(`    ${COND[cond].padEnd(44)} ${before !== undefined ? `${before.toFixed(1)} ms → ` : ''}${after.toFixed(1)} ms${before !== undefined ? ` (${(after / before).toFixed(2)}x)` : ''}; Dream.OS's own code (entry load + activate() call) ${ours.toFixed(1)} ms, the rest the extension host's; require(bundle copy) ${load.toFixed(0)} ms; n=${now.length}`);
      figure({ bench: 'editor', name: `activate() in code-server, ${COND[cond]}`, value: after, unit: 'ms', target: ACTIVATE_TARGET_MS, note: [ratio, `own code ${ours.toFixed(0)} ms`, `code load alone ~${load.toFixed(0)} ms`].filter(Boolean).join('; ') });
      // The part Dream.OS controls: loading its entry module and its activate() call (the rest is the extension host's).
      const oursBefore = was?.length ? median(was.map((r) => (r.loadMs ?? NaN) + (r.activateCallMs ?? NaN))) : undefined;
      figure({ bench: 'editor', name: `  of which Dream.OS's own code, ${COND[cond]}`, value: ours, unit: 'ms', note: oursBefore !== undefined ? `${(ours / oursBefore).toFixed(2)}x of ${baseline!.label} (${oursBefore.toFixed(0)} ms)` : '' });
    }
    console.log(`  load average now: ${load()}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
