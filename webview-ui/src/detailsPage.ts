/**
 * The editor's task details view: one task, read-only, with the actions that apply — the dashboard's
 * details pane on a page of its own (src/extension/details/taskDetailsPanel.ts hosts it). It speaks
 * the dashboard protocol to the same DashboardHost: the state gives it agents' names and the tasks
 * its links name, each delta re-fetches the task when it changed.
 */
import type { HostToClient, PROTOCOL_VERSION } from '../../src/protocol/dashboard';
import { Channel } from './channel';
import { DetailsPane } from './details';
import { h } from './dom';
import { BoardModel } from './dashboardModel';
import { createTransport } from './transport';
import './styles.css';

interface PageMemory {
  v: 1;
  taskId?: string;
  /** The page load it was saved in (data-at): a new page from the host names its task itself. */
  at?: string;
}

const PROTOCOL: typeof PROTOCOL_VERSION = 3;
const transport = createTransport();
const channel = new Channel(transport);
const model = new BoardModel();
const app = document.getElementById('app')!;
const saved = transport.loadState() as Partial<PageMemory> | undefined;
// The panel names the task in the page (data-task); the same page reloaded (hidden, shown) remembers the one it showed last.
let taskId = (saved?.at === app.dataset.at ? saved?.taskId : undefined) ?? app.dataset.task;
let haveState = false;

const details = new DetailsPane(model, {
  request: channel.request,
  open: (id) => show(id),
});
document.body.classList.add('details-page');
app.replaceChildren(details.el);

function show(id: string): void {
  taskId = id;
  transport.saveState({ v: 1, taskId, ...(app.dataset.at ? { at: app.dataset.at } : {}) } satisfies PageMemory);
  void details.show(id, true);
}

/** The host can point an open view at another task (a click on another task in the tree). */
window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const m = ev.data as { type?: unknown; taskId?: unknown } | null;
  if (m && m.type === 'dreamos.details.show' && typeof m.taskId === 'string') show(m.taskId);
});

transport.onMessage((m: HostToClient) => {
  if (channel.answer(m)) return;
  switch (m.type) {
    case 'state':
      model.applyState(m.state);
      if (!haveState && taskId) show(taskId);
      else if (taskId) details.touched([taskId]);
      haveState = true;
      app.setAttribute('aria-busy', 'false');
      break;
    case 'delta':
      model.applyDelta(m);
      details.touched(m.tasks.map((t) => t.id));
      break;
    case 'error':
      app.replaceChildren(h('p', { class: 'error', role: 'alert' }, m.error.message), details.el);
      break;
  }
});
transport.onStatus((s) => {
  channel.status(s);
  if (s === 'open') transport.send({ type: 'ready', protocol: PROTOCOL });
});
