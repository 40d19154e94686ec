/**
 * Which agent CLIs are on PATH, their versions, and whether they are logged in: what Add Agent… and
 * `dreamos agent add` offer. Each CLI is asked itself (`--version`; `claude auth status`,
 * `codex login status`, which exit 0 when signed in); a CLI that has no such command is "unknown"
 * and the hint says how to sign in anyway. Nothing here changes the CLI's own settings.
 */
import { execFile } from 'node:child_process';
import type { PresetKind } from '../../core/loop/presets';
import { PRESET_INSTALL } from '../../core/loop/programs';

export type LoginState = 'logged-in' | 'not-logged-in' | 'unknown';

export interface AgentCliInfo {
  kind: PresetKind;
  /** The program looked for on PATH (or the path given). */
  command: string;
  label: string;
  found: boolean;
  /** The first line of `--version`, when found. */
  version?: string;
  login: LoginState;
  /** How to sign it in (shown when it is not, or not known to be). */
  loginHint: string;
  /** How to install it (shown when it is not found). */
  installHint: string;
}

interface CliSpec {
  kind: PresetKind;
  command: string;
  label: string;
  /** A command that exits 0 when the CLI is signed in. */
  status?: string[];
  /** Environment variables that sign it in too. */
  keys: string[];
  loginHint: string;
  installHint: string;
}

export const AGENT_CLIS: readonly CliSpec[] = [
  {
    kind: 'claude',
    command: 'claude',
    label: 'Claude Code',
    status: ['auth', 'status'],
    keys: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'],
    loginHint: 'run `claude auth login` in a terminal (or set ANTHROPIC_API_KEY in the agent\'s "env")',
    installHint: PRESET_INSTALL['claude'].install,
  },
  {
    kind: 'codex',
    command: 'codex',
    label: 'OpenAI Codex CLI',
    status: ['login', 'status'],
    keys: ['OPENAI_API_KEY', 'CODEX_API_KEY'],
    loginHint: 'run `codex login` in a terminal (or `printenv OPENAI_API_KEY | codex login --with-api-key`)',
    installHint: PRESET_INSTALL['codex'].install,
  },
  {
    kind: 'gemini',
    command: 'gemini',
    label: 'Gemini CLI',
    keys: ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI'],
    loginHint: 'run `gemini` once in a terminal and choose how to sign in (or set GEMINI_API_KEY in the agent\'s "env")',
    installHint: PRESET_INSTALL['gemini'].install,
  },
  {
    kind: 'opencode',
    command: 'opencode',
    label: 'opencode',
    keys: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'OPENROUTER_API_KEY'],
    loginHint: 'run `opencode auth login` in a terminal (or set the provider\'s API key, e.g. ANTHROPIC_API_KEY)',
    installHint: PRESET_INSTALL['opencode'].install,
  },
  {
    kind: 'cursor-agent',
    command: 'cursor-agent',
    label: 'Cursor Agent',
    // From Cursor's docs, not run here: `cursor-agent status` says whether it is signed in.
    status: ['status'],
    keys: ['CURSOR_API_KEY'],
    loginHint: 'run `cursor-agent login` in a terminal (or set CURSOR_API_KEY)',
    installHint: PRESET_INSTALL['cursor-agent'].install,
  },
  {
    kind: 'aider',
    command: 'aider',
    label: 'aider',
    keys: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'DEEPSEEK_API_KEY', 'OPENROUTER_API_KEY'],
    loginHint: 'set the model provider\'s API key (e.g. ANTHROPIC_API_KEY or OPENAI_API_KEY) in the agent\'s "env" or your shell',
    installHint: PRESET_INSTALL['aider'].install,
  },
];

/** Runs a program briefly; never throws (a missing program is `found: false`). */
function probe(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ found: boolean; code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: timeoutMs, windowsHide: true, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      if (e && (e.code === 'ENOENT' || e.code === 'EACCES')) return resolve({ found: false, code: null, out: '' });
      resolve({ found: true, code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

/** One CLI: found?, version, login state. `command` overrides where to find it (a full path). */
export async function detectAgentCli(spec: CliSpec, o: { command?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<AgentCliInfo> {
  const env: NodeJS.ProcessEnv = { ...(o.env ?? process.env), DISABLE_AUTOUPDATER: '1', NO_COLOR: '1' };
  const command = o.command ?? spec.command;
  const base = { kind: spec.kind, command, label: spec.label, loginHint: spec.loginHint, installHint: spec.installHint };
  const v = await probe(command, ['--version'], env, o.timeoutMs ?? 20_000);
  if (!v.found) return { ...base, found: false, login: 'unknown' };
  const version = v.out.split('\n').map((l) => l.trim()).find((l) => /\d+\.\d+/.test(l) && !/^warning/i.test(l)) ?? v.out.trim().split('\n')[0] ?? '';
  let login: LoginState = 'unknown';
  if (spec.keys.some((k) => env[k])) login = 'logged-in';
  else if (spec.status) login = (await probe(command, spec.status, env, o.timeoutMs ?? 20_000)).code === 0 ? 'logged-in' : 'not-logged-in';
  return { ...base, found: true, version: version.slice(0, 200), login };
}

/** Every known agent CLI, asked in parallel. */
export function detectAgentClis(o: { env?: NodeJS.ProcessEnv; commands?: Partial<Record<PresetKind, string>>; timeoutMs?: number } = {}): Promise<AgentCliInfo[]> {
  return Promise.all(AGENT_CLIS.map((spec) => detectAgentCli(spec, { ...o, ...(o.commands?.[spec.kind] ? { command: o.commands[spec.kind] } : {}) })));
}

/** "Claude Code 2.1.197 (Claude Code) — not signed in: run `claude auth login` …", for a person. */
export function describeCli(c: AgentCliInfo): string {
  if (!c.found) return `${c.label} (${c.command}): not found on PATH — install it with \`${c.installHint}\``;
  const login = c.login === 'logged-in' ? 'signed in' : c.login === 'not-logged-in' ? `not signed in: ${c.loginHint}` : `sign-in not known: if it asks, ${c.loginHint}`;
  return `${c.label} ${c.version ?? ''} — ${login}`;
}
