/**
 * dist/cli.js, the `dreamos` command: runs the CLI bundle (dist/cli-main.js, src/cli/main.ts) from a
 * V8 code cache. Agents run `dreamos` on every report, and compiling the bundle was a large part of
 * each call; Node 20 has no `module.enableCompileCache()` (22.1+), so this does the same by hand.
 *
 * The cache is keyed by the bundle's content (and Node's version), kept in a folder only this user
 * can write (cached code is run as code), written once after a run that had none, and skipped
 * whenever anything about it is off: then the bundle is simply required. DREAMOS_COMPILE_CACHE=off
 * turns it off; DREAMOS_COMPILE_CACHE=<dir> puts it elsewhere.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

const bundle = path.join(__dirname, 'cli-main.js');

function cacheDir(): string | undefined {
  const set = process.env.DREAMOS_COMPILE_CACHE;
  if (set === 'off' || set === '0') return undefined;
  if (set) return path.resolve(set);
  const base =
    process.platform === 'win32' ? process.env.LOCALAPPDATA : process.platform === 'darwin' ? path.join(os.homedir(), 'Library', 'Caches') : process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return base ? path.join(base, 'dreamos', 'v8') : undefined;
}

/** True if `dir` exists (made if not) and nobody but this user can write it. */
function isPrivate(dir: string): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (!st.isDirectory()) return false;
  return process.platform === 'win32' || (st.uid === process.getuid?.() && (st.mode & 0o022) === 0);
}

/** The bundle compiled (from the cache when there is one), ready to run; undefined to just require it. */
function compile(): (() => void) | undefined {
  // Older Node 20 releases cannot give a vm.Script the normal import(); they just require the bundle.
  const importer = (vm.constants as unknown as { USE_MAIN_CONTEXT_DEFAULT_LOADER?: unknown } | undefined)?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  const dir = cacheDir();
  if (!importer || !dir) return undefined;
  const source = readFileSync(bundle, 'utf8');
  let file: string | undefined;
  let cached: Buffer | undefined;
  try {
    if (isPrivate(dir)) {
      file = path.join(dir, `cli-${createHash('sha256').update(`${process.version} ${process.arch}\n`).update(source).digest('hex').slice(0, 32)}.bin`);
      cached = readFileSync(file);
    }
  } catch {
    // no cache yet (or an unusable folder: then `file` stays unset and none is written)
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, importModuleDynamically: importer as never, ...(cached ? { cachedData: cached } : {}) });
  const wrapper = script.runInThisContext() as (...a: unknown[]) => void;
  if (file && (!cached || script.cachedDataRejected)) {
    const target = file;
    // After the run: the cache then holds the functions the run compiled as well.
    process.once('exit', () => {
      const tmp = `${target}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, target);
      } catch {
        try {
          unlinkSync(tmp);
        } catch {
          // nothing was written
        }
      }
    });
  }
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  const req = Module.createRequire(bundle);
  // The bundle starts the CLI when it is the main module (`require.main === module`): here it is.
  Object.defineProperty(req, 'main', { value: mod });
  return () => {
    wrapper.call(mod.exports, mod.exports, req, mod, bundle, __dirname);
    mod.loaded = true;
  };
}

let run: (() => void) | undefined;
try {
  run = compile();
} catch {
  // anything off about the cache: the bundle is required as it is
}
if (run) {
  run();
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle beside this file
  const cli = require(bundle) as { main(argv: string[]): Promise<number> };
  cli.main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`dreamos: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
