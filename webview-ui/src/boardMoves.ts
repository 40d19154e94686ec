/**
 * Moving cards between columns: drag and drop, and the keyboard's way, each card's Move menu (M,
 * the context-menu key, Shift+F10 or a right click). Both only show the drop rules the editor panel
 * sends (made by the host from the one action table, src/extension/dashboard/dropRules.ts): an
 * allowed move asks the host to do it, a refused one says why. Without rules (a browser tab: its
 * server does not move tasks) cards are not draggable and there is no menu.
 */
import type { DropRule, DropRules } from '../../src/protocol/boardColumns';
import type { TaskCard } from '../../src/protocol/dashboard';
import { h, toast } from './dom';
import { COLUMNS } from './dashboardModel';
import type { VirtualColumn } from './virtualColumn';

const MIME = 'application/x-dreamos-task';

export interface MoveHooks {
  task(id: string): TaskCard | undefined;
  move(taskId: string, column: number): void;
  focusCard(taskId: string): void;
}

export class BoardMoves {
  private rules: DropRules | undefined;
  private dragging: string | undefined;
  private over: number | undefined;
  private menu: HTMLElement | undefined;

  constructor(
    private readonly board: HTMLElement,
    private readonly columns: readonly VirtualColumn[],
    private readonly hooks: MoveHooks,
  ) {
    board.addEventListener('dragstart', (ev) => this.start(ev));
    board.addEventListener('dragover', (ev) => this.dragOver(ev));
    board.addEventListener('drop', (ev) => this.drop(ev));
    board.addEventListener('dragend', () => this.end());
    board.addEventListener('contextmenu', (ev) => {
      const card = (ev.target as HTMLElement).closest<HTMLElement>('.card');
      if (!card || !this.enabled) return;
      ev.preventDefault();
      this.openMenu(card);
    });
  }

  get enabled(): boolean {
    return this.rules !== undefined;
  }

  setRules(rules: DropRules): void {
    this.rules = rules;
  }

  private rule(taskId: string, column: number): DropRule | undefined {
    const t = this.hooks.task(taskId);
    return t && this.rules?.[t.status]?.[column];
  }

  private start(ev: DragEvent): void {
    const card = (ev.target as HTMLElement).closest<HTMLElement>('.card');
    const id = card?.dataset.taskId;
    if (!id || !this.enabled || !ev.dataTransfer) return;
    this.dragging = id;
    ev.dataTransfer.setData(MIME, id);
    ev.dataTransfer.setData('text/plain', this.hooks.task(id)?.title ?? id);
    ev.dataTransfer.effectAllowed = 'move';
    this.board.classList.add('dragging');
  }

  private columnAt(ev: Event): number | undefined {
    const el = (ev.target as HTMLElement).closest<HTMLElement>('[data-col]');
    return el ? Number(el.dataset.col) : undefined;
  }

  private dragOver(ev: DragEvent): void {
    const col = this.columnAt(ev);
    if (this.dragging === undefined || col === undefined) return;
    // Always accept, so that a refused drop still reaches `drop` and can say why.
    ev.preventDefault();
    if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'move';
    if (this.over === col) return;
    this.clearHint();
    this.over = col;
    const r = this.rule(this.dragging, col);
    const c = this.columns[col]!;
    c.el.classList.add(r?.ok ? 'drop-ok' : 'drop-refused');
    c.hint.textContent = r ? (r.ok ? `Drop: ${r.label}` : r.why) : '';
    c.hint.hidden = !r;
  }

  private drop(ev: DragEvent): void {
    const col = this.columnAt(ev);
    const id = ev.dataTransfer?.getData(MIME) || this.dragging;
    this.end();
    if (col === undefined || !id) return;
    ev.preventDefault();
    this.perform(id, col);
  }

  private perform(id: string, col: number): void {
    const r = this.rule(id, col);
    if (!r) return;
    if (r.ok) this.hooks.move(id, col);
    else toast(r.why, 'error');
  }

  private clearHint(): void {
    if (this.over === undefined) return;
    const c = this.columns[this.over];
    c?.el.classList.remove('drop-ok', 'drop-refused');
    if (c) c.hint.hidden = true;
    this.over = undefined;
  }

  private end(): void {
    this.clearHint();
    this.dragging = undefined;
    this.board.classList.remove('dragging');
  }

  /** The card's Move menu: one item per column, the refused ones disabled with their reason. */
  openMenu(card: HTMLElement): void {
    const id = card.dataset.taskId;
    const t = id ? this.hooks.task(id) : undefined;
    if (!id || !t || !this.rules) return;
    this.closeMenu(false);
    const items = COLUMNS.map((c, i) => {
      const r = this.rule(id, i);
      const item = h('button', { type: 'button', role: 'menuitem', class: `move-item${r?.ok ? '' : ' refused'}`, 'aria-disabled': r?.ok ? false : 'true', 'data-col': String(i) }, h('span', { class: 'move-to' }, c.title), h('span', { class: 'move-why muted' }, r ? (r.ok ? r.label : r.why) : ''));
      item.addEventListener('click', () => {
        this.closeMenu(false);
        this.perform(id, i);
        this.hooks.focusCard(id);
      });
      return item;
    });
    const menu = h('div', { class: 'move-menu', role: 'menu', 'aria-label': `Move “${t.title}” to` }, h('div', { class: 'move-title muted' }, `Move “${t.title}” to…`), ...items);
    const box = card.getBoundingClientRect();
    menu.style.left = `${Math.max(4, Math.min(box.left, window.innerWidth - 340))}px`;
    menu.style.top = `${Math.min(box.bottom + 2, window.innerHeight - 260)}px`;
    menu.addEventListener('keydown', (ev) => {
      const at = items.indexOf(document.activeElement as HTMLButtonElement);
      if (ev.key === 'Escape' || ev.key === 'Tab') {
        ev.preventDefault();
        this.closeMenu(true);
      } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        items[(at + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]!.focus();
      }
    });
    menu.addEventListener('focusout', (ev) => {
      if (!menu.contains(ev.relatedTarget as Node | null)) this.closeMenu(false);
    });
    this.menu = menu;
    this.menuFor = id;
    document.body.append(menu);
    (items.find((b) => b.getAttribute('aria-disabled') !== 'true') ?? items[0])!.focus();
  }

  private menuFor: string | undefined;

  private closeMenu(refocus: boolean): void {
    const m = this.menu;
    if (!m) return;
    this.menu = undefined;
    m.remove();
    if (refocus && this.menuFor) this.hooks.focusCard(this.menuFor);
  }
}
