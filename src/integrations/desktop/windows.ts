/**
 * The window-system port of desktop automation: list top-level application windows with their
 * titles and screen regions, tell which one is active, and activate, move, minimize or restore one.
 * On Linux it speaks EWMH to the window manager (x11Windows.ts); elsewhere it is nut-js
 * (nutWindows.ts). The nut-js window API is not used on Linux because it lists the window
 * manager's frames (untitled) instead of the application windows, reads titles as Latin-1 and
 * reports positions relative to the frame.
 */
import type { Rect } from './geometry';

export interface DesktopWindow {
  /** Stable while the window lives (the X window id, the native handle); new when it is reopened. */
  readonly id: string;
  readonly title: string;
  /** The application's area on the screen, without the window manager's frame. */
  readonly region: Rect;
  readonly minimized: boolean;
  readonly pid?: number;
  /** The application class (WM_CLASS), e.g. "Cursor", "Code", "chromium". */
  readonly app?: string;
}

export interface ScreenInfo {
  /** The whole screen (all monitors on X11, where they form one root window). */
  readonly bounds: Rect;
  /** Where windows may go: the screen less panels and docks. */
  readonly workArea: Rect;
  /** Each monitor, when the platform tells (Xinerama / RandR); otherwise just the bounds. */
  readonly monitors: readonly Rect[];
}

export interface WindowSystem {
  list(): Promise<DesktopWindow[]>;
  get(id: string): Promise<DesktopWindow | null>;
  activeId(): Promise<string | null>;
  /** Asks the window manager to raise, restore and focus the window. Resolves when asked, not when done. */
  activate(id: string): Promise<void>;
  /** Places the application area (frame excluded) at `region`; un-maximizes first. */
  place(id: string, region: Rect): Promise<void>;
  /** The frame around the window: left, right, top, bottom (zeros where there is none or it is unknown). */
  frameExtents(id: string): Promise<[number, number, number, number]>;
  minimize(id: string): Promise<void>;
  restore(id: string): Promise<void>;
  screen(): Promise<ScreenInfo>;
  close(): Promise<void>;
}
