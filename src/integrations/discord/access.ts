/**
 * Who may do what from Discord, and how fast. Write actions are denied unless the settings allow
 * the person (by user id or by one of their roles); read actions are open unless restricted.
 * Each person gets a token bucket, so one excited phone cannot flood the board.
 */
import type { ButtonAction } from './components';
import { READ_COMMANDS, type CommandName, type DiscordConfig, type Principals } from './discordConfig';
import type { Invoker } from './payloads';

/** The permission each button needs: the same as the slash command that does the same thing. */
export const ACTION_PERMISSION: Record<ButtonAction, CommandName> = { approve: 'approve', reject: 'reject', retry: 'retry' };

export type Verdict = { allowed: true } | { allowed: false; message: string };

/** How a person knows the action: the slash command, or the button that has no command of its own. */
const label = (c: CommandName) => (c === 'retry' ? 'Retry on a task' : `/${c}`);
const listed = (p: Principals | undefined, who: Invoker) => !!p && (p.users.includes(who.id) || who.roles.some((r) => p.roles.includes(r)));

export function mayRun(permissions: DiscordConfig['permissions'], who: Invoker, command: CommandName): Verdict {
  if (listed(permissions.admins, who)) return { allowed: true };
  const entry = permissions.commands[command];
  if (entry) {
    return listed(entry, who)
      ? { allowed: true }
      : { allowed: false, message: `You may not use ${label(command)}: only the roles and people listed for it in the Dream.OS Discord permissions may. Ask whoever runs Dream.OS to add your role or user id.` };
  }
  if (READ_COMMANDS.has(command) && permissions.readForEveryone) return { allowed: true };
  return {
    allowed: false,
    message: READ_COMMANDS.has(command)
      ? `You may not use ${label(command)}: reading the board from Discord is limited to listed roles. Ask whoever runs Dream.OS to add your role or user id.`
      : `You may not use ${label(command)}: it changes the board, and Dream.OS only lets the roles and people listed in its Discord permissions do that. Ask whoever runs Dream.OS to add your role or user id (permissions.commands["${command}"] or permissions.admins).`,
  };
}

/** A token bucket per person: `burst` at once, then `perMinute` a minute. */
export class UserRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly refillPerMs: number;

  constructor(
    private readonly burst: number,
    perMinute: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  /** Takes a token: 0 when allowed, else how many ms until the next one. */
  take(userId: string): number {
    const now = this.clock();
    const b = this.buckets.get(userId) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.refillPerMs);
    b.at = now;
    this.buckets.delete(userId); // re-inserted last: the map stays ordered by last use
    this.buckets.set(userId, b);
    if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.refillPerMs);
  }
}

export function slowDownMessage(waitMs: number): string {
  const s = Math.max(1, Math.ceil(waitMs / 1000));
  return `Easy there: Dream.OS takes a few commands at a time from each person. Try again in ${s} second${s === 1 ? '' : 's'}.`;
}
