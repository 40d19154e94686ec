// Bundles an extension-host suite into out/<name>/index.js (CommonJS, `vscode` external): the
// editor's extension host can `require` it without TypeScript, and every test/<name>/*.test.ts
// is picked up without a hand-kept import list. `suite` runs in every editor tested; a suite with
// other needs (suite-lm: a language-model provider, the current editor) has a folder of its own
// and shares test/suite's runner.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const suiteBundle = path.join(root, 'out', 'suite', 'index.js');

export async function buildSuite(name = 'suite') {
  if (!/^suite(-[a-z]+)?$/.test(name)) throw new Error(`not a suite folder: ${name}`);
  const suiteDir = path.join(root, 'test', name);
  const files = readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts')).sort();
  const contents = [
    ...files.map((f) => `import './${f}';`), // registers the tests
    "export { run } from '../suite/index.ts';",
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
    outfile: path.join(root, 'out', name, 'index.js'),
    logLevel: 'warning',
  });
  return { bundle: path.join(root, 'out', name, 'index.js'), tests: files };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { bundle, tests } = await buildSuite(process.argv[2]);
  console.log(`built ${path.relative(root, bundle)} from ${tests.join(', ')}`);
}
