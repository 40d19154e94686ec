/**
 * One board column as a virtualised list: a spacer as tall as all its cards, and absolutely
 * positioned card elements only for the rows in view (plus a few either side, plus the card that
 * holds the keyboard focus, so focus survives scrolling). Rows have a fixed height, which makes
 * "which rows are visible" arithmetic instead of measurement. Elements are reused, not recreated.
 */
import type { TaskCard } from '../../src/protocol/dashboard';
import { count, h } from './dom';

export const ROW_HEIGHT = 64;
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
}

export class VirtualColumn {
  readonly el: HTMLElement;
  readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly count: HTMLElement;
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
    this.heading = h('h2', { id: headingId, class: 'column-title' }, `${title} `, this.count);
    this.spacer = h('div', { class: 'spacer' });
    this.empty = h('p', { class: 'muted empty' }, 'Nothing here.');
    this.viewport = h('div', { class: 'viewport', role: 'listbox', 'aria-labelledby': headingId, 'data-column': String(index) }, this.spacer, this.empty);
    this.el = h('section', { class: 'column', 'aria-labelledby': headingId }, this.heading, this.viewport);
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
  }

  schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.render()));
  }

  /**
   * Where the column is scrolled and how tall it is. Reading these lays out the page: the board
   * measures every column first and then renders them, so a refresh costs one layout, not five.
   */
  measure(): Viewport {
    return { top: this.viewport.scrollTop, height: this.viewport.clientHeight || 600 };
  }

  /** Puts the visible window on screen. `changed` names tasks whose card must be refilled. */
  render(changed?: ReadonlySet<string>, { top, height }: Viewport = this.measure()): void {
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

  renderedCount(): number {
    return this.rendered.size;
  }
}
