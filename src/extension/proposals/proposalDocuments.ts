import * as vscode from 'vscode';
import type { BoardSession } from '../boardSession';
import { Disposable } from '../lifecycle';
import { parseProposalUri } from './proposalUri';

/** Serves the read-only proposed side of each diff from the board. */
export class ProposalDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;

  constructor(private readonly session: BoardSession) {
    super();
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = parseProposalUri(uri);
    if (!ref) return '// Dream.OS: this proposal link is malformed.';
    if (ref.side === 'base') return '';
    const p = await this.session.call({ type: 'proposal.show', proposalId: ref.proposalId });
    const file = p.files.find((f) => f.path === ref.path);
    if (!file) return `// Dream.OS: proposal ${ref.proposalId} does not change ${ref.path}.`;
    return file.content ?? '';
  }
}
