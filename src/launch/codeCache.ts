/**
 * Loads a bundle of this package from a V8 code cache: `dreamos` (dist/cli.js) and the extension's
 * entry (dist/launch.js) start their bundles through this. Compiling a ~600 KB bundle was the
 * largest single cost of every CLI call and of activation; Node 20 has no
 * `module.enableCompileCache()` (22.1+), so this does the same by hand.
 *
 * The cache is keyed by the bundle's content (and Node's version and architecture), kept in a
 * folder only this user can write (cached code is run as code), written once after a run that
 * had none (or whose cache V8 rejected; older caches of the same bundle path are removed then), and skipped whenever anything about it is off: then the
 * caller requires the bundle as usual. DREAMOS_COMPILE_CACHE=off turns it off, =<dir> moves it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

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

export interface CachedLoad {
  /** Runs the bundle; returns its exports. Errors are the bundle's own (not a reason to fall back). */
  run(): unknown;
}

/**
 * The bundle compiled (from the cache when there is one), ready to run; undefined when the cache
 * cannot be used (then require the bundle). `asMain`: the bundle sees itself as the main module.
 * `writeCache`: when to write a missing cache ('exit', or after this many ms), so it also holds the
 * functions the run compiled.
 */
export function compileWithCache(bundle: string, o: { name: string; asMain: boolean; writeCache: 'exit' | number }): CachedLoad | undefined {
  try {
    // Older Node 20 releases cannot give a vm.Script the normal import(): they require the bundle.
    const importer = (vm.constants as unknown as { USE_MAIN_CONTEXT_DEFAULT_LOADER?: unknown } | undefined)?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
    const dir = cacheDir();
    if (!importer || !dir) return undefined;
    const source = readFileSync(bundle, 'utf8');
    let file: string | undefined;
    let prefix = '';
    let cached: Buffer | undefined;
    try {
      if (isPrivate(dir)) {
        const hash = (...parts: string[]) => parts.reduce((h, p) => h.update(p).update('\n'), createHash('sha256')).digest('hex').slice(0, 16);
        prefix = `${o.name}-${hash(bundle)}-`;
        file = path.join(dir, `${prefix}${hash(process.version, process.arch, source)}.bin`);
        cached = readFileSync(file);
      }
    } catch {
      // no cache yet (or an unusable folder: then `file` stays unset and none is written)
    }
    const script = new vm.Script(Module.wrap(source), { filename: bundle, importModuleDynamically: importer as never, ...(cached ? { cachedData: cached } : {}) });
    const wrapper = script.runInThisContext() as (...a: unknown[]) => void;
    if (file && (!cached || script.cachedDataRejected)) {
      const target = file;
      const write = () => {
        const tmp = `${target}.${process.pid}.tmp`;
        try {
          writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
          renameSync(tmp, target);
          // Caches of earlier builds at the same path are dead weight now.
          for (const f of readdirSync(path.dirname(target))) if (f.startsWith(prefix) && f.endsWith('.bin') && f !== path.basename(target)) unlinkSync(path.join(path.dirname(target), f));
        } catch {
          try {
            unlinkSync(tmp);
          } catch {
            // nothing was written
          }
        }
      };
      if (o.writeCache === 'exit') process.once('exit', write);
      else setTimeout(write, o.writeCache).unref();
    }
    const mod = new Module(bundle, module);
    mod.filename = bundle;
    mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(bundle));
    const req = Module.createRequire(bundle);
    if (o.asMain) Object.defineProperty(req, 'main', { value: mod });
    return {
      run: () => {
        wrapper.call(mod.exports, mod.exports, req, mod, bundle, path.dirname(bundle));
        mod.loaded = true;
        return mod.exports;
      },
    };
  } catch {
    return undefined;
  }
}
