/**
 * `dreamos agent add --preset claude [--name n] [--model m]`: an agent in .dreamos/agents.json without
 * writing JSON (core addAgent), with the CLI found on PATH, its version and whether it is signed in.
 * `dreamos agent clis` lists what is installed.
 */
import type { AgentCliInfo } from '../../integrations/agents/detect';
import { DreamError } from '../../core/errors';
import { lazy, list, str, type Env, type Io, type Sub, type Values } from '../kit';

/* eslint-disable @typescript-eslint/no-require-imports -- modules of this bundle, evaluated on first use */
const adder = lazy(() => require('../../core/agents/add') as typeof import('../../core/agents/add'));
const detect = lazy(() => require('../../integrations/agents/detect') as typeof import('../../integrations/agents/detect'));
/* eslint-enable @typescript-eslint/no-require-imports */

async function clis(_p: string[], _v: Values, env: Env, io: Io): Promise<number> {
  const found = await detect().detectAgentClis();
  io.out(env.json ? JSON.stringify(found) : found.map((c) => `${c.kind.padEnd(12)} ${detect().describeCli(c)}`).join('\n'));
  return 0;
}

async function add(_p: string[], v: Values, env: Env, io: Io): Promise<number> {
  const preset = str(v, 'preset');
  if (!preset) {
    const found = await detect().detectAgentClis();
    const have = found.filter((c) => c.found).map((c) => c.kind);
    throw new DreamError(
      'invalid_input',
      `Say which agent: --preset ${[...detect().AGENT_CLIS.map((c) => c.kind), 'command'].join('|')}.${have.length ? ` On PATH here: ${have.join(', ')} (e.g. dreamos agent add --preset ${have[0]}).` : ' No agent CLI was found on PATH (dreamos agent clis says how to install one).'}`,
    );
  }
  const spec = detect().AGENT_CLIS.find((c) => c.kind === preset);
  const command = str(v, 'command');
  const added = await adder().addAgent(env.dir, {
    preset: preset as 'claude',
    name: str(v, 'name'),
    model: str(v, 'model'),
    command,
    args: list(v, 'arg'),
    capabilities: list(v, 'capability'),
  });
  const cli: AgentCliInfo | undefined = spec ? await detect().detectAgentCli(spec, command ? { command } : {}) : undefined;
  if (env.json) {
    io.out(JSON.stringify({ file: added.file, created: added.created, entry: added.entry, cli }));
    return 0;
  }
  const name = String(added.entry.name);
  io.out(`Added agent ${name} to ${added.file}${added.created ? ' (new file)' : ''}: ${JSON.stringify(added.entry)}`);
  if (cli) io.out(detect().describeCli(cli));
  if (cli && !cli.found) io.out(`${name} cannot run until ${cli.command} is installed.`);
  io.out(`Start it with \`dreamos swarm start\` (or Dream.OS: Start Swarm in the editor); a swarm already running picks it up when restarted.`);
  return 0;
}

export const commands: Record<string, Sub> = {
  'agent add': {
    usage: 'agent add --preset claude|codex|gemini|opencode|cursor-agent|aider|command [--name n] [--model m] [--command path] [--arg a]... [--capability c]...   add an agent to .dreamos/agents.json',
    options: { preset: { type: 'string' }, name: { type: 'string' }, model: { type: 'string' }, command: { type: 'string' }, arg: { type: 'string', multiple: true }, capability: { type: 'string', multiple: true } },
    run: add,
  },
  'agent clis': { usage: 'agent clis   the agent CLIs on PATH, their versions and whether they are signed in', run: clis },
};
