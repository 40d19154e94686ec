/**
 * nut-js, loaded on first use only (a dynamic import: it pulls in a native module, jimp and a
 * clipboard helper that nobody without desktop agents should pay for). A failed load becomes a
 * DesktopUnavailableError that says what is missing and what to do, never a crash.
 */
import { checkAvailability, DesktopUnavailableError } from './availability';

export type Nut = typeof import('@nut-tree-fork/nut-js');

let loaded: Promise<Nut> | undefined;

/** Loads nut-js once per process. Checks for a display first: libnut aborts the process without one. */
export function loadNut(env: NodeJS.ProcessEnv = process.env): Promise<Nut> {
  const available = checkAvailability({ env });
  if (!available.ok) return Promise.reject(new DesktopUnavailableError(available.code, available.message));
  loaded ??= (async () => {
    try {
      const nut = await import('@nut-tree-fork/nut-js');
      // Delays between key events are ours to choose (nut-js waits 300 ms per event by default).
      nut.keyboard.config.autoDelayMs = 0;
      nut.mouse.config.autoDelayMs = 0;
      nut.mouse.config.mouseSpeed = 100_000;
      return nut;
    } catch (err) {
      loaded = undefined;
      throw new DesktopUnavailableError('native-module', nativeLoadMessage(err));
    }
  })();
  return loaded;
}

export function nativeLoadMessage(err: unknown): string {
  const cause = err instanceof Error ? err.message.split('\n')[0] : String(err);
  if (/Cannot find (module|package)/i.test(cause)) {
    return `Desktop automation is not part of this installation (${cause}). Install Dream.OS with its optional desktop support (npm install @nut-tree-fork/nut-js beside it), or use chat commands, command or language-model agents.`;
  }
  const hint =
    process.platform === 'linux'
      ? ' On Debian/Ubuntu install the X11 libraries it needs: sudo apt-get install -y libxtst6 libx11-6.'
      : process.platform === 'darwin'
        ? ' On macOS, allow the editor under System Settings → Privacy & Security → Accessibility and Screen Recording.'
        : '';
  return `Desktop automation could not load its native module (${cause}).${hint}`;
}
