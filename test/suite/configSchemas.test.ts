// The editor validates and completes the board folder's config files against Dream.OS's JSON
// schemas (package.json jsonValidation → schemas/*.schema.json), through the editor's own JSON
// language service: a wrong value is underlined, a field is offered with its description.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { DreamOsApi } from '../../src/extension/main';
import { test } from './registry';

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('agents.json and worktrees.json: schema problems are underlined, fields completed with their descriptions', async () => {
  const ext = vscode.extensions.getExtension<DreamOsApi>('dreamos.dreamos');
  assert.ok(ext);
  const dir = (await ext.activate()).session.boardDir;
  await fs.mkdir(dir, { recursive: true });
  const agents = path.join(dir, 'agents.json');
  const worktrees = path.join(dir, 'worktrees.json');
  const before = await fs.readFile(agents, 'utf8').catch(() => undefined);
  try {
    await fs.writeFile(agents, '{\n  \n  "agents": [\n    { "name": "coder", "driver": "command", "command": "node", "stdin": "file" }\n  ]\n}\n');
    await fs.writeFile(worktrees, '{\n  "run": "npm ci"\n}\n');
    const doc = await vscode.workspace.openTextDocument(agents);
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'json');
    const uri = doc.uri;
    const bad = await waitFor('a schema diagnostic on "stdin"', () => vscode.languages.getDiagnostics(uri).find((d) => d.range.start.line === 3));
    assert.match(bad.message, /prompt|none|not accepted|schema/i, bad.message);
    const wt = await vscode.workspace.openTextDocument(worktrees);
    await vscode.window.showTextDocument(wt);
    const wtBad = await waitFor('a schema diagnostic on "run"', () => vscode.languages.getDiagnostics(wt.uri).find((d) => d.range.start.line === 1));
    assert.match(wtBad.message, /array|type/i, wtBad.message);
    // Completion at the top level of agents.json (on its blank line) offers the swarm's fields, described.
    const list = await waitFor('completion items', async () => {
      const r = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, new vscode.Position(1, 2));
      return r.items.length ? r : undefined;
    });
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label).replace(/"/g, ''));
    for (const f of ['maxConcurrent', 'budget', 'prices', 'idlePollMs']) assert.ok(labels.includes(f), `completion offers ${f}: ${labels.join(', ')}`);
    const item = list.items.find((i) => (typeof i.label === 'string' ? i.label : i.label.label).replace(/"/g, '') === 'maxConcurrent')!;
    const docText = typeof item.documentation === 'string' ? item.documentation : (item.documentation?.value ?? item.detail ?? '');
    assert.match(docText, /at the same time/);
  } finally {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (before === undefined) await fs.rm(agents, { force: true });
    else await fs.writeFile(agents, before);
    await fs.rm(worktrees, { force: true });
  }
}, 90_000);
