#!/usr/bin/env node
// The same extension-host suite (out/suite/index.js) on desktop VS Code, through
// @vscode/test-electron — for machines that can download VS Code (`npm run test:desktop`).
// On the offline build machines this fails at the download step, which is expected: CI relies
// on the code-server run (test/editor/extensionHost.test.ts) instead.
//   VSCODE_VERSION=1.96.4  which VS Code to download (default: the oldest the extension supports)
import { runTests } from '@vscode/test-electron';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSuite } from '../harness/buildSuite.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// Electron needs a display: on a headless Linux box, run again under a virtual one.
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.DREAMOS_UNDER_XVFB) {
  const r = spawnSync('xvfb-run', ['-a', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, DREAMOS_UNDER_XVFB: '1' },
  });
  if (r.error) console.error('xvfb-run not found: run node scripts/ensure-system-deps.mjs, or set DISPLAY.');
  process.exit(r.status ?? 1);
}

const { bundle } = await buildSuite();
const engines = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).engines.vscode;
const version = process.env.VSCODE_VERSION ?? engines.replace(/^[\^~>=]+/, '');
const workspace = mkdtempSync(path.join(os.tmpdir(), 'dreamos-desktop-ws-'));
const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'dreamos-desktop-ud-'));
try {
  await runTests({
    version,
    extensionDevelopmentPath: root,
    extensionTestsPath: bundle,
    launchArgs: [
      workspace,
      '--disable-extensions', // only the extension under development
      '--disable-workspace-trust',
      '--skip-welcome', '--skip-release-notes',
      `--user-data-dir=${userDataDir}`,
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), // Electron refuses root without it
    ],
  });
  console.log(`extension-host suite passed on VS Code ${version}`);
} catch (err) {
  console.error(`extension-host suite failed on VS Code ${version}: ${err instanceof Error ? err.message : err}`);
  process.exitCode = 1;
} finally {
  rmSync(workspace, { recursive: true, force: true });
  rmSync(userDataDir, { recursive: true, force: true });
}
