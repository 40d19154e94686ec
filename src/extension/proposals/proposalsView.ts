import * as vscode from 'vscode';
import type { Proposal, ProposalFile } from '../../core/proposals/model';
import type { BoardSession } from '../boardSession';
import { Disposable } from '../lifecycle';
import { escapeMd } from '../views/tasksView';

export type ProposalNode = { kind: 'proposal'; proposal: Proposal } | { kind: 'file'; proposal: Proposal; file: ProposalFile };

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
    this._register(session.onDidChange(() => this.changed.fire(undefined)));
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
      item.tooltip = new vscode.MarkdownString(`**${escapeMd(p.title)}**\n\n${escapeMd(p.rationale.slice(0, 1_500))}\n\n\`${p.id}\``);
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
