/**
 * The Dream.OS dashboard. Runs in a VS Code webview (and later in a browser tab served by the
 * hub): it talks only through the typed protocol in src/protocol/dashboard.ts.
 */
import type { Agent, Task, TaskStatus } from '../../src/core/board/model';
import type { BoardEvent } from '../../src/core/events/events';
import type { DashboardAction, DashboardState, HostToWebview, WebviewToHost } from '../../src/protocol/dashboard';
import './styles.css';

interface VsCodeApi {
  postMessage(m: WebviewToHost): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
const COLUMNS: { title: string; statuses: TaskStatus[] }[] = [
  { title: 'Ready', statuses: ['ready', 'waiting'] },
  { title: 'In progress', statuses: ['claimed', 'running'] },
  { title: 'Review', statuses: ['review'] },
  { title: 'Needs attention', statuses: ['blocked', 'failed'] },
  { title: 'Done', statuses: ['done', 'cancelled'] },
];
const MAX_CARDS = 200; // per column; the rest is summarised (a virtualised list comes with the full dashboard)
const PRIORITY = ['low', 'normal', 'high', 'critical'];

let state: DashboardState | undefined;
let timeline: BoardEvent[] = ((vscode.getState() as { timeline?: BoardEvent[] } | undefined)?.timeline ?? []).slice(-50);
let nextRequest = 1;
const pending = new Map<number, (ok: boolean, error?: string) => void>();

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

function request(r: DashboardAction): Promise<void> {
  const requestId = nextRequest++;
  vscode.postMessage({ type: 'request', requestId, request: r });
  return new Promise((resolve, reject) => pending.set(requestId, (ok, error) => (ok ? resolve() : reject(new Error(error)))));
}

function toast(text: string, kind: 'error' | 'info' = 'info'): void {
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 5000);
}

function button(label: string, title: string, onClick: () => Promise<void>): HTMLButtonElement {
  const b = h('button', { type: 'button', title, 'aria-label': title }, label);
  b.addEventListener('click', () => {
    b.disabled = true;
    onClick()
      .catch((e: Error) => toast(e.message, 'error'))
      .finally(() => (b.disabled = false));
  });
  return b;
}

function taskCard(t: Task, agents: Map<string, Agent>): HTMLElement {
  const owner = t.assignee ? (agents.get(t.assignee)?.name ?? t.assignee) : '';
  const card = h('article', { class: `card status-${t.status} prio-${t.priority}`, tabindex: '0', 'aria-label': `${t.title}, ${t.status}` });
  card.append(h('div', { class: 'card-title' }, t.title));
  card.append(h('div', { class: 'card-meta' }, [t.status, PRIORITY[t.priority] ?? '', owner && `@${owner}`].filter(Boolean).join(' · ')));
  const actions = h('div', { class: 'card-actions' });
  if (['ready', 'claimed', 'running', 'review'].includes(t.status)) actions.append(button('Done', `Mark "${t.title}" done`, () => request({ action: 'task.done', taskId: t.id, summary: 'Marked done from the dashboard' })));
  if (['failed', 'blocked', 'cancelled'].includes(t.status)) actions.append(button('Retry', `Retry "${t.title}"`, () => request({ action: 'task.retry', taskId: t.id })));
  if (!['done', 'cancelled'].includes(t.status)) actions.append(button('Cancel', `Cancel "${t.title}"`, () => request({ action: 'task.cancel', taskId: t.id })));
  card.append(actions);
  return card;
}

function agentCard(a: Agent, tasks: Map<string, Task>): HTMLElement {
  const current = a.currentTask ? tasks.get(a.currentTask)?.title : undefined;
  return h(
    'article',
    { class: `agent agent-${a.status}`, tabindex: '0', 'aria-label': `Agent ${a.name}, ${a.status}` },
    h('div', { class: 'agent-name' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), a.name),
    h('div', { class: 'card-meta' }, `${a.status} · ${a.driver}`),
    h('div', { class: 'card-meta' }, current ? `→ ${current}` : 'no task'),
  );
}

function newTaskForm(): HTMLElement {
  const form = h('form', { class: 'new-task', 'aria-label': 'Create a task' });
  const title = h('input', { type: 'text', name: 'title', placeholder: 'New task title…', 'aria-label': 'Task title', maxlength: '200', required: '' });
  const prio = h('select', { name: 'priority', 'aria-label': 'Priority' }, ...PRIORITY.map((p) => h('option', p === 'normal' ? { value: p, selected: '' } : { value: p }, p)));
  form.append(title, prio, h('button', { type: 'submit' }, 'Add task'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const t = title.value.trim();
    if (!t) return toast('A task needs a title.', 'error');
    request({ action: 'task.create', title: t, priority: prio.value as 'normal' })
      .then(() => (title.value = ''))
      .catch((err: Error) => toast(err.message, 'error'));
  });
  return form;
}

function render(): void {
  if (!state) return;
  const tasks = new Map(state.tasks.map((t) => [t.id, t]));
  const agents = new Map(state.agents.map((a) => [a.id, a]));
  const count = (s: TaskStatus[]) => state!.tasks.filter((t) => s.includes(t.status)).length;
  const focused = document.activeElement?.getAttribute('aria-label');
  app.replaceChildren();
  app.setAttribute('aria-busy', 'false');
  app.append(
    h('header', {}, h('h1', {}, 'Dream.OS'), h('span', { class: 'muted' }, `${state.tasks.length} tasks · ${state.agents.length} agents · ${count(['claimed', 'running'])} running · this window is the ${state.role}`)),
    newTaskForm(),
  );
  const agentRow = h('section', { class: 'agents', 'aria-label': 'Agents' });
  if (state.agents.length === 0) agentRow.append(h('p', { class: 'muted' }, 'No agents registered yet.'));
  for (const a of state.agents) agentRow.append(agentCard(a, tasks));
  app.append(h('h2', {}, 'Agents'), agentRow);
  const board = h('section', { class: 'board', 'aria-label': 'Board' });
  for (const col of COLUMNS) {
    const list = state.tasks.filter((t) => col.statuses.includes(t.status));
    const column = h('div', { class: 'column', role: 'list', 'aria-label': `${col.title}, ${list.length} tasks` }, h('h3', {}, `${col.title} `, h('span', { class: 'badge' }, String(list.length))));
    for (const t of list.slice(0, MAX_CARDS)) column.append(taskCard(t, agents));
    if (list.length > MAX_CARDS) column.append(h('p', { class: 'muted' }, `…and ${list.length - MAX_CARDS} more`));
    board.append(column);
  }
  app.append(h('h2', {}, 'Board'), board);
  const tl = h('ol', { class: 'timeline', 'aria-label': 'Activity' });
  for (const e of [...timeline].reverse().slice(0, 30)) {
    tl.append(h('li', {}, h('time', {}, new Date(e.at).toLocaleTimeString()), ` ${e.type} `, h('span', { class: 'muted' }, `${e.subject} by ${e.actor}`)));
  }
  app.append(h('h2', {}, 'Activity'), tl);
  if (focused) (app.querySelector(`[aria-label="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
}

window.addEventListener('message', (ev: MessageEvent<HostToWebview>) => {
  const m = ev.data;
  switch (m.type) {
    case 'state':
      state = m.state;
      render();
      break;
    case 'events':
      timeline = [...timeline, ...m.events].slice(-200);
      vscode.setState({ timeline: timeline.slice(-50) });
      render();
      break;
    case 'response':
      pending.get(m.requestId)?.(m.ok, m.ok ? undefined : m.error);
      pending.delete(m.requestId);
      break;
  }
});

vscode.postMessage({ type: 'ready' });
