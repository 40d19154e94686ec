/**
 * Before the swarm starts an agent: is its program there? A command agent (a preset's CLI or any
 * program) whose command is neither on PATH nor an executable file is not started, with what to do —
 * rather than "swarm running" and a task that then blocks on ENOENT. The same check runs in every
 * host (the editor's Start Swarm, `dreamos swarm start`), because it is the Swarm's.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { AgentConfig } from './agentsConfig';
import type { PresetKind } from './presets';

/** `{{node}}`: the Node that runs Dream.OS (src/integrations/drivers/process.ts resolves it). */
const NODE_COMMAND = '{{node}}';

export type ProgramCheck = { ok: true; path: string } | { ok: false; problem: string };

export interface ProgramLookup {
  /** Where a relative path (./agent.sh) is resolved: the agent's working folder. */
  cwd: string;
  /** The PATH the agent gets. */
  PATH?: string | undefined;
  /** Windows: the extensions a bare name may take (PATHEXT). */
  PATHEXT?: string | undefined;
  platform?: NodeJS.Platform;
}

function runnable(file: string, windows: boolean): 'ok' | 'missing' | 'folder' | 'not-executable' {
  let st;
  try {
    st = statSync(file);
  } catch {
    return 'missing';
  }
  if (st.isDirectory()) return 'folder';
  if (windows) return 'ok';
  try {
    accessSync(file, constants.X_OK);
    return 'ok';
  } catch {
    return 'not-executable';
  }
}

/** Finds `command` as the operating system would when the agent is started (no shell). */
export function findProgram(command: string, o: ProgramLookup): ProgramCheck {
  const c = command.trim();
  if (c === NODE_COMMAND) return { ok: true, path: process.execPath };
  const windows = (o.platform ?? process.platform) === 'win32';
  const exts = windows ? ['', ...(o.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)] : [''];
  if (path.isAbsolute(c) || c.includes('/') || (windows && c.includes('\\'))) {
    const file = path.resolve(o.cwd, c);
    for (const ext of exts) if (runnable(file + ext, windows) === 'ok') return { ok: true, path: file + ext };
    const why = runnable(file, windows);
    if (why === 'folder') return { ok: false, problem: `${file} is a folder, not a program` };
    if (why === 'not-executable') return { ok: false, problem: `${file} is not executable (chmod +x "${file}")` };
    return { ok: false, problem: `${file} does not exist` };
  }
  for (const dir of (o.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const file = path.join(dir, c + ext);
      if (runnable(file, windows) === 'ok') return { ok: true, path: file };
    }
  }
  return { ok: false, problem: `"${c}" is not on PATH` };
}

/** How each preset's CLI is installed: what the swarm says when it is missing and what Add Agent… shows (integrations/agents/detect.ts). */
export const PRESET_INSTALL: Record<PresetKind, { label: string; install: string }> = {
  claude: { label: 'Claude Code', install: 'npm install -g @anthropic-ai/claude-code' },
  codex: { label: 'OpenAI Codex CLI', install: 'npm install -g @openai/codex' },
  gemini: { label: 'Gemini CLI', install: 'npm install -g @google/gemini-cli' },
  opencode: { label: 'opencode', install: 'npm install -g opencode-ai' },
  'cursor-agent': { label: 'Cursor Agent', install: 'curl https://cursor.com/install -fsS | bash' },
  aider: { label: 'aider', install: 'python -m pip install aider-install && aider-install' },
};

/** A command agent's program, checked; undefined for agents that run no program (language model, chat window). */
export function checkAgentProgram(cfg: AgentConfig, workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): { problem: string; hint: string } | undefined {
  if (cfg.driver !== 'command') return undefined;
  const r = findProgram(cfg.command, { cwd: path.resolve(workspaceRoot, cfg.cwd), PATH: cfg.env.PATH ?? env.PATH, PATHEXT: env.PATHEXT });
  if (r.ok) return undefined;
  const preset = cfg.preset?.kind;
  const hint = preset
    ? `Install ${PRESET_INSTALL[preset].label} (${PRESET_INSTALL[preset].install}), or set "command" of ${cfg.name} in agents.json to its full path`
    : `Install it, or fix "command" of ${cfg.name} in agents.json (a program on PATH or a full path)`;
  return { problem: r.problem, hint };
}
