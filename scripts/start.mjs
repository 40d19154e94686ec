#!/usr/bin/env node
// `npm start`: try Dream.OS as a user would, in a browser editor. Packages the extension,
// installs the fresh .vsix into a dedicated code-server profile, opens a demo workspace, and
// serves it on 127.0.0.1 behind a password. Ctrl+C stops everything this started.
//   PORT=8080            fixed port (default: a free one)
//   PASSWORD=...         fixed password (default: random, printed)
//   DREAMOS_DEMO_DIR=... the workspace (default: ~/dreamos-demo)
//   --no-package         reuse the existing .vsix
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
seedDemo(demo);

const port = process.env.PORT ? Number(process.env.PORT) : undefined;
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  console.error(`✗ PORT=${process.env.PORT} is not a port number (1-65535).`);
  process.exit(1);
}
let server;
let stopping = false;
// Registered before the server starts, so Ctrl+C during start-up also cleans up.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping code-server ...');
    await server?.stop();
    process.exit(0);
  });
}
server = await cs.startCodeServer({
  workspace: demo, userDataDir, extensionsDir, port,
  password: process.env.PASSWORD || true,
  host: '127.0.0.1',
});
console.log(`
Dream.OS is running in code-server ${cs.CODE_SERVER_VERSION}
  URL:       ${server.url}/?folder=${encodeURIComponent(demo)}
  password:  ${server.password}
  workspace: ${demo}
  log:       ${server.logFile}
Press Ctrl+C to stop.`);
await new Promise(() => {}); // serve until a signal arrives

/** A small project to point agents at; existing files are left alone. */
function seedDemo(dir) {
  const files = {
    'README.md': '# Dream.OS demo\n\nA small project to try Dream.OS on: open the Dream.OS view in the activity bar.\n',
    'src/greet.js': "export function greet(name) {\n  return `Hello, ${name}!`;\n}\n",
    'src/greet.test.js': "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { greet } from './greet.js';\n\ntest('greets', () => assert.equal(greet('Ada'), 'Hello, Ada!'));\n",
    'package.json': JSON.stringify({ name: 'dreamos-demo', private: true, type: 'module', scripts: { test: 'node --test' } }, null, 2) + '\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    if (existsSync(file)) continue;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}
