// The tester: runs the project's tests and reports the counts as evidence; fails when they fail.
import { spawnSync } from 'node:child_process';
import { readPrompt, result } from './lib.mjs';

readPrompt();
const env = { ...process.env };
delete env.NODE_TEST_CONTEXT; // run as a plain test run even when started under a test runner
const r = spawnSync(process.execPath, ['--test'], { encoding: 'utf8', env });
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)`, 'm').exec(r.stdout)?.[1] ?? 0);
const [pass, fail] = [count('pass'), count('fail')];
if (r.status !== 0) {
  console.error(`tester: ${fail} test(s) failed`);
  process.exit(1);
}
result(`the test suite passes: ${pass} tests`, [{ kind: 'test', summary: `${pass} passed, ${fail} failed` }]);
