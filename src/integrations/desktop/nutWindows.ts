/**
 * Windows through nut-js, for macOS and Windows, where its window list holds the application
 * windows themselves (on Linux it lists the window manager's frames: see x11Windows.ts).
 * Not exercised by the test suite, which runs under Xvfb: treat as a first version there.
 */
import type { Window as NutWindow } from '@nut-tree-fork/nut-js';
import type { Rect } from './geometry';
import { loadNut, type Nut } from './nut';
import type { DesktopWindow, ScreenInfo, WindowSystem } from './windows';

const handleOf = (w: NutWindow): string => String((w as unknown as { windowHandle: number }).windowHandle);

export class NutWindows implements WindowSystem {
  private constructor(private readonly nut: Nut) {}

  static async load(env: NodeJS.ProcessEnv = process.env): Promise<NutWindows> {
    return new NutWindows(await loadNut(env));
  }

  private async describe(w: NutWindow): Promise<DesktopWindow | null> {
    try {
      const [title, r] = await Promise.all([w.getTitle(), w.getRegion()]);
      if (r.width <= 0 || r.height <= 0) return null; // hidden helper windows
      return { id: handleOf(w), title, region: { x: Math.round(r.left), y: Math.round(r.top), width: Math.round(r.width), height: Math.round(r.height) }, minimized: false };
    } catch {
      return null;
    }
  }

  private async find(id: string): Promise<NutWindow | undefined> {
    return (await this.nut.getWindows()).find((w) => handleOf(w) === id);
  }

  async list(): Promise<DesktopWindow[]> {
    const all = await Promise.all((await this.nut.getWindows()).map((w) => this.describe(w)));
    return all.filter((w): w is DesktopWindow => w !== null && w.title !== '');
  }

  async get(id: string): Promise<DesktopWindow | null> {
    const w = await this.find(id);
    return w ? this.describe(w) : null;
  }

  async activeId(): Promise<string | null> {
    return handleOf(await this.nut.getActiveWindow());
  }

  async activate(id: string): Promise<void> {
    await (await this.find(id))?.focus();
  }

  async place(id: string, r: Rect): Promise<void> {
    const w = await this.find(id);
    if (!w) return;
    await w.move(new this.nut.Point(r.x, r.y));
    await w.resize(new this.nut.Size(r.width, r.height));
  }

  async frameExtents(): Promise<[number, number, number, number]> {
    return [0, 0, 0, 0];
  }

  async minimize(id: string): Promise<void> {
    await (await this.find(id))?.minimize();
  }

  async restore(id: string): Promise<void> {
    await (await this.find(id))?.restore();
  }

  async screen(): Promise<ScreenInfo> {
    const bounds = { x: 0, y: 0, width: await this.nut.screen.width(), height: await this.nut.screen.height() };
    return { bounds, workArea: bounds, monitors: [bounds] };
  }

  async close(): Promise<void> {}
}
