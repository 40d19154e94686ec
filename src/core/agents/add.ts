/**
 * Adding an agent without writing JSON: one entry appended to `.dreamos/agents.json`, the file the
 * swarm runs from, so every agent added (from the CLI's `dreamos agent add`, the editor's Add Agent…,
 * the dashboard) is one a swarm can run. What is already in the file is kept; a file that is not
 * valid JSON is never overwritten (the error says the line and column), and the result is validated
 * as the swarm will read it before anything is written.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DreamError } from '../errors';
import { parseJson } from '../json';
import { AGENTS_FILE, instanceNames, parseSwarmConfig, type AgentConfig } from '../loop/agentsConfig';
import { PRESETS, type PresetKind } from '../loop/presets';

export interface NewAgentEntry {
  /** A preset (claude, codex, …) or "command" for any program. */
  preset: PresetKind | 'command';
  /** Default: the preset's name and the next free number (claude-1, claude-2, …). */
  name?: string | undefined;
  model?: string | undefined;
  /** The program to run: a preset's CLI by another path, or a command agent's program. */
  command?: string | undefined;
  args?: string[] | undefined;
  capabilities?: string[] | undefined;
}

export interface AddedAgent {
  file: string;
  /** The entry as written. */
  entry: Record<string, unknown>;
  /** The agent as the swarm will run it (preset expanded, defaults filled). */
  agent: AgentConfig;
  /** The file did not exist and was created. */
  created: boolean;
}

/** `<base>-1`, or the next number not taken by an agent (or an instance of one) already in the file. */
export function nextAgentName(taken: Iterable<string>, base: string): string {
  const used = new Set(taken);
  for (let i = 1; ; i++) if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
}

/** The names an agents.json's entries take on the board (name, name-2, … for maxConcurrent). */
function namesIn(agents: unknown[]): string[] {
  return agents.flatMap((a) => {
    const e = a as { name?: unknown; maxConcurrent?: unknown } | null;
    if (!e || typeof e.name !== 'string') return [];
    const n = typeof e.maxConcurrent === 'number' && e.maxConcurrent >= 1 && e.maxConcurrent <= 16 ? Math.floor(e.maxConcurrent) : 1;
    return instanceNames({ name: e.name, maxConcurrent: n });
  });
}

/**
 * The new text of agents.json with the entry appended (pure). `text` undefined: there is no file yet.
 * Throws, changing nothing, when the file is not JSON or the result would not be a valid swarm.
 */
export function withAgent(text: string | undefined, input: NewAgentEntry, file = AGENTS_FILE): { text: string; entry: Record<string, unknown>; agent: AgentConfig } {
  let raw: Record<string, unknown> = { agents: [] };
  if (text !== undefined && text.trim()) {
    const json = parseJson(text);
    if (!json.ok) {
      const at = json.line !== undefined ? ` at line ${json.line}, column ${json.column}` : '';
      throw new DreamError('invalid_input', `${file} is not valid JSON${at} (${json.problem}), so it was not changed. Fix it (or move it away), then add the agent again.`, { file, line: json.line, column: json.column });
    }
    if (!json.value || typeof json.value !== 'object' || Array.isArray(json.value)) throw new DreamError('invalid_input', `${file} must hold an object such as {"agents": [...]}, so it was not changed.`, { file });
    raw = { ...(json.value as Record<string, unknown>) };
    if (raw.agents === undefined) raw.agents = [];
    if (!Array.isArray(raw.agents)) throw new DreamError('invalid_input', `${file}: "agents" must be a list, so the file was not changed.`, { file });
  }
  const agents = raw.agents as unknown[];
  if (input.preset !== 'command' && !(PRESETS as readonly string[]).includes(input.preset)) {
    throw new DreamError('invalid_input', `There is no preset "${String(input.preset)}". Presets: ${[...PRESETS, 'command'].join(', ')}.`, { preset: input.preset });
  }
  if (input.preset === 'command' && !input.command) throw new DreamError('invalid_input', 'A command agent needs the program to run: give --command (e.g. --command node --arg agent.js).');
  const entry: Record<string, unknown> = {
    name: input.name?.trim() || nextAgentName(namesIn(agents), input.preset === 'command' ? path.basename(input.command!).replace(/[^\w.-]/g, '') || 'agent' : input.preset),
    ...(input.preset === 'command' ? { driver: 'command' } : { preset: input.preset }),
    ...(input.model ? { model: input.model } : {}),
    ...(input.command ? { command: input.command } : {}),
    ...(input.args?.length ? { args: input.args } : {}),
    ...(input.capabilities?.length ? { capabilities: input.capabilities } : {}),
  };
  const next = { ...raw, agents: [...agents, entry] };
  let config;
  try {
    config = parseSwarmConfig(next, file);
  } catch (err) {
    const e = DreamError.from(err);
    throw new DreamError('invalid_input', e.message.replace('is not valid, so no agent was started', 'would not be valid with this agent, so it was not changed').replace('Fix the file and start the swarm again.', 'Fix what is listed, then add the agent again.'), e.details);
  }
  return { text: `${JSON.stringify(next, null, 2)}\n`, entry, agent: config.agents[config.agents.length - 1]! };
}

/** Appends the agent to `<boardDir>/agents.json` (written whole to a temporary file, then renamed). */
export async function addAgent(boardDir: string, input: NewAgentEntry): Promise<AddedAgent> {
  const file = path.join(boardDir, AGENTS_FILE);
  let text: string | undefined;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DreamError('unavailable', `${file} could not be read: ${(err as Error).message}`, { file });
  }
  const next = withAgent(text, input, file);
  await fs.mkdir(boardDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, next.text);
  await fs.rename(tmp, file);
  return { file, entry: next.entry, agent: next.agent, created: text === undefined };
}
