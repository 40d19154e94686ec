/**
 * Puts a prompt into an agent's chat input and sends it, safely:
 *   take the display's input lock → check the target (title, place, focus, fingerprint) →
 *   save the person's clipboard → set the text and read it back → click the chat input →
 *   check the focus again → (select all) → paste → check the focus again → send → restore the
 *   clipboard, the pointer and the window that had the focus → release the lock.
 * Key-by-key typing replaces the clipboard only for short unshifted ASCII (under X11, shifted
 * characters typed key by key come out wrong). Any failed check stops before the next keystroke.
 */
import { canTypeKeyByKey, parseChord } from './chords';
import type { AgentCalibration, CalibrationStore } from './calibration';
import type { FingerprintDiff } from './fingerprint';
import { acquireInputLock, LockBusyError, type InputLock, type LockOptions } from './inputLock';
import { checkTarget, type TargetDeps, type TargetProblem } from './target';
import type { DesktopWindow } from './windows';

export type InjectProblem = TargetProblem | 'needs-display' | 'busy' | 'clipboard-failed' | 'focus-lost' | 'aborted' | 'failed';

export interface InjectTimings {
  /** When the input lock was taken and when delivery finished (epoch ms): the span it was held. */
  lockedAt: number;
  doneAt: number;
  lockMs: number;
  checkMs: number;
  deliverMs: number;
  totalMs: number;
}

export type InjectResult =
  | { ok: true; method: 'paste' | 'typed'; sent: boolean; clipboardRestored: boolean; fingerprint: FingerprintDiff | null; timings: InjectTimings }
  | { ok: false; problem: InjectProblem; message: string; recalibrate: boolean; fingerprint?: FingerprintDiff };

export interface InjectorDeps extends TargetDeps {
  store: CalibrationStore;
  lock?: (signal: AbortSignal | undefined) => Promise<InputLock>;
  lockOptions?: LockOptions;
  /** Time for the target to fetch the clipboard after the paste chord, before anything else. */
  pasteSettleMs?: number;
  log?: (line: string) => void;
}

export interface InjectOptions {
  signal?: AbortSignal;
  /** Press the send chord after pasting (default true). */
  send?: boolean;
  /** 'auto': type short unshifted ASCII key by key, paste everything else; 'paste': always paste. */
  typing?: 'auto' | 'paste';
  /** Give the focus back to the window that had it (default true). */
  returnFocus?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function injectText(deps: InjectorDeps, agent: string, text: string, opts: InjectOptions = {}): Promise<InjectResult> {
  const t0 = Date.now();
  if (!text) return { ok: false, problem: 'failed', message: 'Nothing to send: the prompt is empty.', recalibrate: false };
  let lock: InputLock;
  try {
    lock = deps.lock ? await deps.lock(opts.signal) : await acquireInputLock({ ...deps.lockOptions, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (err) {
    if (opts.signal?.aborted) return { ok: false, problem: 'aborted', message: 'Stopped before typing anything.', recalibrate: false };
    return { ok: false, problem: 'busy', message: err instanceof LockBusyError ? err.message : `Could not take the input lock: ${(err as Error).message}`, recalibrate: false };
  }
  const tLock = Date.now();
  try {
    const cal = await deps.store.get(agent);
    const target = await checkTarget(deps, agent, cal);
    const tCheck = Date.now();
    if (!target.ok) {
      if (target.problem === 'needs-recalibration' && cal && !cal.stale) await deps.store.markStale(agent, target.message);
      return { ok: false, problem: target.problem, message: target.message, recalibrate: target.problem === 'needs-recalibration' || target.problem === 'not-calibrated', ...(target.fingerprint ? { fingerprint: target.fingerprint } : {}) };
    }
    const c = cal!;
    const w = target.window;
    const input = deps.input;
    const typed = (opts.typing ?? 'auto') === 'auto' && canTypeKeyByKey(text);
    const pointerBefore = await input.pointer();
    const saved = typed ? null : await input.readClipboard().catch(() => null);
    let result: InjectResult;
    try {
      result = await deliver(deps, agent, text, c, w, typed, opts);
    } catch (err) {
      result = { ok: false, problem: 'failed', message: `Desktop automation failed: ${(err as Error).message}`, recalibrate: false };
    }
    // Put back what was the person's: the clipboard, the pointer, the focused window.
    let clipboardRestored = typed;
    if (saved !== null) {
      clipboardRestored = await input
        .writeClipboard(saved)
        .then(async () => (await input.readClipboard()) === saved)
        .catch(() => false);
    }
    await input.movePointer(pointerBefore).catch(() => undefined);
    if ((opts.returnFocus ?? true) && target.previousActive && target.previousActive !== w.id) {
      await deps.windows.activate(target.previousActive).catch(() => undefined);
    }
    const tDone = Date.now();
    if (!result.ok) return result;
    deps.log?.(`${agent}: ${result.method} ${text.length} chars into "${w.title}"${result.sent ? ' and sent' : ''} (lock ${tLock - t0} ms, checks ${tCheck - tLock} ms, delivery ${tDone - tCheck} ms)`);
    return { ...result, clipboardRestored, fingerprint: target.fingerprint, timings: { lockedAt: tLock, doneAt: tDone, lockMs: tLock - t0, checkMs: tCheck - tLock, deliverMs: tDone - tCheck, totalMs: tDone - t0 } };
  } catch (err) {
    return { ok: false, problem: 'failed', message: `Desktop automation failed: ${(err as Error).message}`, recalibrate: false };
  } finally {
    await lock.release();
  }
}

/** The keystrokes, each step after a check that the target still has the focus. */
async function deliver(deps: InjectorDeps, agent: string, text: string, c: AgentCalibration, w: DesktopWindow, typed: boolean, opts: InjectOptions): Promise<InjectResult> {
  const input = deps.input;
  const stillFocused = async () => (await deps.windows.activeId()) === w.id;
  const abort = () => opts.signal?.aborted === true;
  if (!typed) {
    await input.writeClipboard(text);
    if ((await input.readClipboard()) !== text) {
      await input.writeClipboard(text);
      if ((await input.readClipboard()) !== text) {
        return { ok: false, problem: 'clipboard-failed', message: 'The clipboard did not hold the prompt after setting it (another program may be managing the clipboard). Nothing was pasted.', recalibrate: false };
      }
    }
  }
  if (abort()) return aborted();
  await input.click({ x: w.region.x + c.inputOffset.x, y: w.region.y + c.inputOffset.y });
  if (!(await stillFocused())) return focusLost(agent, 'after clicking its chat input');
  if (c.clearInput) await input.pressChord(c.pasteChord.startsWith('cmd') ? 'cmd+a' : 'ctrl+a');
  if (abort()) return aborted();
  if (typed) await input.typeText(text);
  else await input.pressChord(parseChord(c.pasteChord));
  // The target fetches the clipboard asynchronously: restoring it too early would paste the old one.
  await sleep(deps.pasteSettleMs ?? 150);
  if (!(await stillFocused())) return focusLost(agent, 'while pasting; the prompt was not sent');
  const send = opts.send ?? true;
  if (send) {
    if (abort()) return aborted();
    await input.pressChord(parseChord(c.sendChord));
    await sleep(50);
  }
  const zero = { lockedAt: 0, doneAt: 0, lockMs: 0, checkMs: 0, deliverMs: 0, totalMs: 0 };
  return { ok: true, method: typed ? 'typed' : 'paste', sent: send, clipboardRestored: false, fingerprint: null, timings: zero };
}

function aborted(): InjectResult {
  return { ok: false, problem: 'aborted', message: 'Stopped before sending: the task was stopped.', recalibrate: false };
}

function focusLost(agent: string, when: string): InjectResult {
  return { ok: false, problem: 'focus-lost', message: `${agent}: another window took the focus ${when}. Nothing was sent.`, recalibrate: false };
}
