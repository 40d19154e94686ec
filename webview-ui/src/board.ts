/**
 * The board: one virtualised column per status group, and the keyboard model across them.
 * Arrow keys move between cards (left/right keep the same height on screen), Page Up/Down and
 * Home/End jump, Enter or Space opens the details, M (or the context menu key) opens the card's
 * Move menu. Only one card is in the Tab order at a time. The search (src/protocol/taskFilter)
 * narrows every column; empty columns collapse to a strip.
 */
import type { TaskCard } from '../../src/protocol/dashboard';
import type { DropRules } from '../../src/protocol/boardColumns';
import { BoardMoves } from './boardMoves';
import { h, priorityName } from './dom';
import { COLUMNS, type BoardModel } from './dashboardModel';
import { ROW_HEIGHT, VirtualColumn } from './virtualColumn';

export interface BoardHooks {
  open(taskId: string, viaKeyboard: boolean): void;
  selected(): string | undefined;
  changed(): void;
  /** A card dropped on a column (or moved with its menu) whose drop rule allows it. */
  move(taskId: string, column: number): void;
}

/** At most this many chips on a card; the rest are "+n". */
const CHIPS = 3;

export interface BoardMemory {
  focusCol: number;
  active: (string | null)[];
  scroll: number[];
}

export class BoardView {
  readonly el: HTMLElement;
  readonly columns: VirtualColumn[];
  focusCol = 0;
  private match: ((t: TaskCard) => boolean) | undefined;
  private readonly moves: BoardMoves;

  constructor(
    private readonly model: BoardModel,
    private readonly hooks: BoardHooks,
  ) {
    this.columns = COLUMNS.map(
      (c, i) =>
        new VirtualColumn(i, c.title, {
          task: (id) => this.model.tasks.get(id),
          fill: (el, t) => this.fill(el, t),
          isSelected: (id) => this.hooks.selected() === id,
          onActivate: (index) => this.activate(i, index, false),
          onScroll: () => this.hooks.changed(),
          onToggle: () => this.layout(),
        }),
    );
    this.el = h('div', { class: 'board', 'aria-label': 'Board. Arrow keys move between tasks, Enter opens one, M moves one to another column.' }, ...this.columns.map((c) => c.el));
    this.moves = new BoardMoves(this.el, this.columns, {
      task: (id) => this.model.tasks.get(id),
      move: (id, col) => this.hooks.move(id, col),
      focusCard: (id) => this.reveal(id, true),
    });
    this.el.addEventListener('keydown', (ev) => this.onKey(ev));
    this.el.addEventListener('focusin', (ev) => {
      const col = (ev.target as HTMLElement).closest<HTMLElement>('[data-column]');
      if (col) this.focusCol = Number(col.dataset.column);
    });
  }

  private fill(el: HTMLElement, t: TaskCard): void {
    const owner = this.model.agentName(t.assignee);
    el.className = `card status-${t.status} prio-${t.priority}${t.tags.length ? ' has-tags' : ''}`;
    el.dataset.taskId = t.id;
    el.title = t.title;
    el.draggable = this.moves.enabled;
    el.setAttribute('aria-label', `${t.title}. ${t.status}, ${priorityName(t.priority)} priority${owner ? `, assigned to ${owner}` : ''}${t.tags.length ? `, tags ${t.tags.join(', ')}` : ''}`);
    const meta = [owner && `@${owner}`, priorityName(t.priority), t.kind, t.attempts ? `try ${t.attempts}/${t.maxAttempts}` : ''].filter(Boolean).join(' · ');
    const parts: HTMLElement[] = [h('div', { class: 'card-title' }, t.title)];
    if (t.tags.length) {
      const chips = t.tags.slice(0, CHIPS).map((g) => h('span', { class: 'chip' }, g));
      if (t.tags.length > CHIPS) chips.push(h('span', { class: 'chip more' }, `+${t.tags.length - CHIPS}`));
      parts.push(h('div', { class: 'card-tags' }, ...chips));
    }
    parts.push(h('div', { class: 'card-meta' }, h('span', { class: `pill s-${t.status}` }, t.status), ` ${meta}`));
    el.replaceChildren(...parts);
  }

  /** The search's predicate (undefined: show everything); every column is re-read. */
  setFilter(match: ((t: TaskCard) => boolean) | undefined): void {
    this.match = match;
    this.refresh(this.columns.map((_c, i) => i));
  }

  get filtered(): boolean {
    return this.match !== undefined;
  }

  /** Cards shown, over all columns. */
  shownCount(): number {
    return this.columns.reduce((n, c) => n + c.ids.length, 0);
  }

  /** The editor panel's drop rules: drag and drop and the Move menu work from then on. */
  setDropRules(rules: DropRules): void {
    this.moves.setRules(rules);
    this.renderAll(new Set(this.model.tasks.keys()));
  }

  /** Collapsed columns are a narrow strip; the others share the width. */
  private layout(changedTasks?: ReadonlySet<string>): void {
    const template = this.columns.map((c) => (c.collapsed ? 'var(--collapsed-width)' : 'minmax(var(--column-min), 1fr)')).join(' ');
    if (this.el.style.gridTemplateColumns !== template) this.el.style.gridTemplateColumns = template;
    this.renderAll(changedTasks);
  }

  /** Re-reads column membership from the model, keeping each column's active card on the same task. */
  refresh(dirty: Iterable<number>, changedTasks?: ReadonlySet<string>): void {
    const dirtySet = new Set(dirty);
    this.columns.forEach((col, i) => {
      if (dirtySet.has(i)) {
        const activeId = col.ids[col.activeIndex];
        const all = this.model.columns[i]!;
        const match = this.match;
        const ids = match ? all.filter((id) => match(this.model.tasks.get(id)!)) : all;
        col.setIds(ids);
        if (activeId !== undefined) {
          const at = ids.indexOf(activeId);
          if (at >= 0) col.activeIndex = at;
        }
      }
    });
    this.layout(changedTasks);
  }

  /** All reads (one layout), then all writes. */
  private renderAll(changedTasks?: ReadonlySet<string>): void {
    const views = this.columns.map((c) => c.measure());
    this.columns.forEach((c, i) => c.render(changedTasks, views[i]));
  }

  private activate(col: number, index: number, viaKeyboard: boolean): void {
    const c = this.columns[col]!;
    const id = c.ids[index];
    if (id === undefined) return;
    this.focusCol = col;
    c.reveal(index)?.focus({ preventScroll: true });
    this.hooks.open(id, viaKeyboard);
    this.rerenderSelection();
  }

  rerenderSelection(): void {
    this.renderAll();
  }

  /** Scrolls to a task, makes it its column's active card, and optionally focuses it. */
  reveal(taskId: string, focus: boolean): boolean {
    const col = this.model.columnOf(taskId);
    const c = this.columns[col];
    if (!c) return false;
    const i = c.ids.indexOf(taskId);
    const el = c.reveal(i);
    if (focus && el) {
      this.focusCol = col;
      el.focus({ preventScroll: true });
    }
    return el !== undefined;
  }

  /** Focuses the card that holds the Tab stop in the last used column. */
  focusActive(): void {
    const c = this.columns[this.focusCol] ?? this.columns[0]!;
    c.reveal(c.activeIndex)?.focus({ preventScroll: true });
  }

  private onKey(ev: KeyboardEvent): void {
    const card = (ev.target as HTMLElement).closest<HTMLElement>('[data-index]');
    const colEl = card?.closest<HTMLElement>('[data-column]');
    if (!card || !colEl) return;
    const ci = Number(colEl.dataset.column);
    const col = this.columns[ci]!;
    const i = Number(card.dataset.index);
    let target: [number, number] | undefined;
    switch (ev.key) {
      case 'ArrowDown':
        target = [ci, Math.min(i + 1, col.ids.length - 1)];
        break;
      case 'ArrowUp':
        target = [ci, Math.max(i - 1, 0)];
        break;
      case 'PageDown':
        target = [ci, Math.min(i + col.pageSize(), col.ids.length - 1)];
        break;
      case 'PageUp':
        target = [ci, Math.max(i - col.pageSize(), 0)];
        break;
      case 'Home':
        target = [ci, 0];
        break;
      case 'End':
        target = [ci, col.ids.length - 1];
        break;
      case 'ArrowLeft':
      case 'ArrowRight':
        target = this.sideways(ci, i, ev.key === 'ArrowLeft' ? -1 : 1);
        break;
      case 'Enter':
      case ' ':
        ev.preventDefault();
        this.activate(ci, i, true);
        return;
      case 'm':
      case 'M':
      case 'ContextMenu':
      case 'F10':
        if (ev.key === 'F10' && !ev.shiftKey) return;
        if (!this.moves.enabled) return;
        ev.preventDefault();
        this.moves.openMenu(card);
        return;
      default:
        return;
    }
    ev.preventDefault();
    if (!target) return;
    const [tc, ti] = target;
    const el = this.columns[tc]!.reveal(ti);
    this.focusCol = tc;
    el?.focus({ preventScroll: true });
    this.hooks.changed();
  }

  /** The nearest non-empty column that way, at the row level with the current card on screen. */
  private sideways(ci: number, i: number, dir: -1 | 1): [number, number] | undefined {
    const from = this.columns[ci]!;
    const offset = i * ROW_HEIGHT - from.viewport.scrollTop;
    for (let c = ci + dir; c >= 0 && c < this.columns.length; c += dir) {
      const to = this.columns[c]!;
      if (!to.ids.length || to.collapsed) continue;
      const row = Math.floor((to.viewport.scrollTop + offset + ROW_HEIGHT / 2) / ROW_HEIGHT);
      return [c, Math.max(0, Math.min(row, to.ids.length - 1))];
    }
    return undefined;
  }

  memory(): BoardMemory {
    return {
      focusCol: this.focusCol,
      active: this.columns.map((c) => c.ids[c.activeIndex] ?? null),
      scroll: this.columns.map((c) => c.viewport.scrollTop),
    };
  }

  restore(m: BoardMemory): void {
    this.focusCol = m.focusCol;
    this.columns.forEach((c, i) => {
      const id = m.active[i];
      const at = id ? c.ids.indexOf(id) : -1;
      if (at >= 0) c.activeIndex = at;
      c.viewport.scrollTop = m.scroll[i] ?? 0;
    });
    this.renderAll();
  }

  renderedCards(): number {
    return this.columns.reduce((n, c) => n + c.renderedCount(), 0);
  }
}
