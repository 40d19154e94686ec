// Installs the real agent CLIs (Claude Code, OpenAI Codex; Gemini CLI and opencode) from the npm registry into a cache
// folder outside the repo (like code-server), pinned, once; later runs reuse it. Never a project
// dependency. /work/shared/recipes/real-agent-clis.md has the details: npm 11 blocks
// claude-code's postinstall (not needed: bin/claude.exe is the real binary), both ship their
// binary in a per-platform package (@anthropic-ai/claude-code-linux-x64, @openai/codex-linux-x64),
// so nothing is downloaded at run time.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheRoot } from './installCodeServer';
import { trackGroup, untrackGroup } from './processes';

export const CLAUDE_CODE_VERSION = '2.1.197';
export const CODEX_VERSION = '0.171.0';
export const GEMINI_CLI_VERSION = '0.61.0';
export const OPENCODE_VERSION = '1.18.33';

export interface AgentClis {
  dir: string;
  claude: string;
  codex: string;
  versions: { claude: string; codex: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Installs both CLIs if needed; returns their executables and the versions they report. */
export async function ensureAgentClis(claudeVersion = CLAUDE_CODE_VERSION, codexVersion = CODEX_VERSION): Promise<AgentClis> {
  const dir = path.join(cacheRoot(), `agent-clis-claude-${claudeVersion}-codex-${codexVersion}`);
  const bin = path.join(dir, 'node_modules', '.bin');
  const claude = path.join(dir, 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe');
  const codex = path.join(bin, 'codex');
  await installPinned(dir, [`@anthropic-ai/claude-code@${claudeVersion}`, `@openai/codex@${codexVersion}`], [claude, codex]);
  const versions = { claude: versionOf(claude, claudeVersion), codex: versionOf(codex, codexVersion) };
  return { dir, claude, codex, versions };
}

export interface MoreAgentClis {
  dir: string;
  gemini: string;
  opencode: string;
  versions: { gemini: string; opencode: string };
}

/**
 * Gemini CLI and opencode, in a cache folder of their own (so the two above are not installed again).
 * npm 11 blocks their install scripts (node-pty, keytar, opencode's postinstall); neither needs them
 * for a headless run: opencode's launcher finds its per-platform binary package itself.
 */
export async function ensureMoreAgentClis(geminiVersion = GEMINI_CLI_VERSION, opencodeVersion = OPENCODE_VERSION): Promise<MoreAgentClis> {
  const dir = path.join(cacheRoot(), `agent-clis-gemini-${geminiVersion}-opencode-${opencodeVersion}`);
  const gemini = path.join(dir, 'node_modules', '.bin', 'gemini');
  const opencode = path.join(dir, 'node_modules', '.bin', 'opencode');
  await installPinned(dir, [`@google/gemini-cli@${geminiVersion}`, `opencode-ai@${opencodeVersion}`], [gemini, opencode]);
  return { dir, gemini, opencode, versions: { gemini: versionOf(gemini, geminiVersion), opencode: versionOf(opencode, opencodeVersion) } };
}

/** `npm install` of pinned packages into `dir`, once (a marker says it finished); a lock keeps parallel test files from racing. */
async function installPinned(dir: string, packages: string[], executables: string[]): Promise<void> {
  const marker = path.join(dir, '.dreamos-install-ok');
  const ready = () => existsSync(marker) && executables.every((e) => existsSync(e));
  if (ready()) return;
  mkdirSync(cacheRoot(), { recursive: true });
  await withLock(`${dir}.lock`, async () => {
    if (ready()) return;
    const started = Date.now();
    console.log(`[agent-clis] installing ${packages.join(' and ')} into ${dir} (about a minute, once) ...`);
    rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
    rmSync(path.join(dir, 'package-lock.json'), { force: true });
    mkdirSync(dir, { recursive: true });
    // A package.json of its own stops npm from walking up into an enclosing project.
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'dreamos-test-agent-clis', private: true }, null, 2));
    const logFile = path.join(dir, 'install.log');
    writeFileSync(logFile, `install started ${new Date().toISOString()}\n`);
    await run('npm', ['install', '--no-audit', '--no-fund', '--no-save', ...packages], { cwd: dir, env: installEnv(), logFile });
    writeFileSync(marker, JSON.stringify({ packages, seconds: Math.round((Date.now() - started) / 1000) }) + '\n');
    console.log(`[agent-clis] installed in ${Math.round((Date.now() - started) / 1000)} s`);
  });
}

/** `--version`, checked against the pin (a broken cache is an error that says where it is). */
function versionOf(exe: string, want: string): string {
  const r = spawnSync(exe, ['--version'], { encoding: 'utf8', env: { ...process.env, DISABLE_AUTOUPDATER: '1' }, timeout: 60_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.status !== 0 || !out.includes(want)) throw new Error(`${exe} --version gave "${out}" (status ${r.status}), expected ${want}. Remove ${path.dirname(exe)}/../.. to reinstall.`);
  return out.split('\n')[0]!;
}

function installEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // When started from `npm test`, npm's own lifecycle variables would leak into the nested install.
  for (const key of Object.keys(env)) {
    if (/^npm_(lifecycle_|package_)|^npm_config_(local_prefix|ignore_scripts|global)$|^npm_command$/i.test(key)) delete env[key];
  }
  return env;
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    log.write(`\n$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    trackGroup(child);
    let tail = '';
    const keep = (chunk: Buffer) => {
      log.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      untrackGroup(child);
      log.end();
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}. Full log: ${opts.logFile}\n${tail}`));
    });
  });
}

async function withLock(lockDir: string, fn: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = 0;
      try {
        pid = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        // being written
      }
      const young = (() => {
        try {
          return Date.now() - statSync(lockDir).mtimeMs < 10_000;
        } catch {
          return false;
        }
      })();
      if ((pid && !isAlive(pid)) || (!pid && !young)) rmSync(lockDir, { recursive: true, force: true });
      else await sleep(1000);
    }
  }
  try {
    await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
