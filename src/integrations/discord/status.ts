/**
 * The Discord connection's state, for the Agents view and the status bar: one current value and a
 * change listener, no vscode import (the extension wraps it in its own EventEmitter if it likes).
 */
export type DiscordState = 'off' | 'connecting' | 'ready' | 'degraded' | 'error';

export interface DiscordStatus {
  state: DiscordState;
  /** What is going on, in a sentence ("Connected to Discord as dreamos-bot."). */
  message: string;
  /** For 'degraded' and 'error': what the person should do about it. */
  fix?: string;
  since: number;
}

export class DiscordStatusSource {
  private value: DiscordStatus = { state: 'off', message: 'Discord is not connected.', since: Date.now() };
  private readonly listeners = new Set<(s: DiscordStatus) => void>();

  get current(): DiscordStatus {
    return this.value;
  }

  set(state: DiscordState, message: string, fix?: string): void {
    // The same problem reported again is not news; a listener redrawing a status bar need not hear it.
    if (this.value.state === state && this.value.message === message && this.value.fix === fix) return;
    this.value = fix === undefined ? { state, message, since: Date.now() } : { state, message, fix, since: Date.now() };
    for (const l of [...this.listeners]) {
      try {
        l(this.value);
      } catch {
        // A broken listener must not stop the others from hearing about the change.
      }
    }
  }

  onDidChange(listener: (s: DiscordStatus) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Resolves when the state is one of `states` (already or later); for hosts and tests. */
  when(states: readonly DiscordState[], timeoutMs = 30_000): Promise<DiscordStatus> {
    if (states.includes(this.value.state)) return Promise.resolve(this.value);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error(`Discord did not become ${states.join(' or ')} within ${timeoutMs} ms (it is ${this.value.state}: ${this.value.message})`));
      }, timeoutMs);
      const sub = this.onDidChange((s) => {
        if (!states.includes(s.state)) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(s);
      });
    });
  }
}
