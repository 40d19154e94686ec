#!/usr/bin/env node
// The one test command (`npm test`): system packages, typecheck, lint, build, package, then a
// single `node --test` run over every test file, so the output ends with node's own summary.
//   --unit   only test/unit and test/integration (no editor, no packaging)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const unitOnly = process.argv.includes('--unit');

function testFiles(dir) {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.ts') && !f.split(path.sep).includes('node_modules'))
    .sort()
    .map((f) => path.join(dir, f));
}

const timings = [];
function step(name, cmd, args) {
  console.log(`\n▶ ${name}: ${cmd} ${args.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`${name} ${seconds}s`);
  if (r.status !== 0) {
    console.error(`\n✗ ${name} failed (exit ${r.status ?? r.signal}) after ${seconds}s — the tests did not run.`);
    process.exit(r.status || 1);
  }
}

step('system packages', process.execPath, ['scripts/ensure-system-deps.mjs']);
step('typecheck', 'npm', ['run', '--silent', 'typecheck']);
step('lint', 'npm', ['run', '--silent', 'lint']);
step('build', 'npm', ['run', '--silent', 'build']);
if (!unitOnly) step('package', 'npm', ['run', '--silent', 'package']);

const fast = [...testFiles('test/unit'), ...testFiles('test/integration')];
const editor = unitOnly ? [] : testFiles('test/editor');
const files = [...fast, ...editor];
if (files.length === 0) {
  console.error('✗ no test files found under test/unit, test/integration or test/editor');
  process.exit(1);
}
console.log(`\n(${timings.join(', ')})`);
console.log(`▶ tests: ${fast.length} unit/integration file(s)${unitOnly ? '' : `, ${editor.length} editor file(s)`}\n`);

// A hung test must fail, not stall CI: 10 minutes per test unless it sets its own timeout.
const timeout = process.env.DREAMOS_TEST_TIMEOUT_MS ?? '600000';
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-timeout=${timeout}`];
// Each editor test runs a whole code-server and Chromium: one file at a time, after the fast ones.
if (editor.length) args.push('--test-concurrency=1');
const r = spawnSync(process.execPath, [...args, ...files], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
