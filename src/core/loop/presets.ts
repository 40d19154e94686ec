/**
 * Presets for the agent CLIs people run: an agents.json entry such as
 *   {"name": "claude-1", "preset": "claude", "model": "sonnet"}
 * expands into a command agent whose command line is the CLI's headless mode with machine-readable
 * output, an unattended permission setting and, on a rerun, the resume of the same session. The
 * flags are the ones the CLIs' own --help lists (Claude Code 2.1.197, Codex CLI 0.171.0).
 *
 * claude: `claude -p --output-format stream-json --verbose --permission-mode acceptEdits
 *          --allowedTools "Bash(dreamos *)" [--model m] [--resume <session>]`, the prompt on stdin.
 * codex:  `codex exec --json -c sandbox_mode="workspace-write" -c sandbox_workspace_write.network_access=true
 *          -c approval_policy="never" -c allow_login_shell=false [-m m] -`, or
 *          `codex exec resume --json … <thread> -` on a rerun. (allow_login_shell=false: a login shell
 *          resets PATH and loses the `dreamos` shim; network_access: the sandbox otherwise blocks the
 *          board's socket too; ignore_default_excludes: Codex otherwise drops *TOKEN* variables from
 *          its commands' environment, DREAMOS_AGENT_TOKEN and DREAMOS_LEASE_TOKEN among them.)
 * gemini: `gemini --output-format stream-json --approval-mode yolo --skip-trust [-m m] [--resume <session>] -p " "`,
 *          the prompt on stdin ("-p … Appended to input on stdin"; Gemini CLI 0.61.0 --help, run here).
 * opencode: `opencode run --format json --auto --title Dream.OS [-m provider/model] [--session <id>]`, the
 *          prompt on stdin (opencode 1.18.33 run --help, run here).
 * cursor-agent: `cursor-agent -p --output-format stream-json --force --trust [--model m] [--resume <id>] <prompt>`.
 *          Flags from Cursor's docs, not run here (it is not on npm).
 * aider:   `aider --message-file <prompt file> --yes-always --no-auto-commits --no-pretty --no-check-update
 *          --no-show-release-notes [--model m]`: plain text, no session to resume. Flags from aider's docs,
 *          not run here (it is a Python package).
 * The `dreamos` shim on PATH stays the way an agent reports back to the board.
 */
import { z } from 'zod';

export const PRESETS = ['claude', 'codex', 'gemini', 'opencode', 'cursor-agent', 'aider'] as const;
export type PresetKind = (typeof PRESETS)[number];
/** Asked for in agents.json but not presets yet: a `command` entry runs them. */
export const NOT_YET_PRESETS: readonly string[] = [];

/** USD per million tokens, for an estimate when the CLI reports no cost of its own. */
export const Price = z
  .object({
    input: z.number().min(0).max(10_000),
    output: z.number().min(0).max(10_000),
    cachedInput: z.number().min(0).max(10_000).optional(),
  })
  .strict();
export type Price = z.infer<typeof Price>;

export const ModelName = z.string().trim().min(1).max(200).regex(/^[\w.:/@[\]-]+$/, 'a model name such as "sonnet" or "gpt-5-codex"');

export const PresetSpec = z
  .object({
    kind: z.enum(PRESETS),
    model: ModelName.optional(),
    /** claude: --permission-mode. acceptEdits lets it edit files; shell commands need allowedTools. */
    permissionMode: z.enum(['acceptEdits', 'auto', 'bypassPermissions', 'dontAsk']).optional(),
    /** claude: --allowedTools, beside the `Bash(dreamos *)` every preset agent gets. */
    allowedTools: z.array(z.string().trim().min(1).max(200)).max(50).default([]),
    /** codex: sandbox_mode. workspace-write lets it edit the task's folder and run commands there. */
    codexSandbox: z.enum(['read-only', 'workspace-write', 'danger-full-access']).optional(),
    /** codex: -c key=value overrides passed as given (e.g. a model_providers entry). */
    codexConfig: z.array(z.string().min(3).max(2_000).regex(/^[\w.-]+=/, 'a key=value override such as model_provider="openai"')).max(50).default([]),
    price: Price.optional(),
    /**
     * claude, codex: hand the agent the board's tools over MCP (`dreamos mcp`, stdio) beside the shim:
     * Claude Code `--mcp-config`, Codex `-c mcp_servers.dreamos…` (flags from their --help).
     */
    mcp: z.boolean().optional(),
    /** agents.json's "prices" (model prefix → price), copied here when the swarm is read. */
    prices: z.record(ModelName, Price).optional(),
  })
  .strict();
export type PresetSpec = z.infer<typeof PresetSpec>;

/** The machine-readable output each CLI prints (src/integrations/agents parses it); aider has none. */
export const PROTOCOL_OF: Record<PresetKind, string | undefined> = { claude: 'claude-stream-json', codex: 'codex-exec-json', gemini: 'gemini-stream-json', opencode: 'opencode-json', 'cursor-agent': 'cursor-stream-json', aider: undefined };
export const DEFAULT_COMMAND: Record<PresetKind, string> = { claude: 'claude', codex: 'codex', gemini: 'gemini', opencode: 'opencode', 'cursor-agent': 'cursor-agent', aider: 'aider' };
/** How the prompt reaches the CLI: its stdin, or (cursor-agent, aider) the command line. */
export const STDIN_OF: Record<PresetKind, 'prompt' | 'none'> = { claude: 'prompt', codex: 'prompt', gemini: 'prompt', opencode: 'prompt', 'cursor-agent': 'none', aider: 'none' };

const tomlString = (s: string) => JSON.stringify(s);

/** The variables the `dreamos` MCP server needs to act as this run's agent (Codex passes MCP servers only what it is told). */
export const MCP_ENV = ['PATH', 'HOME', 'DREAMOS_DIR', 'DREAMOS_AGENT_ID', 'DREAMOS_AGENT_NAME', 'DREAMOS_TASK_ID', 'DREAMOS_LEASE_TOKEN', 'DREAMOS_AGENT_TOKEN', 'DREAMOS_HUB_SOCKET', 'DREAMOS_CLI', 'ELECTRON_RUN_AS_NODE'];

/** The preset's MCP arguments: the board's stdio MCP server, run through the `dreamos` shim on PATH. */
function mcpArgs(p: PresetSpec): string[] {
  if (!p.mcp) return [];
  if (p.kind === 'claude') return ['--mcp-config', JSON.stringify({ mcpServers: { dreamos: { command: 'dreamos', args: ['mcp'] } } })];
  if (p.kind === 'codex') return ['-c', 'mcp_servers.dreamos.command="dreamos"', '-c', 'mcp_servers.dreamos.args=["mcp"]', '-c', `mcp_servers.dreamos.env_vars=${JSON.stringify(MCP_ENV)}`];
  return [];
}

/** The preset's arguments for one run (before the agent's own extra args). */
export function presetArgs(p: PresetSpec, o: { resume?: string | undefined; extra?: readonly string[]; prompt?: string; promptFile?: string } = {}): string[] {
  const extra = o.extra ?? [];
  const model = (flag: string) => (p.model ? [flag, p.model] : []);
  switch (p.kind) {
    case 'gemini':
      return ['--output-format', 'stream-json', '--approval-mode', 'yolo', '--skip-trust', ...model('-m'), ...(o.resume ? ['--resume', o.resume] : []), ...extra, '-p', ' '];
    case 'opencode':
      // --title: otherwise opencode asks the model for one first.
      return ['run', '--format', 'json', '--auto', '--title', 'Dream.OS', ...model('-m'), ...(o.resume ? ['--session', o.resume] : []), ...extra];
    case 'cursor-agent':
      return ['-p', '--output-format', 'stream-json', '--force', '--trust', ...model('--model'), ...(o.resume ? ['--resume', o.resume] : []), ...extra, o.prompt ?? ''];
    case 'aider':
      return ['--message-file', o.promptFile ?? '', '--yes-always', '--no-auto-commits', '--no-pretty', '--no-check-update', '--no-show-release-notes', ...model('--model'), ...extra];
    case 'claude':
    case 'codex':
      break;
  }
  if (p.kind === 'claude') {
    // mcp__dreamos: every tool of the dreamos MCP server, without a prompt.
    const tools = ['Bash(dreamos *)', ...(p.mcp ? ['mcp__dreamos'] : []), ...p.allowedTools];
    return [
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      p.permissionMode ?? 'acceptEdits',
      '--allowedTools',
      tools.join(','),
      ...(p.model ? ['--model', p.model] : []),
      ...mcpArgs(p),
      ...(o.resume ? ['--resume', o.resume] : []),
      ...extra,
    ];
  }
  // network_access: the workspace-write sandbox otherwise blocks sockets, the board's own included,
  // so `dreamos task done` could not report back (tried: the shim cannot reach the hub).
  const sandbox = p.codexSandbox ?? 'workspace-write';
  const config = [`sandbox_mode=${tomlString(sandbox)}`, ...(sandbox === 'workspace-write' ? ['sandbox_workspace_write.network_access=true'] : []), 'shell_environment_policy.ignore_default_excludes=true', 'approval_policy="never"', 'allow_login_shell=false', ...p.codexConfig].flatMap((c) => ['-c', c]);
  const common = ['--json', '--skip-git-repo-check', ...config, ...mcpArgs(p), ...(p.model ? ['-m', p.model] : [])];
  // `-` reads the prompt from stdin (codex exec --help; exec resume --help: "If `-` is used, read from stdin").
  return o.resume ? ['exec', 'resume', ...common, ...extra, o.resume, '-'] : ['exec', ...common, ...extra, '-'];
}
