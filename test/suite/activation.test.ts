// Runs inside the editor's extension host (see test/suite/index.ts): the extension is found,
// activates, and what package.json promises (commands) is what the code registers.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
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

test('dreamos.showBoardInfo runs without throwing', async () => {
  // The command may await its information message, which stays until someone dismisses it:
  // still pending after a few seconds means it ran and is waiting on the person, not a failure.
  const outcome = await Promise.race([
    vscode.commands.executeCommand('dreamos.showBoardInfo').then(() => 'resolved'),
    new Promise<string>((r) => setTimeout(() => r('waiting on its message'), 5000)),
  ]);
  console.log(`  showBoardInfo: ${outcome}`);
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
