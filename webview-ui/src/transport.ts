/**
 * The one seam between the dashboard UI and its host. Inside VS Code it is the webview's
 * postMessage channel; in a browser tab it is a WebSocket to the dashboard server, reconnecting
 * with backoff. The rest of the UI cannot tell which one it runs on.
 */
import type { ClientToHost, ClientToPanel, HostToClient, StateMessage } from '../../src/protocol/dashboard';

export type LinkStatus = 'connecting' | 'open' | 'closed';

export interface Transport {
  readonly kind: 'vscode' | 'browser';
  /** Panel messages (ClientToPanel) only in VS Code: the browser dashboard's server does not take them. */
  send(m: ClientToHost | ClientToPanel): void;
  onMessage(cb: (m: HostToClient) => void): void;
  /** Fires 'open' once at start in VS Code; after every (re)connect in a browser. Say `ready` then. */
  onStatus(cb: (s: LinkStatus) => void): void;
  /**
   * The first state, if the host offers it before the channel is up: a browser tab fetches it over
   * HTTP (the page preloads it while the script loads). Undefined in VS Code, or if it fails.
   */
  initialState(): Promise<StateMessage | undefined>;
  loadState(): unknown;
  saveState(s: unknown): void;
}

interface VsCodeApi {
  postMessage(m: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare const acquireVsCodeApi: (() => VsCodeApi) | undefined;

/** Only well-formed host messages reach the UI; anything else is dropped. */
function isHostMessage(m: unknown): m is HostToClient {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

export function createTransport(): Transport {
  return typeof acquireVsCodeApi === 'function' ? vscodeTransport(acquireVsCodeApi()) : webSocketTransport();
}

function vscodeTransport(api: VsCodeApi): Transport {
  return {
    kind: 'vscode',
    send: (m) => api.postMessage(m),
    onMessage(cb) {
      window.addEventListener('message', (ev: MessageEvent<unknown>) => isHostMessage(ev.data) && cb(ev.data));
    },
    onStatus(cb) {
      queueMicrotask(() => cb('open'));
    },
    initialState: () => Promise.resolve(undefined),
    loadState: () => api.getState(),
    saveState: (s) => api.setState(s),
  };
}

const STORAGE_KEY = 'dreamos.dashboard';
/** Where the dashboard server serves the first state (src/integrations/http/dashboardServer.ts preloads it). */
const STATE_PATH = '/state';

function webSocketTransport(): Transport {
  let socket: WebSocket | undefined;
  let delay = 500;
  const messageListeners: ((m: HostToClient) => void)[] = [];
  const statusListeners: ((s: LinkStatus) => void)[] = [];
  const status = (s: LinkStatus) => statusListeners.forEach((l) => l(s));

  const connect = () => {
    status('connecting');
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    socket = ws;
    ws.onopen = () => {
      delay = 500;
      status('open');
    };
    ws.onmessage = (ev: MessageEvent<unknown>) => {
      if (typeof ev.data !== 'string') return;
      let m: unknown;
      try {
        m = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (isHostMessage(m)) messageListeners.forEach((l) => l(m));
    };
    ws.onclose = () => {
      socket = undefined;
      status('closed');
      // Backoff up to 10 s; a reconnect says `ready` again and gets a full state.
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10_000);
    };
  };
  connect(); // now, not later: the handshake runs while the rest of the page is built

  return {
    kind: 'browser',
    send(m) {
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(m));
      else throw new Error('The dashboard is not connected to the board right now; try again in a moment.');
    },
    onMessage: (cb) => void messageListeners.push(cb),
    onStatus: (cb) => void statusListeners.push(cb),
    initialState: () =>
      fetch(STATE_PATH, { credentials: 'same-origin' })
        .then((r) => (r.ok ? (r.json() as Promise<unknown>) : undefined))
        .then((m) => (isHostMessage(m) && m.type === 'state' ? m : undefined))
        .catch(() => undefined),
    loadState() {
      try {
        return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as unknown;
      } catch {
        return undefined;
      }
    },
    saveState(s) {
      try {
        sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
      } catch {
        // storage full or disabled: the dashboard still works, it just forgets on reload
      }
    },
  };
}
