// The extension-host suite's entry point, shaped like @vscode/test-electron's: the editor
// loads this module (bundled by test/harness/buildSuite.mjs with every test/suite/*.test.ts) and
// awaits `run()`; a rejection makes the editor exit with a non-zero code.
import { registeredTests } from './registry';

export async function run(): Promise<void> {
  const tests = registeredTests();
  let failed = 0;
  console.log(`1..${tests.length}`);
  for (const [i, t] of tests.entries()) {
    const started = Date.now();
    try {
      await withTimeout(Promise.resolve().then(t.fn), t.timeoutMs);
      console.log(`ok ${i + 1} - ${t.name} (${Date.now() - started} ms)`);
    } catch (err) {
      failed++;
      console.log(`not ok ${i + 1} - ${t.name} (${Date.now() - started} ms)`);
      console.log(`  ${(err instanceof Error ? err.stack ?? err.message : String(err)).replace(/\n/g, '\n  ')}`);
    }
  }
  console.log(`# ${tests.length - failed} passed, ${failed} failed`);
  if (failed > 0) throw new Error(`${failed} of ${tests.length} extension-host tests failed`);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
