/**
 * Calibration: the person shows Dream.OS where an agent's chat input is. The host asks them to rest
 * the pointer on the input (without clicking) and confirm (a key press in the editor, which keeps
 * the keyboard focus so nothing is typed into the agent window), or simply to hold the pointer still
 * there (`dwellCapture`, for a terminal). The point is validated against the screen and the window,
 * the area around it is fingerprinted with the window raised, and all of it is stored for the agent.
 */
import { parseChord, platformChords } from './chords';
import { AgentCalibration, type CalibrationStore } from './calibration';
import { makeFingerprint, patchAround, type Fingerprint } from './fingerprint';
import { contains, type Point } from './geometry';
import type { InputSystem } from './input';
import { acquireInputLock, type InputLock } from './inputLock';
import { checkTarget, type TargetCheck, type TargetDeps } from './target';
import { titleMatcher } from './titles';
import type { DesktopWindow } from './windows';

export interface CalibrateDeps extends TargetDeps {
  store: CalibrationStore;
  lock?: (signal: AbortSignal | undefined) => Promise<InputLock>;
}

export interface CalibrateRequest {
  titlePattern: string;
  sendChord?: string;
  pasteChord?: string;
  clearInput?: boolean;
  /**
   * Resolves with the pointer position once the person has put it on the chat input, or null if
   * they cancelled. Called with the window Dream.OS matched, so the prompt can name it.
   */
  capture: (window: DesktopWindow, input: InputSystem) => Promise<Point | null>;
  /** When several windows match the pattern: let the person pick one (otherwise it is refused). */
  choose?: (candidates: DesktopWindow[]) => Promise<DesktopWindow | undefined>;
  signal?: AbortSignal;
}

export type CalibrateResult = { ok: true; calibration: AgentCalibration; fingerprinted: boolean } | { ok: false; message: string };

/** Captures the pointer once the person confirms (the host's "press Enter when the pointer is on it"). */
export function confirmCapture(confirm: (window: DesktopWindow) => Promise<boolean>): CalibrateRequest['capture'] {
  return async (window, input) => ((await confirm(window)) ? input.pointer() : null);
}

/** Captures the pointer once it has rested inside the window for `dwellMs` (no key press needed). */
export function dwellCapture(opts: { dwellMs?: number; timeoutMs?: number; onTick?: (p: Point, restedMs: number) => void; signal?: AbortSignal } = {}): CalibrateRequest['capture'] {
  return async (window, input) => {
    const dwell = opts.dwellMs ?? 2_000;
    const until = Date.now() + (opts.timeoutMs ?? 60_000);
    let last: Point | null = null;
    let since = Date.now();
    while (Date.now() < until && !opts.signal?.aborted) {
      const p = await input.pointer();
      if (!last || p.x !== last.x || p.y !== last.y || !contains(window.region, p)) {
        last = p;
        since = Date.now();
      } else if (Date.now() - since >= dwell) return p;
      opts.onTick?.(p, Date.now() - since);
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  };
}

export async function calibrateAgent(deps: CalibrateDeps, agent: string, req: CalibrateRequest): Promise<CalibrateResult> {
  try {
    for (const c of [req.sendChord, req.pasteChord]) if (c !== undefined) parseChord(c);
    titleMatcher(req.titlePattern);
  } catch (err) {
    return { ok: false, message: `${agent}: ${(err as Error).message}` };
  }
  let window: DesktopWindow;
  const found = await deps.registry.resolve(req.titlePattern);
  if (found.ok) window = found.window;
  else if (found.reason === 'ambiguous' && req.choose) {
    const picked = await req.choose(found.matches);
    if (!picked) return { ok: false, message: 'Calibration cancelled: no window chosen.' };
    window = picked;
  } else return { ok: false, message: `${agent}: ${found.message}` };

  if (window.minimized) {
    await deps.windows.restore(window.id);
    window = (await deps.windows.get(window.id)) ?? window;
  }
  const point = await req.capture(window, deps.input);
  if (!point) return { ok: false, message: `Calibration of ${agent} cancelled.` };

  // Validate against what is on screen now (the window may have moved while the person pointed).
  const now = await deps.windows.get(window.id);
  if (!now) return { ok: false, message: `${agent}: the window "${window.title}" closed during calibration.` };
  const screen = await deps.windows.screen();
  if (!contains(screen.bounds, point)) return { ok: false, message: `The pointer (${point.x}, ${point.y}) is outside the screen (${screen.bounds.width}x${screen.bounds.height}). Point at the chat input and try again.` };
  if (!contains(now.region, point)) {
    return { ok: false, message: `The pointer (${point.x}, ${point.y}) is not inside the window "${now.title}" (${now.region.x}, ${now.region.y}, ${now.region.width}x${now.region.height}). Point at the chat input inside that window and try again.` };
  }

  const lock = deps.lock ? await deps.lock(req.signal) : await acquireInputLock(req.signal ? { signal: req.signal } : {});
  try {
    const previous = await deps.windows.activeId();
    let fingerprint: Fingerprint | null = null;
    if (await deps.registry.focus(now.id)) {
      await new Promise((r) => setTimeout(r, deps.repaintMs ?? 300));
      const patch = patchAround(point, now.region);
      const px = patch ? await deps.input.grab(patch) : null;
      if (patch && px) fingerprint = makeFingerprint(patch, px);
    } else {
      return { ok: false, message: `${agent}: the window "${now.title}" could not be brought to the front to record what its chat input looks like. Close any dialog in front of it and try again.` };
    }
    if (previous && previous !== now.id) await deps.windows.activate(previous).catch(() => undefined);
    const chords = platformChords();
    const calibration = AgentCalibration.parse({
      titlePattern: req.titlePattern,
      windowTitle: now.title,
      windowId: now.id,
      windowRegion: now.region,
      input: point,
      inputOffset: { x: point.x - now.region.x, y: point.y - now.region.y },
      fingerprint,
      screen: { width: screen.bounds.width, height: screen.bounds.height },
      pasteChord: req.pasteChord ?? chords.paste,
      sendChord: req.sendChord ?? 'enter',
      clearInput: req.clearInput ?? true,
      calibratedAt: new Date().toISOString(),
    });
    await deps.store.put(agent, calibration);
    return { ok: true, calibration, fingerprinted: fingerprint !== null };
  } finally {
    await lock.release();
  }
}

export type RecheckResult = TargetCheck & { adopted?: boolean };

/**
 * Checks an agent's calibration against the screen now, without typing. A pass clears a "needs
 * recalibration" mark. With `adoptMoved`, a window that only moved (same size, same pixels at the
 * same place inside it, e.g. after "Arrange Agent Windows") keeps its calibration at the new place.
 */
export async function recheckAgent(deps: CalibrateDeps, agent: string, opts: { adoptMoved?: boolean; signal?: AbortSignal } = {}): Promise<RecheckResult> {
  const lock = deps.lock ? await deps.lock(opts.signal) : await acquireInputLock(opts.signal ? { signal: opts.signal } : {});
  try {
    let cal = await deps.store.get(agent);
    if (cal && opts.adoptMoved) {
      const found = await deps.registry.resolve(cal.titlePattern, cal.windowId);
      const w = found.ok ? found.window : null;
      if (w && w.region.width === cal.windowRegion.width && w.region.height === cal.windowRegion.height && (w.region.x !== cal.windowRegion.x || w.region.y !== cal.windowRegion.y)) {
        const dx = w.region.x - cal.windowRegion.x;
        const dy = w.region.y - cal.windowRegion.y;
        const moved = AgentCalibration.parse({
          ...cal,
          windowId: w.id,
          windowRegion: w.region,
          input: { x: cal.input.x + dx, y: cal.input.y + dy },
          fingerprint: cal.fingerprint ? { ...cal.fingerprint, region: { ...cal.fingerprint.region, x: cal.fingerprint.region.x + dx, y: cal.fingerprint.region.y + dy } } : null,
          stale: undefined,
        });
        // Only kept if the pixels confirm it (checked below, like any injection would).
        const check = await checkTarget(deps, agent, moved);
        if (check.ok && check.previousActive && check.previousActive !== check.window.id) await deps.windows.activate(check.previousActive).catch(() => undefined);
        if (check.ok) {
          await deps.store.put(agent, moved);
          return { ...check, adopted: true };
        }
      }
    }
    if (cal?.stale) cal = { ...cal, stale: undefined };
    const check = await checkTarget(deps, agent, cal);
    if (check.ok && check.previousActive && check.previousActive !== check.window.id) await deps.windows.activate(check.previousActive).catch(() => undefined);
    if (check.ok && (await deps.store.get(agent))?.stale) await deps.store.clearStale(agent);
    if (!check.ok && check.problem === 'needs-recalibration' && cal) await deps.store.markStale(agent, check.message);
    return { ...check, adopted: false };
  } finally {
    await lock.release();
  }
}
