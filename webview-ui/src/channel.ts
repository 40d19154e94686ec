/**
 * Requests to the host over a Transport, answered by id: queued until the channel first opens,
 * failed after 30 s or when the connection drops. Shared by the dashboard and the editor's task
 * details view (webview-ui/src/detailsPage.ts).
 */
import type { DashboardRequest, DashboardResults, HostToClient } from '../../src/protocol/dashboard';
import type { LinkStatus, Transport } from './transport';

export type Request = <A extends DashboardRequest['action']>(r: Extract<DashboardRequest, { action: A }>) => Promise<DashboardResults[A]>;

export class Channel {
  link: LinkStatus = 'connecting';
  private next = 1;
  /** Requests made before the first connection, sent once it is up. */
  private readonly whenOpen: (() => void)[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly transport: Transport) {}

  readonly request: Request = (r) => {
    const requestId = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error('The board did not answer within 30 s. Check that the hub is running, then try again.'));
      }, 30_000);
      this.pending.set(requestId, { resolve: resolve as (v: unknown) => void, reject, timer });
      const send = () => {
        if (!this.pending.has(requestId)) return; // gave up already
        try {
          this.transport.send({ type: 'request', requestId, request: r });
        } catch (e) {
          clearTimeout(timer);
          this.pending.delete(requestId);
          reject(e as Error);
        }
      };
      // The board can be on screen before the channel is up (a browser tab's first state comes over HTTP).
      if (this.link === 'connecting') this.whenOpen.push(send);
      else send(); // open, or closed: then it fails now, with the transport's explanation
    });
  };

  /** A response settles its request; true if the message was one. */
  answer(m: HostToClient): boolean {
    if (m.type !== 'response') return false;
    const p = this.pending.get(m.requestId);
    if (!p) return true;
    this.pending.delete(m.requestId);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(m.error.message));
    return true;
  }

  status(s: LinkStatus): void {
    this.link = s;
    if (s === 'open') this.whenOpen.splice(0).forEach((send) => send());
    if (s === 'closed') {
      this.whenOpen.length = 0; // their requests are rejected just below
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error('The connection to the board was lost; reconnecting. Try again in a moment.'));
        this.pending.delete(id);
      }
    }
  }
}
