/**
 * Outgoing notifications, coalesced per channel: the first notice opens a window, everything that
 * arrives for that channel within it goes out as one message (a digest when there is more than one),
 * so a burst of 100 events is one message, not 100. Sends to a channel are serialised to keep order;
 * discord.js's REST client below does the waiting for Discord's rate limits.
 */
import type { DiscordLog } from './dispatcher';
import { clip, DISCORD_MESSAGE_LIMIT, messageBody, type ActionRow, type MessageBody } from './payloads';

export interface Notice {
  /** One line, used in a digest. */
  line: string;
  /** The message when it goes out alone (default: the line). */
  text?: string;
  buttons?: ActionRow;
  /** Names the thing the buttons act on, so buttons in a digest say which item they are for. */
  ref?: string;
  mentionRoles?: readonly string[];
}

interface Pending {
  notices: Notice[];
  dropped: number;
  timer: NodeJS.Timeout;
  after: (() => Promise<void>)[];
}

/** More than this per window are counted, not listed: a digest is at most 2,000 characters anyway. */
const KEEP_PER_WINDOW = 200;
const MAX_BUTTON_ROWS = 5;

export class Outbox {
  private readonly pending = new Map<string, Pending>();
  private readonly chains = new Map<string, Promise<void>>();
  private closed = false;
  /** Messages sent, for the status view and tests. */
  sent = 0;

  constructor(
    private readonly o: {
      windowMs: number;
      send: (channelId: string, body: MessageBody) => Promise<void>;
      log?: DiscordLog;
      onError?: (err: unknown, channelId: string) => void;
    },
  ) {}

  push(channelId: string, notice: Notice): void {
    if (this.closed) return;
    const p = this.open(channelId);
    if (p.notices.length < KEEP_PER_WINDOW) p.notices.push(notice);
    else p.dropped++;
  }

  /** Runs `fn` right after this channel's pending notices are sent (e.g. archive a thread after its last words). */
  after(channelId: string, fn: () => Promise<void>): void {
    if (this.closed) return;
    this.open(channelId).after.push(fn);
  }

  /** Sends everything pending now and waits for every send in progress. */
  async drain(): Promise<void> {
    for (const id of [...this.pending.keys()]) this.flush(id);
    while (this.chains.size) await Promise.allSettled([...this.chains.values()]);
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
  }

  private open(channelId: string): Pending {
    let p = this.pending.get(channelId);
    if (!p) {
      p = { notices: [], dropped: 0, after: [], timer: setTimeout(() => this.flush(channelId), this.o.windowMs) };
      this.pending.set(channelId, p);
    }
    return p;
  }

  private flush(channelId: string): void {
    const p = this.pending.get(channelId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(channelId);
    const body = p.notices.length ? compose(p.notices, p.dropped) : undefined;
    const prev = this.chains.get(channelId) ?? Promise.resolve();
    const next = prev
      .then(async () => {
        if (body) {
          await this.o.send(channelId, body);
          this.sent++;
        }
      })
      .catch((err: unknown) => this.failed(err, channelId))
      .then(async () => {
        for (const fn of p.after) await fn().catch((err: unknown) => this.failed(err, channelId));
      });
    this.chains.set(channelId, next);
    void next.finally(() => {
      if (this.chains.get(channelId) === next) this.chains.delete(channelId);
    });
  }

  private failed(err: unknown, channelId: string): void {
    if (this.o.onError) this.o.onError(err, channelId);
    else this.o.log?.('error', `A Discord notification to channel ${channelId} failed: ${(err as Error).message}`);
  }
}

/** One notice as itself; several as a digest with the buttons of the first few. */
export function compose(notices: readonly Notice[], dropped = 0): MessageBody {
  const roles = [...new Set(notices.flatMap((n) => n.mentionRoles ?? []))];
  const mention = roles.length ? `${roles.map((r) => `<@&${r}>`).join(' ')} ` : '';
  if (notices.length === 1 && !dropped) {
    const n = notices[0]!;
    return messageBody(`${mention}${n.text ?? n.line}`, { ...(n.buttons ? { components: [n.buttons] } : {}), mentionRoles: roles });
  }
  const total = notices.length + dropped;
  const header = `${mention}**Dream.OS — ${total} updates**`;
  const footerRoom = 40;
  let content = header;
  let listed = 0;
  for (const n of notices) {
    const line = `\n• ${clip(n.line, 300)}`;
    if (content.length + line.length > DISCORD_MESSAGE_LIMIT - footerRoom) break;
    content += line;
    listed++;
  }
  if (listed < total) content += `\n…and ${total - listed} more (see /devlog)`;
  const rows = notices
    .flatMap((n) => (n.buttons ? [{ ...n.buttons, components: n.buttons.components.map((b) => ({ ...b, label: clip(n.ref ? `${b.label} ${n.ref}` : b.label, 80) })) }] : []))
    .slice(0, MAX_BUTTON_ROWS);
  return messageBody(content, { ...(rows.length ? { components: rows } : {}), mentionRoles: roles });
}
