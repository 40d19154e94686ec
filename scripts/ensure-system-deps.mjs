#!/usr/bin/env node
// Makes sure the Debian packages the editor and desktop tests need are installed. As root (or
// with CI set) it installs what is missing; otherwise it prints the exact command and fails —
// a missing browser must never turn into silently skipped tests.
import { spawnSync } from 'node:child_process';

// package -> why the tests need it
const PACKAGES = {
  chromium: 'the browser that drives the code-server workbench (playwright-core never downloads one)',
  xvfb: 'a virtual display for headed Chromium and desktop-automation tests',
  openbox: 'a window manager under Xvfb (nut-js getActiveWindow fails without one)',
  'x11-utils': 'xwininfo/xprop for inspecting windows under Xvfb',
  xterm: 'a real window for desktop-automation tests',
  xdotool: 'window and keyboard checks for desktop-automation tests',
  libxtst6: 'libnut (nut-js) sends key events through XTest',
  'libkrb5-dev': "headers for code-server's `kerberos` native module",
  ripgrep: "rg, seeded into @vscode/ripgrep's cache so code-server installs offline",
  bubblewrap: 'bwrap, which runs sandboxed agents with the board folder out of their reach',
};
// Build tools for code-server's native modules: checked as commands (python3 may come from pyenv).
const TOOLS = { make: 'make', 'g++': 'g++', python3: 'python3' };

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const installed = (pkg) => {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
};

function missing() {
  return [
    ...Object.keys(PACKAGES).filter((p) => !installed(p)),
    ...Object.entries(TOOLS).filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg),
  ];
}

if (!has('dpkg-query') || !has('apt-get')) {
  console.error(`ensure-system-deps: this is not a Debian-like system (no dpkg-query/apt-get).
Install the equivalents of: ${Object.keys(PACKAGES).join(' ')} make g++ python3`);
  process.exit(1);
}

const needed = missing();
if (needed.length === 0) {
  console.log('ensure-system-deps: all system packages present');
  process.exit(0);
}

for (const p of needed) console.log(`ensure-system-deps: missing ${p}${PACKAGES[p] ? ` (${PACKAGES[p]})` : ''}`);
const isRoot = process.getuid?.() === 0;
const command = ['apt-get', 'install', '-y', ...needed];
if (!isRoot && !process.env.CI) {
  console.error(`\nInstall them with:\n  sudo apt-get update && sudo ${command.join(' ')}\n`);
  process.exit(1);
}

// In CI without root, sudo must work without a password prompt (-n), or this fails loudly.
const sudo = isRoot ? [] : ['sudo', '-n'];
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const step of [['apt-get', 'update'], command]) {
  const [cmd, ...args] = [...sudo, ...step];
  console.log(`ensure-system-deps: $ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
    console.error(`ensure-system-deps: \`${[cmd, ...args].join(' ')}\` failed (${why}); install the packages above by hand, then run again.`);
    process.exit(1);
  }
}
const still = missing();
if (still.length) {
  console.error(`ensure-system-deps: still missing after apt-get install: ${still.join(' ')}`);
  process.exit(1);
}
console.log('ensure-system-deps: installed', needed.join(' '));
