/** Small DOM helpers. Text always goes in through textContent / append, never innerHTML. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | false | undefined> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== false && v !== undefined) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

export const PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;
export const priorityName = (p: number): string => PRIORITIES[p] ?? String(p);

export function toast(text: string, kind: 'error' | 'info' = 'info'): void {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', class: 'toasts' });
    document.body.append(box);
  }
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

let clockFormat: Intl.DateTimeFormat | undefined;
/** A time of day in the reader's locale (one formatter for all: making one costs more than using it). */
export function clock(at: number): string {
  clockFormat ??= new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return clockFormat.format(at);
}

/**
 * 10000 → "10,000". By hand: the first Number#toLocaleString in a page loads the locale data, which
 * costs 15-25 ms on the way to the first render.
 */
export function count(n: number): string {
  const digits = String(Math.trunc(Math.abs(n)));
  let out = '';
  for (let i = digits.length; i > 0; i -= 3) out = digits.slice(Math.max(0, i - 3), i) + (out ? `,${out}` : '');
  return n < 0 ? `-${out}` : out;
}

export function ago(at: number | null, now = Date.now()): string {
  if (at === null) return 'never';
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** A button that disables itself while its action runs and reports failures as a toast. */
export function actionButton(label: string, ariaLabel: string, run: () => Promise<unknown>, cls = ''): HTMLButtonElement {
  const b = h('button', { type: 'button', class: cls, 'aria-label': ariaLabel, title: ariaLabel }, label);
  b.addEventListener('click', () => {
    b.disabled = true;
    run()
      .catch((e: Error) => toast(e.message, 'error'))
      .finally(() => (b.disabled = false));
  });
  return b;
}
