/**
 * Is the agent's chat input still where it was calibrated? Checked before every injection (and by
 * "re-check"): the window exists and its title matches, it has not moved or been resized, the
 * screen is the same, it really gets the focus, and the pixels around the chat input still look
 * like they did. Anything else stops the injection; a changed layout marks the agent as needing
 * recalibration. Never guess where to type.
 */
import type { AgentCalibration } from './calibration';
import { compareFingerprints, DEFAULT_TOLERANCE, makeFingerprint, withinTolerance, type FingerprintDiff, type FingerprintTolerance } from './fingerprint';
import { describeChange, sameRect } from './geometry';
import type { InputSystem } from './input';
import type { WindowRegistry } from './windowRegistry';
import type { DesktopWindow, WindowSystem } from './windows';

export type TargetProblem =
  | 'not-calibrated'
  | 'needs-recalibration' // the layout changed: moved, resized, another screen, different pixels
  | 'window-not-found'
  | 'ambiguous-window'
  | 'focus-refused'; // the window did not get the focus (another app holds it, a modal dialog)

export type TargetCheck =
  | { ok: true; window: DesktopWindow; fingerprint: FingerprintDiff | null; previousActive: string | null }
  | { ok: false; problem: TargetProblem; message: string; fingerprint?: FingerprintDiff; window?: DesktopWindow };

export interface TargetDeps {
  registry: WindowRegistry;
  windows: WindowSystem;
  input: InputSystem;
  tolerance?: FingerprintTolerance;
  /** Repaint time after raising a window before its pixels are compared. */
  repaintMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the checks and, when they pass, leaves the target window active (so the caller can click
 * and paste at once). `previousActive` is the window that had the focus before, to give it back.
 */
export async function checkTarget(deps: TargetDeps, agent: string, cal: AgentCalibration | null): Promise<TargetCheck> {
  if (!cal) {
    return { ok: false, problem: 'not-calibrated', message: `${agent} has no calibrated chat input yet. Run "Dream.OS: Calibrate Agent Window" and point at its chat input.` };
  }
  if (cal.stale) {
    return { ok: false, problem: 'needs-recalibration', message: `${agent} needs recalibration: ${cal.stale.reason}` };
  }
  const found = await deps.registry.resolve(cal.titlePattern, cal.windowId);
  if (!found.ok) {
    return { ok: false, problem: found.reason === 'ambiguous' ? 'ambiguous-window' : 'window-not-found', message: `${agent}: ${found.message}` };
  }
  let window = found.window;
  if (window.minimized) {
    await deps.windows.restore(window.id);
    window = (await waitRestored(deps.windows, window.id)) ?? window;
  }
  const screen = await deps.windows.screen();
  if (screen.bounds.width !== cal.screen.width || screen.bounds.height !== cal.screen.height) {
    return changed(agent, window, `the screen is now ${screen.bounds.width}x${screen.bounds.height}, it was ${cal.screen.width}x${cal.screen.height} when calibrated`);
  }
  if (!sameRect(window.region, cal.windowRegion)) {
    return changed(agent, window, `its window "${window.title}" ${describeChange(cal.windowRegion, window.region)} since calibration`);
  }
  if (!found.sameWindow && !cal.fingerprint) {
    return changed(agent, window, `its window was reopened ("${window.title}"), and without a screen fingerprint Dream.OS cannot tell the chat input is in the same place`);
  }
  const previousActive = await deps.windows.activeId();
  if (!(await deps.registry.focus(window.id))) {
    const now = await deps.windows.activeId();
    const other = now ? await deps.windows.get(now) : null;
    return {
      ok: false,
      problem: 'focus-refused',
      message: `${agent}: its window "${window.title}" did not get the focus${other ? `; "${other.title}" kept it` : ''}. Close any dialog in front of it and try again.`,
      window,
    };
  }
  let diff: FingerprintDiff | null = null;
  if (cal.fingerprint) {
    // Compare until it matches or the repaint time is up: a just-raised window may still be drawing.
    const until = Date.now() + (deps.repaintMs ?? 600);
    for (;;) {
      const px = await deps.input.grab(cal.fingerprint.region);
      if (!px) break; // capture became unavailable: title, focus and region checks still hold
      diff = compareFingerprints(cal.fingerprint, makeFingerprint(cal.fingerprint.region, px));
      if (withinTolerance(diff, deps.tolerance ?? DEFAULT_TOLERANCE) || Date.now() > until) break;
      await sleep(50);
    }
    if (diff && !withinTolerance(diff, deps.tolerance ?? DEFAULT_TOLERANCE)) {
      if (previousActive && previousActive !== window.id) await deps.windows.activate(previousActive).catch(() => undefined);
      const r = changed(agent, window, `the area around its chat input looks different (${Math.round(diff.changedCells * 100)}% of it changed): a panel moved, closed or something covers it`);
      return { ...r, fingerprint: diff };
    }
  }
  return { ok: true, window, fingerprint: diff, previousActive };
}

function changed(agent: string, window: DesktopWindow, what: string): TargetCheck {
  return {
    ok: false,
    problem: 'needs-recalibration',
    message: `${agent} needs recalibration: ${what}. Nothing was typed. Run "Dream.OS: Calibrate Agent Window" for ${agent} (or put the window back and re-check).`,
    window,
  };
}

async function waitRestored(windows: WindowSystem, id: string): Promise<DesktopWindow | null> {
  const until = Date.now() + 2_000;
  for (;;) {
    const w = await windows.get(id);
    if (!w || !w.minimized || Date.now() > until) return w;
    await sleep(30);
  }
}
