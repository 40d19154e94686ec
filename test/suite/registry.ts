// A tiny test registry for the extension-host suite: a test framework (mocha) would be one more
// dependency bundled into the editor for a handful of sequential tests.
export interface SuiteTest {
  name: string;
  fn: () => unknown | Promise<unknown>;
  timeoutMs: number;
}

const tests: SuiteTest[] = [];

/** Registers a test; tests run in registration order, one at a time, in the extension host. */
export function test(name: string, fn: SuiteTest['fn'], timeoutMs = 30_000): void {
  tests.push({ name, fn, timeoutMs });
}

export function registeredTests(): readonly SuiteTest[] {
  return tests;
}
