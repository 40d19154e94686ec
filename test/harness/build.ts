// Builds what the editor tests load, only when the outputs are older than their sources, so a
// test run after `npm test`'s own build/package steps costs nothing extra.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './codeServer';

const SOURCES = ['src', 'webview-ui', 'media', 'package.json', 'esbuild.mjs', '.vscodeignore'];

function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) visit(path.join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) visit(path.join(REPO_ROOT, p));
  return newest;
}

const isFresh = (output: string, sources: string[]) =>
  existsSync(output) && statSync(output).mtimeMs >= newestMtime(sources);

function npmRun(script: string): void {
  console.log(`[build] npm run ${script}`);
  execFileSync('npm', ['run', '--silent', script], { cwd: REPO_ROOT, stdio: 'inherit' });
}

/** dist/extension.js, rebuilt when any source is newer. */
export function ensureBuilt(): string {
  const main = path.join(REPO_ROOT, 'dist', 'extension.js');
  if (!isFresh(main, SOURCES)) npmRun('build');
  return main;
}

/** The packaged .vsix (name from package.json), re-packaged when any source is newer. */
export function ensurePackaged(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  const vsix = path.join(REPO_ROOT, `${pkg.name}-${pkg.version}.vsix`);
  if (!isFresh(vsix, SOURCES)) npmRun('package');
  return vsix;
}

/** out/<name>/index.js: an extension-host suite bundle (test/suite by default). */
export function ensureSuiteBuilt(name = 'suite'): string {
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'test', 'harness', 'buildSuite.mjs'), name], { cwd: REPO_ROOT, stdio: 'inherit' });
  return path.join(REPO_ROOT, 'out', name, 'index.js');
}
