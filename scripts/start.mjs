#!/usr/bin/env node
// `npm start`: try Dream.OS as a user would, in a browser editor. Packages the extension,
// installs the fresh .vsix into a dedicated code-server profile, opens a demo workspace, and
// serves it on 127.0.0.1 behind a password. Ctrl+C stops everything this started.
//   PORT=8080            fixed port (default: a free one)
//   PASSWORD=...         fixed password (default: random, printed)
//   DREAMOS_DEMO_DIR=... the workspace (default: ~/dreamos-demo)
//   --no-package         reuse the existing .vsix
//   --no-swarm           do not start the demo's agents (start them later: Dream.OS: Start Swarm)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The harness is TypeScript shared with the tests; tsx loads it without a compile step.
const cs = await tsImport('../test/harness/codeServer.ts', import.meta.url);

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const vsix = path.join(root, `${pkg.name}-${pkg.version}.vsix`);
if (!process.argv.includes('--no-package')) {
  console.log('▶ building and packaging (npm run package) ...');
  const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('✗ npm run package failed: fix the build errors above, then run npm start again.');
    process.exit(r.status || 1);
  }
}
if (!existsSync(vsix)) {
  console.error(`✗ ${vsix} does not exist: run without --no-package.`);
  process.exit(1);
}

await cs.ensureCodeServer();
const profile = path.join(cs.cacheRoot(), 'start-profile');
const userDataDir = path.join(profile, 'user-data');
const extensionsDir = path.join(profile, 'extensions');
console.log(`▶ installing ${path.basename(vsix)} into ${extensionsDir}`);
await cs.installVsix(vsix, extensionsDir, userDataDir);

const demo = process.env.DREAMOS_DEMO_DIR ?? path.join(os.homedir(), 'dreamos-demo');
const cli = path.join(root, 'dist', 'cli.js');
const boardDir = path.join(demo, '.dreamos');
seedDemo(demo);

const port = process.env.PORT ? Number(process.env.PORT) : undefined;
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  console.error(`✗ PORT=${process.env.PORT} is not a port number (1-65535).`);
  process.exit(1);
}
let server;
let swarm;
let stopping = false;
// Registered before the server starts, so Ctrl+C during start-up also cleans up.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the demo swarm and code-server ...');
    if (swarm && swarm.exitCode === null) {
      swarm.kill('SIGINT'); // the swarm releases its leases before it exits
      await new Promise((r) => { swarm.once('exit', r); setTimeout(r, 10_000); });
    }
    spawnSync(process.execPath, [cli, 'hub', 'stop', '--dir', boardDir], { stdio: 'ignore' });
    await server?.stop();
    process.exit(0);
  });
}
server = await cs.startCodeServer({
  workspace: demo, userDataDir, extensionsDir, port,
  password: process.env.PASSWORD || true,
  host: '127.0.0.1',
});
if (!process.argv.includes('--no-swarm')) {
  // The demo's command agents start working at once, so a newcomer sees the swarm move the board.
  swarm = spawn(process.execPath, [cli, 'swarm', 'start', '--dir', boardDir], { cwd: demo, stdio: ['ignore', 'ignore', 'inherit'] });
}
console.log(`
Dream.OS is running in code-server ${cs.CODE_SERVER_VERSION}
  URL:       ${server.url}/?folder=${encodeURIComponent(demo)}
  password:  ${server.password}
  workspace: ${demo}
  log:       ${server.logFile}
  swarm:     ${swarm ? 'the demo agents are working (see the Agents view)' : 'not started (--no-swarm)'}
Press Ctrl+C to stop.`);
await new Promise(() => {}); // serve until a signal arrives

/**
 * The demo project (demo/ in this repo: a small project, five command agents, a task list) copied
 * into the workspace once; the task list is imported on first start. Existing files are left alone.
 */
function seedDemo(dir) {
  cpSync(path.join(root, 'demo'), dir, { recursive: true, force: false, errorOnExist: false });
  if (!existsSync(path.join(dir, '.git'))) spawnSync('git', ['init', '-q'], { cwd: dir });
  if (!existsSync(path.join(dir, '.dreamos', 'board.sqlite'))) {
    const r = spawnSync(process.execPath, [cli, 'import', path.join(dir, '.dreamos', 'tasks.json'), '--dir', path.join(dir, '.dreamos')], { stdio: 'inherit' });
    if (r.status !== 0) console.error('✗ importing the demo tasks failed (see above); the board starts empty.');
  }
}
