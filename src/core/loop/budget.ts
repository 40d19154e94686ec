/**
 * Budgets that hold: how much a task, an agent in a day, and the whole swarm in a day may spend, in
 * US dollars and/or tokens. Declared in agents.json (a swarm-wide "budget", an agent's own "budget"
 * overriding it), checked before a run starts and while it runs from the run's own figures on the
 * board (run.spent). A run that crosses a limit is stopped and its task goes to the person as
 * "over budget" with the figures. Days are UTC days; tokens are input + output (cached reads are
 * not counted twice).
 */
import { z } from 'zod';

export const BudgetLimit = z
  .object({
    /** US dollars, e.g. 2.5 (the CLI's own cost, or the price-table estimate where it reports none). */
    usd: z.number().positive('usd must be above 0, e.g. 2.5').max(1_000_000).optional(),
    /** Input + output tokens, e.g. 500000. */
    tokens: z.number().int({ message: 'tokens must be a whole number above 0, e.g. 500000' }).positive('tokens must be a whole number above 0, e.g. 500000').max(1e12).optional(),
  })
  .strict()
  .refine((l) => l.usd !== undefined || l.tokens !== undefined, { message: 'give "usd" (dollars, e.g. 2.5) or "tokens" (e.g. 500000), or both' });
export type BudgetLimit = z.infer<typeof BudgetLimit>;

/** An agent's own budget in agents.json: per task it works on, and per UTC day (each instance its own). */
export const AgentBudget = z.object({ task: BudgetLimit.optional(), day: BudgetLimit.optional() }).strict();
export type AgentBudget = z.infer<typeof AgentBudget>;

/** The swarm's budget in agents.json: defaults per task and per agent-day, and the whole swarm per UTC day. */
export const SwarmBudget = z.object({ task: BudgetLimit.optional(), agentDay: BudgetLimit.optional(), swarmDay: BudgetLimit.optional() }).strict();
export type SwarmBudget = z.infer<typeof SwarmBudget>;

export type BudgetScope = 'task' | 'agentDay' | 'swarmDay';
export const SCOPES: readonly BudgetScope[] = ['task', 'agentDay', 'swarmDay'];

/** The limits that hold for one agent: its own over the swarm's defaults. */
export type Budget = Partial<Record<BudgetScope, BudgetLimit>>;

export function budgetFor(swarm: { budget?: SwarmBudget | undefined }, agent: { budget?: AgentBudget | undefined }): Budget {
  const s = swarm.budget ?? {};
  const a = agent.budget ?? {};
  const task = a.task ?? s.task;
  const agentDay = a.day ?? s.agentDay;
  return { ...(task ? { task } : {}), ...(agentDay ? { agentDay } : {}), ...(s.swarmDay ? { swarmDay: s.swarmDay } : {}) };
}

export const hasBudget = (b: Budget | undefined): b is Budget => !!b && SCOPES.some((s) => b[s]);

/** What has been spent in a scope (the board's run figures; a running run's so far included). */
export interface Spent {
  usd: number;
  tokens: number;
  /** Part of the cost is an estimate from a price table. */
  estimated: boolean;
}

export interface Breach {
  scope: BudgetScope;
  /** Which figure crossed: dollars or tokens. */
  unit: 'usd' | 'tokens';
  limit: number;
  spent: Spent;
  /** In a person's words, with the figures. */
  message: string;
}

/** The start of the UTC day `now` is in: what "per day" counts from. */
export const dayStart = (now: number): number => now - (((now % 86_400_000) + 86_400_000) % 86_400_000);

const money = (usd: number) => `$${usd.toFixed(usd < 0.01 ? 6 : usd < 1 ? 4 : 2)}`;
const count = (n: number) => n.toLocaleString('en-US');
const WHAT: Record<BudgetScope, (o: { taskId: string; agentName: string }) => string> = {
  task: (o) => `task ${o.taskId}`,
  agentDay: (o) => `${o.agentName} today (UTC)`,
  swarmDay: () => 'the swarm today (UTC)',
};
const FIELD: Record<BudgetScope, string> = { task: 'budget.task', agentDay: 'budget.day (or the swarm\'s budget.agentDay)', swarmDay: 'the swarm\'s budget.swarmDay' };

/**
 * The first limit that is reached (spent ≥ limit), task before agent-day before swarm-day; dollars
 * before tokens. Reached counts: a run must not start with nothing left, and one that hits its
 * limit exactly has used it up.
 */
export function findBreach(budget: Budget, spent: Partial<Record<BudgetScope, Spent>>, o: { taskId: string; agentName: string }): Breach | undefined {
  for (const scope of SCOPES) {
    const limit = budget[scope];
    const s = spent[scope];
    if (!limit || !s) continue;
    const unit = limit.usd !== undefined && s.usd >= limit.usd ? 'usd' : limit.tokens !== undefined && s.tokens >= limit.tokens ? 'tokens' : undefined;
    if (!unit) continue;
    const figures = `${money(s.usd)}${s.estimated ? ' (estimate)' : ''} and ${count(s.tokens)} tokens`;
    const of = unit === 'usd' ? `its ${money(limit.usd!)} budget` : `its ${count(limit.tokens!)}-token budget`;
    return {
      scope,
      unit,
      limit: unit === 'usd' ? limit.usd! : limit.tokens!,
      spent: s,
      message: `${WHAT[scope](o)} spent ${figures}, reaching ${of} (${FIELD[scope]} in agents.json)`,
    };
  }
  return undefined;
}

/** The run.spent scopes to ask the board for, for the limits that are set. */
export function spentQueries(budget: Budget, o: { taskId: string; agentId: string; now: number }): { scope: BudgetScope; taskId?: string; agentId?: string; since?: number }[] {
  const since = dayStart(o.now);
  const q: { scope: BudgetScope; taskId?: string; agentId?: string; since?: number }[] = [];
  if (budget.task) q.push({ scope: 'task', taskId: o.taskId });
  if (budget.agentDay) q.push({ scope: 'agentDay', agentId: o.agentId, since });
  if (budget.swarmDay) q.push({ scope: 'swarmDay', since });
  return q;
}
