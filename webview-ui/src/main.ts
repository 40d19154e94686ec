/**
 * The Dream.OS dashboard. The same code runs in a VS Code webview and in a browser tab: it talks
 * to its host only through the typed protocol (src/protocol/dashboard.ts) over a `Transport`.
 * No UI framework: the board is virtualised by hand (it needs direct control of its rows anyway)
 * and every other region is small enough to re-render whole, so the bundle stays a few KB.
 */
import type { BoardEvent } from '../../src/core/events/eventLog';
import type { HostToClient, PROTOCOL_VERSION } from '../../src/protocol/dashboard';
import { BoardView, type BoardMemory } from './board';
import { Channel } from './channel';
import { DetailsPane } from './details';
import { count, h, PRIORITIES, toast } from './dom';
import { BoardModel, type Health } from './dashboardModel';
import { HealthPanel, renderAgents, renderTimeline } from './panels';
import { createTransport, type LinkStatus } from './transport';
import { plural } from '../../src/protocol/names';
import { normalizeQuery, taskMatcher } from '../../src/protocol/taskFilter';
import './styles.css';

/** What survives hiding the panel, a reload, or a reconnect (the board itself is re-sent). */
interface UiMemory {
  v: 1;
  selected?: string;
  board?: BoardMemory;
  timeline?: BoardEvent[];
  health?: Health;
  draft?: string;
  /** The search (in VS Code the Tasks tree's filter wins: the panel sends it on every load). */
  filter?: string;
}

// Marks for the bench's breakdown of a load: script start → connected → state → in the DOM → painted.
performance.mark('dreamos:script-start');
// First thing: in a browser tab this opens the WebSocket, whose handshake overlaps building the page.
const transport = createTransport();
/** The host refuses another version; the type makes this fail to compile when it changes. */
const PROTOCOL: typeof PROTOCOL_VERSION = 3;
const saved = ((): UiMemory => {
  const s = transport.loadState() as Partial<UiMemory> | null | undefined;
  return s && s.v === 1 ? (s as UiMemory) : { v: 1 };
})();
const model = new BoardModel(saved);
let link: LinkStatus = 'connecting';
let firstState = true;
let selected = saved.selected;
/** A task this dashboard just created: select it as soon as it shows up. */
let revealWhenSeen: string | undefined;

// ---- requests, answered by id
const channel = new Channel(transport);
const request = channel.request;

// ---- layout
const app = document.getElementById('app')!;
const statusPill = h('span', { class: 'link-status', role: 'status' }, 'connecting…');
const summary = h('span', { class: 'muted summary' });
const agentList = h('div', { class: 'agents' });
const health = new HealthPanel(model);
const timeline = h('ol', { class: 'timeline', 'aria-label': 'Activity, newest first' });
const openTask = (id: string, viaKeyboard = false) => select(id, viaKeyboard, true);
const details = new DetailsPane(model, {
  request,
  open: (id) => openTask(id),
  close: () => {
    select(undefined, false, false);
    board.focusActive();
  },
});
const board = new BoardView(model, {
  open: (id, kb) => select(id, kb, false),
  selected: () => selected,
  changed: () => remember(),
  // Only the editor panel sends drop rules, so only it is asked to move a task.
  move: (taskId, column) => transport.send({ type: 'task.move', taskId, column }),
});

// ---- search: the same query as the Tasks tree's filter (src/protocol/taskFilter), shared both ways in VS Code
const search = h('input', {
  type: 'search',
  class: 'search',
  name: 'search',
  placeholder: 'Search tasks: words, tag:ui owner:claude status:ready   ( / )',
  'aria-label': 'Search tasks: words, or tag:, owner:, status:. Slash focuses it, Escape clears it.',
  'aria-keyshortcuts': '/',
  autocomplete: 'off',
  spellcheck: 'false',
  maxlength: '200',
});
let query = '';
let sentQuery = '';
let sendTimer: ReturnType<typeof setTimeout> | undefined;
function applyFilter(text: string, share: boolean): void {
  const q = normalizeQuery(text);
  if (q !== query) {
    query = q;
    board.setFilter(taskMatcher(q, model.ownerName));
    renderHeader();
    remember();
  }
  if (!share || transport.kind !== 'vscode') return;
  clearTimeout(sendTimer);
  // Typing sends once it pauses; the tree filters the same way a moment later.
  sendTimer = setTimeout(() => {
    sendTimer = undefined;
    if (query === sentQuery) return;
    sentQuery = query;
    transport.send({ type: 'filter', query });
  }, 250);
}
search.addEventListener('input', () => applyFilter(search.value, true));
search.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Escape') return;
  ev.preventDefault();
  ev.stopPropagation();
  if (search.value) {
    search.value = '';
    applyFilter('', true);
  } else board.focusActive();
});
document.addEventListener('keydown', (ev) => {
  if (ev.key !== '/' || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target as HTMLElement;
  if (t.closest('input, textarea, select, [contenteditable="true"]')) return;
  ev.preventDefault();
  search.focus();
  search.select();
});
/** The tree's filter changed (or the panel loaded): show it, unless it is our own query coming back or the person is typing. */
function filterFromHost(q: string): void {
  if (sendTimer !== undefined || q === query) return;
  sentQuery = q;
  search.value = q;
  applyFilter(q, false);
}
if (saved.filter) {
  // (before the first state: nothing to render or remember yet)
  search.value = query = normalizeQuery(saved.filter);
  board.setFilter(taskMatcher(query, model.ownerName));
}

const title = h('input', { type: 'text', name: 'title', placeholder: 'What needs doing?', 'aria-label': 'New task title', maxlength: '200', required: '', autocomplete: 'off' });
title.value = saved.draft ?? '';
const priority = h('select', { name: 'priority', 'aria-label': 'Priority' }, ...PRIORITIES.map((p) => h('option', { value: p, selected: p === 'normal' ? '' : false }, p)));
const form = h('form', { class: 'new-task', 'aria-labelledby': 'create-title' }, title, priority, h('button', { type: 'submit', class: 'primary' }, 'Add task'));
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = title.value.trim();
  if (!text) return toast('A task needs a title.', 'error');
  request({ action: 'task.create', title: text, priority: priority.value as (typeof PRIORITIES)[number] })
    .then((t) => {
      title.value = '';
      remember();
      toast(`Created “${t.title}”.`);
      revealWhenSeen = t.id;
      if (model.tasks.has(t.id)) showCreated();
    })
    .catch((e: Error) => toast(e.message, 'error'));
});
title.addEventListener('input', () => remember());

app.replaceChildren(
  h('header', { class: 'topbar' }, h('h1', {}, 'Dream.OS'), statusPill, summary, h('div', { class: 'search-box', role: 'search' }, search)),
  h(
    'div',
    { class: 'overview' },
    h('section', { class: 'panel agents-panel', 'aria-labelledby': 'agents-title' }, h('h2', { id: 'agents-title' }, 'Agents'), agentList),
    h('section', { class: 'panel', 'aria-labelledby': 'health-title' }, h('h2', { id: 'health-title' }, 'System health'), health.el),
    h('section', { class: 'panel', 'aria-labelledby': 'create-title' }, h('h2', { id: 'create-title' }, 'Create task'), form),
  ),
  h('div', { class: 'workspace' }, h('section', { class: 'board-wrap', 'aria-label': 'Board' }, board.el), details.el),
  h('section', { class: 'panel activity', 'aria-labelledby': 'activity-title' }, h('h2', { id: 'activity-title' }, 'Activity'), timeline),
);

function select(id: string | undefined, viaKeyboard: boolean, reveal: boolean): void {
  selected = id;
  if (id && reveal) board.reveal(id, false);
  board.rerenderSelection();
  void details.show(id, viaKeyboard);
  // Stacked layout: the details sit above the board, out of sight of the card just clicked.
  if (id && narrow.matches) details.el.scrollIntoView({ block: 'start' });
  saveNow();
}
const narrow = window.matchMedia('(max-width: 800px)');

function showCreated(): void {
  const id = revealWhenSeen!;
  revealWhenSeen = undefined;
  select(id, false, true);
}

// ---- rendering, at most once per frame
let frame = 0;
let dirtyColumns = new Set<number>();
let changedTasks = new Set<string>();
let agentsDirty = true;
let timelineDirty = true;
function schedule(): void {
  frame ||= requestAnimationFrame(renderNow);
}
function renderNow(): void {
  frame = 0;
  board.refresh(dirtyColumns, changedTasks);
  details.touched(changedTasks);
  dirtyColumns = new Set();
  changedTasks = new Set();
  if (agentsDirty) {
    renderAgents(agentList, model, request, (id) => openTask(id));
    agentsDirty = false;
  }
  if (timelineDirty) {
    renderTimeline(timeline, model, (id) => openTask(id));
    timelineDirty = false;
  }
  renderHeader();
}
/** Runs `fn` once the next frame is on screen (the rendering steps follow requestAnimationFrame). */
function afterPaint(fn: () => void): void {
  requestAnimationFrame(() => setTimeout(fn, 0));
}
function renderHeader(): void {
  const running = count(model.columns[1]?.length ?? 0);
  const shown = board.filtered ? `${count(board.shownCount())} of ${plural(model.tasks.size, 'task', 'tasks', count)} match` : plural(model.tasks.size, 'task', 'tasks', count);
  summary.textContent = `${shown} · ${running} in progress · ${plural(model.agents.length, 'agent')}${model.boardDir ? ` · ${model.boardDir}` : ''}`;
  // "live" only with a board behind the channel: a webview's channel is always open, its board may not be.
  const live = link === 'open' && model.role !== 'closed';
  statusPill.textContent = live ? '● live' : link === 'open' ? (firstState ? 'connecting…' : 'not connected') : link === 'connecting' ? 'connecting…' : 'reconnecting…';
  statusPill.className = `link-status ${live ? 'open' : link === 'open' ? 'closed' : link}`;
  health.update(link);
}
setInterval(() => health.update(link), 1000);

// ---- memory across hide/show and reload
let saveTimer: ReturnType<typeof setTimeout> | undefined;
const saveNow = () => transport.saveState({ v: 1, selected, board: board.memory(), timeline: model.timeline.slice(-100), health: model.health, draft: title.value, filter: query } satisfies UiMemory);
/** Scrolling and typing save a moment later (a hidden webview is discarded without warning). */
function remember(): void {
  saveTimer ??= setTimeout(() => {
    saveTimer = undefined;
    saveNow();
  }, 200);
}
window.addEventListener('pagehide', saveNow);

// ---- the protocol
function receive(m: HostToClient): void {
  switch (m.type) {
    case 'state': {
      if (firstState) performance.mark('dreamos:state-received');
      model.applyState(m.state);
      board.refresh([0, 1, 2, 3, 4]);
      agentsDirty = true;
      // The activity list sits below the board: on the first load it waits until the board is on screen.
      timelineDirty = !firstState;
      renderNow();
      if (!firstState && selected) details.touched([selected]); // a re-sync may have changed it
      if (firstState) {
        firstState = false;
        app.setAttribute('aria-busy', 'false');
        if (saved.board) board.restore(saved.board);
        if (selected && model.tasks.has(selected)) void details.show(selected);
        else selected = undefined;
        performance.mark('dreamos:first-render');
        afterPaint(() => {
          performance.mark('dreamos:first-paint');
          timelineDirty = true;
          schedule();
        });
      }
      if (revealWhenSeen && model.tasks.has(revealWhenSeen)) showCreated();
      break;
    }
    case 'delta': {
      for (const c of model.applyDelta(m)) dirtyColumns.add(c);
      for (const t of m.tasks) changedTasks.add(t.id);
      agentsDirty ||= m.agents !== undefined || m.tasks.length > 0; // agent cards name their task
      timelineDirty ||= m.events.length > 0 || m.tasks.length > 0;
      schedule();
      if (revealWhenSeen && model.tasks.has(revealWhenSeen)) showCreated();
      break;
    }
    case 'response':
      channel.answer(m);
      break;
    case 'filter':
      filterFromHost(m.query);
      break;
    case 'dropRules':
      board.setDropRules(m.rules);
      break;
    case 'notice':
      toast(m.text, m.level);
      break;
    case 'error':
      toast(m.error.message, 'error');
      // The board could not be read yet (no hub, still starting): ask again shortly.
      if (firstState) setTimeout(() => link === 'open' && firstState && transport.send({ type: 'ready', protocol: PROTOCOL }), 3000);
      break;
  }
}

transport.onMessage(receive);
// A browser tab's first state is already on its way over HTTP: show it without waiting for the socket.
const initial = transport.initialState().then((m) => {
  if (m && firstState) receive(m);
});
/** `ready`, with the event this page has the board through (if it has a board): the host sends only what it missed. */
function sayReady(): void {
  try {
    transport.send({ type: 'ready', protocol: PROTOCOL, ...(firstState ? {} : { seq: model.latestSeq }) });
  } catch {
    // closed again already: the next 'open' says it
  }
}
transport.onStatus((s) => {
  link = s;
  if (s === 'open' && firstState) performance.mark('dreamos:connected');
  channel.status(s);
  if (s === 'open') void initial.then(sayReady);
  renderHeader();
});
performance.mark('dreamos:script-end');
