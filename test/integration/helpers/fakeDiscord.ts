/**
 * A local stand-in for Discord, on loopback, speaking its real wire protocol for the routes Dream.OS
 * uses: REST under /api/v10 (bot auth, X-RateLimit-* headers per bucket, 429 with Retry-After and a
 * {retry_after, global} body, Discord-shaped JSON errors) and a gateway WebSocket (HELLO, heartbeat
 * ACK, IDENTIFY → READY, dispatches; close codes 4004 and 4014). It keeps a small guild in memory
 * and records every request with its arrival time, so tests can check what was sent and when.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The route with ids replaced, e.g. POST /channels/:id/messages. */
  route: string;
  at: number;
  body: unknown;
  auth: string | undefined;
  status: number;
}

export interface FakeChannel {
  id: string;
  type: number;
  name: string;
  guild_id: string;
  parent_id: string | null;
  position: number;
  topic?: string | null;
  thread_metadata?: { archived: boolean; auto_archive_duration: number; archive_timestamp: string; locked: boolean };
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  content: string;
  components: unknown[];
  allowed_mentions?: unknown;
  flags?: number;
}

interface Bucket {
  hash: string;
  remaining: number;
  resetAt: number;
}

interface Injected429 {
  route: string;
  retryAfter: number;
  global: boolean;
  left: number;
}

const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15); // GuildMembers, GuildPresences, MessageContent

let snowflakeCounter = 0n;
/** Discord-like snowflakes: 18-19 digits, increasing. */
export function snowflake(): string {
  snowflakeCounter += 1n;
  return ((BigInt(Date.now() - 1_420_070_400_000) << 22n) + snowflakeCounter).toString();
}

export interface FakeDiscordOptions {
  token?: string;
  applicationId?: string;
  guildId?: string;
  /** Requests per bucket per window (each route + major id is a bucket). */
  bucketLimit?: number;
  bucketWindowMs?: number;
  /** Answer channel creation with 403 Missing Permissions (50013). */
  denyChannelCreation?: boolean;
  /** Accept privileged intents at IDENTIFY (else close 4014). */
  allowPrivilegedIntents?: boolean;
  /** Close every IDENTIFY with this code (e.g. 4014 for an app whose privileged intents were turned off). */
  closeOnIdentify?: number;
}

export class FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  readonly guildId: string;
  readonly botUserId = snowflake();
  readonly requests: RecordedRequest[] = [];
  readonly channels = new Map<string, FakeChannel>();
  readonly messages: FakeMessage[] = [];
  readonly commands: unknown[] = [];
  readonly callbacks: { id: string; token: string; body: unknown; at: number }[] = [];
  readonly webhookEdits: { token: string; body: unknown; at: number }[] = [];
  readonly followUps: { token: string; body: unknown; at: number }[] = [];
  readonly identifies: { token: string; intents: number }[] = [];
  private readonly buckets = new Map<string, Bucket>();
  private readonly injected: Injected429[] = [];
  private readonly sockets = new Set<WebSocket>();
  private readonly waiters = new Set<() => void>();
  private seq = 0;
  private server = createServer((req, res) => void this.handle(req, res));
  private wss = new WebSocketServer({ noServer: true });
  port = 0;

  constructor(readonly opts: FakeDiscordOptions = {}) {
    this.token = opts.token ?? `${Buffer.from(snowflake()).toString('base64url')}.${randomBytes(4).toString('base64url')}.${randomBytes(20).toString('base64url')}`;
    this.applicationId = opts.applicationId ?? snowflake();
    this.guildId = opts.guildId ?? snowflake();
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname.replace(/\/$/, '') !== '/gateway' || url.searchParams.get('v') !== '10') {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.gateway(ws));
    });
  }

  static async start(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const f = new FakeDiscord(opts);
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    f.port = (f.server.address() as AddressInfo).port;
    return f;
  }

  /** What to give discord.js's REST as `api`. */
  get apiBaseUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `count` requests on `route` (e.g. 'POST /channels/:id/messages') get a 429. */
  rateLimitNext(route: string, opts: { retryAfterSeconds: number; global?: boolean; count?: number }): void {
    this.injected.push({ route, retryAfter: opts.retryAfterSeconds, global: opts.global ?? false, left: opts.count ?? 1 });
  }

  /** Waits until `pred` holds (checked after every request and gateway message). */
  async until<T>(pred: () => T | undefined | false, timeoutMs = 5_000, what = 'the expected Discord traffic'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; requests so far: ${this.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join(', ').slice(-1_500)}`);
      await new Promise<void>((resolve) => {
        const w = () => {
          this.waiters.delete(w);
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(w, 50);
        this.waiters.add(w);
      });
    }
  }

  messagesIn(channelId: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel_id === channelId);
  }

  channelNamed(name: string, type?: number): FakeChannel | undefined {
    return [...this.channels.values()].find((c) => c.name === name && (type === undefined || c.type === type));
  }

  /** Sends a gateway dispatch (e.g. INTERACTION_CREATE) to every connected bot. */
  dispatch(t: string, d: unknown): void {
    const frame = JSON.stringify({ op: 0, t, s: ++this.seq, d });
    for (const ws of this.sockets) ws.send(frame);
  }

  get connectedBots(): number {
    return this.sockets.size;
  }

  // ── Gateway ────────────────────────────────────────────────────────────────────────────────

  private gateway(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.wake();
    });
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null }));
    ws.on('message', (data) => {
      let m: { op?: number; d?: { token?: string; intents?: number } };
      try {
        m = JSON.parse(String(data)) as typeof m;
      } catch {
        ws.close(4002, 'Error while decoding payload.');
        return;
      }
      if (m.op === 1) ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      if (m.op === 2) {
        const token = m.d?.token ?? '';
        const intents = m.d?.intents ?? 0;
        this.identifies.push({ token, intents });
        if (this.opts.closeOnIdentify) ws.close(this.opts.closeOnIdentify, 'Closed by the test.');
        else if (token !== this.token) ws.close(4004, 'Authentication failed.');
        else if (intents & PRIVILEGED_INTENTS && !this.opts.allowPrivilegedIntents) ws.close(4014, 'Disallowed intent(s).');
        else {
          ws.send(
            JSON.stringify({
              op: 0,
              t: 'READY',
              s: ++this.seq,
              d: {
                v: 10,
                user: { id: this.botUserId, username: 'dreamos-bot', discriminator: '0', global_name: null, avatar: null, bot: true, flags: 0 },
                guilds: [],
                session_id: randomBytes(16).toString('hex'),
                resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
                shard: [0, 1],
                application: { id: this.applicationId, flags: 0 },
              },
            }),
          );
        }
      }
      this.wake();
    });
  }

  // ── REST ───────────────────────────────────────────────────────────────────────────────────

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        return this.reply(req, res, '?', body, 400, { message: '400: Bad Request', code: 50109 });
      }
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname.replace(/^\/api\/v10/, '');
    const method = req.method ?? 'GET';
    const route = `${method} ${p.replace(/\/\d{15,21}(?=\/|$)/g, '/:id').replace(/^(\/(?:webhooks|interactions)\/:id)\/[^/]+/, '$1/:token')}`;

    if (!url.pathname.startsWith('/api/v10/')) return this.reply(req, res, route, body, 404, { message: '404: Not Found', code: 0 });

    const injected = this.injected.find((i) => i.route === route && i.left > 0);
    if (injected) {
      injected.left--;
      const headers: Record<string, string> = { 'Retry-After': String(Math.ceil(injected.retryAfter)), 'X-RateLimit-Scope': injected.global ? 'global' : 'user' };
      if (injected.global) headers['X-RateLimit-Global'] = 'true';
      else Object.assign(headers, this.limitHeaders(route, p, false));
      return this.reply(req, res, route, body, 429, { message: 'You are being rate limited.', retry_after: injected.retryAfter, global: injected.global }, headers);
    }

    const interactionRoute = /^\/(webhooks|interactions)\//.test(p);
    if (!interactionRoute && req.headers.authorization !== `Bot ${this.token}`) {
      return this.reply(req, res, route, body, 401, { message: '401: Unauthorized', code: 0 });
    }
    const limit = this.limitHeaders(route, p, true);
    if (limit === 'exceeded') {
      return this.reply(req, res, route, body, 429, { message: 'You are being rate limited.', retry_after: 1, global: false }, { 'Retry-After': '1', 'X-RateLimit-Scope': 'user' });
    }
    const [status, out] = this.route(method, p, body);
    return this.reply(req, res, route, body, status, out, limit);
  }

  /** One bucket per route and major parameter; headers as Discord sends them. */
  private limitHeaders(route: string, p: string, consume: boolean): Record<string, string> | 'exceeded' {
    const major = /^\/(channels|guilds|webhooks)\/(\d+)/.exec(p)?.[2] ?? '';
    const key = `${route}:${major}`;
    const limit = this.opts.bucketLimit ?? 50;
    const windowMs = this.opts.bucketWindowMs ?? 1_000;
    const now = Date.now();
    let b = this.buckets.get(key);
    if (!b || b.resetAt <= now) {
      b = { hash: randomBytes(8).toString('hex'), remaining: limit, resetAt: now + windowMs };
      this.buckets.set(key, b);
    }
    if (consume) {
      if (b.remaining <= 0) return 'exceeded';
      b.remaining--;
    }
    return {
      'X-RateLimit-Limit': String(limit),
      'X-RateLimit-Remaining': String(b.remaining),
      'X-RateLimit-Reset': ((b.resetAt) / 1000).toFixed(3),
      'X-RateLimit-Reset-After': ((b.resetAt - now) / 1000).toFixed(3),
      'X-RateLimit-Bucket': b.hash,
    };
  }

  private reply(req: IncomingMessage, res: ServerResponse, route: string, body: unknown, status: number, out: unknown, headers: Record<string, string> | 'exceeded' = {}): void {
    this.requests.push({ method: req.method ?? 'GET', path: (req.url ?? '').replace(/^\/api\/v10/, ''), route, at: Date.now(), body, auth: req.headers.authorization, status });
    const h = headers === 'exceeded' ? {} : headers;
    if (status === 204) {
      res.writeHead(204, h);
      res.end();
    } else {
      res.writeHead(status, { 'Content-Type': 'application/json', ...h });
      res.end(JSON.stringify(out));
    }
    this.wake();
  }

  private route(method: string, p: string, body: unknown): [number, unknown] {
    const b = (body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;
    const unknownGuild = [404, { message: 'Unknown Guild', code: 10004 }] as [number, unknown];
    const unknownChannel = [404, { message: 'Unknown Channel', code: 10003 }] as [number, unknown];

    if (method === 'GET' && p === '/gateway/bot') {
      return [200, { url: `ws://127.0.0.1:${this.port}/gateway`, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } }];
    }
    if ((m = /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/.exec(p)) && method === 'PUT') {
      if (m[1] !== this.applicationId) return [404, { message: 'Unknown Application', code: 10002 }];
      if (m[2] !== this.guildId) return unknownGuild;
      if (!Array.isArray(body)) return [400, { message: 'Invalid Form Body', code: 50035 }];
      this.commands.splice(0, this.commands.length, ...body.map((c: Record<string, unknown>) => ({ ...c, id: snowflake(), application_id: this.applicationId, guild_id: this.guildId, version: snowflake() })));
      return [200, this.commands];
    }
    if ((m = /^\/guilds\/(\d+)\/channels$/.exec(p))) {
      if (m[1] !== this.guildId) return unknownGuild;
      if (method === 'GET') return [200, [...this.channels.values()].filter((c) => c.type !== 11)];
      if (method === 'POST') {
        if (this.opts.denyChannelCreation) return [403, { message: 'Missing Permissions', code: 50013 }];
        if (typeof b.name !== 'string' || !b.name) return [400, { message: 'Invalid Form Body', code: 50035, errors: { name: { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] } } }];
        const type = typeof b.type === 'number' ? b.type : 0;
        const c: FakeChannel = { id: snowflake(), type, name: type === 0 ? b.name.toLowerCase().replace(/\s+/g, '-') : b.name, guild_id: this.guildId, parent_id: typeof b.parent_id === 'string' ? b.parent_id : null, position: this.channels.size, topic: (b.topic as string) ?? null };
        this.channels.set(c.id, c);
        return [201, c];
      }
    }
    if ((m = /^\/guilds\/(\d+)\/threads\/active$/.exec(p)) && method === 'GET') {
      if (m[1] !== this.guildId) return unknownGuild;
      return [200, { threads: [...this.channels.values()].filter((c) => c.type === 11 && !c.thread_metadata?.archived), members: [] }];
    }
    if ((m = /^\/channels\/(\d+)\/threads$/.exec(p)) && method === 'POST') {
      const parent = this.channels.get(m[1]!);
      if (!parent) return unknownChannel;
      if (parent.type !== 0) return [400, { message: 'Cannot execute action on this channel type', code: 50024 }];
      const t: FakeChannel = {
        id: snowflake(),
        type: typeof b.type === 'number' ? b.type : 11,
        name: String(b.name ?? 'thread').slice(0, 100),
        guild_id: this.guildId,
        parent_id: parent.id,
        position: 0,
        thread_metadata: { archived: false, auto_archive_duration: Number(b.auto_archive_duration ?? 4320), archive_timestamp: new Date().toISOString(), locked: false },
      };
      this.channels.set(t.id, t);
      return [201, t];
    }
    if ((m = /^\/channels\/(\d+)$/.exec(p)) && method === 'PATCH') {
      const c = this.channels.get(m[1]!);
      if (!c) return unknownChannel;
      if (c.thread_metadata && typeof b.archived === 'boolean') c.thread_metadata = { ...c.thread_metadata, archived: b.archived, archive_timestamp: new Date().toISOString() };
      return [200, c];
    }
    if ((m = /^\/channels\/(\d+)\/messages$/.exec(p)) && method === 'POST') {
      const c = this.channels.get(m[1]!);
      if (!c) return unknownChannel;
      if (c.thread_metadata?.archived) return [400, { message: 'Thread is archived', code: 50083 }];
      if (typeof b.content !== 'string' || b.content.length > 2_000) return [400, { message: 'Invalid Form Body', code: 50035, errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } } }];
      const msg: FakeMessage = { id: snowflake(), channel_id: c.id, content: b.content, components: (b.components as unknown[]) ?? [], allowed_mentions: b.allowed_mentions, ...(typeof b.flags === 'number' ? { flags: b.flags } : {}) };
      this.messages.push(msg);
      return [200, { ...msg, type: 0, author: { id: this.botUserId, username: 'dreamos-bot', bot: true }, timestamp: new Date().toISOString(), embeds: [], attachments: [] }];
    }
    if ((m = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/.exec(p)) && method === 'PATCH') {
      if (m[1] !== this.applicationId) return [404, { message: 'Unknown Webhook', code: 10015 }];
      this.webhookEdits.push({ token: decodeURIComponent(m[2]!), body, at: Date.now() });
      return [200, { id: snowflake(), channel_id: snowflake(), content: b.content ?? '', components: b.components ?? [] }];
    }
    if ((m = /^\/webhooks\/(\d+)\/([^/]+)$/.exec(p)) && method === 'POST') {
      if (m[1] !== this.applicationId) return [404, { message: 'Unknown Webhook', code: 10015 }];
      this.followUps.push({ token: decodeURIComponent(m[2]!), body, at: Date.now() });
      return [200, { id: snowflake(), channel_id: snowflake(), content: b.content ?? '' }];
    }
    if ((m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(p)) && method === 'POST') {
      this.callbacks.push({ id: m[1]!, token: decodeURIComponent(m[2]!), body, at: Date.now() });
      return [204, null];
    }
    return [404, { message: '404: Not Found', code: 0 }];
  }
}
