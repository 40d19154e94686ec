/**
 * Windows on Linux through the X11 protocol and the window manager's EWMH hints, with the
 * pure-JavaScript `x11` client (loaded on first use; nothing native, so it is also the safe probe
 * for "is this DISPLAY reachable" before nut-js's native module is loaded: libnut segfaults when
 * it cannot open the display).
 *   list      _NET_CLIENT_LIST, titles from _NET_WM_NAME (UTF-8), regions via TranslateCoordinates
 *   active    _NET_ACTIVE_WINDOW
 *   activate  a _NET_ACTIVE_WINDOW request (raises, restores and focuses, as a taskbar does)
 *   place     _NET_WM_STATE (un-maximize) + _NET_MOVERESIZE_WINDOW with static gravity
 *   minimize  WM_CHANGE_STATE IconicState (ICCCM)
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DesktopUnavailableError } from './availability';
import type { Rect } from './geometry';
import type { DesktopWindow, ScreenInfo, WindowSystem } from './windows';

type Cb<T> = (err: Error | null, value: T) => void;
interface XProperty {
  type: number;
  format: number;
  data: Buffer;
}
interface XClient {
  InternAtom(onlyIfExists: boolean, name: string, cb: Cb<number>): void;
  GetProperty(del: number, wid: number, atom: number, type: number, offset: number, length: number, cb: Cb<XProperty>): void;
  GetGeometry(wid: number, cb: Cb<{ width: number; height: number; xPos: number; yPos: number }>): void;
  TranslateCoordinates(src: number, dst: number, x: number, y: number, cb: Cb<{ destX: number; destY: number }>): void;
  SendClientMessage(dest: number, wid: number, type: number, format: number, data: number[], cb?: Cb<unknown>): void;
  require(ext: string, cb: Cb<{ QueryScreens(cb: Cb<Rect[]>): void }>): void;
  terminate(): void;
  on(ev: 'error' | 'end' | 'close', fn: (err?: Error) => void): void;
}
interface XDisplay {
  client: XClient;
  screen: { root: number; pixel_width: number; pixel_height: number }[];
}
interface X11Module {
  createClient(opts: { display?: string }, cb: Cb<XDisplay>): XClient;
}

const ANY = 0;
const ATOM_NAMES = [
  '_NET_CLIENT_LIST',
  '_NET_ACTIVE_WINDOW',
  '_NET_WM_NAME',
  'UTF8_STRING',
  'WM_NAME',
  'WM_CLASS',
  'WM_STATE',
  'WM_CHANGE_STATE',
  '_NET_WM_PID',
  '_NET_WM_STATE',
  '_NET_WM_STATE_HIDDEN',
  '_NET_WM_STATE_MAXIMIZED_VERT',
  '_NET_WM_STATE_MAXIMIZED_HORZ',
  '_NET_MOVERESIZE_WINDOW',
  '_NET_FRAME_EXTENTS',
  '_NET_WORKAREA',
] as const;
type AtomName = (typeof ATOM_NAMES)[number];

function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(v))));
}

/** Opens a connection to `display` (or $DISPLAY); a clear "needs a display" error when it cannot. */
export async function connectX11(display = process.env.DISPLAY, timeoutMs = 5_000): Promise<X11Windows> {
  if (!display) throw new DesktopUnavailableError('needs-display', 'Desktop automation needs a display, and DISPLAY is not set.');
  let x11: X11Module;
  try {
    // Packaged: its own lazily required bundle beside the extension (a .vsix has no node_modules).
    const vendored = path.join(__dirname, 'vendor', 'x11.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path, resolved beside the bundle
    x11 = (existsSync(vendored) ? require(vendored) : await import('x11')) as unknown as X11Module;
  } catch (err) {
    throw new DesktopUnavailableError('native-module', `The X11 client library could not be loaded (${(err as Error).message}).`);
  }
  const conn = await new Promise<XDisplay>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      const client = x11.createClient({ display }, (err, d) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(d);
      });
      client.on('error', () => undefined); // a failed request also rejects its own callback
    } catch (err) {
      clearTimeout(timer);
      reject(err as Error);
    }
  }).catch((err: Error) => {
    throw new DesktopUnavailableError('needs-display', `Desktop automation cannot reach the display ${display} (${err.message}). Is the X server running and this user allowed to use it (xhost / XAUTHORITY)?`);
  });
  const atoms = {} as Record<AtomName, number>;
  await Promise.all(ATOM_NAMES.map(async (n) => (atoms[n] = await call<number>((cb) => conn.client.InternAtom(false, n, cb)))));
  return new X11Windows(conn, atoms, display);
}

export class X11Windows implements WindowSystem {
  private closed = false;
  private readonly root: number;

  constructor(
    private readonly conn: XDisplay,
    private readonly atoms: Record<AtomName, number>,
    readonly display: string,
  ) {
    this.root = conn.screen[0]!.root;
    conn.client.on('end', () => (this.closed = true));
    conn.client.on('close', () => (this.closed = true));
  }

  private get X(): XClient {
    if (this.closed) throw new DesktopUnavailableError('needs-display', `The connection to the display ${this.display} was closed.`);
    return this.conn.client;
  }

  private prop(wid: number, atom: AtomName, type = ANY, longs = 1024): Promise<XProperty> {
    return call<XProperty>((cb) => this.X.GetProperty(0, wid, this.atoms[atom], type, 0, longs, cb));
  }

  private async cardinals(wid: number, atom: AtomName, longs = 1024): Promise<number[]> {
    const p = await this.prop(wid, atom, ANY, longs);
    const out: number[] = [];
    if (p.format !== 32) return out;
    for (let i = 0; i + 4 <= p.data.length; i += 4) out.push(p.data.readUInt32LE(i));
    return out;
  }

  private async title(wid: number): Promise<string> {
    const net = await this.prop(wid, '_NET_WM_NAME', this.atoms.UTF8_STRING);
    if (net.data.length) return net.data.toString('utf8');
    const old = await this.prop(wid, 'WM_NAME');
    return old.data.toString(old.type === this.atoms.UTF8_STRING ? 'utf8' : 'latin1');
  }

  private async describe(wid: number): Promise<DesktopWindow | null> {
    try {
      const [title, geo, origin, wmState, netState, pid, cls] = await Promise.all([
        this.title(wid),
        call<{ width: number; height: number }>((cb) => this.X.GetGeometry(wid, cb)),
        call<{ destX: number; destY: number }>((cb) => this.X.TranslateCoordinates(wid, this.root, 0, 0, cb)),
        this.cardinals(wid, 'WM_STATE', 2),
        this.cardinals(wid, '_NET_WM_STATE', 32),
        this.cardinals(wid, '_NET_WM_PID', 1),
        this.prop(wid, 'WM_CLASS', ANY, 64),
      ]);
      const app = cls.data.toString('latin1').split('\0').filter(Boolean)[1];
      return {
        id: String(wid),
        title,
        region: { x: origin.destX, y: origin.destY, width: geo.width, height: geo.height },
        minimized: wmState[0] === 3 || netState.includes(this.atoms._NET_WM_STATE_HIDDEN),
        ...(pid[0] ? { pid: pid[0] } : {}),
        ...(app ? { app } : {}),
      };
    } catch {
      return null; // it closed while we looked
    }
  }

  async list(): Promise<DesktopWindow[]> {
    const ids = await this.cardinals(this.root, '_NET_CLIENT_LIST', 4096);
    const all = await Promise.all(ids.map((id) => this.describe(id)));
    return all.filter((w): w is DesktopWindow => w !== null);
  }

  async get(id: string): Promise<DesktopWindow | null> {
    const ids = await this.cardinals(this.root, '_NET_CLIENT_LIST', 4096);
    return ids.includes(Number(id)) ? this.describe(Number(id)) : null;
  }

  async activeId(): Promise<string | null> {
    const [id] = await this.cardinals(this.root, '_NET_ACTIVE_WINDOW', 1);
    return id ? String(id) : null;
  }

  private message(wid: number, type: AtomName, data: number[]): Promise<unknown> {
    return call((cb) => this.X.SendClientMessage(this.root, wid, this.atoms[type], 32, data, cb));
  }

  async activate(id: string): Promise<void> {
    // source 2 = "a pager / taskbar": window managers honour it without focus-stealing prevention.
    await this.message(Number(id), '_NET_ACTIVE_WINDOW', [2, 0, 0, 0, 0]);
  }

  async place(id: string, r: Rect): Promise<void> {
    const wid = Number(id);
    // _NET_WM_STATE remove (0) both maximized states: a maximized window ignores moves.
    await this.message(wid, '_NET_WM_STATE', [0, this.atoms._NET_WM_STATE_MAXIMIZED_VERT, this.atoms._NET_WM_STATE_MAXIMIZED_HORZ, 2, 0]);
    // flags: static gravity (10) | x, y, width, height present (bits 8-11) | source: pager (2 << 12).
    const flags = 10 | (0xf << 8) | (2 << 12);
    await this.message(wid, '_NET_MOVERESIZE_WINDOW', [flags, r.x, r.y, r.width, r.height]);
  }

  /** The frame the window manager draws around the window: left, right, top, bottom. */
  async frameExtents(id: string): Promise<[number, number, number, number]> {
    const e = await this.cardinals(Number(id), '_NET_FRAME_EXTENTS', 4);
    return [e[0] ?? 0, e[1] ?? 0, e[2] ?? 0, e[3] ?? 0];
  }

  async minimize(id: string): Promise<void> {
    await this.message(Number(id), 'WM_CHANGE_STATE', [3, 0, 0, 0, 0]);
  }

  async restore(id: string): Promise<void> {
    await this.activate(id);
  }

  async screen(): Promise<ScreenInfo> {
    const s = this.conn.screen[0]!;
    const bounds: Rect = { x: 0, y: 0, width: s.pixel_width, height: s.pixel_height };
    const wa = await this.cardinals(this.root, '_NET_WORKAREA', 4).catch(() => []);
    const workArea: Rect = wa.length === 4 && wa[2]! > 0 && wa[3]! > 0 ? { x: wa[0]!, y: wa[1]!, width: wa[2]!, height: wa[3]! } : bounds;
    let monitors: Rect[] = [bounds];
    try {
      const xin = await call<{ QueryScreens(cb: Cb<Rect[]>): void }>((cb) => this.X.require('xinerama', cb));
      const screens = await call<Rect[]>((cb) => xin.QueryScreens(cb));
      if (screens.length) monitors = screens;
    } catch {
      // no Xinerama: one monitor as big as the root window
    }
    return { bounds, workArea, monitors };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.conn.client.terminate();
  }
}
