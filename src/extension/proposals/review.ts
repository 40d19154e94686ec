import path from 'node:path';
import * as vscode from 'vscode';
import { restoreRecoveryPoint, type FileWriter } from '../../core/proposals/apply';
import { approveWithChecks, checkAgain as checkProposalAgain, type ApprovalOptions, type ProposalWorkspace } from '../../core/proposals/approval';
import { CheckList, type CheckSpec } from '../../core/proposals/proposalChecks';
import type { Proposal, ProposalSummary } from '../../core/proposals/proposalModel';
import { DreamError, formatIssues } from '../../core/errors';
import type { BoardSession } from '../boardSession';
import type { ProposalNode } from './proposalsView';
import { parseProposalUri, proposalUri } from './proposalUri';

/**
 * The person's side of a proposal: open each file in the diff editor, validate against the
 * proposed tree, approve (with an explicit override after failed checks) or reject with a reason,
 * apply through a WorkspaceEdit with a recovery point, roll back on failed post-apply checks.
 */
export interface ReviewContext {
  readonly session: BoardSession;
  readonly output: vscode.OutputChannel;
  readonly root: () => string;
  readonly trusted: () => boolean;
}

function proposalIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && /^prp_[0-9a-f]{12}$/.test(arg)) return arg;
  if (arg instanceof vscode.Uri) return parseProposalUri(arg)?.proposalId;
  if (arg && typeof arg === 'object' && 'proposal' in arg) return (arg as ProposalNode).proposal.id;
  const active = vscode.window.activeTextEditor?.document.uri;
  return active ? parseProposalUri(active)?.proposalId : undefined;
}

async function resolveProposal(ctx: ReviewContext, arg: unknown, statuses: readonly Proposal['status'][] = ['pending', 'conflicted']): Promise<Proposal | undefined> {
  let id = proposalIdOf(arg);
  if (!id) {
    const open = ctx.session.current.proposals.filter((p) => statuses.includes(p.status));
    if (open.length === 0) {
      void vscode.window.showInformationMessage('Dream.OS: no proposals are waiting for review.');
      return undefined;
    }
    id = (await vscode.window.showQuickPick(open.map((p) => ({ label: p.title, description: `${p.files.length} files · ${p.id}`, id: p.id })), { placeHolder: 'Which proposal?' }))?.id;
  }
  return id ? ctx.session.call({ type: 'proposal.show', proposalId: id }) : undefined;
}

/**
 * The two sides of one file's diff. A branch proposal (a task's worktree) compares with its base
 * commit; an agent's submitted files compare with the person's file as it is now.
 */
function sidesOf(ctx: ReviewContext, p: ProposalSummary, f: ProposalSummary['files'][number]): { left: vscode.Uri; right: vscode.Uri; label: string } {
  const left = f.op === 'create' || p.git ? proposalUri(p.id, f.path, 'base') : vscode.Uri.file(path.join(ctx.root(), ...f.path.split('/')));
  const right = f.op === 'delete' ? proposalUri(p.id, f.path, p.git ? 'proposed' : 'base') : proposalUri(p.id, f.path, 'proposed');
  const label = f.op === 'create' ? 'new file' : f.op === 'delete' ? 'deleted' : 'proposed';
  return { left, right, label };
}

export async function openProposalFile(ctx: ReviewContext, p: ProposalSummary, filePath: string): Promise<void> {
  const f = p.files.find((x) => x.path === filePath);
  if (!f) return;
  const { left, right, label } = sidesOf(ctx, p, f);
  await vscode.commands.executeCommand('vscode.diff', left, right, `${f.path} ↔ ${label} (${p.title})`, { preview: false });
}

/** Every file of the proposal at once, in the multi-file diff editor (`vscode.changes`). */
export async function openProposalChanges(ctx: ReviewContext, arg: unknown): Promise<Proposal | undefined> {
  const p = await resolveProposal(ctx, arg, ['pending', 'conflicted', 'validating', 'approved', 'applied']);
  if (!p) return undefined;
  const rev = p.git ? ` · revision ${p.git.revision}` : '';
  const entries = p.files.map((f) => {
    const { left, right } = sidesOf(ctx, p, f);
    return [vscode.Uri.file(path.join(ctx.root(), ...f.path.split('/'))), left, right] as const;
  });
  // The editor adds "(N files)" to the title itself.
  await vscode.commands.executeCommand('vscode.changes', `${p.title}${rev}`, entries);
  return p;
}

function checksFrom(key: 'checks' | 'postApplyChecks'): CheckSpec[] {
  const parsed = CheckList.safeParse(vscode.workspace.getConfiguration('dreamos.proposals').get(key, []));
  if (!parsed.success) throw new DreamError('invalid_input', `The setting dreamos.proposals.${key} is not valid: ${formatIssues(parsed.error.issues, key).join('; ')}. Each check is { "name": "...", "command": ["program", "arg", ...] }.`);
  return parsed.data;
}

/** Writes through a WorkspaceEdit, so open editors, file watchers and undo see the change. */
const workspaceEditWriter: FileWriter = {
  async write(abs, bytes) {
    const edit = new vscode.WorkspaceEdit();
    edit.createFile(vscode.Uri.file(abs), { overwrite: true, contents: bytes });
    if (!(await vscode.workspace.applyEdit(edit))) throw new DreamError('conflict', `The editor refused to write ${abs}.`);
  },
  async delete(abs) {
    const edit = new vscode.WorkspaceEdit();
    edit.deleteFile(vscode.Uri.file(abs), { ignoreIfNotExists: true });
    if (!(await vscode.workspace.applyEdit(edit))) throw new DreamError('conflict', `The editor refused to delete ${abs}.`);
  },
};

/**
 * The workspace every approval in this window uses — the editor's own and Discord's when it runs
 * in the editor: dreamos.proposals.checks before, dreamos.proposals.postApplyChecks after, written
 * through a WorkspaceEdit. The settings are read when an approval reads them, so a change applies
 * at once. An untrusted workspace runs no checks: configured pre-apply checks then refuse.
 */
export function editorProposalWorkspace(o: { root: () => string; boardDir: string; trusted: () => boolean; output?: vscode.OutputChannel | undefined }): ProposalWorkspace {
  return {
    get root() {
      return o.root();
    },
    boardDir: o.boardDir,
    get checks() {
      const checks = checksFrom('checks');
      if (checks.length && !o.trusted()) throw new DreamError('unavailable', 'This workspace is not trusted, so Dream.OS runs no checks. Trust the workspace to validate proposals.');
      return checks;
    },
    get postChecks() {
      return o.trusted() ? checksFrom('postApplyChecks') : [];
    },
    writer: workspaceEditWriter,
    ...(o.output ? { onOutput: (s: string) => o.output!.append(s) } : {}),
  };
}

function workspaceOf(ctx: ReviewContext): ProposalWorkspace {
  return editorProposalWorkspace({ root: ctx.root, boardDir: ctx.session.boardDir, trusted: ctx.trusted, output: ctx.output });
}

/** Checks run with a progress notification the person can cancel; the output goes to Dream.OS Checks. */
function withProgress(ctx: ReviewContext): NonNullable<ApprovalOptions['aroundChecks']> {
  return (p, run) => {
    ctx.output.appendLine(`\n=== Validating "${p.title}" (${p.id}) against the proposed tree ===`);
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Dream.OS: checking "${p.title}"`, cancellable: true }, async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        progress.report({ message: p.title });
        return run(abort.signal);
      }),
    );
  };
}

function offerRedo(ctx: ReviewContext, p: Proposal, conflicts: string[]): void {
  const files = conflicts.join(', ');
  // Not awaited: the person may answer later (or never); the command's result is the conflict.
  void vscode.window
    .showWarningMessage(`"${p.title}" was made against older versions of ${files}. Nothing was changed. Put the files back and Check Again, or reject it so the agent makes a new version.`, ...(p.agentId ? ['Ask Agent for a New Version'] : []))
    .then((pick) =>
      pick && p.agentId
        ? ctx.session.call({ type: 'mail.send', from: 'human', to: { kind: 'agent', id: p.agentId }, subject: `Please redo proposal: ${p.title}`.slice(0, 200), body: `These files changed since you proposed: ${files}. Make the change again against the current versions.`, priority: 'high', requiresAck: true })
        : undefined,
    );
}

export async function approve(ctx: ReviewContext, arg: unknown, opts: { override?: boolean; confirm?: boolean } = {}): Promise<Proposal | undefined> {
  const p = await resolveProposal(ctx, arg, ['pending']);
  if (!p) return undefined;
  if (p.status === 'conflicted') {
    // Approving cannot work: the files changed. Offer what can.
    const why = `"${p.title}" is conflicted: ${p.statusReason || 'its files changed since it was made'}.`;
    if (opts.confirm === false) throw new DreamError('conflict', `${why} Check Again once the files are back as the proposal expects, or reject it with feedback for the agent.`, { proposalId: p.id });
    const pick = await vscode.window.showWarningMessage(why, { modal: true, detail: 'Check Again once the files are back as the proposal expects, or reject it with feedback for the agent.' }, 'Check Again', 'Reject…');
    if (pick === 'Check Again') return checkAgain(ctx, p.id);
    if (pick === 'Reject…') return reject(ctx, p.id);
    return undefined;
  }
  const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && p.files.some((f) => d.uri.fsPath === path.join(ctx.root(), ...f.path.split('/'))));
  if (dirty.length) throw new DreamError('conflict', `Save or revert ${dirty.map((d) => vscode.workspace.asRelativePath(d.uri)).join(', ')} first: the proposal changes ${dirty.length > 1 ? 'them' : 'it'}.`);
  const outcome = await approveWithChecks(ctx.session, workspaceOf(ctx), p.id, {
    via: 'from the editor',
    ...(opts.override !== undefined ? { override: opts.override } : {}),
    aroundChecks: withProgress(ctx),
    confirmOverride: async (prop, failed) => {
      const pick = opts.confirm === false ? undefined : await vscode.window.showWarningMessage(`Checks failed for "${prop.title}": ${failed.map((r) => r.name).join(', ')}.`, { modal: true, detail: 'See Output → Dream.OS Checks. Approving applies the change anyway.' }, 'Approve Anyway');
      if (pick !== 'Approve Anyway') ctx.output.show(true);
      return pick === 'Approve Anyway';
    },
  });
  if (outcome.result === 'not_approved') return undefined;
  const { title } = outcome.proposal;
  if (outcome.result === 'conflicted') {
    offerRedo(ctx, outcome.proposal, outcome.conflicts);
    return outcome.proposal;
  }
  if (outcome.result === 'queued') {
    void vscode.window.showInformationMessage(`Dream.OS approved "${title}": it lands through the merge queue onto ${outcome.proposal.git?.targetBranch ?? 'its target'}.`);
    await closeProposalEditors(outcome.proposal.id);
    return outcome.proposal;
  }
  if (outcome.result === 'rolled_back') {
    const failed = outcome.failed.join(', ');
    void vscode.window.showErrorMessage(`Dream.OS rolled "${title}" back: post-apply checks failed (${failed}). Your files are as they were.`, 'Show Output').then((x) => x && ctx.output.show());
    return outcome.proposal;
  }
  const n = outcome.proposal.files.length;
  void vscode.window.showInformationMessage(`Dream.OS applied "${title}" (${n} file${n === 1 ? '' : 's'}). Roll it back any time with "Dream.OS: Roll Back Proposal".`);
  await closeProposalEditors(outcome.proposal.id);
  return outcome.proposal;
}

/** Check Again: a conflicted proposal whose files match its base again is pending; the checks run again. */
export async function checkAgain(ctx: ReviewContext, arg: unknown): Promise<Proposal | undefined> {
  const p = await resolveProposal(ctx, arg, ['conflicted', 'pending', 'validating']);
  if (!p) return undefined;
  const r = await checkProposalAgain(ctx.session, workspaceOf(ctx), p.id, { aroundChecks: withProgress(ctx) });
  if (r.conflicts.length) offerRedo(ctx, r.proposal, r.conflicts);
  else {
    const checks = r.proposal.validation.state === 'none' ? '' : ` Checks ${r.proposal.validation.state}.`;
    void vscode.window.showInformationMessage(`Dream.OS: "${r.proposal.title}" matches the workspace again and waits for your review.${checks}`);
  }
  return r.proposal;
}

export async function reject(ctx: ReviewContext, arg: unknown, reasonArg?: string): Promise<Proposal | undefined> {
  const p = await resolveProposal(ctx, arg);
  if (!p) return undefined;
  const reason = reasonArg ?? (await vscode.window.showInputBox({ title: `Reject "${p.title}"`, prompt: 'Why? The agent gets this in its mailbox.', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'Give the agent a reason it can act on.') }));
  if (!reason) return undefined;
  const out = await ctx.session.call({ type: 'proposal.reject', proposalId: p.id, reason });
  await closeProposalEditors(p.id);
  return out;
}

export async function nextFile(ctx: ReviewContext, arg: unknown): Promise<void> {
  const p = await resolveProposal(ctx, arg);
  if (!p || p.files.length === 0) return;
  const current = vscode.window.activeTextEditor && parseProposalUri(vscode.window.activeTextEditor.document.uri);
  const i = current ? p.files.findIndex((f) => f.path === current.path) : -1;
  await openProposalFile(ctx, p, p.files[(i + 1) % p.files.length]!.path);
}

export async function rollback(ctx: ReviewContext, arg: unknown): Promise<Proposal | undefined> {
  const id = proposalIdOf(arg) ?? (await vscode.window.showQuickPick(ctx.session.current.proposals.filter((p) => p.status === 'applied').map((p) => ({ label: p.title, description: p.id, id: p.id })), { placeHolder: 'Roll back which applied proposal?' }))?.id;
  if (!id) return undefined;
  let files: string[];
  try {
    files = await restoreRecoveryPoint(ctx.root(), ctx.session.boardDir, id, workspaceEditWriter);
  } catch (err) {
    const e = DreamError.from(err);
    if (e.code !== 'conflict') throw e;
    const pick = await vscode.window.showWarningMessage(e.message, { modal: true }, 'Roll Back Anyway');
    if (pick !== 'Roll Back Anyway') return undefined;
    files = await restoreRecoveryPoint(ctx.root(), ctx.session.boardDir, id, workspaceEditWriter, { force: true });
  }
  const p = await ctx.session.call({ type: 'proposal.markRolledBack', proposalId: id, detail: `restored ${files.length} file(s) from the recovery point` });
  void vscode.window.showInformationMessage(`Dream.OS rolled back "${p.title}": ${files.join(', ')} restored.`);
  return p;
}

async function closeProposalEditors(proposalId: string): Promise<void> {
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      const input = tab.input;
      const uri = input instanceof vscode.TabInputTextDiff ? input.modified : input instanceof vscode.TabInputText ? input.uri : undefined;
      if (uri && parseProposalUri(uri)?.proposalId === proposalId) await vscode.window.tabGroups.close(tab);
    }
  }
}

export { proposalIdOf, resolveProposal };
