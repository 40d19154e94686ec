import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import type { BoardSession } from '../boardSession';
import { Disposable } from '../lifecycle';
import { parseProposalUri } from './proposalUri';

/** A file as it was at a commit of the workspace's repository ('' when it did not exist there). */
function gitShow(root: string, commit: string, file: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('git', ['show', `${commit}:${file}`], { cwd: root, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } }, (err, stdout) => resolve(err ? '' : stdout));
  });
}

/**
 * Serves the read-only sides of each diff: the proposed side from the board; the base side of a
 * branch proposal (a task's worktree, base..head) from git at its base commit, so its diff shows
 * exactly the agent's change whatever the person's tree holds now.
 */
export class ProposalDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly session: BoardSession,
    private readonly root: () => string,
  ) {
    super();
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = parseProposalUri(uri);
    if (!ref) return '// Dream.OS: this proposal link is malformed.';
    const p = await this.session.call({ type: 'proposal.show', proposalId: ref.proposalId });
    const file = p.files.find((f) => f.path === ref.path);
    if (!file) return `// Dream.OS: proposal ${ref.proposalId} does not change ${ref.path}.`;
    if (ref.side === 'base') return p.git && file.op !== 'create' ? gitShow(this.root(), p.git.baseCommit, file.path) : '';
    return file.content ?? '';
  }
}
