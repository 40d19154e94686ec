// Runs inside the editor's extension host (see test/suite/index.ts): the extension is found,
// activates, and what package.json promises (commands) is what the code registers.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DreamOsApi } from '../../src/extension/main';
import { test } from './registry';

const EXTENSION_ID = 'dreamos.dreamos';

interface Manifest {
  contributes?: {
    commands?: { command: string }[];
    views?: Record<string, { id: string }[]>;
  };
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  return ext;
}

test('the editor is the one we meant to test in', () => {
  console.log(`  editor: ${vscode.env.appName} ${vscode.version}, workspace: ${vscode.workspace.workspaceFolders?.[0]?.uri.fsPath}`);
  assert.ok(vscode.workspace.workspaceFolders?.length, 'a workspace folder is open');
});

test(`${EXTENSION_ID} is present and activates`, async () => {
  const ext = extension();
  await ext.activate();
  assert.equal(ext.isActive, true);
});

test('dreamos.showBoardInfo answers with the board it shows, and records no failure', async () => {
  // The command's error boundary turns a failure into a message and an undefined result, so the
  // test checks the answer itself and the failure record, not merely that nothing was thrown.
  const api = (await extension().activate()) as DreamOsApi;
  const started = Date.now();
  const info = await vscode.commands.executeCommand<{ tasks: number; agents: number } | undefined>('dreamos.showBoardInfo');
  assert.deepEqual(api.commandFailures.since(started), []);
  assert.ok(info, 'showBoardInfo returned nothing: it failed');
  const board = await api.session.call({ type: 'board.info' });
  assert.equal(info.tasks, board.tasks);
  assert.equal(info.agents, board.agents);
});

test('a failing command is recorded with its reason, so a test of it can fail', async () => {
  const api = (await extension().activate()) as DreamOsApi;
  const started = Date.now();
  const r = await vscode.commands.executeCommand('dreamos.task.done', 'not-an-id');
  assert.equal(r, undefined);
  const failures = api.commandFailures.since(started);
  assert.equal(failures.length, 1, JSON.stringify(failures));
  assert.equal(failures[0]!.command, 'dreamos.task.done');
  assert.equal(failures[0]!.code, 'invalid_input');
});

test('every declared command is registered, and every registered dreamos.* command is declared', async () => {
  const manifest = extension().packageJSON as Manifest;
  const declared = new Set((manifest.contributes?.commands ?? []).map((c) => c.command));
  assert.ok(declared.size > 0, 'package.json declares commands');
  const registered = new Set(await vscode.commands.getCommands(true));
  const missing = [...declared].filter((c) => !registered.has(c));
  assert.deepEqual(missing, [], `declared in package.json but not registered: ${missing.join(', ')}`);
  // The workbench registers `<viewId>.focus`, `<viewId>.resetViewLocation`, ... for each view itself.
  const viewIds = Object.values(manifest.contributes?.views ?? {}).flat().map((v) => v.id);
  const undeclared = [...registered].filter((c) => c.startsWith('dreamos.') && !declared.has(c)
    && !viewIds.some((id) => c.startsWith(`${id}.`)));
  assert.deepEqual(undeclared, [], `registered but not declared in package.json: ${undeclared.join(', ')}`);
});
