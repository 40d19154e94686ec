// Add Agent in the editor (issue 13): the command writes a valid entry into .dreamos/agents.json
// (the file the swarm runs from), keeps what is there, and never overwrites a malformed file.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { AddedAgent } from '../../src/core/agents/add';
import { loadSwarmConfig } from '../../src/core/loop/agentsConfig';
import type { DreamOsApi } from '../../src/extension/main';
import { test } from './registry';

async function boardDir(): Promise<string> {
  const ext = vscode.extensions.getExtension<DreamOsApi>('dreamos.dreamos');
  assert.ok(ext);
  return (await ext.activate()).session.boardDir;
}

test('Add Agent (with arguments) appends a claude agent the swarm can run; a malformed agents.json is left as it is', async () => {
  const dir = await boardDir();
  const file = path.join(dir, 'agents.json');
  const before = await fs.readFile(file, 'utf8').catch(() => undefined);
  try {
    const added = await vscode.commands.executeCommand<AddedAgent>('dreamos.addAgent', { preset: 'claude', name: 'suite-claude', model: 'sonnet' });
    assert.ok(added, 'the command returned what it wrote');
    assert.deepEqual(added.entry, { name: 'suite-claude', preset: 'claude', model: 'sonnet' });
    const cfg = await loadSwarmConfig(dir);
    const agent = cfg.agents.find((a) => a.name === 'suite-claude');
    assert.ok(agent && agent.driver === 'command' && agent.preset?.kind === 'claude' && agent.command === 'claude');
    const bad = '{"agents": [ {"name": "x",, } ]}';
    await fs.writeFile(file, bad);
    assert.equal(await vscode.commands.executeCommand('dreamos.addAgent', { preset: 'codex' }), undefined, 'nothing was added');
    assert.equal(await fs.readFile(file, 'utf8'), bad, 'the malformed file is unchanged');
  } finally {
    if (before === undefined) await fs.rm(file, { force: true });
    else await fs.writeFile(file, before);
  }
}, 60_000);
