/**
 * One board column as a virtualised list: a spacer as tall as all its cards, and absolutely
 * positioned card elements only for the rows in view (plus a few either side, plus the card that
 * holds the keyboard focus, so focus survives scrolling). Rows have a fixed height, which makes
 * "which rows are visible" arithmetic instead of measurement. Elements are reused, not recreated.
 * The row is tall enough for a title of two or three lines, a line of tag chips and the meta line.
 *
 * An empty column collapses to a narrow strip (its name and 0) and the others take the width; its
 * heading is a button that collapses or expands any column (the person's choice wins over "empty").
 */
import type { TaskCard } from '../../src/protocol/dashboard';
import { count, h } from './dom';

export const ROW_HEIGHT = 96;
const OVERSCAN = 6;

export interface Viewport {
  top: number;
  height: number;
}

export interface ColumnHooks {
  task(id: string): TaskCard | undefined;
  fill(el: HTMLElement, t: TaskCard): void;
  isSelected(id: string): boolean;
  onActivate(index: number): void;
  onScroll(): void;
  /** The column collapsed or expanded: the board gives the width to the others. */
  onToggle(): void;
}

export class VirtualColumn {
  readonly el: HTMLElement;
  readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly count: HTMLElement;
  /** Drag and drop: what dropping the dragged card here would do. */
  readonly hint: HTMLElement;
  /** The person's choice; without one an empty column is collapsed. */
  private chosen: boolean | undefined;
  private readonly empty: HTMLElement;
  private rendered = new Map<string, HTMLElement>();
  private spare: HTMLElement[] = [];
  private frame = 0;
  ids: string[] = [];
  /** The row that takes Tab focus (roving tabindex). */
  activeIndex = 0;

  constructor(
    readonly index: number,
    private readonly title: string,
    private readonly hooks: ColumnHooks,
  ) {
    const headingId = `col-${index}-title`;
    this.count = h('span', { class: 'badge' }, '0');
    this.toggle = h('button', { type: 'button', class: 'column-toggle', 'aria-expanded': 'true', 'aria-controls': `col-${index}-list` }, h('span', { class: 'chevron', 'aria-hidden': 'true' }), h('span', { class: 'column-name' }, title), this.count);
    this.toggle.addEventListener('click', () => {
      this.chosen = !this.collapsed;
      this.applyCollapsed();
      this.hooks.onToggle();
    });
    this.heading = h('h2', { id: headingId, class: 'column-title' }, this.toggle);
    this.spacer = h('div', { class: 'spacer' });
    this.empty = h('p', { class: 'muted empty' }, 'Nothing here.');
    this.hint = h('div', { class: 'drop-hint', role: 'status', hidden: '' });
    this.viewport = h('div', { id: `col-${index}-list`, class: 'viewport', role: 'listbox', 'aria-labelledby': headingId, 'data-column': String(index) }, this.spacer, this.empty);
    this.el = h('section', { class: 'column', 'aria-labelledby': headingId, 'data-col': String(index) }, this.heading, this.hint, this.viewport);
    this.viewport.addEventListener('scroll', () => {
      this.schedule();
      this.hooks.onScroll();
    });
    this.viewport.addEventListener('click', (ev) => {
      const card = (ev.target as HTMLElement).closest<HTMLElement>('[data-index]');
      if (card) this.hooks.onActivate(Number(card.dataset.index));
    });
  }

  setIds(ids: string[]): void {
    this.ids = ids;
    this.activeIndex = Math.min(this.activeIndex, Math.max(0, ids.length - 1));
    this.count.textContent = count(ids.length);
    this.viewport.setAttribute('aria-label', `${this.title}, ${ids.length} tasks`);
    this.spacer.style.height = `${ids.length * ROW_HEIGHT}px`;
    this.empty.hidden = ids.length > 0;
    this.applyCollapsed();
  }

  get collapsed(): boolean {
    return this.chosen ?? this.ids.length === 0;
  }

  /** Returns whether it changed. */
  applyCollapsed(): boolean {
    const c = this.collapsed;
    if (this.el.classList.contains('collapsed') === c) return false;
    this.el.classList.toggle('collapsed', c);
    this.viewport.hidden = c;
    this.toggle.setAttribute('aria-expanded', String(!c));
    this.toggle.title = `${c ? 'Expand' : 'Collapse'} ${this.title} (${this.ids.length})`;
    return true;
  }

  schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.render()));
  }

  /**
   * Where the column is scrolled and how tall it is. Reading these lays out the page: the board
   * measures every column first and then renders them, so a refresh costs one layout, not five.
   */
  measure(): Viewport {
    if (this.collapsed) return { top: 0, height: 0 };
    return { top: this.viewport.scrollTop, height: this.viewport.clientHeight || 600 };
  }

  /** Puts the visible window on screen. `changed` names tasks whose card must be refilled. */
  render(changed?: ReadonlySet<string>, { top, height }: Viewport = this.measure()): void {
    if (this.collapsed) return this.clear();
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.ids.length - 1, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const wanted = new Map<string, number>();
    for (let i = first; i <= last; i++) wanted.set(this.ids[i]!, i);
    const active = this.ids[this.activeIndex];
    if (active !== undefined) wanted.set(active, this.activeIndex);

    let lostFocus = false;
    for (const [id, el] of this.rendered) {
      if (wanted.has(id)) continue;
      if (el === document.activeElement) {
        // Scrolled out of view: keep it, never pull focus out from under the keyboard. Moved to
        // another column: let it go, and the keyboard continues from this column's active card.
        if (this.ids.includes(id)) continue;
        lostFocus = true;
      }
      this.rendered.delete(id);
      el.remove();
      this.spare.push(el);
    }
    for (const [id, i] of wanted) {
      const t = this.hooks.task(id);
      if (!t) continue;
      let el = this.rendered.get(id);
      const fresh = !el;
      if (!el) {
        el = this.spare.pop() ?? h('div', { role: 'option' });
        this.rendered.set(id, el);
        this.viewport.append(el);
      }
      if (fresh || changed?.has(id) || el.dataset.version !== `${t.updatedAt}`) {
        this.hooks.fill(el, t);
        el.dataset.version = `${t.updatedAt}`;
      }
      if (el.dataset.index !== String(i)) {
        el.dataset.index = String(i);
        el.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
        el.setAttribute('aria-posinset', String(i + 1));
      }
      el.setAttribute('aria-setsize', String(this.ids.length));
      el.tabIndex = i === this.activeIndex ? 0 : -1;
      el.setAttribute('aria-selected', String(this.hooks.isSelected(id)));
    }
    if (lostFocus && active !== undefined) this.rendered.get(active)?.focus({ preventScroll: true });
  }

  /** Scrolls row `i` into view (if needed), renders, and returns its element. */
  reveal(i: number): HTMLElement | undefined {
    if (i < 0 || i >= this.ids.length) return undefined;
    if (this.collapsed) {
      // Going to a card of a column the person collapsed opens it again.
      this.chosen = false;
      this.applyCollapsed();
      this.hooks.onToggle();
    }
    this.activeIndex = i;
    const top = i * ROW_HEIGHT;
    const view = this.viewport;
    if (top < view.scrollTop) view.scrollTop = top;
    else if (top + ROW_HEIGHT > view.scrollTop + view.clientHeight) view.scrollTop = top + ROW_HEIGHT - view.clientHeight;
    this.render();
    return this.rendered.get(this.ids[i]!);
  }

  /** How many whole rows fit in view (for Page Up / Page Down). */
  pageSize(): number {
    return Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT) - 1);
  }

  /** A collapsed column keeps no cards in the DOM. */
  private clear(): void {
    for (const el of this.rendered.values()) {
      el.remove();
      this.spare.push(el);
    }
    this.rendered.clear();
  }

  renderedCount(): number {
    return this.rendered.size;
  }
}
