// The current editor beside the oldest supported one (issue 13): code-server 4.139 (VS Code
// 1.139, on the Node 24 it needs, installed into the test cache from the npm registry) runs the
// whole extension-host suite, and the language-model suite with a scripted model provider installed
// beside Dream.OS — an API the 1.96 floor does not have.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureBuilt, ensureSuiteBuilt } from '../harness/build';
import { CODE_SERVER_CURRENT, REPO_ROOT, TEST_OUTPUT, ensureCodeServer, runExtensionTests } from '../harness/codeServer';

const SCRIPTED_MODEL = path.join(REPO_ROOT, 'test', 'editor', 'fixtures', 'scripted-model');

/** The scripted model packaged as a .vsix (installed beside Dream.OS: one extension runs in development mode). */
function scriptedModelVsix(dir: string): string {
  const out = path.join(dir, 'scripted-model.vsix');
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', out], { cwd: SCRIPTED_MODEL, stdio: 'pipe' });
  return out;
}

async function suiteIn(t: { diagnostic(s: string): void; after(fn: () => void): void }, name: string, install: string[] = [], screenshotDir?: string): Promise<number> {
  const suite = ensureSuiteBuilt(name);
  const workspace = mkdtempSync(path.join(os.tmpdir(), `dreamos-${name}-ws-`));
  t.after(() => rmSync(workspace, { recursive: true, force: true }));
  const started = Date.now();
  const code = await runExtensionTests({ extensionDevelopmentPath: REPO_ROOT, extensionTestsPath: suite, workspace, timeoutMs: 240_000, version: CODE_SERVER_CURRENT, install, ...(screenshotDir ? { screenshotDir } : {}) });
  t.diagnostic(`${name} ran in code-server ${CODE_SERVER_CURRENT} in ${Date.now() - started} ms`);
  return code;
}

test(`the extension-host suite passes in the current editor (code-server ${CODE_SERVER_CURRENT})`, { timeout: 20 * 60_000 }, async (t) => {
  ensureBuilt();
  const started = Date.now();
  await ensureCodeServer(CODE_SERVER_CURRENT); // minutes the first time on a machine (Node 24 and code-server), instant afterwards
  t.diagnostic(`code-server ${CODE_SERVER_CURRENT} ready in ${Date.now() - started} ms`);
  assert.equal(await suiteIn(t, 'suite'), 0, 'the extension-host suite reported failures in the current editor (see the "not ok" lines above)');
});

test('the language-model driver does a task with a model registered through vscode.lm (current editor)', { timeout: 10 * 60_000 }, async (t) => {
  ensureBuilt();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dreamos-model-vsix-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const shots = path.join(TEST_OUTPUT, 'worktrees');
  assert.equal(await suiteIn(t, 'suite-lm', [scriptedModelVsix(tmp)], shots), 0, 'the language-model suite reported failures (see the "not ok" lines above)');
  t.diagnostic(`screenshots in ${shots}`);
});
