/**
 * Keyboard, pointer, clipboard and screen pixels through nut-js: the port the injector and
 * calibration use, so they read as steps ("save the clipboard, paste, send") rather than calls
 * into a native library.
 */
import type { Key } from '@nut-tree-fork/nut-js';
import { parseChord, type Chord, type Modifier } from './chords';
import type { Point, Rect } from './geometry';
import { loadNut, type Nut } from './nut';

/** Pixels of a screen region: `channels` bytes per pixel (BGR(A) or RGB(A)), rows `rowBytes` apart. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly rowBytes: number;
  readonly data: Uint8Array;
}

export interface InputSystem {
  readClipboard(): Promise<string>;
  writeClipboard(text: string): Promise<void>;
  pressChord(chord: Chord | string): Promise<void>;
  /** Types text key by key; callers keep this to short unshifted ASCII (see canTypeKeyByKey). */
  typeText(text: string): Promise<void>;
  pointer(): Promise<Point>;
  movePointer(p: Point): Promise<void>;
  click(p: Point): Promise<void>;
  /** Pixels of a region of the screen, or null where screen capture is not allowed. */
  grab(region: Rect): Promise<Pixels | null>;
}

export class NutInput implements InputSystem {
  private constructor(
    private readonly nut: Nut,
    private readonly platform: NodeJS.Platform,
  ) {}

  static async load(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<NutInput> {
    return new NutInput(await loadNut(env), platform);
  }

  readClipboard(): Promise<string> {
    return this.nut.clipboard.getContent();
  }

  writeClipboard(text: string): Promise<void> {
    return this.nut.clipboard.setContent(text);
  }

  private modifierKey(m: Modifier): Key {
    const K = this.nut.Key;
    switch (m) {
      case 'ctrl':
        return K.LeftControl;
      case 'shift':
        return K.LeftShift;
      case 'alt':
        return K.LeftAlt;
      case 'cmd':
        return this.platform === 'darwin' ? K.LeftCmd : this.platform === 'win32' ? K.LeftWin : K.LeftSuper;
    }
  }

  async pressChord(chord: Chord | string): Promise<void> {
    const c = typeof chord === 'string' ? parseChord(chord) : chord;
    const K = this.nut.Key;
    const key = { enter: K.Enter, tab: K.Tab, escape: K.Escape, space: K.Space, a: K.A, v: K.V }[c.key];
    const keys = [...c.modifiers.map((m) => this.modifierKey(m)), key];
    await this.nut.keyboard.pressKey(...keys);
    await this.nut.keyboard.releaseKey(...keys);
  }

  async typeText(text: string): Promise<void> {
    await this.nut.keyboard.type(text);
  }

  async pointer(): Promise<Point> {
    const p = await this.nut.mouse.getPosition();
    return { x: Math.round(p.x), y: Math.round(p.y) };
  }

  async movePointer(p: Point): Promise<void> {
    await this.nut.mouse.setPosition(new this.nut.Point(p.x, p.y));
  }

  async click(p: Point): Promise<void> {
    await this.movePointer(p);
    await this.nut.mouse.leftClick();
  }

  async grab(region: Rect): Promise<Pixels | null> {
    try {
      const img = await this.nut.screen.grabRegion(new this.nut.Region(region.x, region.y, region.width, region.height));
      return { width: img.width, height: img.height, channels: img.channels, rowBytes: img.byteWidth, data: img.data };
    } catch {
      return null; // e.g. macOS without the Screen Recording permission
    }
  }
}
