#!/usr/bin/env node
// The soak's scripted agent (bench/soak.ts): a real process that the loop runs for one task, and
// that behaves like a real agent under the board's rules — its "done" carries evidence of work (a
// test result, a changed file), it reports through the `dreamos` CLI with the credential it was
// given (DREAMOS_AGENT_TOKEN), and now and then it misbehaves the way agents do.
//
//   node soakAgent.mjs <seed> <runLog>
//
// What a run does is picked from a seeded hash of (seed, task, agent, run, lease token), so the
// soak's seed fixes the mix. Every run appends one JSON line to <runLog> first (its behaviour and
// pid), and a second one after an acknowledged report through the CLI, for the soak's ledger.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';

const [seed = '1', runLog] = process.argv.slice(2);
const env = process.env;
const task = env.DREAMOS_TASK_ID ?? 'no-task';
const agent = env.DREAMOS_AGENT_NAME ?? 'agent';
const run = env.DREAMOS_RUN ?? '1';
const token = env.DREAMOS_LEASE_TOKEN ?? '0';

/** The mix, in per-mille of runs. */
const MIX = [
  ['result', 630], // prints a test result (DREAMOS_RESULT with a passing test)
  ['file', 180], // changes a file in the workspace (the diff is the evidence)
  ['cli', 20], // reports done through `dreamos task done` with its own credential
  ['crash', 25], // exits 1: the work failed (the loop fails the task and retries it)
  ['kill9', 20], // kill -9 of itself mid-run
  ['hang', 15], // keeps printing, never finishes: stopped by the loop's task timeout
  ['stall', 20], // silent: the loop's no-output watch must notice
  ['badresult', 25], // a malformed DREAMOS_RESULT line
  ['garbage', 25], // garbage bytes and escape codes, then a valid result
  ['liar', 40], // says "Done!" with nothing behind it (the loop must not believe it)
];

const h = createHash('sha256').update(`${seed}|${task}|${agent}|${run}|${token}`).digest();
let pick = h.readUInt32LE(0) % 1000;
let behaviour = 'result';
for (const [name, w] of MIX) {
  if (pick < w) {
    behaviour = name;
    break;
  }
  pick -= w;
}
const n = 1 + (h.readUInt32LE(4) % 40);

const log = (o) => runLog && appendFileSync(runLog, `${JSON.stringify({ at: Date.now(), task, agent, run: Number(run), token: Number(token), pid: process.pid, ...o })}\n`);
log({ b: behaviour });
process.stdout.on('error', () => process.exit(0));
const say = (s) => process.stdout.write(`${s}\n`);
const result = (summary, evidence) => say(`DREAMOS_RESULT ${JSON.stringify({ summary, evidence })}`);
const tests = () => ({ kind: 'test', summary: `${n} passed, 0 failed`, data: { exitCode: 0, passed: n } });

say(`${agent}: working on ${task} (run ${run})`);
switch (behaviour) {
  case 'result':
    say(`ran the suite: ${n} tests`);
    result(`checked ${task}: ${n} tests pass`, [tests()]);
    break;
  case 'file': {
    // Inside the task's scope, as the prompt says (64 slots, rewritten: the workspace stays small).
    const prompt = env.DREAMOS_PROMPT_FILE ? readFileSync(env.DREAMOS_PROMPT_FILE, 'utf8') : '';
    const slot = /Scope:\s*(work\/slot\d+)\//.exec(prompt)?.[1] ?? 'work/unscoped';
    const rel = path.join(slot, 'out.txt');
    mkdirSync(path.dirname(rel), { recursive: true });
    writeFileSync(rel, `${task} run ${run} token ${token}\n`);
    say(`wrote ${rel}`);
    break;
  }
  case 'cli': {
    const r = spawnSync(process.execPath, [env.DREAMOS_CLI, 'task', 'done', task, '--summary', `${n} tests pass`, '--evidence', `test:${n} passed, 0 failed`, '--json'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0) {
      log({ ack: 'done', status: JSON.parse(r.stdout).status });
      say('reported done through the CLI');
    } else if (r.status === 4 || r.status === 6) {
      // Refused (the lease moved on, or this run's credential is no longer valid): stop, as told.
      say(`the board refused the report (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
      process.exit(0);
    } else {
      say(`could not report (exit ${r.status ?? r.signal}): ${(r.stderr || '').trim().split('\n')[0]}`);
      process.exit(75); // try again later
    }
    break;
  }
  case 'crash':
    console.error(`not ok 1 - ${task}: expected 2, got 3`);
    process.exit(1);
    break;
  case 'kill9':
    say('about to do something risky');
    process.kill(process.pid, 'SIGKILL');
    break;
  case 'hang': {
    let i = 0;
    setInterval(() => say(`still working, step ${++i}`), 200);
    break;
  }
  case 'stall':
    setInterval(() => undefined, 1_000);
    break;
  case 'badresult':
    say(['DREAMOS_RESULT {"summary": "half a json', 'DREAMOS_RESULT {"evidence": "not a list"}', 'DREAMOS_RESULT []'][n % 3]);
    break;
  case 'garbage':
    process.stdout.write(Buffer.from([0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0xfe, 0x00, 0x41, 0xc3, 0x28, 0x0a]));
    result(`checked ${task} despite the noise`, [tests()]);
    break;
  case 'liar':
    say('I looked at the task.');
    say('Done! The task is complete. ✅');
    break;
}
