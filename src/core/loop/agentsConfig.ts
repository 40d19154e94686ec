/**
 * Agent configuration: `.dreamos/agents.json` in the workspace. Validated with zod; every error
 * names the agent (by position and name) and the field, and says what to do.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DreamError, issueProblems } from '../errors';
import { locateJsonPath, parseJson } from '../json';
import { AgentBudget, SwarmBudget } from './budget';
import { DEFAULT_COMMAND, ModelName, NOT_YET_PRESETS, PresetSpec, PRESETS, Price, STDIN_OF } from './presets';

export const AGENTS_FILE = 'agents.json';

const Tag = z.string().trim().min(1).max(64).regex(/^[\w.:/-]+$/, 'capabilities are letters, digits and . : / - _');
const AgentName = z
  .string()
  .trim()
  .min(1)
  .max(56)
  .regex(/^[\w.-]+$/, 'agent names are letters, digits, . - _')
  .describe('The agent\'s name on the board (letters, digits, . - _); unique in this file.');

/** Placeholders a command agent's args may use; the loop fills them per run. */
export const ARG_PLACEHOLDERS = ['taskId', 'agentId', 'agentName', 'promptFile', 'boardDir', 'workspace', 'cwd'] as const;
const ARG_RE = /\{\{\s*([\w.]+)\s*\}\}/g;
const Arg = z
  .string()
  .max(10_000)
  .superRefine((s, ctx) => {
    for (const m of s.matchAll(ARG_RE)) {
      if (!(ARG_PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
        ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${m[1]}}}; use one of ${ARG_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}` });
      }
    }
  });

const Check = z
  .object({
    name: z.string().trim().min(1).max(80).describe('What the check is called in evidence, e.g. "tests".'),
    command: z.string().trim().min(1, 'give the program to run, e.g. "npm"').describe('The program to run (no shell), e.g. "npm".'),
    args: z.array(Arg).max(100).default([]).describe('Its arguments, e.g. ["test"]; {{cwd}} and the other placeholders are filled per run.'),
    timeoutMs: z.number().int().min(1_000).max(6 * 3_600_000).default(300_000).describe('Stopped (and failed) after this many milliseconds.'),
  })
  .strict()
  .describe('A check run after the agent exits 0: passing is evidence, failing fails the run.');

const Timeouts = z
  .object({
    /** A whole run of the driver (then it is stopped and the failure classified). */
    taskMs: z.number().int().min(1_000).max(24 * 3_600_000).default(30 * 60_000).describe('A whole run, in milliseconds; then it is stopped and the failure classified.'),
    /** No output for this long counts as a stall (command agents). */
    noOutputMs: z.number().int().min(500).max(24 * 3_600_000).default(5 * 60_000).describe('No output for this many milliseconds counts as a stall (command agents).'),
    /** The lease taken on a claim; renewed by heartbeats every third of it. */
    leaseMs: z.number().int().min(1_000).max(24 * 3_600_000).default(60_000).describe('The lease taken on a claim, in milliseconds; heartbeats renew it every third of it.'),
  })
  .strict()
  .describe('Time limits of a run.');

const common = {
  name: AgentName,
  capabilities: z.array(Tag).max(64).default([]).describe('What the agent can do, e.g. ["ts", "docs"]; a task that requires a capability goes only to agents that have it.'),
  /** Instances of this agent run side by side: name, name-2, name-3, ... each its own board agent. */
  maxConcurrent: z.number().int().min(1).max(16).default(1).describe('Instances run side by side: name, name-2, name-3, … each its own board agent.'),
  timeouts: Timeouts.default(Timeouts.parse({})),
  /** Run after the agent exits 0; a passing check is evidence, a failing one fails the run. */
  checks: z.array(Check).max(20).default([]).describe('Run after the agent exits 0; a passing check is evidence, a failing one fails the run.'),
  /** A template in .dreamos/prompts/<prompt>.md; the built-in one when absent. */
  prompt: z
    .string()
    .regex(/^[\w.-]+$/, 'a template name such as "default" (the file .dreamos/prompts/default.md)')
    .optional()
    .describe('A prompt template: the file .dreamos/prompts/<prompt>.md (the built-in one when absent).'),
  maxPromptChars: z.number().int().min(1_000).max(1_000_000).default(24_000).describe('The prompt is cut to this many characters.'),
  /** How often a transient failure is retried on the same agent before moving on. */
  maxBackoffRetries: z.number().int().min(0).max(10).default(2).describe('How often a transient failure is retried on the same agent before moving on.'),
  enabled: z.boolean().default(true).describe('false: the swarm does not start this agent.'),
  /** What this agent may spend per task and per UTC day (./budget); over the swarm's "budget". */
  budget: AgentBudget.optional().describe('What this agent may spend: {"task": {"usd": 0.5}, "day": {"usd": 10, "tokens": 5000000}}; before the swarm\'s "budget".'),
};

const CommandAgent = z
  .object({
    ...common,
    driver: z.literal('command').describe('"command": runs a program with the task on stdin and in the environment.'),
    command: z.string().trim().min(1, 'give the program to run, e.g. "claude" or "node"').describe('The program to run: a name on PATH or a full path (no shell).'),
    args: z.array(Arg).max(200).default([]).describe(`Its arguments; placeholders: ${ARG_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}.`),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _'), z.string().max(10_000))
      .default({})
      .describe('Extra environment variables for the program, e.g. {"ANTHROPIC_API_KEY": "…"}.'),
    /** Folder to run in, relative to the workspace; a task tag dir:<folder> overrides it. */
    cwd: z.string().default('.').describe('Folder to run in, relative to the workspace; a task tag dir:<folder> overrides it.'),
    /** 'prompt': the prompt goes to stdin; 'none': stdin is closed (use {{promptFile}} in args). */
    stdin: z.enum(['prompt', 'none']).default('prompt').describe('"prompt": the prompt goes to stdin; "none": stdin is closed (use {{promptFile}} in args).'),
    /**
     * 'bwrap': run the agent under bubblewrap (Linux) with the board folder out of its reach — it
     * sees its own credential and the hub's socket, never hub.json, the database or the journal.
     */
    sandbox: z.enum(['none', 'bwrap']).default('none').describe('"bwrap": run under bubblewrap (Linux) with the board folder out of the agent\'s reach.'),
    /** Set when the entry came from a preset ("preset": "claude"): the driver builds the CLI's command line per run. */
    preset: PresetSpec.optional(),
  })
  .strict();

/**
 * A preset entry: {"name": "claude-1", "preset": "claude", "model": "sonnet"}. It becomes a command
 * agent running the CLI headless (./presets). `command` overrides the program (a path), `args` are
 * extra arguments after the preset's own.
 */
const PresetEntry = z
  .object({
    ...common,
    preset: z.enum(PRESETS).describe('An agent CLI run headless and unattended, its JSON stream read into a live transcript: ' + PRESETS.join(', ') + ' ("command" for a plain command agent).'),
    model: PresetSpec.shape.model.describe('The model the CLI uses, e.g. "sonnet" or "gpt-5-codex" (the CLI\'s default when absent).'),
    command: z.string().trim().min(1, 'the CLI to run, e.g. "claude" or a full path').optional().describe('Overrides the CLI\'s program (a full path); the preset\'s own name on PATH when absent.'),
    args: z.array(Arg).max(200).default([]).describe('Extra arguments after the preset\'s own.'),
    env: CommandAgent.shape.env,
    cwd: CommandAgent.shape.cwd,
    sandbox: CommandAgent.shape.sandbox,
    permissionMode: PresetSpec.shape.permissionMode,
    allowedTools: PresetSpec.shape.allowedTools,
    codexSandbox: PresetSpec.shape.codexSandbox,
    codexConfig: PresetSpec.shape.codexConfig,
    mcp: PresetSpec.shape.mcp,
    price: Price.optional().describe('USD per million tokens for this agent\'s cost estimate: {"input": 3, "output": 15}.'),
  })
  .strict()
  .superRefine((e, ctx) => {
    const only = { permissionMode: 'claude', allowedTools: 'claude', codexSandbox: 'codex', codexConfig: 'codex' } as const;
    if (e.mcp && e.preset !== 'claude' && e.preset !== 'codex') ctx.addIssue({ code: 'custom', path: ['mcp'], message: `mcp is for the claude and codex presets (${e.preset} reads MCP servers from its own settings); remove it from this ${e.preset} agent` });
    for (const [f, kind] of Object.entries(only) as [keyof typeof only, string][]) {
      const v = e[f];
      if (kind !== e.preset && v !== undefined && !(Array.isArray(v) && v.length === 0)) ctx.addIssue({ code: 'custom', path: [f], message: `${f} is for the ${kind} preset; remove it from this ${e.preset} agent` });
    }
  });

/** The command agent a preset entry stands for (the input shape CommandAgent then validates). */
function expandPreset(e: z.infer<typeof PresetEntry>): Record<string, unknown> {
  const { preset, model, command, args, env, cwd, sandbox, permissionMode, allowedTools, codexSandbox, codexConfig, mcp, price, ...rest } = e;
  const spec: z.input<typeof PresetSpec> = { kind: preset, allowedTools, codexConfig, ...(model ? { model } : {}), ...(permissionMode ? { permissionMode } : {}), ...(codexSandbox ? { codexSandbox } : {}), ...(mcp ? { mcp } : {}), ...(price ? { price } : {}) };
  return { ...rest, driver: 'command', command: command ?? DEFAULT_COMMAND[preset], args, env, cwd, sandbox, stdin: STDIN_OF[preset], preset: spec };
}

const LanguageModelAgent = z
  .object({
    ...common,
    driver: z.literal('language-model').describe('"language-model": works through the editor\'s language model (vscode.lm) with file and check tools.'),
    model: z
      .object({ vendor: z.string().optional(), family: z.string().optional(), id: z.string().optional() })
      .strict()
      .default({})
      .describe('Which of the editor\'s models, e.g. {"vendor": "copilot"} or {"family": "gpt-4o"}.'),
    maxTurns: z.number().int().min(1).max(100).default(12).describe('At most this many model turns per run.'),
  })
  .strict();

const ChatWindowAgent = z
  .object({
    ...common,
    driver: z.literal('chat-window').describe('"chat-window": puts the prompt into the editor\'s chat (desktop automation in Cursor).'),
    /** Command ids per editor, tried in order; the prompt is passed as the query where the command takes one. */
    commands: z
      .object({
        vscode: z.array(z.string().min(1)).max(10).optional(),
        cursor: z.array(z.string().min(1)).max(10).optional(),
      })
      .strict()
      .default({})
      .describe('Chat command ids per editor, tried in order: {"vscode": [...], "cursor": [...]}.'),
    /** Window title for the desktop-automation fallback. */
    windowTitle: z.string().max(200).optional().describe('Window title for the desktop-automation fallback.'),
  })
  .strict();

export const AgentConfig = z.discriminatedUnion('driver', [CommandAgent, LanguageModelAgent, ChatWindowAgent]);
export type AgentConfig = z.infer<typeof AgentConfig>;
export type CommandAgentConfig = z.infer<typeof CommandAgent>;
export type LanguageModelAgentConfig = z.infer<typeof LanguageModelAgent>;
export type ChatWindowAgentConfig = z.infer<typeof ChatWindowAgent>;

const Pressure = z
  .object({
    /** Hold back new claims while the 1-minute load average per CPU is above this. */
    maxLoadPerCpu: z.number().positive().max(100).default(2).describe('Hold back new claims while the 1-minute load average per CPU is above this.'),
    /** Hold back new claims while free memory is below this. */
    minFreeMemMb: z.number().int().min(0).max(1_000_000).default(256).describe('Hold back new claims while free memory (MB) is below this.'),
  })
  .strict()
  .describe('Back-pressure: when the machine is busy, agents wait.');

export const SwarmConfig = z
  .object({
    $schema: z.string().optional().describe('The JSON schema of this file (editors validate without it too).'),
    version: z.literal(1).default(1).describe('The file format version: 1.'),
    /** How many agents may work on tasks at the same time, across the swarm. */
    maxConcurrent: z.number().int().min(1).max(64).default(4).describe('How many agents may work on tasks at the same time, across the swarm.'),
    pressure: Pressure.default(Pressure.parse({})),
    /** How often an idle agent looks for work when no board event wakes it. */
    idlePollMs: z.number().int().min(100).max(600_000).default(2_000).describe('How often (ms) an idle agent looks for work when no board event wakes it.'),
    /** Spending limits (./budget): per task and per agent-day by default, and the whole swarm per UTC day. */
    budget: SwarmBudget.optional().describe('Spending limits in "usd" and/or "tokens": {"task": …, "agentDay": …, "swarmDay": …} (days are UTC).'),
    /**
     * USD per million tokens by model prefix ("gpt-5": {"input": 1.25, "output": 10}), for a cost
     * estimate when the CLI reports none; before the built-in table, after an agent's own "price".
     */
    prices: z.record(ModelName, Price).optional().describe('USD per million tokens by model prefix, e.g. {"gpt-5": {"input": 1.25, "output": 10}}; before the built-in table.'),
    agents: z.array(AgentConfig).max(100).describe('The agents the swarm runs.'),
  })
  .strict();
export type SwarmConfig = z.infer<typeof SwarmConfig>;

/** "preset": "command" is the plain command agent, without "driver". */
const CommandPresetEntry = CommandAgent.omit({ driver: true, preset: true }).extend({ preset: z.literal('command').describe('"command": a plain command agent (the same as "driver": "command").') });

/**
 * agents.json as a person writes it (before presets are expanded): what the editor validates and
 * completes against (schemas/agents.schema.json, generated from this by `npm run gen:schemas`).
 */
export const AgentsFile = SwarmConfig.extend({
  agents: z
    .array(z.union([PresetEntry, CommandPresetEntry, CommandAgent, LanguageModelAgent, ChatWindowAgent]))
    .max(100)
    .describe('The agents the swarm runs: {"name": "claude-1", "preset": "claude", "model": "sonnet"}, or a "driver": "command" | "language-model" | "chat-window" entry.'),
}).describe('Dream.OS agents (.dreamos/agents.json): the agents `Start Swarm` and `dreamos swarm start` run.');

/** The board agents an entry stands for: "tester", "tester-2", ... */
export function instanceNames(agent: Pick<AgentConfig, 'name' | 'maxConcurrent'>): string[] {
  return Array.from({ length: agent.maxConcurrent }, (_, i) => (i === 0 ? agent.name : `${agent.name}-${i + 1}`));
}

/** "agents[2] (tester).command: ..." — where each problem is, in the person's words (core's issueProblems words them). */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown, places: readonly number[]): { text: string; path: PropertyKey[] }[] {
  const inFile = (p: readonly PropertyKey[]) => p.map((seg, i) => (i === 1 && p[0] === 'agents' && typeof seg === 'number' ? (places[seg] ?? seg) : seg));
  if (issue.code === 'invalid_union' && issue.path.length === 2 && issue.path[0] === 'agents') {
    return [{ text: `${where(issue.path, raw, places)}: driver must be "command", "language-model" or "chat-window" (or give "preset": "claude" or "codex" instead of a driver)`, path: [...inFile(issue.path), 'driver'] }];
  }
  return issueProblems(issue).map((p) => ({ text: `${where(p.path, raw, places) || '(top level)'}: ${p.message}`, path: inFile(p.path) }));
}

function where(p: readonly PropertyKey[], raw: unknown, places: readonly number[]): string {
  let out = '';
  p.forEach((seg0, i) => {
    // Entries refused during preset expansion are left out of what SwarmConfig saw: name the file's own place.
    const seg = i === 1 && p[0] === 'agents' && typeof seg0 === 'number' ? (places[seg0] ?? seg0) : seg0;
    out += typeof seg === 'number' ? `[${seg}]` : `${i ? '.' : ''}${String(seg)}`;
    if (i === 1 && p[0] === 'agents' && typeof seg === 'number') {
      const name = (raw as { agents?: { name?: unknown }[] })?.agents?.[seg]?.name;
      if (typeof name === 'string' && name) out += ` (${name})`;
    }
  });
  return out;
}

/** Validates the parsed JSON of agents.json. `file` is only for messages. */
export function parseSwarmConfig(raw: unknown, file = AGENTS_FILE): SwarmConfig {
  const presetErrors: string[] = [];
  // Where each problem is in the file (the first one is where the editor opens it).
  const paths: PropertyKey[][] = [];
  const places: number[] = [];
  const expanded = expandPresets(raw, presetErrors, places, paths);
  const parsed = SwarmConfig.safeParse(expanded);
  const problems = parsed.success ? [] : parsed.error.issues.flatMap((i) => describeIssue(i, raw, places));
  paths.push(...problems.map((p) => p.path));
  const errors = [...presetErrors, ...problems.map((p) => p.text)];
  if (parsed.success) {
    const seen = new Map<string, string>();
    parsed.data.agents.forEach((a, j) => {
      const i = places[j] ?? j;
      for (const n of instanceNames(a)) {
        const prev = seen.get(n);
        if (prev) errors.push(`agents[${i}] (${a.name}).name: "${n}" is already used by ${prev}; agent names must be unique`);
        if (prev) paths.push(['agents', i, 'name']);
        seen.set(n, `agents[${i}] (${a.name})`);
      }
    });
  }
  const prices = parsed.success ? parsed.data.prices : undefined;
  if (prices) for (const a of parsed.data!.agents) if (a.driver === 'command' && a.preset) a.preset.prices = prices;
  if (errors.length) {
    throw new DreamError('invalid_input', `${file} is not valid, so no agent was started:\n${errors.slice(0, 20).map((e) => `  ${e}`).join('\n')}\nFix the file and start the swarm again.`, { errors, ...(paths[0] ? { path: paths[0] } : {}) });
  }
  return parsed.data!;
}

/**
 * Entries with a "preset" become the command agents they stand for; their errors are collected with
 * the entry's place and name. Entries that do not validate are dropped from what SwarmConfig sees
 * (their errors are already said), so the rest is still checked.
 */
function expandPresets(raw: unknown, errors: string[], places: number[], paths: PropertyKey[][]): unknown {
  const agents = (raw as { agents?: unknown })?.agents;
  if (!raw || typeof raw !== 'object' || !Array.isArray(agents)) return raw;
  const out: unknown[] = [];
  const keep = (entry: unknown, i: number) => {
    places.push(i);
    out.push(entry);
  };
  agents.forEach((a, i) => {
    if (!a || typeof a !== 'object' || !('preset' in a)) return keep(a, i);
    const entry = a as Record<string, unknown>;
    const where = `agents[${i}]${typeof entry.name === 'string' && entry.name ? ` (${entry.name})` : ''}`;
    const preset = entry.preset;
    if (preset === 'command') {
      // "preset": "command" is the plain command agent.
      const { preset: _p, ...rest } = entry;
      return keep({ driver: 'command', ...rest }, i);
    }
    if ('driver' in entry) return void (paths.push(['agents', i, 'driver']), errors.push(`${where}.driver: a preset entry has no driver (the preset sets it); remove "driver", or remove "preset" and give "command" and "args"`));
    if (typeof preset !== 'string' || !(PRESETS as readonly string[]).includes(preset)) {
      const later = (NOT_YET_PRESETS as readonly string[]).includes(String(preset));
      paths.push(['agents', i, 'preset']);
      return void errors.push(
        `${where}.preset: ${later ? `"${String(preset)}" is not a preset yet; run it as a command agent: {"name": "...", "driver": "command", "command": "${String(preset)}", "args": [...]}` : `must be ${[...PRESETS, 'command'].map((k) => `"${k}"`).join(', ')}, not ${JSON.stringify(preset)}`}`,
      );
    }
    const parsed = PresetEntry.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        for (const p of issueProblems(issue)) {
          const field = p.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('');
          const msg = issue.code === 'unrecognized_keys' ? `${p.message}; a ${preset} preset entry takes ${Object.keys(PresetEntry.shape).join(', ')}` : p.message;
          errors.push(`${where}${field}: ${msg}`);
          paths.push(['agents', i, ...p.path]);
        }
      }
      return;
    }
    keep(expandPreset(parsed.data), i);
  });
  return { ...(raw as object), agents: out };
}

/** Reads `<boardDir>/agents.json`. A missing file is a clear error, not an empty swarm. */
export async function loadSwarmConfig(boardDir: string): Promise<SwarmConfig> {
  const file = path.join(boardDir, AGENTS_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DreamError('not_found', `No agents are configured: ${file} does not exist. Create it with at least one agent, e.g. {"agents":[{"name":"claude","driver":"command","command":"claude","args":["-p"]}]}.`, { file });
    }
    throw new DreamError('unavailable', `${file} could not be read: ${(err as Error).message}`, { file });
  }
  const json = parseJson(text);
  if (!json.ok) throw new DreamError('invalid_input', `${file} is not valid JSON (${json.problem}), so no agent was started. Fix the file and start again.`, { file, line: json.line, column: json.column });
  try {
    return parseSwarmConfig(json.value, file);
  } catch (err) {
    // The first problem's place in the file, so the editor can open it there.
    const d = err instanceof DreamError && err.code === 'invalid_input' ? (err.details as { path?: PropertyKey[] } | undefined) : undefined;
    if (!d) throw err;
    const at = d.path ? locateJsonPath(text, d.path) : undefined;
    throw new DreamError('invalid_input', (err as DreamError).message, { ...d, file, ...at });
  }
}
