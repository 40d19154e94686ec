/**
 * The language-model driver does work: it writes and edits real files in the task's working tree
 * (never outside it), runs the agent's checks as real processes, asks the person through a real
 * board (mail + the task blocked on the answer), and puts its tool calls, edits and counted tokens
 * in the run's events. The editor's model is a scripted stand-in with the vscode.lm shapes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Message, Task } from '../../src/core/board/boardModel';
import { parseSwarmConfig } from '../../src/core/loop/agentsConfig';
import type { AgentJob, DriverIo } from '../../src/core/loop/driver';
import type { RunEvent } from '../../src/core/runs/runModel';
import { LanguageModelDriver, type LmApi } from '../../src/extension/agents/languageModelDriver';
import { runLmTool } from '../../src/extension/agents/lmTools';
import { ProcessCheckRunner } from '../../src/integrations/drivers/processChecks';
import { memoryBoard } from './helpers/memoryBoard';
import { TextPart, ToolCallPart, ToolResultPart } from './helpers/lmParts';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
function tree(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dreamos-lmtools-'));
  roots.push(root);
  return root;
}

describe('language-model tools in the task\'s working tree', () => {
  it('writes and edits files inside it, and refuses every way out of it', async () => {
    const root = tree();
    const outside = tree();
    mkdirSync(path.join(root, '.git'));
    symlinkSync(outside, path.join(root, 'link-out'));
    const edited: string[] = [];
    const ctx = { root, edited: (f: string) => edited.push(f) };

    assert.match(await runLmTool(ctx, 'dreamos_write_file', { path: 'src/new/a.ts', content: 'export const a = 1;\n' }), /^Wrote src\/new\/a.ts/);
    assert.equal(readFileSync(path.join(root, 'src/new/a.ts'), 'utf8'), 'export const a = 1;\n');
    assert.match(await runLmTool(ctx, 'dreamos_edit_file', { path: 'src/new/a.ts', oldText: '= 1', newText: '= 2' }), /^Edited/);
    assert.equal(readFileSync(path.join(root, 'src/new/a.ts'), 'utf8'), 'export const a = 2;\n');
    assert.deepEqual(edited, ['src/new/a.ts', 'src/new/a.ts']);

    writeFileSync(path.join(root, 'twice.txt'), 'x x');
    assert.match(await runLmTool(ctx, 'dreamos_edit_file', { path: 'twice.txt', oldText: 'x', newText: 'y' }), /occurs 2 times/);
    assert.equal(readFileSync(path.join(root, 'twice.txt'), 'utf8'), 'x x', 'an ambiguous edit changes nothing');

    for (const bad of ['../escape.txt', path.join(outside, 'abs.txt'), 'link-out/through-link.txt', 'link-out/deeper/new.txt']) {
      assert.match(await runLmTool(ctx, 'dreamos_write_file', { path: bad, content: 'no' }), /outside the task's working tree/, bad);
    }
    assert.match(await runLmTool(ctx, 'dreamos_write_file', { path: '.git/config', content: 'no' }), /inside \.git/);
    assert.equal(existsSync(path.join(outside, 'through-link.txt')), false);
    assert.equal(existsSync(path.join(path.dirname(root), 'escape.txt')), false);
    assert.match(await runLmTool(ctx, 'dreamos_write_file', { path: 'a.txt', content: 42 }), /content must be a string/);
  });

  it('runs the configured checks as real processes in the working tree', async () => {
    const root = tree();
    writeFileSync(path.join(root, 'ok.txt'), 'yes');
    const specs = [
      { name: 'has ok.txt', command: process.execPath, args: ['-e', 'require("fs").readFileSync("ok.txt"); console.log("found")'], timeoutMs: 20_000 },
      { name: 'fails', command: process.execPath, args: ['-e', 'console.error("broken"); process.exit(3)'], timeoutMs: 20_000 },
    ];
    const out = await runLmTool({ root, checks: { runner: new ProcessCheckRunner(), specs, signal: new AbortController().signal } }, 'dreamos_run_checks', {});
    assert.match(out, /PASS has ok.txt \(exit 0/);
    assert.match(out, /found/);
    assert.match(out, /FAIL fails \(exit 3/);
    assert.match(out, /broken/);
    assert.match(await runLmTool({ root }, 'dreamos_run_checks', {}), /No checks are configured/);
  });
});

describe('the language-model driver', () => {
  const api = (script: unknown[][], seen: unknown[][]) =>
    ({
      lm: {
        selectChatModels: async () => [
          {
            vendor: 'test',
            family: 'scripted',
            id: 'scripted-1',
            countTokens: async (text: string) => Math.ceil(text.length / 4),
            sendRequest: async (messages: unknown[]) => {
              seen.push(messages);
              const parts = script.shift() ?? [];
              return { stream: (async function* () { yield* parts; })() };
            },
          },
        ],
      },
      LanguageModelChatMessage: { User: (c: unknown) => ({ role: 'user', content: c }), Assistant: (c: unknown) => ({ role: 'assistant', content: c }) },
      LanguageModelTextPart: TextPart,
      LanguageModelToolCallPart: ToolCallPart,
      LanguageModelToolResultPart: ToolResultPart,
      CancellationTokenSource: class { token = {}; cancel() {} dispose() {} },
    }) as unknown as LmApi;
  const cfg = parseSwarmConfig({ agents: [{ name: 'copilot', driver: 'language-model', checks: [{ name: 'node', command: process.execPath, args: ['-e', '0'] }] }] }).agents[0]!;
  const job = (root: string, task: Task, agentId: string, token: number): AgentJob => ({
    taskId: task.id, agentId, agentName: 'copilot', leaseToken: token, prompt: 'Fix it', cwd: root, workspaceRoot: path.dirname(root),
    boardDir: path.join(root, '.dreamos'), run: 1, timeoutMs: 30_000, task, agent: cfg,
  });
  const io = (events: RunEvent[]): DriverIo => ({ output: () => undefined, note: () => undefined, waitForReport: async () => 'done', event: (e) => events.push(e) });

  it('edits files in the task\'s folder, reports, and puts tool calls, edits and tokens in its events', async () => {
    const root = tree();
    writeFileSync(path.join(root, 'a.txt'), 'old\n');
    const b = await memoryBoard();
    const agent = b.run<{ id: string }>({ type: 'agent.register', name: 'copilot' });
    const task = b.run<Task>({ type: 'task.add', title: 'Change a.txt' });
    const seen: unknown[][] = [];
    const script = [
      [new TextPart('Editing. '), new ToolCallPart('c1', 'dreamos_edit_file', { path: 'a.txt', oldText: 'old', newText: 'new' })],
      [new ToolCallPart('c2', 'dreamos_run_checks', {})],
      [new ToolCallPart('c3', 'dreamos_report', { summary: 'changed a.txt', evidence: [{ kind: 'file', summary: 'a.txt' }] })],
    ];
    const events: RunEvent[] = [];
    const driver = new LanguageModelDriver(api(script, seen), cfg as Extract<typeof cfg, { driver: 'language-model' }>, { board: b.port(), checks: new ProcessCheckRunner() });
    const outcome = await driver.execute(job(root, task, agent.id, 1), new AbortController().signal, io(events));
    assert.equal(outcome.status, 'exited');
    assert.deepEqual(outcome.result, { summary: 'changed a.txt', evidence: [{ kind: 'file', summary: 'a.txt' }] });
    assert.equal(readFileSync(path.join(root, 'a.txt'), 'utf8'), 'new\n');
    assert.deepEqual(events.filter((e) => e.t === 'tool').map((e) => (e as { name: string }).name), ['dreamos_edit_file', 'dreamos_run_checks', 'dreamos_report']);
    assert.deepEqual(events.filter((e) => e.t === 'edit'), [{ t: 'edit', file: 'a.txt' }]);
    const usage = events.filter((e): e is Extract<RunEvent, { t: 'usage' }> => e.t === 'usage');
    assert.equal(usage.length, 3, 'one counted usage per turn');
    assert.ok(usage.every((u) => u.estimated && u.tokens.input > 0));
    // The array the model saw is the driver's own: its last entry is the reporting turn, the one before it the check results.
    const checkResult = (seen[2]![seen[2]!.length - 2] as { content: ToolResultPart[] }).content[0]!;
    assert.ok(checkResult, 'the check results went back to the model');
    assert.match((checkResult.content[0] as TextPart).value, /PASS node/);
  });

  it('asks the person through the board: a message for them and the task blocked on the answer', async () => {
    const root = tree();
    const b = await memoryBoard();
    const agent = b.run<{ id: string }>({ type: 'agent.register', name: 'copilot' });
    const added = b.run<Task>({ type: 'task.add', title: 'Pick a name' });
    const claimed = b.run<{ task: Task; lease: { token: number } }>({ type: 'task.claim', agentId: agent.id, taskId: added.id }, agent.id);
    b.run({ type: 'task.start', taskId: added.id, token: claimed.lease.token }, agent.id);
    const script = [[new ToolCallPart('q1', 'dreamos_ask_person', { question: 'Which name: foo or bar?' })]];
    const driver = new LanguageModelDriver(api(script, []), cfg as Extract<typeof cfg, { driver: 'language-model' }>, { board: b.port() });
    const outcome = await driver.execute(job(root, claimed.task, agent.id, claimed.lease.token), new AbortController().signal, io([]));
    assert.deepEqual([outcome.status, outcome.reportedStatus], ['reported', 'blocked']);
    const shown = b.run<{ task: Task }>({ type: 'task.show', taskId: added.id });
    assert.equal(shown.task.status, 'blocked');
    const inbox = b.run<Message[]>({ type: 'mail.inbox', recipient: 'human' });
    assert.equal(inbox.length, 1);
    assert.equal(inbox[0]!.body, 'Which name: foo or bar?');
    assert.equal(inbox[0]!.from, agent.id);
  });
});
