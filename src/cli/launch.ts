/**
 * dist/cli.js, the `dreamos` command: runs the CLI bundle (dist/cli-main.js, src/cli/main.ts) from a
 * V8 code cache (src/launch/codeCache.ts), or requires it when the cache cannot be used.
 */
import path from 'node:path';
import { compileWithCache } from '../launch/codeCache';

const bundle = path.join(__dirname, 'cli-main.js');
const cached = compileWithCache(bundle, { name: 'cli', asMain: true, writeCache: 'exit' });
if (cached) {
  // The bundle starts the CLI itself: it is the main module (`require.main === module`).
  cached.run();
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle beside this file
  const cli = require(bundle) as typeof import('./main');
  cli.main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`dreamos: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
