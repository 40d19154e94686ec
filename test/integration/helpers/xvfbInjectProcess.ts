/**
 * A second (third, ...) Dream.OS process for the desktop tests: injects into an agent's window the
 * way another editor window would, or reports what desktop automation says without a display.
 * Argument: JSON { mode, boardDir, agent, text }. Prints one JSON line and exits.
 */
import { createDesktopAutomation } from '../../../src/integrations/desktop';

interface Args {
  mode: 'send' | 'headless';
  boardDir: string;
  agent: string;
  text: string;
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2]!) as Args;
  const desktop = createDesktopAutomation({ boardDir: a.boardDir });
  const startedAt = Date.now();
  if (a.mode === 'send') {
    const r = await desktop.sendToAgent(a.agent, a.text, new AbortController().signal);
    const endedAt = Date.now();
    process.stdout.write(`${JSON.stringify({ pid: process.pid, startedAt, endedAt, result: r })}\n`);
  } else {
    const availability = await desktop.availability();
    const status = await desktop.status([a.agent]);
    const send = await desktop.sendToWindow('Agent Alpha', a.text, new AbortController().signal);
    const calibrate = await desktop.calibrate(a.agent, { titlePattern: 'Agent Alpha', capture: async () => null });
    process.stdout.write(`${JSON.stringify({ availability, status, send, calibrate })}\n`);
  }
  await desktop.dispose();
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ crashed: String((err as Error).stack ?? err) })}\n`);
  process.exit(2);
});
