/**
 * Proposals never get stuck, and every host approves the same way: a validation or an apply that
 * throws ends where the person can act again, with the reason shown; a conflicted proposal can be
 * checked again; pre- and post-apply checks come from one file for the CLI and Discord; content
 * that is not text is refused by the hub whatever path it came by. Real sql.js boards, real files,
 * real check processes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { DreamError } from '../../src/core/errors';
import { nodeWriter, type FileWriter } from '../../src/core/proposals/apply';
import { approveAndApply, boardWorkspace, checkAgain, type ProposalWorkspace } from '../../src/core/proposals/approval';
import { readCheckFile } from '../../src/core/proposals/proposalChecks';
import type { Proposal } from '../../src/core/proposals/proposalModel';
import { prepareSubmission } from '../../src/core/proposals/prepare';
import { SLASH } from '../../src/integrations/discord/slashCommands';
import { memoryBoard } from './helpers/memoryBoard';

const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { contributes: { menus: Record<string, { command: string; when?: string }[]> } };

function workspace(): { root: string; boardDir: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dreamos-trust-'));
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'src/app.ts'), 'export const a = 1;\nexport const b = 2;\n');
  mkdirSync(path.join(root, '.dreamos'));
  return { root, boardDir: path.join(root, '.dreamos') };
}

/** A board as hosts see it: `call` runs each command in its own transaction, as the hub does. */
async function board() {
  const b = await memoryBoard();
  return { b, caller: b.port('human:test') };
}

const check = (name: string, js: string) => ({ name, command: [process.execPath, '-e', js], timeoutSeconds: 30 });
const passes = check('passes', 'process.exit(0)');
const bMustBe2 = check('b must be 2', "process.exit(require('fs').readFileSync('src/app.ts','utf8').includes('b = 2') ? 0 : 3)");

async function submit(b: Awaited<ReturnType<typeof memoryBoard>>, root: string, files: unknown[] = [{ path: 'src/app.ts', content: 'export const a = 1;\nexport const b = 3;\n' }]) {
  const prepared = await prepareSubmission(root, { files });
  return b.run<Proposal>({ type: 'proposal.submit', title: 'Bump b', rationale: 'the spec says 3', files: prepared });
}

const show = (b: Awaited<ReturnType<typeof memoryBoard>>, id: string) => b.run<Proposal>({ type: 'proposal.show', proposalId: id });

describe('proposal states that could never be left', () => {
  it('a validation that throws ends pending, checks failed, with the error as the reason', async () => {
    const { root, boardDir } = workspace();
    const { b, caller } = await board();
    const p = await submit(b, root);
    // A named pipe in the workspace: copying the tree into the scratch folder throws.
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    await assert.rejects(approveAndApply(caller, { root, boardDir, checks: [passes] }, p.id, { via: 'test' }), (e: DreamError) => /could not run/.test(e.message) && /pipe|FIFO/i.test(e.message));
    const after = show(b, p.id);
    assert.equal(after.status, 'pending', 'back where the person can act');
    assert.equal(after.validation.state, 'failed');
    assert.match(after.statusReason, /checks could not run: .*(pipe|FIFO)/i);
    assert.match(after.validation.results[0]!.outputTail, /pipe|FIFO/i);
    // Once the cause is gone, checking again runs the checks and the proposal can be approved.
    rmSync(path.join(root, 'pipe'));
    const again = await checkAgain(caller, { root, boardDir, checks: [passes] }, p.id);
    assert.equal(again.proposal.validation.state, 'passed');
    assert.equal((await approveAndApply(caller, { root, boardDir, checks: [passes] }, p.id, { via: 'test' })).result, 'applied');
  });

  it('a proposal left validating by a host that died can be checked again', async () => {
    const { root, boardDir } = workspace();
    const { b, caller } = await board();
    const p = await submit(b, root);
    b.run({ type: 'proposal.validating', proposalId: p.id }); // …and the host that started the checks is gone
    const again = await checkAgain(caller, { root, boardDir, checks: [passes] }, p.id);
    assert.deepEqual([again.proposal.status, again.proposal.validation.state], ['pending', 'passed']);
  });

  it('an apply that throws after approval goes back to pending with the reason in the audit, and can be approved again', async () => {
    const { root, boardDir } = workspace();
    const { b, caller } = await board();
    const p = await submit(b, root, [{ path: 'notes/todo.md', content: '- ship it\n' }]);
    writeFileSync(path.join(root, 'notes'), 'a file where the proposal expects a folder\n');
    await assert.rejects(approveAndApply(caller, { root, boardDir }, p.id, { via: 'test' }), (e: DreamError) => /Applying "Bump b" failed/.test(e.message) && /approve it again|reject/.test(e.message));
    const after = show(b, p.id);
    assert.equal(after.status, 'pending');
    assert.match(after.statusReason, /apply failed: .*ENOTDIR/);
    assert.ok(after.audit.some((a) => a.action === 'pending' && /apply failed/.test(a.detail)), 'the reason is in the audit');
    rmSync(path.join(root, 'notes'));
    assert.equal((await approveAndApply(caller, { root, boardDir }, p.id, { via: 'test' })).result, 'applied');
    assert.equal(readFileSync(path.join(root, 'notes/todo.md'), 'utf8'), '- ship it\n');
  });

  it('a writer that refuses half-way restores the files and leaves the proposal pending', async () => {
    const { root, boardDir } = workspace();
    const { b, caller } = await board();
    const p = await submit(b, root, [
      { path: 'src/app.ts', content: 'export const a = 1;\nexport const b = 3;\n' },
      { path: 'src/new.ts', content: 'export {};\n' },
    ]);
    let writes = 0;
    // As the editor's WorkspaceEdit writer does when the editor refuses an edit.
    const refusing: FileWriter = { write: async (abs, bytes) => (++writes === 2 ? Promise.reject(new Error(`The editor refused to write ${abs}.`)) : nodeWriter.write(abs, bytes)), delete: nodeWriter.delete };
    await assert.rejects(approveAndApply(caller, { root, boardDir, writer: refusing }, p.id, { via: 'test' }), /refused to write/);
    assert.equal(readFileSync(path.join(root, 'src/app.ts'), 'utf8'), 'export const a = 1;\nexport const b = 2;\n', 'restored');
    assert.equal(show(b, p.id).status, 'pending');
  });

  it('a conflicted proposal is not approvable; Check Again moves it back to pending once the files match their base', async () => {
    const { root, boardDir } = workspace();
    const { b, caller } = await board();
    const p = await submit(b, root);
    const original = readFileSync(path.join(root, 'src/app.ts'));
    writeFileSync(path.join(root, 'src/app.ts'), 'someone else edited this\n');
    await assert.rejects(approveAndApply(caller, { root, boardDir }, p.id, { via: 'test' }), (e: DreamError) => e.code === 'conflict');
    assert.equal(show(b, p.id).status, 'conflicted');
    assert.throws(() => b.run({ type: 'proposal.approve', proposalId: p.id }), (e: DreamError) => e.code === 'conflict' && /Check Again/.test(e.message) && /reject/i.test(e.message));

    const still = await checkAgain(caller, { root, boardDir }, p.id);
    assert.deepEqual([still.proposal.status, still.conflicts], ['conflicted', ['src/app.ts']]);
    writeFileSync(path.join(root, 'src/app.ts'), original);
    const back = await checkAgain(caller, { root, boardDir }, p.id);
    assert.deepEqual([back.proposal.status, back.conflicts], ['pending', []]);
    assert.match(back.proposal.statusReason, /match/);
    assert.equal((await approveAndApply(caller, { root, boardDir }, p.id, { via: 'test' })).result, 'applied');
  });

  it('the board moves only conflicted proposals back with proposal.reopen', async () => {
    const { root } = workspace();
    const { b } = await board();
    const p = await submit(b, root);
    assert.throws(() => b.run({ type: 'proposal.reopen', proposalId: p.id, detail: 'x' }), (e: DreamError) => e.code === 'invalid_transition');
  });

  it('views offer Approve only on pending proposals, and Check Again and Reject on conflicted ones', () => {
    const menus = Object.values(pkg.contributes.menus).flat();
    const offered = (command: string, item: string) =>
      menus.some((m) => {
        if (m.command !== command || !m.when) return false;
        const re = /viewItem =~ \/(.+?)\/(?:\s|$)/.exec(m.when)?.[1];
        const eq = /viewItem == ([\w:]+)/.exec(m.when)?.[1];
        return re ? new RegExp(re).test(item) : eq === item;
      });
    for (const item of ['proposal:conflicted', 'inbox:proposal:conflicted', 'proposal:approved', 'proposal:validating']) assert.equal(offered('dreamos.proposal.approve', item), false, `no Approve on ${item}`);
    assert.equal(offered('dreamos.proposal.approve', 'proposal:pending'), true);
    for (const item of ['proposal:conflicted', 'inbox:proposal:conflicted']) {
      assert.equal(offered('dreamos.proposal.checkAgain', item), true, `Check Again on ${item}`);
      assert.equal(offered('dreamos.proposal.reject', item), true, `Reject on ${item}`);
    }
    assert.equal(offered('dreamos.proposal.reject', 'proposal:approved'), false, 'approved cannot become rejected');
    const title = (pkg.contributes.menus['editor/title'] ?? []).find((m) => m.command === 'dreamos.proposal.approve');
    assert.match(title?.when ?? '', /dreamos\.proposalStatus == pending/, 'the diff editor offers Approve only for a pending proposal');
  });
});

describe('one approval path with the same checks', () => {
  it('checks.json gives pre-apply and post-apply checks, validated, with clear errors', async () => {
    const { boardDir } = workspace();
    const file = path.join(boardDir, 'checks.json');
    assert.deepEqual(await readCheckFile(file), { checks: [], postApply: [] }, 'no file: no checks');
    writeFileSync(file, JSON.stringify([{ name: 'tests', command: ['npm', 'test'] }]));
    assert.deepEqual((await readCheckFile(file)).checks.map((c) => c.name), ['tests'], 'a plain list is still the pre-apply checks');
    writeFileSync(file, JSON.stringify({ checks: [{ name: 'tests', command: ['npm', 'test'] }], postApply: [{ name: 'build', command: ['npm', 'run', 'build'], timeoutSeconds: 60 }] }));
    const both = await readCheckFile(file);
    assert.deepEqual([both.checks.map((c) => c.name), both.postApply.map((c) => [c.name, c.timeoutSeconds])], [['tests'], [['build', 60]]]);
    writeFileSync(file, JSON.stringify({ postapply: [] }));
    await assert.rejects(readCheckFile(file), (e: DreamError) => e.code === 'invalid_input' && /postapply/.test(e.message) && /"postApply"/.test(e.message));
    writeFileSync(file, JSON.stringify({ postApply: [{ name: 'x', command: 'npm test' }] }));
    await assert.rejects(readCheckFile(file), (e: DreamError) => e.code === 'invalid_input' && /postApply/.test(e.message) && /\["program", "arg"/.test(e.message));
  });

  it('the CLI and Discord workspace runs the post-apply checks from checks.json and rolls back on failure', async () => {
    const { root, boardDir } = workspace();
    const { b, caller } = await board();
    writeFileSync(path.join(boardDir, 'checks.json'), JSON.stringify({ checks: [passes], postApply: [bMustBe2] }));
    const ws: ProposalWorkspace = await boardWorkspace(root, boardDir);
    const p = await submit(b, root);
    const r = await approveAndApply(caller, ws, p.id, { via: 'test' });
    assert.equal(r.result, 'rolled_back');
    assert.equal(readFileSync(path.join(root, 'src/app.ts'), 'utf8'), 'export const a = 1;\nexport const b = 2;\n');
    const after = show(b, p.id);
    assert.deepEqual([after.status, after.validation.state], ['rolled_back', 'passed'], 'pre-apply checks ran too');
  });

  it('Discord approval (as `dreamos discord` builds its workspace) runs the same checks and rolls back', async () => {
    const { root, boardDir } = workspace();
    const { b, caller } = await board();
    writeFileSync(path.join(boardDir, 'checks.json'), JSON.stringify({ postApply: [bMustBe2] }));
    const p = await submit(b, root);
    const reply = await SLASH.approve.run({ board: { call: caller.call, subscribe: () => ({ dispose() {} }) }, who: { id: '1', name: 'ada', roles: [] }, workspace: await boardWorkspace(root, boardDir) }, { proposal: p.id });
    assert.match(reply.kind === 'message' ? reply.content : '', /post-apply checks failed \(b must be 2\), so it was rolled back/);
    assert.equal(show(b, p.id).status, 'rolled_back');
    assert.equal(readFileSync(path.join(root, 'src/app.ts'), 'utf8'), 'export const a = 1;\nexport const b = 2;\n');
  });

  it('a pre-apply check that fails refuses the approval without an override, on every host', async () => {
    const { root, boardDir } = workspace();
    const { b, caller } = await board();
    writeFileSync(path.join(boardDir, 'checks.json'), JSON.stringify({ checks: [check('fails', 'process.exit(1)')] }));
    const p = await submit(b, root);
    await assert.rejects(approveAndApply(caller, await boardWorkspace(root, boardDir), p.id, { via: 'test' }), (e: DreamError) => e.code === 'vetoed');
    assert.deepEqual([show(b, p.id).status, show(b, p.id).validation.state], ['pending', 'failed']);
  });
});

describe('content that is not text is refused by the hub', () => {
  const file = (p: string, content: string) => ({ path: p, op: 'create' as const, baseHash: null, content, added: 1, removed: 0 });
  for (const [what, content, pattern] of [
    ['replacement characters (not UTF-8)', 'caf\uFFFD au lait\n', /U\+FFFD.*not valid UTF-8/],
    ['NUL bytes', 'PNG\0\0\0binary', /NUL/],
    ['other control characters', 'ok\n\x01\x02\x7f', /control character U\+0001/],
    ['a lone surrogate', 'half \uD800 a pair', /surrogate/],
  ] as const) {
    it(`refuses ${what}, naming the file and saying what to do`, async () => {
      const { b } = await board();
      assert.throws(
        () => b.run({ type: 'proposal.submit', title: 't', rationale: 'r', files: [file('docs/ok.md', 'fine\n'), file('assets/logo.txt', content)] }),
        (e: DreamError) => e.code === 'invalid_input' && /assets\/logo\.txt/.test(e.message) && pattern.test(e.message) && /line \d+/.test(e.message) && /text|UTF-8/.test(e.message),
      );
      assert.deepEqual(b.run<Proposal[]>({ type: 'proposal.list' }), [], 'nothing stored');
    });
  }

  it('accepts ordinary text: tabs, CRLF, form feeds, escape sequences, emoji, a BOM', async () => {
    const { b } = await board();
    const p = b.run<Proposal>({ type: 'proposal.submit', title: 't', rationale: 'r', files: [file('a.txt', '\uFEFFcol\tcol\r\n\f\x1b[1mbold\x1b[0m 🎉 é\n')] });
    assert.equal(p.status, 'pending');
  });
});
