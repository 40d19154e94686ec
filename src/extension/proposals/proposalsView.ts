import * as vscode from 'vscode';
import type { Proposal, ProposalFile, ProposalSummary } from '../../core/proposals/proposalModel';
import type { BoardSession } from '../boardSession';
import { Disposable } from '../lifecycle';
import { escapeMd } from '../views/tasksView';
import { parseProposalUri } from './proposalUri';

export type ProposalNode = { kind: 'proposal'; proposal: ProposalSummary } | { kind: 'file'; proposal: ProposalSummary; file: ProposalFile };

const ICON: Record<Proposal['status'], [string, string?]> = {
  pending: ['git-pull-request', 'charts.blue'],
  validating: ['sync~spin'],
  approved: ['pass', 'charts.green'],
  applied: ['pass-filled', 'charts.green'],
  rejected: ['circle-slash', 'disabledForeground'],
  rolled_back: ['discard', 'charts.orange'],
  conflicted: ['warning', 'charts.orange'],
};

export class ProposalsTreeProvider extends Disposable implements vscode.TreeDataProvider<ProposalNode> {
  private readonly changed = this._register(new vscode.EventEmitter<ProposalNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly session: BoardSession) {
    super();
    this._register(session.onDidChangeBoard((c) => (c.full || c.proposals.size) && this.changed.fire(undefined)));
  }

  getChildren(node?: ProposalNode): ProposalNode[] {
    if (!node) return this.session.current.proposals.map((proposal) => ({ kind: 'proposal', proposal }));
    if (node.kind === 'proposal') return node.proposal.files.map((file) => ({ kind: 'file', proposal: node.proposal, file }));
    return [];
  }

  getTreeItem(node: ProposalNode): vscode.TreeItem {
    if (node.kind === 'proposal') {
      const p = node.proposal;
      const item = new vscode.TreeItem(p.title, p.status === 'pending' || p.status === 'conflicted' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.id = p.id;
      const checks = p.validation.state === 'none' ? '' : ` · checks ${p.validation.state}`;
      item.description = `${p.status.replace('_', ' ')}${checks} · ${p.files.length} file${p.files.length === 1 ? '' : 's'}`;
      const [icon, color] = ICON[p.status];
      item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
      item.contextValue = `proposal:${p.status}`;
      const why = p.statusReason ? `\n\n*${escapeMd(p.status.replace('_', ' '))}: ${escapeMd(p.statusReason.slice(0, 1_000))}*` : '';
      item.tooltip = new vscode.MarkdownString(`**${escapeMd(p.title)}**${why}\n\n${escapeMd(p.rationale.slice(0, 1_500))}\n\n\`${p.id}\``);
      return item;
    }
    const f = node.file;
    const item = new vscode.TreeItem(f.path.split('/').pop() ?? f.path);
    item.id = `${node.proposal.id}:${f.path}`;
    item.description = `${f.path.includes('/') ? `${f.path.slice(0, f.path.lastIndexOf('/'))} · ` : ''}+${f.added} −${f.removed}${f.op === 'modify' ? '' : ` · ${f.op}`}`;
    item.resourceUri = vscode.Uri.file(f.path);
    item.iconPath = vscode.ThemeIcon.File;
    item.contextValue = `proposalFile:${node.proposal.status}`;
    item.command = { command: 'dreamos.proposal.openFile', title: 'Open Diff', arguments: [node] };
    return item;
  }
}

/**
 * `dreamos.proposalStatus`: the status of the proposal open in the active diff editor, so its title
 * bar offers only what can work (Approve on pending, Check Again on conflicted).
 */
export class ProposalStatusContext extends Disposable {
  private last: string | undefined = '';

  constructor(private readonly session: BoardSession) {
    super();
    this._register(vscode.window.onDidChangeActiveTextEditor(() => this.update()));
    this._register(session.onDidChange(() => this.update()));
    this.update();
  }

  private update(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const id = uri ? parseProposalUri(uri)?.proposalId : undefined;
    const status = id ? this.session.current.proposals.find((p) => p.id === id)?.status : undefined;
    if (status === this.last) return;
    this.last = status;
    void vscode.commands.executeCommand('setContext', 'dreamos.proposalStatus', status);
  }
}
