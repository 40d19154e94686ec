/**
 * GET /api/v1/events as Server-Sent Events: each board event is one message whose id is its seq,
 * so a client that reconnects with Last-Event-ID (a browser's EventSource does it by itself)
 * resumes right after the last event it saw — the hub replays from there.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { BoardClient } from '../../core/hub/connect';
import { isDeadCredential } from './problem';

/** A client this many events behind is dropped; it reconnects with Last-Event-ID. */
const MAX_QUEUED = 10_000;

export function eventStream(c: Context, board: BoardClient, after: number, opts: { pingMs: number; track: (stop: () => void) => () => void }): Response {
  c.header('Cache-Control', 'no-store');
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    let queued = 0;
    let chain = Promise.resolve();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const untrack = opts.track(() => {
      stop();
      void stream.close();
    });
    // A first comment so the client knows the stream is open before any event.
    await stream.write(`: resuming after ${after}\n\n`);
    const sub = board.subscribe(after, (e) => {
      if (++queued > MAX_QUEUED) return stop();
      chain = chain.then(() => stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify(e) })).then(() => void queued--, stop);
    });
    // Each keep-alive also asks the hub whether the token still lives: a revoked token's stream ends.
    const ping = setInterval(() => {
      board.call({ type: 'credential.whoami' }).then(
        () => undefined,
        (err: unknown) => (isDeadCredential(err) ? stop() : undefined),
      );
      chain = chain.then(() => stream.write(': ping\n\n')).then(() => undefined, stop);
    }, opts.pingMs);
    stream.onAbort(stop);
    await stopped;
    clearInterval(ping);
    sub.dispose();
    untrack();
  });
}
