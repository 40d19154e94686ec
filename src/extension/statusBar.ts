import * as vscode from 'vscode';
import type { BoardSession } from './boardSession';
import { Disposable } from './lifecycle';

/** Agents busy/idle, tasks ready/running and what needs the person, at a glance. */
export class StatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('dreamos.status', vscode.StatusBarAlignment.Left, 50));

  constructor(private readonly session: BoardSession) {
    super();
    this.item.name = 'Dream.OS';
    this.item.command = 'dreamos.openDashboard';
    this._register(session.onDidChangeBoard((c) => (c.full || c.tasks.size || c.agents.size) && this.update()));
    this.update();
  }

  update(): void {
    if (!vscode.workspace.getConfiguration('dreamos').get<boolean>('statusBar.enabled', true)) return this.item.hide();
    const { tasks, agents } = this.session.current;
    if (!this.session.isOpen) return this.item.hide();
    const n = (s: string[]) => tasks.filter((t) => s.includes(t.status)).length;
    const busy = agents.filter((a) => a.status === 'busy').length;
    const idle = agents.filter((a) => a.status === 'idle').length;
    const attention = n(['failed', 'blocked', 'review']) + agents.filter((a) => a.status === 'stalled' || a.status === 'error').length;
    this.item.text = `$(organization) ${busy}/${busy + idle} $(tasklist) ${n(['ready'])} ready · ${n(['claimed', 'running'])} running${attention ? ` $(bell-dot) ${attention}` : ''}`;
    this.item.tooltip = `Dream.OS: ${busy} agents busy, ${idle} idle; ${n(['ready'])} tasks ready, ${n(['claimed', 'running'])} running; ${attention} need you. Click to open the dashboard.`;
    this.item.backgroundColor = attention ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.accessibilityInformation = { label: this.item.tooltip };
    this.item.show();
  }
}
