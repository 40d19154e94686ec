/**
 * The task details pane: everything `task.show` returns (history, evidence, dependencies, the
 * result), and the actions a person can take on the task. It re-fetches when an event touches the
 * task it shows, and ignores answers to questions it no longer asks.
 */
import type { DashboardRequest, DashboardResults, RunDigest, TaskDetails } from '../../src/protocol/dashboard';
import type { RunUsage } from '../../src/core/runs/runModel';
import { plural } from '../../src/protocol/names';
import { actionButton, ago, clock, count, h, priorityName, toast } from './dom';
import type { BoardModel } from './dashboardModel';

type Request = <A extends DashboardRequest['action']>(r: Extract<DashboardRequest, { action: A }>) => Promise<DashboardResults[A]>;

export interface DetailsHooks {
  request: Request;
  /** Select another task (a dependency, a subtask). */
  open(taskId: string): void;
  /** Close the pane and give the keyboard back to the board (absent: the pane is the whole page, as in the editor's details view). */
  close?(): void;
}

export class DetailsPane {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  taskId: string | undefined;
  private asked = 0;

  constructor(
    private readonly model: BoardModel,
    private readonly hooks: DetailsHooks,
  ) {
    this.body = h('div', { class: 'details-body' });
    this.el = h('aside', { class: 'details', 'aria-label': 'Task details' }, this.body);
    this.el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && this.hooks.close) {
        ev.preventDefault();
        this.hooks.close();
      }
    });
    this.placeholder();
  }

  private placeholder(): void {
    this.el.classList.add('no-task');
    this.body.replaceChildren(h('h2', { class: 'details-title' }, 'Task details'), h('p', { class: 'muted' }, 'Select a task (click it, or Enter on a focused card) to see its history, evidence and dependencies.'));
  }

  /** Shows a task (or nothing). Returns when its details are on screen. */
  async show(taskId: string | undefined, focus = false): Promise<void> {
    this.taskId = taskId;
    const ask = ++this.asked;
    if (!taskId) return this.placeholder();
    this.el.classList.remove('no-task');
    const card = this.model.tasks.get(taskId);
    if (!this.body.querySelector(`[data-for="${taskId}"]`)) {
      this.body.replaceChildren(h('h2', { class: 'details-title', tabindex: '-1' }, card?.title ?? taskId), h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…'));
      if (focus) this.focusTitle();
    }
    try {
      const d = await this.hooks.request({ action: 'task.show', taskId });
      if (ask === this.asked) this.render(d, focus);
    } catch (e) {
      if (ask === this.asked) this.body.replaceChildren(h('h2', { class: 'details-title', tabindex: '-1' }, card?.title ?? taskId), h('p', { class: 'error', role: 'alert' }, (e as Error).message));
    }
  }

  /** Re-fetches if the shown task is among those that just changed. */
  touched(ids: Iterable<string>): void {
    if (!this.taskId) return;
    for (const id of ids) if (id === this.taskId) return void this.show(this.taskId);
  }

  focusTitle(): void {
    this.body.querySelector<HTMLElement>('.details-title')?.focus();
  }

  private render(d: TaskDetails, focus: boolean): void {
    const t = d.task;
    const hadFocus = this.el.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.key : undefined;
    const title = h('h2', { class: 'details-title', tabindex: '-1', 'data-for': t.id }, t.title);
    const head = h('div', { class: 'details-head' }, title);
    if (this.hooks.close) {
      const close = h('button', { type: 'button', class: 'icon', 'aria-label': 'Close details (Escape)', title: 'Close details (Escape)', 'data-key': 'close' }, '×');
      close.addEventListener('click', () => this.hooks.close?.());
      head.append(close);
    }
    const owner = this.model.agentName(t.assignee);
    const facts: [string, string][] = [
      ['Status', t.status],
      ['Priority', priorityName(t.priority)],
      ['Kind', t.kind],
      ['Assignee', owner || 'nobody'],
      ['Attempts', `${t.attempts} of ${t.maxAttempts}`],
      ...(t.lease ? ([['Lease', `expires ${clock(t.lease.expiresAt)}`]] as [string, string][]) : []),
      ['Created', `${clock(t.createdAt)} by ${this.model.who(t.createdBy)}`],
      ['Updated', ago(t.updatedAt)],
      ...(t.tags.length ? ([['Tags', t.tags.join(', ')]] as [string, string][]) : []),
      ...(d.usage?.runs ? ([['Tokens & cost', usageLine(d.usage)]] as [string, string][]) : []),
      ['Id', t.id],
    ];
    const dl = h('dl', { class: 'facts' });
    for (const [k, v] of facts) dl.append(h('dt', {}, k), h('dd', {}, v));

    const parts: Node[] = [head, dl, this.actions(d)];
    if (t.description) parts.push(h('h3', {}, 'Description'), h('p', { class: 'prose' }, t.description));
    if (t.resultSummary) parts.push(h('h3', {}, 'Result'), h('p', { class: 'prose' }, t.resultSummary));
    if (t.evidence.length) {
      parts.push(h('h3', {}, 'Evidence'), h('ul', { class: 'evidence' }, ...t.evidence.map((e) => h('li', {}, h('span', { class: 'pill' }, e.kind), ` ${this.model.named(e.summary)}`))));
    }
    if (d.runs?.length) parts.push(this.runs(d.runs));
    parts.push(this.links('Depends on', t.dependsOn), this.links('Needed by', d.dependents), this.links('Subtasks', d.subtasks));
    const history = h('ol', { class: 'history', 'aria-label': 'History, newest first' });
    for (const e of [...d.history].reverse()) {
      history.append(h('li', {}, h('time', {}, clock(e.at)), ` ${e.from ?? 'new'} → ${e.to} `, h('span', { class: 'muted' }, `by ${this.model.who(e.actor)}${e.reason ? ` — ${this.model.named(e.reason)}` : ''}`)));
    }
    parts.push(h('h3', {}, 'History'), history);
    this.body.replaceChildren(...parts);
    if (focus) this.focusTitle();
    else if (hadFocus) this.body.querySelector<HTMLElement>(`[data-key="${hadFocus}"]`)?.focus();
  }

  /** The task's runs: who ran it, how it ended, its tokens and cost, and the newest run's transcript. */
  private runs(runs: RunDigest[]): Node {
    const list = h('ol', { class: 'runs', 'aria-label': 'Runs, newest first' });
    for (const r of runs) {
      const ended = r.endedAt ? `, ${r.status} at ${clock(r.endedAt)}` : `, ${r.status}`;
      const li = h('li', {}, h('strong', {}, `Run ${r.run}`), ` by ${this.model.who(r.agentId)} from ${clock(r.startedAt)}${ended}`, h('div', { class: 'muted small' }, usageLine(r, false)));
      if (r.error) li.append(h('div', { class: 'error small' }, this.model.named(r.error)));
      if (r.transcript) {
        const lines = r.transcript.length ? r.transcript : ['(no events recorded)'];
        const pre = h('pre', { class: 'transcript', tabindex: '0', 'aria-label': `Transcript of run ${r.run}` }, lines.join('\n'));
        const open = r === runs[0];
        const box = h('details', { class: 'transcript-box', ...(open ? { open: '' } : {}) }, h('summary', {}, `Transcript (${plural(lines.length, 'line')}${r.dropped ? `, ${r.dropped} earlier left out` : ''})`), pre);
        li.append(box);
      }
      list.append(li);
    }
    return h('div', {}, h('h3', {}, 'Runs'), list);
  }

  private links(label: string, ids: string[]): Node {
    if (!ids.length) return document.createDocumentFragment();
    const list = h('ul', { class: 'links' });
    for (const id of ids) {
      const other = this.model.tasks.get(id);
      const b = h('button', { type: 'button', class: 'link', 'data-key': `link-${id}` }, other ? `${other.title} (${other.status})` : id);
      b.addEventListener('click', () => this.hooks.open(id));
      list.append(h('li', {}, b));
    }
    return h('div', {}, h('h3', {}, label), list);
  }

  private actions(d: TaskDetails): HTMLElement {
    const t = d.task;
    const id = t.id;
    const bar = h('div', { class: 'actions', role: 'group', 'aria-label': 'Task actions' });
    // The host says what may be done now (the one action table); the pane only lays it out.
    const offered = new Map(d.actions.map((a) => [a.action, a.label]));
    const done = async (summary: string) => this.hooks.request({ action: 'task.done', taskId: id, summary });
    if (offered.has('done')) {
      const summary = h('input', { type: 'text', 'aria-label': 'What was done', placeholder: 'What was done…', maxlength: '2000', 'data-key': 'summary' });
      const b = actionButton('Mark done', `Mark done: ${t.title}`, () => done(summary.value.trim() || 'Marked done from the dashboard'), 'primary');
      b.dataset.key = 'done';
      bar.append(h('div', { class: 'row' }, summary, b));
    }
    const row = h('div', { class: 'row' });
    const reserve = h('div', { class: 'row' });
    const retry = offered.get('retry');
    if (retry) {
      const b = actionButton(retry, `${retry}: ${t.title}`, () => this.hooks.request({ action: 'task.retry', taskId: id }));
      b.dataset.key = 'retry';
      row.append(b);
    }
    if (offered.has('cancel')) {
      const b = actionButton('Cancel task', `Cancel task: ${t.title}`, () => this.hooks.request({ action: 'task.cancel', taskId: id }));
      b.dataset.key = 'cancel';
      row.append(b);
    }
    if (offered.has('assign')) {
      // Reassign reserves the task for one agent (releasing it first if someone holds it).
      const agents = this.model.agents.filter((a) => a.status !== 'retired');
      const select = h('select', { 'aria-label': 'Reserve for agent', 'data-key': 'assignee' }, h('option', { value: '' }, 'any agent'), ...agents.map((a) => h('option', { value: a.id, selected: a.id === t.assignee ? '' : false }, a.name)));
      const assign = actionButton('Reassign', `Reassign: ${t.title}`, async () => {
        await this.hooks.request({ action: 'task.assign', taskId: id, agentId: select.value || null });
        toast(select.value ? `Reserved for ${this.model.agentName(select.value)}.` : 'Any agent may take it now.');
      });
      assign.dataset.key = 'assign';
      reserve.append(h('label', { class: 'inline' }, 'Reserve for ', select), assign);
    }
    if (row.childElementCount) bar.append(row);
    if (reserve.childElementCount) bar.append(reserve);
    return bar;
  }
}

/** "1,200 in / 340 out tokens, $0.0123 (estimate)": the webview's own, without the core's zod import. */
function usageLine(u: RunUsage, runs = true): string {
  const n = (x: number) => count(x);
  const cost = u.costUsd > 0 ? `, $${u.costUsd.toFixed(u.costUsd < 0.01 ? 6 : 4)}${u.costEstimated ? ' (estimate)' : ''}` : '';
  return `${runs ? `${plural(u.runs, 'run')}, ` : ''}${n(u.inputTokens)} in / ${n(u.outputTokens)} out tokens${u.cachedTokens ? ` (${n(u.cachedTokens)} cached)` : ''}${cost}`;
}
