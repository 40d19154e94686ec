/**
 * Resolves when the process is asked to stop (Ctrl+C / SIGTERM) or `signal` aborts, and removes
 * its listeners either way: the long-running CLI commands (dashboard, discord, events --follow)
 * all wait on this.
 */
export function untilInterrupted(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
  });
}
