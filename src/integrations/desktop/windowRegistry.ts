/**
 * The window registry: which application windows exist, which one belongs to which agent (by title
 * pattern, or the exact window an agent was calibrated on), focusing with a check that focus
 * really arrived, arranging N windows in a grid, minimize / restore, and a watch that reports
 * windows that appeared, closed or changed (polling and diffing: it works the same on every
 * platform and window manager).
 */
import { EventEmitter } from 'node:events';
import { gridCells, sameRect, type GridOptions, type Rect } from './geometry';
import { titleMatcher } from './titles';
import type { DesktopWindow, WindowSystem } from './windows';

export type WindowChange = 'title' | 'region' | 'minimized';
export type WindowEvent =
  | { type: 'appeared'; window: DesktopWindow }
  | { type: 'closed'; window: DesktopWindow }
  | { type: 'changed'; window: DesktopWindow; before: DesktopWindow; changes: WindowChange[] };

/** What changed between two listings, in a stable order (closed, changed, appeared). */
export function diffWindows(before: readonly DesktopWindow[], after: readonly DesktopWindow[]): WindowEvent[] {
  const prev = new Map(before.map((w) => [w.id, w]));
  const next = new Map(after.map((w) => [w.id, w]));
  const events: WindowEvent[] = [];
  for (const w of before) if (!next.has(w.id)) events.push({ type: 'closed', window: w });
  for (const w of after) {
    const b = prev.get(w.id);
    if (!b) continue;
    const changes: WindowChange[] = [];
    if (b.title !== w.title) changes.push('title');
    if (!sameRect(b.region, w.region, 0)) changes.push('region');
    if (b.minimized !== w.minimized) changes.push('minimized');
    if (changes.length) events.push({ type: 'changed', window: w, before: b, changes });
  }
  for (const w of after) if (!prev.has(w.id)) events.push({ type: 'appeared', window: w });
  return events;
}

export type Resolved =
  | { ok: true; window: DesktopWindow; sameWindow: boolean }
  | { ok: false; reason: 'no-window' | 'ambiguous'; matches: DesktopWindow[]; message: string };

export interface PlaceResult {
  id: string;
  cell: Rect;
  /** Where the window ended up (the window manager has the last word). */
  region: Rect;
  placed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class WindowRegistry extends EventEmitter<{ event: [WindowEvent]; error: [Error] }> {
  private last: DesktopWindow[] | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly windows: WindowSystem) {
    super();
  }

  list(): Promise<DesktopWindow[]> {
    return this.windows.list();
  }

  async matching(pattern: string): Promise<DesktopWindow[]> {
    const m = titleMatcher(pattern);
    return (await this.list()).filter((w) => m.test(w.title));
  }

  /**
   * The window for an agent: the very window it was calibrated on while that still exists and
   * still matches, otherwise the one window whose title matches. Two matches are refused: typing
   * into the wrong one of two look-alike windows is exactly what must not happen.
   */
  async resolve(pattern: string, windowId?: string): Promise<Resolved> {
    const matches = await this.matching(pattern);
    const same = windowId ? matches.find((w) => w.id === windowId) : undefined;
    if (same) return { ok: true, window: same, sameWindow: true };
    if (matches.length === 1) return { ok: true, window: matches[0]!, sameWindow: false };
    if (matches.length === 0) return { ok: false, reason: 'no-window', matches, message: `No window has a title matching "${pattern}". Open the agent's window, or change its title pattern.` };
    return {
      ok: false,
      reason: 'ambiguous',
      matches,
      message: `${matches.length} windows match "${pattern}" (${matches.map((w) => `"${w.title}"`).join(', ')}). Make the pattern specific to one window (e.g. its workspace folder name).`,
    };
  }

  /** Activates the window and waits until the window manager reports it active. */
  async focus(id: string, timeoutMs = 2_000): Promise<boolean> {
    await this.windows.activate(id);
    const until = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.windows.activeId()) === id) return true;
      if (Date.now() > until) return false;
      await sleep(15);
    }
  }

  minimize(id: string): Promise<void> {
    return this.windows.minimize(id);
  }

  restore(id: string): Promise<void> {
    return this.windows.restore(id);
  }

  /**
   * Puts the windows into a grid over `area` (by default the work area of the monitor the first
   * window is on), one per cell in the order given, frames included in the cell. Waits until the
   * window manager has moved them and reports where each one really is.
   */
  async arrange(ids: readonly string[], opts: GridOptions & { area?: Rect; settleMs?: number } = {}): Promise<PlaceResult[]> {
    if (!ids.length) return [];
    const area = opts.area ?? (await this.defaultArea(ids[0]!));
    const cells = gridCells(ids.length, area, opts);
    const targets = await Promise.all(
      ids.map(async (id, i) => {
        const [l, r, t, b] = await this.windows.frameExtents(id);
        const cell = cells[i]!;
        const region = { x: cell.x + l, y: cell.y + t, width: cell.width - l - r, height: cell.height - t - b };
        await this.windows.restore(id);
        await this.windows.place(id, region);
        return { id, cell, region };
      }),
    );
    const until = Date.now() + (opts.settleMs ?? 3_000);
    let results: PlaceResult[] = [];
    for (;;) {
      results = await Promise.all(
        targets.map(async (t) => {
          const w = await this.windows.get(t.id);
          const region = w?.region ?? t.region;
          return { id: t.id, cell: t.cell, region, placed: !!w && sameRect(region, t.region) };
        }),
      );
      if (results.every((r) => r.placed) || Date.now() > until) return results;
      await sleep(30);
    }
  }

  private async defaultArea(firstId: string): Promise<Rect> {
    const screen = await this.windows.screen();
    const w = await this.windows.get(firstId);
    const cx = w ? w.region.x + w.region.width / 2 : 0;
    const cy = w ? w.region.y + w.region.height / 2 : 0;
    const monitor = screen.monitors.find((m) => cx >= m.x && cx < m.x + m.width && cy >= m.y && cy < m.y + m.height) ?? screen.monitors[0] ?? screen.bounds;
    // The work area spans all monitors on X11; keep the part on this monitor.
    const wa = screen.workArea;
    const x = Math.max(monitor.x, wa.x);
    const y = Math.max(monitor.y, wa.y);
    const right = Math.min(monitor.x + monitor.width, wa.x + wa.width);
    const bottom = Math.min(monitor.y + monitor.height, wa.y + wa.height);
    return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : monitor;
  }

  /** Starts polling; 'event' fires for every window that appeared, closed or changed. */
  watch(pollMs = 1_000): () => void {
    this.stopWatching();
    const tick = async () => {
      try {
        const now = await this.list();
        if (this.last) for (const e of diffWindows(this.last, now)) this.emit('event', e);
        this.last = now;
      } catch (err) {
        this.emit('error', err as Error);
      }
      if (this.timer) {
        this.timer = setTimeout(tick, pollMs);
        this.timer.unref();
      }
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
    return () => this.stopWatching();
  }

  /** One poll now: the events since the previous poll (or none, the first time). */
  async poll(): Promise<WindowEvent[]> {
    const now = await this.list();
    const events = this.last ? diffWindows(this.last, now) : [];
    this.last = now;
    return events;
  }

  stopWatching(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.last = null;
  }
}
