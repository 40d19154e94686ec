import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createPatch } from 'diff';
import type { Agent, Message, Task } from '../../src/core/board/boardModel';
import { DreamError } from '../../src/core/errors';
import { applyProposal, findConflicts, restoreRecoveryPoint, nodeWriter, validateInScratch } from '../../src/core/proposals/apply';
import type { Proposal } from '../../src/core/proposals/proposalModel';
import { prepareSubmission } from '../../src/core/proposals/prepare';
import { checkProposalPath, resolveInside } from '../../src/core/proposals/safety';
import { memoryBoard } from './helpers/memoryBoard';

function workspace(): { root: string; board: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dreamos-prp-'));
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'src/app.ts'), 'export const a = 1;\nexport const b = 2;\n');
  writeFileSync(path.join(root, 'README.md'), '# demo\n');
  mkdirSync(path.join(root, '.dreamos'));
  return { root, board: path.join(root, '.dreamos') };
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as DreamError).code;
  }
  return 'ok';
};

describe('proposal safety', () => {
  it('refuses traversal, absolute paths, .git internals and board data', () => {
    for (const bad of ['../etc/passwd', 'src/../../x', '/etc/passwd', 'C:/x', 'src\\x.ts', '.git/config', 'sub/.git/hooks/pre-commit', '.dreamos/board.sqlite', 'a//b', './a', 'a\0b']) {
      assert.ok(checkProposalPath(bad), `${JSON.stringify(bad)} must be refused`);
    }
    for (const good of ['src/app.ts', 'README.md', '.dreamos/agents.json', '.dreamos/prompts/review.md', '.dreamos/rules.md', '.github/workflows/ci.yml']) {
      assert.equal(checkProposalPath(good), undefined, good);
    }
  });

  it('refuses symlink escapes and symlinked files', () => {
    const { root } = workspace();
    const outside = mkdtempSync(path.join(os.tmpdir(), 'dreamos-outside-'));
    symlinkSync(outside, path.join(root, 'escape'));
    symlinkSync(path.join(outside, 'f'), path.join(root, 'link.txt'));
    assert.equal(code(() => resolveInside(root, 'escape/new.ts')), 'invalid_input');
    assert.equal(code(() => resolveInside(root, 'link.txt')), 'invalid_input');
    assert.equal(code(() => resolveInside(root, 'src/new/deep/file.ts')), 'ok');
  });
});

describe('preparing a submission', () => {
  it('turns whole files and a unified diff into stored changes with base hashes and +/- counts', async () => {
    const { root } = workspace();
    const diff = createPatch('src/app.ts', 'export const a = 1;\nexport const b = 2;\n', 'export const a = 1;\nexport const b = 3;\nexport const c = 4;\n');
    const files = await prepareSubmission(root, { diff: diff.replace('--- src/app.ts', '--- a/src/app.ts').replace('+++ src/app.ts', '+++ b/src/app.ts'), files: [{ path: 'docs/new.md', content: 'hi\n' }, { path: 'README.md', delete: true }] });
    const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
    assert.equal(byPath['src/app.ts']!.op, 'modify');
    assert.equal(byPath['src/app.ts']!.content, 'export const a = 1;\nexport const b = 3;\nexport const c = 4;\n');
    assert.deepEqual([byPath['src/app.ts']!.added, byPath['src/app.ts']!.removed], [2, 1]);
    assert.equal(byPath['docs/new.md']!.op, 'create');
    assert.equal(byPath['docs/new.md']!.baseHash, null);
    assert.equal(byPath['README.md']!.op, 'delete');
  });

  it('refuses a diff that does not apply, binary content and traversal, with clear errors', async () => {
    const { root } = workspace();
    const stale = createPatch('src/app.ts', 'something else\n', 'changed\n');
    await assert.rejects(prepareSubmission(root, { diff: stale }), (e: DreamError) => e.code === 'conflict' && /does not apply/.test(e.message));
    await assert.rejects(prepareSubmission(root, { files: [{ path: 'bin.dat', content: 'a\0b' }] }), (e: DreamError) => e.code === 'invalid_input' && /binary/.test(e.message));
    await assert.rejects(prepareSubmission(root, { files: [{ path: '../x', content: 'x' }] }), (e: DreamError) => e.code === 'invalid_input' && /climbs out/.test(e.message));
    writeFileSync(path.join(root, 'img.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
    await assert.rejects(prepareSubmission(root, { files: [{ path: 'img.png', content: 'text' }] }), /binary file/);
    await assert.rejects(prepareSubmission(root, { files: [] }), /at least one changed file/);
  });
});

describe('proposal lifecycle on the board', () => {
  async function submitted() {
    const { root, board } = workspace();
    const b = await memoryBoard();
    const agent = b.run<Agent>({ type: 'agent.register', name: 'writer' });
    const task = b.run<Task>({ type: 'task.add', title: 'Bump b' });
    const files = await prepareSubmission(root, { files: [{ path: 'src/app.ts', content: 'export const a = 1;\nexport const b = 3;\n' }] });
    const p = b.run<Proposal>({ type: 'proposal.submit', title: 'Bump b to 3', rationale: 'the spec says 3', taskId: task.id, agentId: agent.id, files }, agent.id);
    return { root, board, b, agent, task, p };
  }

  it('stores a pending proposal with an audit trail and an event', async () => {
    const { b, p } = await submitted();
    assert.equal(p.status, 'pending');
    assert.deepEqual(p.audit.map((a) => a.action), ['submitted']);
    assert.ok(b.run<{ type: string }[]>({ type: 'events.since', afterSeq: 0 }).some((e) => e.type === 'proposal.submitted'));
  });

  it('refuses unsafe paths even when the files arrive pre-made over the wire', async () => {
    const { b } = await submitted();
    assert.throws(() => b.run({ type: 'proposal.submit', title: 't', rationale: 'r', files: [{ path: '../../etc/passwd', op: 'create', baseHash: null, content: 'x', added: 1, removed: 0 }] }), /climbs out/);
  });

  it('needs an explicit override to approve after failed checks', async () => {
    const { b, p } = await submitted();
    b.run({ type: 'proposal.validating', proposalId: p.id });
    b.run({ type: 'proposal.recordValidation', proposalId: p.id, results: [{ name: 'tests', command: ['npm', 'test'], ok: false, exitCode: 1, durationMs: 5, outputTail: '1 failed' }] });
    assert.throws(() => b.run({ type: 'proposal.approve', proposalId: p.id }), (e: DreamError) => e.code === 'vetoed' && /failed its checks \(tests\)/.test(e.message));
    const ok = b.run<Proposal>({ type: 'proposal.approve', proposalId: p.id, override: true });
    assert.equal(ok.status, 'approved');
    assert.match(ok.audit.at(-1)!.detail, /override/);
  });

  it('sends a rejection reason to the agent and into the task history', async () => {
    const { b, agent, task, p } = await submitted();
    b.run({ type: 'proposal.reject', proposalId: p.id, reason: 'keep b at 2; change c instead' });
    const mail = b.run<Message[]>({ type: 'mail.inbox', recipient: agent.id });
    assert.equal(mail[0]?.body, 'keep b at 2; change c instead');
    const shown = b.run<{ history: { reason: string }[] }>({ type: 'task.show', taskId: task.id });
    assert.match(shown.history.at(-1)!.reason, /rejected: keep b at 2/);
    assert.throws(() => b.run({ type: 'proposal.approve', proposalId: p.id }), (e: DreamError) => e.code === 'invalid_transition');
  });

  it('applies with a recovery point, moves the task on, and rolls back to the exact bytes', async () => {
    const { root, board, b, task, p } = await submitted();
    const original = readFileSync(path.join(root, 'src/app.ts'));
    b.run({ type: 'task.claimNext', agentId: 'writer' }, 'writer');
    b.run({ type: 'task.review', taskId: task.id, summary: 'proposed' });
    b.run({ type: 'proposal.approve', proposalId: p.id });
    const outcome = await applyProposal({ root, boardDir: board, proposal: b.run<Proposal>({ type: 'proposal.show', proposalId: p.id }) });
    assert.deepEqual([outcome.applied, outcome.conflicts], [true, []]);
    assert.equal(readFileSync(path.join(root, 'src/app.ts'), 'utf8'), 'export const a = 1;\nexport const b = 3;\n');
    b.run({ type: 'proposal.markApplied', proposalId: p.id });
    assert.equal(b.run<{ task: Task }>({ type: 'task.show', taskId: task.id }).task.status, 'done');
    await restoreRecoveryPoint(root, board, p.id, nodeWriter);
    assert.deepEqual(readFileSync(path.join(root, 'src/app.ts')), original);
  });

  it('detects a conflicting base and writes nothing', async () => {
    const { root, board, b, p } = await submitted();
    writeFileSync(path.join(root, 'src/app.ts'), 'someone else edited this\n');
    const proposal = b.run<Proposal>({ type: 'proposal.show', proposalId: p.id });
    assert.deepEqual(await findConflicts(root, proposal.files), ['src/app.ts']);
    const outcome = await applyProposal({ root, boardDir: board, proposal });
    assert.deepEqual(outcome.conflicts, ['src/app.ts']);
    assert.equal(readFileSync(path.join(root, 'src/app.ts'), 'utf8'), 'someone else edited this\n');
  });

  it('rolls back automatically when a post-apply check fails', async () => {
    const { root, board, b, p } = await submitted();
    const original = readFileSync(path.join(root, 'src/app.ts'));
    const outcome = await applyProposal({
      root,
      boardDir: board,
      proposal: b.run<Proposal>({ type: 'proposal.show', proposalId: p.id }),
      postChecks: [{ name: 'b must be 2', command: [process.execPath, '-e', "process.exit(require('fs').readFileSync('src/app.ts','utf8').includes('b = 2') ? 0 : 3)"], timeoutSeconds: 30 }],
    });
    assert.equal(outcome.applied, false);
    assert.equal(outcome.rolledBack, true);
    assert.equal(outcome.checks[0]?.exitCode, 3);
    assert.deepEqual(readFileSync(path.join(root, 'src/app.ts')), original);
  });

  it('validates against the proposed tree in a scratch copy, never touching the workspace', async () => {
    const { root, b, p } = await submitted();
    const results = await validateInScratch({
      root,
      proposal: b.run<Proposal>({ type: 'proposal.show', proposalId: p.id }),
      checks: [
        { name: 'sees the change', command: [process.execPath, '-e', "process.exit(require('fs').readFileSync('src/app.ts','utf8').includes('b = 3') ? 0 : 1)"], timeoutSeconds: 30 },
        { name: 'fails', command: [process.execPath, '-e', 'console.log("boom"); process.exit(2)'], timeoutSeconds: 30 },
      ],
    });
    assert.deepEqual(results.map((r) => [r.name, r.ok, r.exitCode]), [['sees the change', true, 0], ['fails', false, 2]]);
    assert.match(results[1]!.outputTail, /boom/);
    assert.match(readFileSync(path.join(root, 'src/app.ts'), 'utf8'), /b = 2/);
    assert.ok(existsSync(path.join(root, 'src/app.ts')));
  });
});

describe('self-modification protocol', () => {
  const file = (path: string, content: string) => ({ path, op: 'create' as const, baseHash: null, content, added: 1, removed: 0 });
  it('accepts valid agent definitions and templates, refuses ones that would not load', async () => {
    const b = await memoryBoard();
    const good = JSON.stringify({ agents: [{ name: 'echo', driver: 'command', command: 'node', args: ['-e', '1'] }] });
    const ok = b.run<Proposal>({ type: 'proposal.submit', title: 'add agent', rationale: 'r', files: [file('.dreamos/agents.json', good)] });
    assert.equal(ok.status, 'pending');
    assert.throws(() => b.run({ type: 'proposal.submit', title: 'bad agent', rationale: 'r', files: [file('.dreamos/agents.json', JSON.stringify({ agents: [{ name: 'x', driver: 'teleport' }] }))] }), (e: DreamError) => e.code === 'invalid_input' && /agent definitions would not load/.test(e.message));
    assert.throws(() => b.run({ type: 'proposal.submit', title: 'bad json', rationale: 'r', files: [file('.dreamos/agents.json', '{ nope')] }), /not valid JSON/);
    assert.throws(() => b.run({ type: 'proposal.submit', title: 'bad template', rationale: 'r', files: [file('.dreamos/prompts/x.md', 'Do {{task.nonsense}}')] }), /prompt template would not load/);
    b.run({ type: 'proposal.submit', title: 'good template', rationale: 'r', files: [file('.dreamos/prompts/x.md', 'Do {{task.title}}')] });
    assert.throws(() => b.run({ type: 'proposal.submit', title: 'board', rationale: 'r', files: [file('.dreamos/hub.json', '{}')] }), /board data/);
  });
});
