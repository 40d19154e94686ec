/**
 * Turns one interaction into one answer, whatever carried it (the gateway or the HTTP endpoint):
 * parse → server check → per-person rate limit → permission → handler. Discord wants a first answer
 * within 3 s: a handler that is not done within `deferAfterMs` (or is known to be slow) gets a
 * deferred answer at once and its result is sent later by editing the original response.
 */
import { DreamError } from '../../core/errors';
import { ACTION_PERMISSION, mayRun, slowDownMessage, UserRateLimiter } from './access';
import { decodeCustomId, REJECT_REASON_FIELD } from './components';
import type { DiscordConfig } from './discordConfig';
import { handleButton, type DiscordBoard, type HandlerContext, type Reply } from './handlers';
import { EPHEMERAL, invokerOf, messageBody, parseInteraction, ResponseType, type ActionInteraction, type InteractionResponse, type MessageBody } from './payloads';
import type { ProposalWorkspace } from '../../core/proposals/approval';
import type { DiscordApi } from './rest';
import { parseInvocation, READ_ONLY, slashEntry } from './slashCommands';

export type DiscordLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** Sends the first answer: the HTTP endpoint writes its response, the gateway posts a callback. */
export type Respond = (response: InteractionResponse) => Promise<void>;

/** The follow-up routes; DiscordApi provides them. */
export type FollowUps = Pick<DiscordApi, 'editOriginal'> & { followUp?: (applicationId: string, token: string, body: MessageBody) => Promise<void> };

export interface DispatcherOptions {
  config: Pick<DiscordConfig, 'guildId' | 'permissions' | 'rateLimit' | 'deferAfterMs'>;
  board: DiscordBoard;
  followUps: FollowUps;
  workspace?: ProposalWorkspace | undefined;
  log?: DiscordLog;
  clock?: () => number;
}

interface Work {
  run: () => Promise<Reply>;
  slow: boolean;
  ephemeral: boolean;
}

export class InteractionDispatcher {
  private readonly limiter: UserRateLimiter;
  private readonly log: DiscordLog;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly o: DispatcherOptions) {
    this.limiter = new UserRateLimiter(o.config.rateLimit.burst, o.config.rateLimit.perMinute, o.clock);
    this.log = o.log ?? (() => undefined);
  }

  /**
   * Answers `raw`. Throws DreamError('invalid_input') only when it is not an interaction at all
   * (the HTTP endpoint turns that into a 400); everything else becomes an answer in Discord.
   */
  async dispatch(raw: unknown, respond: Respond): Promise<void> {
    const parsed = parseInteraction(raw);
    if (!parsed.ok) throw new DreamError('invalid_input', parsed.message);
    const i = parsed.value;
    if (i.type === 1) return respond({ type: ResponseType.Pong });
    if (i.type === 4) return respond({ type: ResponseType.AutocompleteResult, data: { choices: [] } });
    const p = this.answer(i, respond);
    this.inFlight.add(p);
    try {
      await p;
    } finally {
      this.inFlight.delete(p);
    }
  }

  /** Resolves when every answer in progress (follow-ups included) is finished; for shutdown and tests. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private async answer(i: ActionInteraction, respond: Respond): Promise<void> {
    const refuse = (content: string) => respond({ type: ResponseType.Message, data: messageBody(content, { ephemeral: true }) });
    if (i.guild_id !== this.o.config.guildId) return refuse('This Dream.OS board takes commands only in its own Discord server.');
    const who = invokerOf(i);
    if (!who) return refuse('Dream.OS could not tell who sent this, so it did nothing.');
    const wait = this.limiter.take(who.id);
    if (wait > 0) return refuse(slowDownMessage(wait));

    const ctx: HandlerContext = { board: this.o.board, who, workspace: this.o.workspace, ...(i.message ? { sourceContent: i.message.content } : {}) };
    const work = this.plan(i, ctx);
    if (typeof work === 'string') return refuse(work);
    await this.run(i, work, respond);
  }

  /** What to run, or why not (a message for the person). */
  private plan(i: ActionInteraction, ctx: HandlerContext): Work | string {
    if (i.type === 2) {
      const inv = parseInvocation(i.data);
      if (!inv.ok) return inv.message;
      const verdict = mayRun(this.o.config.permissions, ctx.who, inv.value.name);
      if (!verdict.allowed) return verdict.message;
      const command = slashEntry(inv.value.name);
      // Read-only answers are shown only to the person who asked; changes are posted for all to see.
      return { run: () => command.run(ctx, inv.value.args), slow: command.slow === true, ephemeral: READ_ONLY.has(inv.value.name) };
    }
    const decoded = decodeCustomId(i.data.custom_id);
    if (!decoded.ok) return decoded.message;
    const { action, id } = decoded.value;
    const verdict = mayRun(this.o.config.permissions, ctx.who, ACTION_PERMISSION[action]);
    if (!verdict.allowed) return verdict.message;
    if (i.type === 3) return { run: () => handleButton(ctx, action, id), slow: action === 'approve', ephemeral: false };
    // A dialog submission: only the reject dialog exists.
    if (action !== 'reject') return 'This dialog is not one Dream.OS knows.';
    const field = i.data.components.flatMap((row) => row.components).find((c) => c.custom_id === REJECT_REASON_FIELD);
    const reason = field?.value?.trim() ?? '';
    if (!reason) return 'Say why you reject it: the agent reads the reason to do better.';
    return { run: () => handleButton(ctx, 'reject', id, reason), slow: false, ephemeral: false };
  }

  private async run(i: ActionInteraction, work: Work, respond: Respond): Promise<void> {
    const fromMessage = i.type === 3 || (i.type === 5 && !!i.message);
    const result = work.run().then(
      (reply) => reply,
      (err: unknown) => this.failure(err),
    );
    const inTime = work.slow ? undefined : await raceDeadline(result, this.o.config.deferAfterMs);
    if (inTime) return respond(toResponse(inTime, fromMessage, work.ephemeral));

    // Too slow for an inline answer: defer now, finish later through the interaction's webhook.
    await respond(fromMessage ? { type: ResponseType.DeferredUpdate } : { type: ResponseType.DeferredMessage, ...(work.ephemeral ? { data: { flags: EPHEMERAL } } : {}) });
    const reply = await result;
    try {
      if (reply.kind === 'message' && fromMessage && this.o.followUps.followUp) {
        // An error after a deferred button press goes to the presser alone; the notification stays as it was.
        await this.o.followUps.followUp(i.application_id, i.token, messageBody(reply.content, { ephemeral: true }));
      } else if (reply.kind !== 'modal') {
        await this.o.followUps.editOriginal(i.application_id, i.token, messageBody(reply.content, reply.components ? { components: reply.components } : {}));
      }
    } catch (err) {
      this.log('error', `Could not finish a deferred Discord answer: ${(err as Error).message}`);
    }
  }

  private failure(err: unknown): Reply {
    const e = DreamError.from(err);
    if (e.code === 'internal') this.log('error', `A Discord command failed: ${e.message}`);
    return { kind: 'message', content: `⚠️ ${e.message}`, ephemeral: true };
  }
}

function toResponse(reply: Reply, fromMessage: boolean, ephemeral: boolean): InteractionResponse {
  switch (reply.kind) {
    case 'modal':
      return reply.response;
    case 'update':
      return fromMessage
        ? { type: ResponseType.UpdateMessage, data: messageBody(reply.content, { components: reply.components }) }
        : { type: ResponseType.Message, data: messageBody(reply.content, { ephemeral }) };
    case 'message':
      return { type: ResponseType.Message, data: messageBody(reply.content, { ephemeral: reply.ephemeral ?? ephemeral, ...(reply.components ? { components: reply.components } : {}) }) };
  }
}

async function raceDeadline<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
