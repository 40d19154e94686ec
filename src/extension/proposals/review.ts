import path from 'node:path';
import * as vscode from 'vscode';
import { restoreRecoveryPoint, validateInScratch, type FileWriter } from '../../core/proposals/apply';
import { applyApproved } from '../../core/proposals/approval';
import { CheckList, type CheckSpec } from '../../core/proposals/checks';
import type { CheckResult, Proposal } from '../../core/proposals/model';
import { DreamError } from '../../core/errors';
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

async function resolveProposal(ctx: ReviewContext, arg: unknown): Promise<Proposal | undefined> {
  let id = proposalIdOf(arg);
  if (!id) {
    const open = ctx.session.current.proposals.filter((p) => p.status === 'pending' || p.status === 'conflicted');
    if (open.length === 0) {
      void vscode.window.showInformationMessage('Dream.OS: no proposals are waiting for review.');
      return undefined;
    }
    id = (await vscode.window.showQuickPick(open.map((p) => ({ label: p.title, description: `${p.files.length} files · ${p.id}`, id: p.id })), { placeHolder: 'Which proposal?' }))?.id;
  }
  return id ? ctx.session.call<Proposal>({ type: 'proposal.show', proposalId: id }) : undefined;
}

export async function openProposalFile(ctx: ReviewContext, p: Proposal, filePath: string): Promise<void> {
  const f = p.files.find((x) => x.path === filePath);
  if (!f) return;
  const left = f.op === 'create' ? proposalUri(p.id, f.path, 'base') : vscode.Uri.file(path.join(ctx.root(), ...f.path.split('/')));
  const right = proposalUri(p.id, f.path, f.op === 'delete' ? 'base' : 'proposed');
  const label = f.op === 'create' ? 'new file' : f.op === 'delete' ? 'deleted' : 'proposed';
  await vscode.commands.executeCommand('vscode.diff', left, right, `${f.path} ↔ ${label} (${p.title})`, { preview: false });
}

function checksFrom(key: 'checks' | 'postApplyChecks'): CheckSpec[] {
  const parsed = CheckList.safeParse(vscode.workspace.getConfiguration('dreamos.proposals').get(key, []));
  if (!parsed.success) throw new DreamError('invalid_input', `The setting dreamos.proposals.${key} is not valid: ${parsed.error.issues[0]?.message ?? 'bad value'}. Each check is { "name": "...", "command": ["program", "arg", ...] }.`);
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

async function validate(ctx: ReviewContext, p: Proposal): Promise<CheckResult[] | undefined> {
  const checks = checksFrom('checks');
  if (checks.length === 0) return undefined;
  if (!ctx.trusted()) throw new DreamError('unavailable', 'This workspace is not trusted, so Dream.OS runs no checks. Trust the workspace to validate proposals.');
  await ctx.session.call({ type: 'proposal.validating', proposalId: p.id });
  ctx.output.appendLine(`\n=== Validating "${p.title}" (${p.id}) against the proposed tree ===`);
  const results = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Dream.OS: checking "${p.title}"`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      progress.report({ message: checks.map((c) => c.name).join(', ') });
      return validateInScratch({ root: ctx.root(), proposal: p, checks, onOutput: (s) => ctx.output.append(s), signal: abort.signal });
    },
  );
  await ctx.session.call({ type: 'proposal.recordValidation', proposalId: p.id, results });
  return results;
}

export async function approve(ctx: ReviewContext, arg: unknown, opts: { override?: boolean; confirm?: boolean } = {}): Promise<Proposal | undefined> {
  let p = await resolveProposal(ctx, arg);
  if (!p) return undefined;
  const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && p!.files.some((f) => d.uri.fsPath === path.join(ctx.root(), ...f.path.split('/'))));
  if (dirty.length) throw new DreamError('conflict', `Save or revert ${dirty.map((d) => vscode.workspace.asRelativePath(d.uri)).join(', ')} first: the proposal changes ${dirty.length > 1 ? 'them' : 'it'}.`);
  const results = p.validation.state === 'none' ? await validate(ctx, p) : p.validation.results;
  let override = opts.override ?? false;
  if (results?.some((r) => !r.ok) && !override) {
    const failed = results.filter((r) => !r.ok).map((r) => r.name).join(', ');
    const pick = opts.confirm === false ? undefined : await vscode.window.showWarningMessage(`Checks failed for "${p.title}": ${failed}.`, { modal: true, detail: 'See Output → Dream.OS Checks. Approving applies the change anyway.' }, 'Approve Anyway');
    if (pick !== 'Approve Anyway') {
      ctx.output.show(true);
      return undefined;
    }
    override = true;
  }
  p = await ctx.session.call<Proposal>({ type: 'proposal.approve', proposalId: p.id, override });
  const ws = { root: ctx.root(), boardDir: ctx.session.boardDir, writer: workspaceEditWriter, postChecks: ctx.trusted() ? checksFrom('postApplyChecks') : [], onOutput: (s: string) => ctx.output.append(s) };
  const outcome = await applyApproved(ctx.session, ws, p, 'from the editor');
  const { title, agentId } = outcome.proposal;
  if (outcome.result === 'conflicted') {
    const conflicts = outcome.conflicts.join(', ');
    // Not awaited: the person may answer later (or never); the command's result is the conflict.
    void vscode.window
      .showWarningMessage(`"${title}" was made against older versions of ${conflicts}. Nothing was changed.`, ...(agentId ? ['Ask Agent for a New Version'] : []))
      .then((pick) =>
        pick && agentId
          ? ctx.session.call({ type: 'mail.send', from: 'human', to: { kind: 'agent', id: agentId }, subject: `Please redo proposal: ${title}`.slice(0, 200), body: `These files changed since you proposed: ${conflicts}. Make the change again against the current versions.`, priority: 'high', requiresAck: true })
          : undefined,
      );
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

export async function reject(ctx: ReviewContext, arg: unknown, reasonArg?: string): Promise<Proposal | undefined> {
  const p = await resolveProposal(ctx, arg);
  if (!p) return undefined;
  const reason = reasonArg ?? (await vscode.window.showInputBox({ title: `Reject "${p.title}"`, prompt: 'Why? The agent gets this in its mailbox.', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'Give the agent a reason it can act on.') }));
  if (!reason) return undefined;
  const out = await ctx.session.call<Proposal>({ type: 'proposal.reject', proposalId: p.id, reason });
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
  const p = await ctx.session.call<Proposal>({ type: 'proposal.markRolledBack', proposalId: id, detail: `restored ${files.length} file(s) from the recovery point` });
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
