// The extension-host suite (test/suite) run inside a real editor: code-server's Node extension
// host with Dream.OS loaded in development mode from this repository.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureBuilt, ensureSuiteBuilt } from '../harness/build';
import { REPO_ROOT, ensureCodeServer, runExtensionTests } from '../harness/codeServer';

test('extension-host suite passes in code-server', { timeout: 15 * 60_000 }, async (t) => {
  ensureBuilt();
  const suite = ensureSuiteBuilt();
  let started = Date.now();
  await ensureCodeServer(); // minutes the first time on a machine, instant afterwards
  t.diagnostic(`code-server ready in ${Date.now() - started} ms`);
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'dreamos-suite-ws-'));
  t.after(() => rmSync(workspace, { recursive: true, force: true }));
  started = Date.now();
  const code = await runExtensionTests({
    extensionDevelopmentPath: REPO_ROOT,
    extensionTestsPath: suite,
    workspace,
    timeoutMs: 180_000,
  });
  t.diagnostic(`suite ran in ${Date.now() - started} ms`);
  assert.equal(code, 0, 'the extension-host suite reported failures (see the "not ok" lines above)');
});

test('the no-folder suite passes in a code-server window with no folder open', { timeout: 10 * 60_000 }, async (t) => {
  ensureBuilt();
  const suite = ensureSuiteBuilt('suite-nofolder');
  await ensureCodeServer();
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'dreamos-nofolder-'));
  t.after(() => rmSync(workspace, { recursive: true, force: true }));
  const code = await runExtensionTests({ extensionDevelopmentPath: REPO_ROOT, extensionTestsPath: suite, workspace, noFolder: true, timeoutMs: 120_000 });
  assert.equal(code, 0, 'the no-folder suite reported failures (see the "not ok" lines above)');
});
