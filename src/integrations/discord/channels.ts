/**
 * Where Dream.OS writes in the server: one category (found by name or created), text channels under
 * it named by the notification rules, and a thread per task or agent in the work channel, named
 * after the id so a restarted hub finds the threads that are still active.
 */
import { ChannelType, type Channel, type DiscordApi } from './rest';

/** Discord's own normalisation of text channel names. */
export const channelName = (name: string) =>
  name
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/[^\p{L}\p{N}_-]/gu, '')
    .slice(0, 100);

const THREAD_ID = /^((?:tsk|agt)_[0-9a-f]{12})\b/;

export class ChannelDirectory {
  private snapshot: Promise<Channel[]> | undefined;
  private categoryId: Promise<string> | undefined;
  private readonly channels = new Map<string, Promise<string>>();
  private readonly threads = new Map<string, { id: string; archived: boolean }>();
  private threadsLoaded: Promise<void> | undefined;

  constructor(
    private readonly api: Pick<DiscordApi, 'guildChannels' | 'createChannel' | 'activeThreads' | 'createThread' | 'setArchived'>,
    private readonly guildId: string,
    private readonly categoryName: string,
  ) {}

  /** The category's id, created on first use. */
  category(): Promise<string> {
    this.categoryId ??= this.remember(async () => {
      const want = this.categoryName.toLowerCase();
      const found = (await this.list()).find((c) => c.type === ChannelType.GuildCategory && (c.name ?? '').toLowerCase() === want);
      if (found) return found.id;
      return (await this.api.createChannel(this.guildId, { name: this.categoryName, type: ChannelType.GuildCategory })).id;
    }, () => (this.categoryId = undefined));
    return this.categoryId;
  }

  /** A text channel under the category, created on first use. */
  channel(name: string): Promise<string> {
    const key = channelName(name);
    let p = this.channels.get(key);
    if (!p) {
      p = this.remember(async () => {
        const parent = await this.category();
        const found = (await this.list()).find((c) => c.type === ChannelType.GuildText && c.parent_id === parent && c.name === key);
        if (found) return found.id;
        return (await this.api.createChannel(this.guildId, { name: key, type: ChannelType.GuildText, parent_id: parent, topic: 'Dream.OS notifications' })).id;
      }, () => this.channels.delete(key));
      this.channels.set(key, p);
    }
    return p;
  }

  /** The thread for `id` (a task or agent id) in `parentName`, created or unarchived as needed. */
  async thread(id: string, parentName: string, title: string): Promise<string> {
    await this.loadThreads(parentName);
    const known = this.threads.get(id);
    if (known) {
      if (known.archived) {
        await this.api.setArchived(known.id, false);
        known.archived = false;
      }
      return known.id;
    }
    const parent = await this.channel(parentName);
    const created = await this.api.createThread(parent, `${id} · ${title}`);
    this.threads.set(id, { id: created.id, archived: false });
    return created.id;
  }

  threadOf(id: string): string | undefined {
    const t = this.threads.get(id);
    return t && !t.archived ? t.id : undefined;
  }

  async archive(id: string): Promise<void> {
    const t = this.threads.get(id);
    if (!t || t.archived) return;
    await this.api.setArchived(t.id, true);
    t.archived = true;
  }

  /** A channel that turned out deleted is looked up (and created) again next time. */
  forget(channelId: string): void {
    this.snapshot = undefined;
    for (const [k, p] of this.channels) void p.then((id) => id === channelId && this.channels.delete(k), () => undefined);
    for (const [k, t] of this.threads) if (t.id === channelId) this.threads.delete(k);
    void this.categoryId?.then((id) => {
      if (id === channelId) this.categoryId = undefined;
    }, () => undefined);
  }

  private loadThreads(parentName: string): Promise<void> {
    this.threadsLoaded ??= (async () => {
      const parent = await this.channel(parentName);
      for (const t of await this.api.activeThreads(this.guildId)) {
        const m = t.parent_id === parent ? THREAD_ID.exec(t.name ?? '') : null;
        if (m && !this.threads.has(m[1]!)) this.threads.set(m[1]!, { id: t.id, archived: t.thread_metadata?.archived === true });
      }
    })().catch((err: unknown) => {
      this.threadsLoaded = undefined;
      throw err;
    });
    return this.threadsLoaded;
  }

  private list(): Promise<Channel[]> {
    this.snapshot ??= this.api.guildChannels(this.guildId).catch((err: unknown) => {
      this.snapshot = undefined;
      throw err;
    });
    return this.snapshot;
  }

  /** A failed lookup is not cached: the next call tries again. */
  private remember(fn: () => Promise<string>, onFail: () => void): Promise<string> {
    return fn().catch((err: unknown) => {
      onFail();
      throw err;
    });
  }
}
