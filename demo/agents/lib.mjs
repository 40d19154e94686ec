// Shared by the demo agents: read the prompt, report back, call the dreamos CLI.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The prompt the loop wrote to stdin. */
export function readPrompt() {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

/** The attempt number the prompt states ("Attempt 2." / "attempt 2"). */
export function attemptOf(prompt) {
  return Number(/attempt (\d+)/i.exec(prompt)?.[1] ?? 1);
}

/** Runs `dreamos <args>` with the CLI the loop points DREAMOS_CLI at; returns parsed --json output. */
export function dreamos(...args) {
  const out = execFileSync(process.execPath, [process.env.DREAMOS_CLI, ...args, '--json'], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : null;
}

/** The structured last line the loop reads as this run's result. */
export function result(summary, evidence) {
  console.log(`DREAMOS_RESULT ${JSON.stringify({ summary, evidence })}`);
}
