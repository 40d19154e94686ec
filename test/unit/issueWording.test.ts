// Validation problems in the person's words (src/core/errors.ts, the one place zod issues are
// worded): one line per problem, naming the field path; enums list their allowed values; unknown
// fields, missing fields and unions say what to do. Through the real board (task.add, import), the
// agents.json parser and the check file reader, so the CLI, the editor and the API all get it.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { DreamError, formatIssues } from '../../src/core/errors';
import { loadSwarmConfig } from '../../src/core/loop/agentsConfig';
import { readCheckFile } from '../../src/core/proposals/proposalChecks';
import { configError } from './helpers/configError';
import { memoryBoard } from './helpers/memoryBoard';

const refused = (fn: () => unknown): DreamError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DreamError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
};

describe('validation problems, worded', () => {
  it('an enum lists its allowed values, never "Invalid input"', () => {
    const r = z.object({ priority: z.enum(['low', 'normal', 'high', 'urgent']) }).safeParse({ priority: 'asap' });
    assert.deepEqual(formatIssues(r.error!.issues), ['priority: must be one of low, normal, high, urgent']);
  });

  it('a task with a bad priority, an unknown field and no title: one line each, through the real board', async () => {
    const b = await memoryBoard();
    const e = refused(() => b.run({ type: 'task.add', title: '', priority: 'asap', colour: 'red' } as never));
    assert.equal(e.code, 'invalid_input');
    const lines = e.message.split('\n');
    assert.equal(lines[0], 'Invalid request:');
    assert.ok(lines.includes('  title: a task needs a title'), e.message);
    assert.ok(lines.includes('  priority: must be one of low, normal, high, critical, or a number'), e.message);
    assert.ok(lines.includes('  colour: is not a field here: remove it or check its spelling'), e.message);
    assert.doesNotMatch(e.message, /Invalid input|Invalid option|✖|→/);
    // The API still finds the first problem's field in the details (zod's issues).
    assert.ok(Array.isArray(e.details));
  });

  it('an unknown command type lists the command types', async () => {
    const b = await memoryBoard();
    const e = refused(() => b.run({ type: 'task.explode' } as never));
    assert.match(e.message, /^Invalid request:\n {2}type: must be one of board\.info, .*task\.add/);
  });

  it('a task file names the item and the field', async () => {
    const b = await memoryBoard();
    const e = refused(() => b.run({ type: 'board.import', file: { tasks: [{ title: 'ok' }, { title: 'x', kind: 'epic', tags: 'ui' }] } } as never));
    assert.match(e.message, /tasks\[1\]\.kind: must be one of feature, bug, chore, research, review, docs, test/);
    assert.match(e.message, /tasks\[1\]\.tags: must be a list \(an array\), not text/);
  });

  it('agents.json: the agent by place and name, the field, the allowed values', () => {
    const msg = configError({ agents: [{ name: 'coder', driver: 'command', command: 'node', stdin: 'file', maxConcurrent: 0 }, { name: 'c2', preset: 'claude', permissionMode: 'yolo' }] });
    const lines = msg.split('\n');
    assert.ok(lines.includes('  agents[0] (coder).stdin: must be one of prompt, none'), msg);
    assert.ok(lines.includes('  agents[0] (coder).maxConcurrent: must be at least 1'), msg);
    assert.ok(lines.includes('  agents[1] (c2).permissionMode: must be one of acceptEdits, auto, bypassPermissions, dontAsk'), msg);
    assert.doesNotMatch(msg, /Invalid/);
  });

  it('checks.json: each problem on its own line, then the expected shape', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dreamos-issues-'));
    const file = path.join(dir, 'checks.json');
    writeFileSync(file, JSON.stringify({ checks: [{ name: 'tests', command: 'npm test' }], post: [] }));
    const e = await readCheckFile(file).then(
      () => assert.fail('accepted'),
      (err: DreamError) => err,
    );
    const lines = e.message.split('\n');
    assert.equal(lines[0], `${file} is not a valid check file:`);
    assert.ok(lines.includes('  checks[0].command: must be a list (an array), not text'), e.message);
    assert.ok(lines.includes('  post: is not a field here: remove it or check its spelling'), e.message);
    assert.match(lines.at(-1)!, /^It should be \{ "checks"/);
    // Where the editor opens it: the first problem's value.
    assert.deepEqual([(e.details as { line: number }).line, (e.details as { column: number }).column], [1, 38]);
  });

  it('unions say what either form must be; sizes and formats are plain words', () => {
    const S = z.object({ when: z.union([z.number(), z.enum(['now', 'later'])]), name: z.string().min(3), list: z.array(z.number()).max(1), url: z.url(), id: z.string().regex(/^x+$/), n: z.number().int() });
    const r = S.safeParse({ when: true, name: 'ab', list: [1, 2], url: 'nope', id: 'y', n: 1.5 });
    assert.deepEqual(formatIssues(r.error!.issues), [
      'when: must be a number, or one of now, later',
      'name: must have at least 3 characters',
      'list: must have at most 1 item',
      'url: must be a valid URL',
      'id: must match /^x+$/',
      'n: must be a whole number',
    ]);
    const missing = z.object({ title: z.string() }).safeParse({});
    assert.deepEqual(formatIssues(missing.error!.issues), ['title: is required (text)']);
  });

  it('a malformed agents.json gives the line and column, in the message and in the details the editor opens', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dreamos-agents-'));
    writeFileSync(path.join(dir, 'agents.json'), '{\n  "agents": [\n    {"name": "x",, "driver": "command"}\n  ]\n}\n');
    const e = await loadSwarmConfig(dir).then(() => assert.fail('accepted'), (err: DreamError) => err);
    assert.equal(e.code, 'invalid_input');
    assert.match(e.message, /line 3, column 18/);
    assert.doesNotMatch(e.message, /position \d+/);
    assert.deepEqual(e.details, { file: path.join(dir, 'agents.json'), line: 3, column: 18 });
  });

  it('a schema problem in agents.json is located too: the editor opens the file at the wrong value', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dreamos-agents-'));
    writeFileSync(path.join(dir, 'agents.json'), '{\n  "agents": [\n    { "name": "ok", "driver": "command", "command": "node" },\n    { "name": "coder", "driver": "command",\n      "command": "node", "stdin": "file" }\n  ]\n}\n');
    const e = await loadSwarmConfig(dir).then(() => assert.fail('accepted'), (err: DreamError) => err);
    assert.match(e.message, /agents\[1\] \(coder\)\.stdin: must be one of prompt, none/);
    const d = e.details as { file: string; line: number; column: number; path: unknown[] };
    assert.deepEqual([d.file, d.line, d.column, d.path], [path.join(dir, 'agents.json'), 5, 35, ['agents', 1, 'stdin']]);
  });
});
