/**
 * The smaller panels: agent cards, system health and the activity timeline. Each re-renders as a
 * whole (they hold tens of items, not thousands) and puts the keyboard focus back where it was.
 */
import type { Agent } from '../../src/core/board/boardModel';
import type { BoardEvent } from '../../src/core/events/eventLog';
import type { DashboardRequest, DashboardResults } from '../../src/protocol/dashboard';
import type { LinkStatus } from './transport';
import { actionButton, ago, clock, count, h } from './dom';
import type { BoardModel } from './dashboardModel';
import { plural } from '../../src/protocol/names';

type Request = <A extends DashboardRequest['action']>(r: Extract<DashboardRequest, { action: A }>) => Promise<DashboardResults[A]>;

/** Runs a re-render and gives focus back to the element with the same data-key. */
function keepFocus(container: HTMLElement, render: () => void): void {
  const key = container.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.key : undefined;
  render();
  if (key) container.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

export function renderAgents(list: HTMLElement, model: BoardModel, request: Request, openTask: (id: string) => void): void {
  keepFocus(list, () => {
    const agents = model.agents.filter((a) => a.status !== 'retired');
    if (!agents.length) return list.replaceChildren(h('p', { class: 'muted' }, 'No agents yet. Add one with "Dream.OS: Add Agent…" (it finds Claude Code, Codex, Gemini CLI… on your PATH) or `dreamos agent add --preset claude`.'));
    list.replaceChildren(...agents.map((a) => agentCard(a, model, request, openTask)));
  });
}

function agentCard(a: Agent, model: BoardModel, request: Request, openTask: (id: string) => void): HTMLElement {
  const task = a.currentTask ? model.tasks.get(a.currentTask) : undefined;
  const card = h('article', { class: `agent agent-${a.status}`, 'aria-label': `Agent ${a.name}, ${a.status}` });
  card.append(
    h('div', { class: 'agent-name' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), a.name),
    h('div', { class: 'small' }, h('span', { class: 'agent-status' }, a.status), h('span', { class: 'muted' }, ` · ${a.driver}`)),
  );
  if (a.currentTask) {
    const b = h('button', { type: 'button', class: 'link', 'data-key': `agent-task-${a.id}` }, `→ ${task?.title ?? a.currentTask}`);
    b.addEventListener('click', () => openTask(a.currentTask!));
    card.append(b);
  } else card.append(h('div', { class: 'muted' }, 'no task'));
  const beat = `heartbeat ${ago(a.lastHeartbeat)}${a.statusReason ? ` · ${model.named(a.statusReason)}` : ''}`;
  card.append(h('div', { class: 'muted small', title: beat }, beat));
  // Start/Stop start or stop the agent's loop where the board's swarm runs it (the host sends swarm.agent); with no swarm, Start says what to do.
  const stop = a.status === 'idle' || a.status === 'busy' || a.status === 'stalled';
  const b = actionButton(stop ? 'Stop' : 'Start', `${stop ? 'Stop' : 'Start'} agent ${a.name}`, () => request({ action: 'agent.lifecycle', agentId: a.id, lifecycle: stop ? 'stop' : 'start' }), 'small');
  b.dataset.key = `agent-${a.id}`;
  card.append(b);
  return card;
}

export class HealthPanel {
  readonly el: HTMLElement;
  private readonly values = new Map<string, HTMLElement>();
  private readonly problem: HTMLElement;

  constructor(private readonly model: BoardModel) {
    const dl = h('dl', { class: 'health-grid' });
    for (const [key, label] of [
      ['link', 'Connection'],
      ['role', 'This host is'],
      ['rate', 'Events/s (10 s)'],
      ['seq', 'Latest seq'],
      ['tasks', 'Tasks'],
      ['leases', 'Lease expiries'],
      ['failures', 'Failures & errors'],
      ['stalls', 'Agent stalls'],
    ] as const) {
      const dd = h('dd', { 'data-health': key }, '–');
      this.values.set(key, dd);
      dl.append(h('div', {}, h('dt', {}, label), dd));
    }
    this.problem = h('p', { class: 'problem small', role: 'status' });
    this.el = h('div', {}, dl, this.problem);
  }

  update(link: LinkStatus): void {
    const m = this.model;
    const set = (k: string, v: string, warn = false) => {
      const el = this.values.get(k)!;
      if (el.textContent !== v) el.textContent = v;
      el.classList.toggle('warn', warn);
    };
    const live = link === 'open' && m.role !== 'closed';
    set('link', live ? 'live' : link === 'open' ? 'no board' : link === 'connecting' ? 'connecting…' : 'reconnecting…', !live);
    set('role', m.role === 'closed' ? 'not connected' : `the ${m.role}`, m.role === 'closed');
    set('rate', m.eventRate().toFixed(1));
    set('seq', count(m.latestSeq));
    set('tasks', count(m.tasks.size));
    set('leases', String(m.health.leaseExpiries), m.health.leaseExpiries > 0);
    set('failures', String(m.health.failures), m.health.failures > 0);
    set('stalls', String(m.health.stalls), m.health.stalls > 0);
    const p = m.health.lastProblem ? `Last problem: ${m.health.lastProblem}` : '';
    if (this.problem.textContent !== p) {
      this.problem.textContent = p;
      this.problem.title = p;
    }
  }
}

const EVENT_WORDS: Record<string, string> = {
  'task.created': 'created',
  'task.updated': 'updated',
  'task.transitioned': 'moved',
  'task.claimed': 'claimed',
  'task.dependencies': 'dependencies changed',
  'agent.registered': 'agent registered',
  'agent.started': 'agent started',
  'agent.heartbeat': 'heartbeat',
  'agent.stalled': 'agent stalled',
  'agent.stopped': 'agent stopped',
  'agent.retired': 'agent retired',
  'agent.error': 'agent error',
  'agent.updated': 'agent updated',
  'mail.sent': 'mail sent',
  'mail.acked': 'mail acknowledged',
  'board.imported': 'tasks imported',
  'board.configured': 'board settings changed',
  'board.resync': 'older events deleted by retention',
  'proposal.submitted': 'change proposed',
  'proposal.transitioned': 'proposal',
};

function describe(e: BoardEvent, model: BoardModel): string {
  const p = e.payload;
  if (e.type === 'task.transitioned') return `${String(p.from)} → ${String(p.to)}${p.reason ? ` (${model.named(String(p.reason))})` : ''}`;
  if (e.type === 'task.claimed') return `by ${model.who(String(p.agentId))}`;
  if (e.type === 'board.imported') return plural(Number(p.count), 'task');
  if (typeof p.reason === 'string' && p.reason) return model.named(p.reason);
  return '';
}

/** The newest 100 events, newest first; heartbeats are left out (they would drown the rest). */
export function renderTimeline(list: HTMLElement, model: BoardModel, openTask: (id: string) => void): void {
  keepFocus(list, () => {
    const events = model.timeline.filter((e) => e.type !== 'agent.heartbeat').slice(-100).reverse();
    if (!events.length) return list.replaceChildren(h('li', { class: 'muted' }, 'No activity yet.'));
    list.replaceChildren(
      ...events.map((e) => {
        const task = e.type.startsWith('task.') ? model.tasks.get(e.subject) : undefined;
        const agent = e.type.startsWith('agent.') ? model.agentName(e.subject) : '';
        const what: Node | string = task ? h('button', { type: 'button', class: 'link', 'data-key': `ev-${e.seq}` }, task.title) : agent || e.subject;
        if (task) (what as HTMLElement).addEventListener('click', () => openTask(task.id));
        return h('li', { class: `ev ev-${e.type.replace('.', '-')}` }, h('time', { datetime: new Date(e.at).toISOString() }, clock(e.at)), ' ', h('span', { class: 'ev-type' }, EVENT_WORDS[e.type] ?? e.type), ' ', what, ' ', h('span', { class: 'muted' }, [describe(e, model), model.who(e.actor)].filter(Boolean).join(' · ')));
      }),
    );
  });
}
