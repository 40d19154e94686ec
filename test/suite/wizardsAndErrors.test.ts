// Errors that lead somewhere, and the Create Task wizard (issue 15), in the real editor: what the
// person is shown is read from the extension's own record of its prompts (DreamOsApi.prompts),
// and a test answers there in the person's place — the same code paths as a person's clicks.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Task } from '../../src/core/board/boardModel';
import type { DreamOsApi } from '../../src/extension/main';
import type { Shown } from '../../src/extension/prompts';
import { test } from './registry';

async function api(): Promise<DreamOsApi> {
  const ext = vscode.extensions.getExtension<DreamOsApi>('dreamos.dreamos');
  assert.ok(ext);
  return ext.activate();
}

async function waitFor<T>(what: string, fn: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `fn` with `answer` answering the prompts; returns what was shown meanwhile. */
async function answering(a: DreamOsApi, answer: (s: Shown) => string | string[] | undefined, fn: () => PromiseLike<unknown>): Promise<Shown[]> {
  const from = a.prompts.shown.length;
  a.prompts.answer = answer;
  try {
    await fn();
    return a.prompts.shown.slice(from);
  } finally {
    a.prompts.answer = undefined;
  }
}

async function withAgentsJson(dir: string, text: string, fn: (file: string) => Promise<void>): Promise<void> {
  const file = path.join(dir, 'agents.json');
  const before = await fs.readFile(file, 'utf8').catch(() => undefined);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(file, text);
  try {
    await fn(file);
  } finally {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (before === undefined) await fs.rm(file, { force: true });
    else await fs.writeFile(file, before);
  }
}

/** Waits for the active editor to be `file` with the cursor at [line, character] (0-based); fails with where it was. */
async function cursorAt(file: string, want: [number, number] | number): Promise<void> {
  let seen = 'no editor';
  try {
    await waitFor(`${path.basename(file)} open at ${JSON.stringify(want)}`, () => {
      const ed = vscode.window.activeTextEditor;
      if (!ed) return false;
      const p = ed.selection.active;
      seen = `${ed.document.uri.fsPath} at [${p.line}, ${p.character}]`;
      if (ed.document.uri.fsPath !== file) return false;
      return typeof want === 'number' ? p.line === want : p.line === want[0] && p.character === want[1];
    }, 10_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; the active editor is ${seen}`);
  }
}

test('a malformed agents.json: Start Swarm says line and column (no "position"), and Open File puts the cursor there', async () => {
  const a = await api();
  await a.session.open();
  await withAgentsJson(a.session.boardDir, '{\n  "agents": [\n    {"name": "x",, "driver": "command"}\n  ]\n}\n', async (file) => {
    const shown = await answering(a, (s) => (s.actions.includes('Open File') ? 'Open File' : undefined), () => vscode.commands.executeCommand('dreamos.swarm.start'));
    const err = shown.find((s) => s.kind === 'error');
    assert.ok(err, JSON.stringify(shown));
    assert.deepEqual(err.actions, ['Open File', 'Show Log']);
    assert.match(err.text, /agents\.json is not valid JSON \(.*line 3, column 18\)/);
    assert.doesNotMatch(err.text, /position/);
    await cursorAt(file, [2, 17]);
  });
}, 60_000);

test('a schema error in agents.json: one problem per line, allowed values listed, Open File at the wrong value', async () => {
  const a = await api();
  await a.session.open();
  const text = '{\n  "agents": [\n    { "name": "coder", "driver": "command",\n      "command": "node", "stdin": "file", "maxConcurrent": 0 }\n  ]\n}\n';
  await withAgentsJson(a.session.boardDir, text, async (file) => {
    const shown = await answering(a, (s) => (s.actions.includes('Open File') ? 'Open File' : undefined), () => vscode.commands.executeCommand('dreamos.swarm.start'));
    const err = shown.find((s) => s.kind === 'error');
    assert.ok(err, JSON.stringify(shown));
    assert.match(err.text, /agents\.json is not valid, so no agent was started: agents\[0\] \(coder\)\.maxConcurrent: must be at least 1 \(and 1 more: Show Log lists them\)\. Fix the file/);
    assert.doesNotMatch(err.text, /Invalid input|Invalid option/);
    const failure = a.commandFailures.since(0).filter((f) => f.command === 'dreamos.swarm.start').at(-1)!;
    assert.ok(failure.message.split('\n').includes('  agents[0] (coder).stdin: must be one of prompt, none'), failure.message);
    await cursorAt(file, [3, 59]);
  });
}, 60_000);

test("Start Swarm checks the agents' programs: a missing one is named, not started, with Add Agent… and Open agents.json", async () => {
  const a = await api();
  await a.session.open();
  const text = JSON.stringify({ agents: [{ name: 'ghost', driver: 'command', command: 'no-such-agent-cli-xyz' }] }, null, 2);
  await withAgentsJson(a.session.boardDir, text, async (file) => {
    const shown = await answering(a, (s) => (s.actions.includes('Open agents.json') ? 'Open agents.json' : undefined), () => vscode.commands.executeCommand('dreamos.swarm.start'));
    const warn = shown.find((s) => s.kind === 'warning');
    assert.ok(warn, JSON.stringify(shown));
    assert.deepEqual(warn.actions, ['Add Agent…', 'Open agents.json']);
    assert.match(warn.text, /^Dream\.OS: no agent started, their programs are missing: ghost \("no-such-agent-cli-xyz" is not on PATH\)\. Install it, or fix "command" of ghost in agents\.json/);
    assert.ok(!shown.some((s) => /swarm running/.test(s.text)), 'no "swarm running"');
    assert.ok(!a.session.current.agents.some((x) => x.name === 'ghost'), 'ghost never became a board agent');
    await cursorAt(file, 2);
  });
}, 60_000);

test('Create Task: six numbered steps, tags and dependencies picked by title; a bad tag is refused where it is typed', async () => {
  const a = await api();
  const dep = await vscode.commands.executeCommand<Task>('dreamos.createTask', { title: 'Wizard dependency' });
  assert.ok(dep);
  await waitFor('the new task in the window', () => a.session.current.tasks.some((t) => t.id === dep.id));
  const answers: Record<string, string | string[]> = {
    'Create Task (1/6)': 'Wizard task with tags',
    'Create Task (2/6)': 'high',
    'Create Task (3/6)': 'bug',
    'Create Task (4/6)': 'Fix the thing',
    'Create Task (5/6)': 'ui, scope:src/api',
    'Create Task (6/6)': ['Wizard dependency'],
  };
  let made: Task | undefined;
  const shown = await answering(a, (s) => (s.title ? answers[s.title] : undefined), async () => {
    made = await vscode.commands.executeCommand<Task>('dreamos.createTask');
  });
  const steps = shown.filter((s) => s.kind === 'input' || s.kind === 'pick').map((s) => s.title);
  assert.deepEqual(steps, ['Create Task (1/6)', 'Create Task (2/6)', 'Create Task (3/6)', 'Create Task (4/6)', 'Create Task (5/6)', 'Create Task (6/6)']);
  assert.ok(shown.find((s) => s.title === 'Create Task (6/6)')!.items!.includes('Wizard dependency'), 'dependencies are offered by title');
  assert.ok(made, JSON.stringify(shown));
  assert.equal(made.title, 'Wizard task with tags');
  assert.equal(made.kind, 'bug');
  assert.deepEqual(made.tags, ['ui', 'scope:src/api']);
  assert.deepEqual(made.dependsOn, [dep.id]);
  assert.notEqual(made.status, 'ready', 'it waits for its dependency');
  assert.ok(shown.some((s) => s.kind === 'info' && s.text === 'Dream.OS: created task "Wizard task with tags" (' + made!.status + ').'));

  const before = a.session.current.tasks.length;
  const bad = await answering(a, (s) => (s.title === 'Create Task (5/6)' ? 'ok bad!tag' : s.title ? answers[s.title] : undefined), async () => {
    assert.equal(await vscode.commands.executeCommand('dreamos.createTask'), undefined);
  });
  assert.match(bad.find((s) => s.title === 'Create Task (5/6)')!.invalid ?? '', /"bad!tag": tags are letters, digits and \. : \/ - _/);
  assert.equal(a.session.current.tasks.length, before, 'nothing was written');
}, 60_000);
