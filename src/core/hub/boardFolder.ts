/**
 * The board folder (.dreamos) as it is created: with an ignore file, so that from the first moment
 * Source Control never offers hub.json (the hub token is the person's credential), the database,
 * the journal, logs or runs for commit. The files a team may choose to share are let through.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Files a team may commit: configuration, never state or secrets. */
export const SHAREABLE_BOARD_FILES = ['agents.json', 'checks.json', 'worktrees.json', 'discord.json', 'rules.md', 'prompts/', 'tasks.json'] as const;

const IGNORE = [
  '# Dream.OS board folder. Its state stays out of version control: hub.json holds the hub token',
  '# (the person\'s credential); the database, journal, logs and runs belong to this machine.',
  '# The configuration a team may share is let through below. Written by Dream.OS; edit freely.',
  '/*',
  '!/.gitignore',
  ...SHAREABLE_BOARD_FILES.map((f) => `!/${f}`),
  '',
].join('\n');

/** Creates the board folder if needed, and its .gitignore if it has none (an edited one is kept). */
export function ensureBoardFolder(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const ignore = path.join(dir, '.gitignore');
  if (existsSync(ignore)) return;
  try {
    writeFileSync(ignore, IGNORE, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    // Another process wrote it first: fine. Anything else (read-only folder) surfaces where the board is written.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
