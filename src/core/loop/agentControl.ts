/**
 * Start Agent / Stop Agent from any host (editor, CLI, dashboard): the agent's desired state goes on
 * the board, and the swarm that holds the board starts or stops its loop, here or wherever it runs.
 */
import os from 'node:os';
import { DreamError } from '../errors';
import { describeHost, type SwarmHost } from './loopCommands';
import type { LoopBoard } from './lease';

/** What controlAgent needs of this host's swarm (core Swarm). */
export interface LocalSwarm {
  readonly isRunning: boolean;
  readonly loopId: string;
  startAgent(name: string): Promise<{ started: string[]; refused: { name: string; reason: string }[] }>;
  stopAgent(name: string, reason?: string): Promise<boolean>;
  status(): { agents: { name: string; state: string }[] };
}

export interface AgentControlOutcome {
  agent: string;
  desired: 'running' | 'stopped';
  /** here: this host's swarm did it now; there: the holder elsewhere does it at its next poll; nowhere: no swarm runs. */
  where: 'here' | 'there' | 'nowhere';
  holder: SwarmHost | null;
  /** What happened and what to do, for the person. */
  message: string;
}

function whereText(h: SwarmHost): string {
  const kind = h.hostname === os.hostname() ? 'another editor window or `dreamos swarm start` process on this machine' : `a process on ${h.hostname}`;
  return `swarm ${h.loopId} (pid ${h.pid}, ${kind}; ${describeHost(h, Date.now())})`;
}

/**
 * Start Agent / Stop Agent, for every host (editor, CLI, dashboard): records the agent's desired
 * state on the board, then starts or stops its loop right here when `local` is the board's swarm,
 * or says where it runs (the holder elsewhere acts on the board's record within a few seconds),
 * or that no swarm runs and what to do. Starting with no swarm anywhere is refused ('conflict').
 */
export async function controlAgent(
  board: LoopBoard,
  ref: string,
  desired: 'running' | 'stopped',
  opts: { reason: string; local?: LocalSwarm | undefined },
): Promise<AgentControlOutcome> {
  const r = await board.call({ type: 'swarm.agent', agent: ref, desired, reason: opts.reason });
  const name = r.agent;
  const base = { agent: name, desired, holder: r.holder };
  const local = opts.local;
  if (local?.isRunning && r.holder?.loopId === local.loopId) {
    if (desired === 'stopped') {
      const stopped = await local.stopAgent(name, `stopped by ${opts.reason}`);
      return { ...base, where: 'here', message: stopped ? `Stopped ${name}'s loop in this window's swarm; a task it held went back to ready. It stays stopped until Start Agent.` : `${name} was not running in this window's swarm${r.there?.reason ? ` (${r.there.reason})` : ''}; it stays stopped until Start Agent.` };
    }
    const rep = await local.startAgent(name);
    if (rep.started.includes(name)) return { ...base, where: 'here', message: `Started ${name}'s loop in this window's swarm.` };
    const why = rep.refused.find((x) => x.name === name)?.reason;
    if (!why && local.status().agents.some((a) => a.name === name && a.state !== 'refused' && a.state !== 'stopped')) return { ...base, where: 'here', message: `${name} already runs in this window's swarm.` };
    throw new DreamError('conflict', `${name} was not started in this window's swarm: ${why ?? 'it is not in .dreamos/agents.json'}.`);
  }
  if (r.holder) {
    const where = whereText(r.holder);
    if (desired === 'stopped') {
      return { ...base, where: 'there', message: r.runsThere ? `${name} runs in ${where}: that swarm stops its loop within a few seconds and releases its task. It stays stopped until Start Agent.` : `${name} is not running in ${where}${r.there?.reason ? ` (${r.there.reason})` : ''}; it stays stopped until Start Agent.` };
    }
    if (r.runsThere) return { ...base, where: 'there', message: `${name} already runs in ${where}.` };
    return { ...base, where: 'there', message: `Asked ${where} to start ${name}; it does within a few seconds if ${name} is in that workspace's .dreamos/agents.json${r.there?.reason ? ` (last time it said: ${r.there.reason})` : ''}. See \`dreamos swarm status\` or that host's log.` };
  }
  if (desired === 'stopped') return { ...base, where: 'nowhere', message: `No swarm runs on this board, so no loop runs ${name}. It stays stopped: a swarm started later leaves it out until Start Agent.` };
  throw new DreamError(
    'conflict',
    `No swarm runs on this board, so nothing was started for ${name}. Start one where the agents should run: Dream.OS: Start Swarm in an editor window, or \`dreamos swarm start --agent ${name}\` in a terminal. ${name} is no longer held back.`,
  );
}
