/**
 * Can desktop automation run here at all? Answered before anything native is loaded, so a machine
 * without a display (SSH, CI, a container, a headless `dreamos` host) gets a clear "needs a
 * display" and the rest of Dream.OS carries on with the command and language-model drivers.
 */

export type UnavailableCode =
  | 'disabled' // the person turned desktop automation off
  | 'needs-display' // no display to type into (no DISPLAY on Linux, a headless host)
  | 'unsupported' // a platform nut-js has no build for
  | 'native-module'; // nut-js (or its native part) could not be loaded

export type Availability = { ok: true; platform: NodeJS.Platform; display?: string; warning?: string } | { ok: false; code: UnavailableCode; message: string };

export class DesktopUnavailableError extends Error {
  constructor(
    readonly code: UnavailableCode,
    message: string,
  ) {
    super(message);
    this.name = 'DesktopUnavailableError';
  }
}

export interface AvailabilityInput {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /** The setting `dreamos.desktop.enabled` (or the CLI flag); false turns the feature off. */
  enabled?: boolean;
}

const FALLBACK = 'Chat-window agents then need an editor chat command (set "commands" in agents.json), or use a command or language-model agent.';

export function checkAvailability(input: AvailabilityInput = {}): Availability {
  const platform = input.platform ?? process.platform;
  const env = input.env ?? process.env;
  if (input.enabled === false) {
    return { ok: false, code: 'disabled', message: `Desktop automation is turned off (setting dreamos.desktop.enabled). ${FALLBACK}` };
  }
  if (platform === 'linux') {
    const display = env.DISPLAY?.trim();
    if (!display) {
      const wayland = env.WAYLAND_DISPLAY ? ' This is a Wayland session without XWayland (DISPLAY is unset); desktop automation needs X11 or XWayland.' : '';
      return {
        ok: false,
        code: 'needs-display',
        message: `Desktop automation needs a display, and this process has none (DISPLAY is not set).${wayland} ${FALLBACK}`,
      };
    }
    const warning = env.WAYLAND_DISPLAY
      ? 'This is a Wayland session: only windows that run under XWayland (Cursor and VS Code do by default) can be found, focused and typed into.'
      : undefined;
    return { ok: true, platform, display, ...(warning ? { warning } : {}) };
  }
  if (platform === 'darwin' || platform === 'win32') {
    // No portable "is there a desktop" check: an SSH session on a Mac fails later, at load time.
    if (env.SSH_CONNECTION && !env.DREAMOS_DESKTOP_FORCE) {
      return { ok: false, code: 'needs-display', message: `Desktop automation needs the person's desktop session, and this process runs over SSH. ${FALLBACK}` };
    }
    return { ok: true, platform };
  }
  return { ok: false, code: 'unsupported', message: `Desktop automation has no support for ${platform}. ${FALLBACK}` };
}
