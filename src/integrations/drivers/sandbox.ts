/**
 * Running an agent with the board folder out of its reach (bubblewrap, Linux). The agent sees the
 * whole machine as it is — its worktree, its tools, its network — except the board folder, which
 * becomes an empty tmpfs holding only what it needs: the `dreamos` shim, its prompt file and the
 * hub's socket. So it cannot read hub.json (the person's token), the database or the journal;
 * it reaches the board only through the socket, with its own scoped credential.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface SandboxPlan {
  command: string;
  args: string[];
}

export function bwrapAvailable(): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && existsSync(path.join(d, 'bwrap')));
}

/** `bwrap ... -- command args`: the board folder hidden, the listed paths put back inside it. */
export function bwrapPlan(o: { boardDir: string; socketPath: string; visible: string[]; command: string; args: string[] }): SandboxPlan {
  const board = path.resolve(o.boardDir);
  const inside = (p: string) => path.resolve(p).startsWith(board + path.sep);
  const args = ['--die-with-parent', '--dev-bind', '/', '/', '--tmpfs', board];
  for (const p of o.visible.filter(inside)) args.push('--ro-bind', p, p);
  // The socket outside the board folder (a long path) is visible already.
  if (inside(o.socketPath)) args.push('--bind', o.socketPath, o.socketPath);
  return { command: 'bwrap', args: [...args, '--', o.command, ...o.args] };
}
