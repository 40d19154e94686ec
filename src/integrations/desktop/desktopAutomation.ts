/**
 * Desktop automation as the loop and the editor see it: the DesktopAutomation port of
 * src/core/loop/driver.ts (sendToWindow), extended with what window orchestration adds (send to an
 * agent by name with a precise outcome, status per agent for the Agents view, calibration,
 * re-check, arrange, focus / minimize / restore, window events).
 *
 * Nothing native loads until the first call that needs the desktop; a missing display or module
 * answers every call with "needs a display" (or what else is missing), never a crash.
 */
import type { DesktopAutomation } from '../../core/loop/driver';
import { checkAvailability, DesktopUnavailableError, type Availability, type UnavailableCode } from './availability';
import { calibrateAgent, recheckAgent, type CalibrateRequest, type CalibrateResult, type RecheckResult } from './calibrate';
import { CalibrationStore } from './calibration';
import { DEFAULT_TOLERANCE, type FingerprintTolerance } from './fingerprint';
import { sameRect, type GridOptions, type Rect } from './geometry';
import { injectText, type InjectOptions, type InjectProblem, type InjectResult } from './injector';
import { NutInput, type InputSystem } from './input';
import { acquireInputLock, type LockOptions } from './inputLock';
import { NutWindows } from './nutWindows';
import { WindowRegistry, type PlaceResult, type WindowEvent } from './windowRegistry';
import type { DesktopWindow, WindowSystem } from './windows';
import { connectX11 } from './x11Windows';

export interface DesktopSettings {
  /** `dreamos.desktop.enabled`: false turns desktop automation off entirely. */
  enabled?: boolean;
  /** `dreamos.desktop.pasteSettleMs`: wait after the paste chord before sending (slow machines: more). */
  pasteSettleMs?: number;
  /** How much the chat input's surroundings may change before the agent needs recalibration. */
  tolerance?: FingerprintTolerance;
  /** How long an injection waits for another one (any process) to finish. */
  lockTimeoutMs?: number;
}

export type DesktopSendResult = { ok: true; detail?: InjectResult } | { ok: false; reason: string; code: InjectProblem | UnavailableCode; recalibrate: boolean };

/** 'unavailable': desktop automation is turned off or not installed; 'needs-display': no display here. */
export type AgentDesktopState = 'ready' | 'needs-display' | 'unavailable' | 'not-calibrated' | 'needs-recalibration' | 'window-not-found' | 'ambiguous-window';
export interface AgentDesktopStatus {
  agent: string;
  state: AgentDesktopState;
  message?: string;
  windowTitle?: string;
}

/** The extended port. Where driver.ts's DesktopAutomation is enough, this object is also that. */
export interface DesktopOrchestrator extends DesktopAutomation {
  availability(): Promise<Availability>;
  sendToAgent(agent: string, text: string, signal: AbortSignal, opts?: Omit<InjectOptions, 'signal'>): Promise<DesktopSendResult>;
  /** Cheap (no focusing, no typing): for the Agents view and `dreamos agents`. */
  status(agents: readonly string[]): Promise<AgentDesktopStatus[]>;
  windows(): Promise<DesktopWindow[]>;
  calibrate(agent: string, req: CalibrateRequest): Promise<CalibrateResult>;
  recheck(agent: string, opts?: { adoptMoved?: boolean; signal?: AbortSignal }): Promise<RecheckResult>;
  /**
   * Grid over the work area of the first window's monitor, agents' windows in the order given.
   * Moving or resizing a calibrated window makes it need recalibration (or a re-check with
   * adoptMoved when only its position changed): arrange first, then calibrate.
   */
  arrange(agents: readonly string[], opts?: GridOptions & { area?: Rect }): Promise<PlaceResult[]>;
  /** The same for windows by id (from windows()), e.g. before any agent is calibrated. */
  arrangeWindows(windowIds: readonly string[], opts?: GridOptions & { area?: Rect }): Promise<PlaceResult[]>;
  focus(agent: string): Promise<boolean>;
  minimize(agent: string): Promise<void>;
  restore(agent: string): Promise<void>;
  /** Window events (appeared, closed, changed) every `pollMs`; returns a stop function. */
  watch(listener: (e: WindowEvent) => void, pollMs?: number): Promise<() => void>;
  dispose(): Promise<void>;
}

interface Session {
  windows: WindowSystem;
  input: InputSystem;
  registry: WindowRegistry;
}

export interface DesktopAutomationOptions {
  boardDir: string;
  settings?: DesktopSettings;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  log?: (line: string) => void;
  lockOptions?: LockOptions;
}

export function createDesktopAutomation(o: DesktopAutomationOptions): DesktopOrchestrator {
  const env = o.env ?? process.env;
  const platform = o.platform ?? process.platform;
  const store = new CalibrationStore(o.boardDir);
  const tolerance = o.settings?.tolerance ?? DEFAULT_TOLERANCE;
  let session: Promise<Session> | undefined;

  const open = (): Promise<Session> => {
    const available = checkAvailability({ env, platform, ...(o.settings?.enabled !== undefined ? { enabled: o.settings.enabled } : {}) });
    if (!available.ok) return Promise.reject(new DesktopUnavailableError(available.code, available.message));
    session ??= (async () => {
      // On Linux the pure-JS X11 connection comes first: it proves the display is reachable
      // before libnut (which segfaults on an unreachable display) is loaded.
      const windows: WindowSystem =
        platform === 'linux' ? await connectX11(env.DISPLAY) : await NutWindows.load(env);
      try {
        const input = await NutInput.load(env, platform);
        return { windows, input, registry: new WindowRegistry(windows) };
      } catch (err) {
        await windows.close();
        throw err;
      }
    })();
    session.catch(() => (session = undefined));
    return session;
  };

  const unavailable = (err: unknown): { ok: false; reason: string; code: UnavailableCode | InjectProblem; recalibrate: false } =>
    err instanceof DesktopUnavailableError ? { ok: false, reason: err.message, code: err.code, recalibrate: false } : { ok: false, reason: `Desktop automation failed: ${(err as Error).message}`, code: 'failed', recalibrate: false };

  const deps = (s: Session) => ({
    ...s,
    store,
    tolerance,
    lock: (signal: AbortSignal | undefined) => acquireInputLock({ timeoutMs: o.settings?.lockTimeoutMs ?? 60_000, ...o.lockOptions, ...(signal ? { signal } : {}) }),
    ...(o.settings?.pasteSettleMs !== undefined ? { pasteSettleMs: o.settings.pasteSettleMs } : {}),
    ...(o.log ? { log: o.log } : {}),
  });

  const windowOf = async (s: Session, agent: string): Promise<DesktopWindow> => {
    const cal = await store.get(agent);
    if (!cal) throw new Error(`${agent} has no calibrated window. Run "Dream.OS: Calibrate Agent Window" first.`);
    const r = await s.registry.resolve(cal.titlePattern, cal.windowId);
    if (!r.ok) throw new Error(`${agent}: ${r.message}`);
    return r.window;
  };

  const api: DesktopOrchestrator = {
    async availability() {
      try {
        await open();
        return checkAvailability({ env, platform });
      } catch (err) {
        return err instanceof DesktopUnavailableError ? { ok: false, code: err.code, message: err.message } : { ok: false, code: 'native-module', message: (err as Error).message };
      }
    },

    async sendToAgent(agent, text, signal, opts = {}) {
      let s: Session;
      try {
        s = await open();
      } catch (err) {
        return unavailable(err);
      }
      const r = await injectText(deps(s), agent, text, { ...opts, signal });
      return r.ok ? { ok: true, detail: r } : { ok: false, reason: r.message, code: r.problem, recalibrate: r.recalibrate };
    },

    async sendToWindow(windowTitle, text, signal) {
      try {
        await open();
      } catch (err) {
        return { ok: false, reason: unavailable(err).reason };
      }
      const agents = Object.entries((await store.read().catch(() => ({ agents: {} }))).agents).filter(([, c]) => c.titlePattern === windowTitle);
      if (agents.length !== 1) {
        return {
          ok: false,
          reason: agents.length
            ? `Several calibrated agents use the window title "${windowTitle}" (${agents.map(([a]) => a).join(', ')}); Dream.OS cannot tell which chat input to use.`
            : `No chat input is calibrated for windows titled "${windowTitle}". Run "Dream.OS: Calibrate Agent Window" for this agent.`,
        };
      }
      const r = await api.sendToAgent(agents[0]![0], text, signal);
      return r.ok ? { ok: true } : { ok: false, reason: r.reason };
    },

    async status(agents) {
      let s: Session;
      try {
        s = await open();
      } catch (err) {
        const u = unavailable(err);
        const state: AgentDesktopState = u.code === 'needs-display' ? 'needs-display' : 'unavailable';
        return agents.map((agent) => ({ agent, state, message: u.reason }));
      }
      const file = await store.read();
      return Promise.all(
        agents.map(async (agent): Promise<AgentDesktopStatus> => {
          const cal = file.agents[agent];
          if (!cal) return { agent, state: 'not-calibrated', message: `Calibrate ${agent}'s chat window ("Dream.OS: Calibrate Agent Window").` };
          if (cal.stale) return { agent, state: 'needs-recalibration', message: cal.stale.reason, windowTitle: cal.windowTitle };
          const r = await s.registry.resolve(cal.titlePattern, cal.windowId);
          if (!r.ok) return { agent, state: r.reason === 'ambiguous' ? 'ambiguous-window' : 'window-not-found', message: r.message };
          if (!sameRect(r.window.region, cal.windowRegion)) return { agent, state: 'needs-recalibration', message: `Its window moved or was resized since calibration.`, windowTitle: r.window.title };
          return { agent, state: 'ready', windowTitle: r.window.title };
        }),
      );
    },

    async windows() {
      return (await open()).registry.list();
    },

    async calibrate(agent, req) {
      let s: Session;
      try {
        s = await open();
      } catch (err) {
        return { ok: false, message: unavailable(err).reason };
      }
      return calibrateAgent(deps(s), agent, req);
    },

    async recheck(agent, opts = {}) {
      const s = await open();
      return recheckAgent(deps(s), agent, opts);
    },

    async arrange(agents, opts = {}) {
      const s = await open();
      const ids = await Promise.all(agents.map(async (a) => (await windowOf(s, a)).id));
      return s.registry.arrange(ids, opts);
    },

    async arrangeWindows(windowIds, opts = {}) {
      return (await open()).registry.arrange(windowIds, opts);
    },

    async focus(agent) {
      const s = await open();
      return s.registry.focus((await windowOf(s, agent)).id);
    },

    async minimize(agent) {
      const s = await open();
      await s.registry.minimize((await windowOf(s, agent)).id);
    },

    async restore(agent) {
      const s = await open();
      await s.registry.restore((await windowOf(s, agent)).id);
    },

    async watch(listener, pollMs = 1_000) {
      const s = await open();
      s.registry.on('event', listener);
      const stop = s.registry.watch(pollMs);
      return () => {
        stop();
        s.registry.off('event', listener);
      };
    },

    async dispose() {
      const s = await session?.catch(() => undefined);
      session = undefined;
      s?.registry.stopWatching();
      await s?.windows.close();
    },
  };
  return api;
}
