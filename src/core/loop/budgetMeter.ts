/**
 * The loop's side of budgets (./budget): what has been spent, read from the board's run figures
 * (run.spent counts a running run's tokens and cost so far), checked before a claim (the day's
 * limits hold the agent back), before a run starts and each time the run's figures change; and,
 * when a run crosses a limit, the task handed to the person as "over budget" with the figures.
 */
import type { Task } from '../board/boardModel';
import type { CommandInput } from '../commands';
import type { ResultOf } from '../port';
import { budgetFor, dayStart, findBreach, hasBudget, spentQueries, type Breach, type Budget, type BudgetLimit, type BudgetScope, type Spent } from './budget';
import { instanceNames, type SwarmConfig } from './agentsConfig';

type Call = <C extends CommandInput>(command: C) => Promise<ResultOf<C>>;

export class BudgetMeter {
  constructor(
    private readonly call: Call,
    private readonly budget: Budget | undefined,
    private readonly agent: { id: string; name: string },
    private readonly now: () => number = Date.now,
  ) {}

  get active(): boolean {
    return hasBudget(this.budget);
  }

  /** The first limit reached for this task (all scopes), or for the day only (no task: before a claim). */
  async breach(taskId?: string): Promise<Breach | undefined> {
    if (!hasBudget(this.budget)) return undefined;
    const budget: Budget = taskId ? this.budget : { ...this.budget, task: undefined };
    const queries = spentQueries(budget, { taskId: taskId ?? '', agentId: this.agent.id, now: this.now() });
    if (!queries.length) return undefined;
    const spent = await this.call({ type: 'run.spent', scopes: queries.map(({ scope: _s, ...q }) => q) });
    const by: Partial<Record<BudgetScope, Spent>> = {};
    queries.forEach((q, i) => (by[q.scope] = spent[i]));
    return findBreach(budget, by, { taskId: taskId ?? '', agentName: this.agent.name });
  }

  /** The task goes to the person: a message with the figures, then blocked "over budget" (and a budget.exceeded event). */
  async report(task: Task, token: number, b: Breach, runId: number | undefined): Promise<void> {
    const raise = b.scope === 'task' ? 'raise budget.task for this agent (or the swarm) in agents.json' : 'raise the limit in agents.json or wait for the next UTC day';
    await this.call({
      type: 'mail.send',
      from: this.agent.id,
      to: { kind: 'human' },
      subject: `Task "${task.title}" is over budget`.slice(0, 200),
      body: `Task ${task.id} (${this.agent.name}):\nThe run was stopped: ${b.message}.\n\nNothing else was lost: the run's transcript and its session stay, so a retry resumes it. To go on, ${raise}, then unblock or retry the task; or cancel it.`,
      priority: 'high',
      requiresAck: true,
      taskId: task.id,
    }).catch(() => undefined);
    await this.call({ type: 'run.overBudget', taskId: task.id, token, agentId: this.agent.id, ...(runId ? { runId } : {}), scope: b.scope, unit: b.unit, limit: b.limit, spent: b.spent, message: b.message });
  }
}

export interface BudgetView {
  /** The start of the UTC day the day figures count from. */
  since: number;
  swarmDay?: { limit: BudgetLimit; spent: Spent };
  agents: { name: string; task?: BudgetLimit; agentDay?: { limit: BudgetLimit; spent: Spent } }[];
}

/** Limits and today's spending, for `dreamos swarm status` (agents not on the board yet have spent nothing). */
export async function budgetView(call: Call, config: SwarmConfig, now = Date.now()): Promise<BudgetView> {
  const since = dayStart(now);
  const spentBy = (scope: { agentId?: string }) => call({ type: 'run.spent', scopes: [{ ...scope, since }] }).then((r) => r[0]!, () => ({ usd: 0, tokens: 0, estimated: false }));
  const view: BudgetView = { since, agents: [] };
  if (config.budget?.swarmDay) view.swarmDay = { limit: config.budget.swarmDay, spent: await spentBy({}) };
  for (const a of config.agents) {
    const b = budgetFor(config, a);
    for (const name of instanceNames(a)) {
      if (!b.task && !b.agentDay) continue;
      view.agents.push({ name, ...(b.task ? { task: b.task } : {}), ...(b.agentDay ? { agentDay: { limit: b.agentDay, spent: await spentBy({ agentId: name }) } } : {}) });
    }
  }
  return view;
}
