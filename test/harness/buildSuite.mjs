// Bundles the extension-host suite into out/suite/index.js (CommonJS, `vscode` external): the
// editor's extension host can `require` it without TypeScript, and every test/suite/*.test.ts
// is picked up without a hand-kept import list.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const suiteDir = path.join(root, 'test', 'suite');
export const suiteBundle = path.join(root, 'out', 'suite', 'index.js');

export async function buildSuite() {
  const files = readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts')).sort();
  const contents = [
    ...files.map((f) => `import './${f}';`), // registers the tests
    "export { run } from './index.ts';",
  ].join('\n');
  await esbuild.build({
    stdin: { contents, resolveDir: suiteDir, sourcefile: 'suite-entry.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    // Not minified, one file: stack traces from the extension host (which replaces Node's
    // source-map support with its own) still name the test functions and readable lines.
    sourcemap: false,
    outfile: suiteBundle,
    logLevel: 'warning',
  });
  return { bundle: suiteBundle, tests: files };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { bundle, tests } = await buildSuite();
  console.log(`built ${path.relative(root, bundle)} from ${tests.join(', ')}`);
}
