/**
 * `dreamos`: the headless host of the same core. People script the board with it, CI drives it,
 * and agents report back through it (`dreamos task done <id> --summary ...`). It finds the
 * workspace's running hub or starts one; `--json` gives machine-readable output everywhere.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DreamError, type ErrorCode } from '../core/errors';
import { commands as agent } from './commands/agent';
import { commands as agentAdd } from './commands/agentAdd';
import { commands as board } from './commands/board';
import { commands as credential } from './commands/credential';
import { commands as dashboard } from './commands/dashboard';
import { commands as discord } from './commands/discord';
import { commands as events } from './commands/events';
import { commands as hub } from './commands/hub';
import { commands as mail } from './commands/mail';
import { commands as mcp } from './commands/mcp';
import { commands as proposal } from './commands/proposal';
import { commands as serve } from './commands/serve';
import { commands as swarm } from './commands/swarm';
import { commands as task } from './commands/task';
import { commands as token } from './commands/token';
import { commands as webhook } from './commands/webhook';
import { commands as worktree } from './commands/worktree';
import { str, withClient, type Env, type Io, type Options, type Sub, type Values } from './kit';

/**
 * Every subcommand, one file per group in ./commands (each a `Record<string, Sub>`); the usage text
 * lists them in this order. Command files import only types and ./kit up front and load what they
 * need (the swarm, the dashboard, Discord, proposals) on first use, so `dreamos info` stays small.
 */
const GROUPS: Record<string, Sub>[] = [board, hub, task, credential, agent, agentAdd, mail, proposal, worktree, swarm, dashboard, discord, events, mcp, webhook, serve, token];
/** Every subcommand by name (also what docs/reference/cli.md is generated from). */
export const SUBS: Record<string, Sub> = Object.assign({}, ...GROUPS);

/** Exit codes scripts can rely on. */
export const EXIT: Record<ErrorCode | 'ok' | 'usage', number> = {
  ok: 0,
  internal: 1,
  usage: 2,
  invalid_input: 2,
  not_found: 3,
  conflict: 4,
  stale_token: 4,
  invalid_transition: 4,
  cycle: 4,
  vetoed: 4,
  unavailable: 5,
  unauthorized: 6,
};

/** The board of the current folder: --dir, DREAMOS_DIR, the nearest .dreamos up the tree, or ./.dreamos. */
export function findBoardDir(explicit: string | undefined, cwd = process.cwd()): string {
  if (explicit) return path.resolve(cwd, explicit);
  if (process.env.DREAMOS_DIR) return path.resolve(cwd, process.env.DREAMOS_DIR);
  for (let d = cwd; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, '.dreamos'))) return path.join(d, '.dreamos');
    if (path.dirname(d) === d) return path.join(cwd, '.dreamos');
  }
}

function usage(): string {
  return [
    'Usage: dreamos <command> [options]   (global: --dir <board dir>, --json, --as <actor>)',
    '',
    ...Object.entries(SUBS).map(([name, s]) => `  dreamos ${s.usage.startsWith(name) ? s.usage : `${name} ${s.usage}`}`),
    '',
    'Exit codes: 0 ok, 2 invalid input, 3 not found, 4 refused (conflict, stale token, transition), 5 no hub, 6 unauthorized.',
  ].join('\n');
}

const GLOBAL: Options = { dir: { type: 'string' }, json: { type: 'boolean' }, as: { type: 'string' }, help: { type: 'boolean', short: 'h' } };

export async function main(argv: string[], io: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) }): Promise<number> {
  // An empty variable means "not set" (a parent that blanks it must not make an empty actor).
  for (const k of ['DREAMOS_AGENT_ID', 'DREAMOS_LEASE_TOKEN', 'DREAMOS_TASK_ID', 'DREAMOS_DIR', 'DREAMOS_AGENT_TOKEN', 'DREAMOS_HUB_SOCKET']) if (process.env[k] === '') delete process.env[k];
  const two = `${argv[0] ?? ''} ${argv[1] ?? ''}`;
  const name = SUBS[two] ? two : argv[0] ?? '';
  const sub = SUBS[name];
  const json = argv.includes('--json');
  if (!sub || argv.includes('--help') || argv.includes('-h')) {
    (sub || argv.length === 0 || argv[0] === 'help' ? io.out : io.err)(sub ? `Usage: dreamos ${sub.usage}` : usage());
    return sub || argv.length === 0 || argv[0] === 'help' ? 0 : EXIT.usage;
  }
  const rest = argv.slice(name.split(' ').length);
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...GLOBAL, ...(sub.options ?? {}) }, allowPositionals: true, strict: true });
    } catch (err) {
      throw new DreamError('invalid_input', `${(err as Error).message}\nUsage: dreamos ${sub.usage}`);
    }
    const v = parsed.values as Values;
    // With only an agent's credential (no --as, no DREAMOS_AGENT_ID) the hub takes the actor from the credential: send the connection's own name, not the person's.
    const actor = str(v, 'as') ?? process.env.DREAMOS_AGENT_ID ?? (process.env.DREAMOS_AGENT_TOKEN ? `cli:${process.pid}` : 'human:cli');
    const env: Env = { dir: findBoardDir(str(v, 'dir')), actor, json };
    if (sub.run) return await sub.run(parsed.positionals, v, env, io);
    const command = sub.build!(parsed.positionals, v, env);
    const result = await withClient(env, (client) => client.call(command));
    io.out(json ? JSON.stringify(result) : (sub.print ?? ((r) => JSON.stringify(r, null, 2)))(result));
    return 0;
  } catch (err) {
    const e = DreamError.from(err);
    io.err(json ? JSON.stringify({ error: e.toJSON() }) : `dreamos: ${e.message}`);
    return EXIT[e.code] ?? 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`dreamos: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
