// With no folder open (issue 15): Create Task and the other board commands say "Open a folder
// first" at once, before any wizard step, with Open Folder — not Show Log. Run by
// test/editor/extensionHost.test.ts in a code-server window with no folder.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DreamOsApi } from '../../src/extension/main';
import type { Shown } from '../../src/extension/prompts';
import { test } from '../suite/registry';

test('no folder open: board commands say so first, with Open Folder, and ask nothing', async () => {
  assert.equal(vscode.workspace.workspaceFolders, undefined, 'this window has no folder');
  const ext = vscode.extensions.getExtension<DreamOsApi>('dreamos.dreamos');
  assert.ok(ext);
  const a = await ext.activate();
  for (const command of ['dreamos.createTask', 'dreamos.initBoard', 'dreamos.swarm.start', 'dreamos.task.done']) {
    const from = a.prompts.shown.length;
    a.prompts.answer = () => undefined; // the person dismisses whatever is shown
    try {
      assert.equal(await vscode.commands.executeCommand(command), undefined, command);
    } finally {
      a.prompts.answer = undefined;
    }
    const shown: Shown[] = a.prompts.shown.slice(from);
    assert.equal(shown.length, 1, `${command}: ${JSON.stringify(shown)}`);
    assert.equal(shown[0]!.kind, 'error');
    assert.equal(shown[0]!.text, 'Dream.OS: Open a folder first: the Dream.OS board lives in your workspace folder (.dreamos).');
    assert.deepEqual(shown[0]!.actions, ['Open Folder'], command);
  }
});
