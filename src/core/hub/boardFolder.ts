/**
 * The board folder (.dreamos) as it is created: with an ignore file, so that from the first moment
 * Source Control never offers hub.json (the hub token is the person's credential), the database,
 * the journal, logs or runs for commit. The files a team may choose to share are let through.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DreamError } from '../errors';

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
  try {
    mkdirSync(dir, { recursive: true });
    // An existing folder this process cannot write to fails later, deep in the hub: say so here.
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw boardFolderError(dir, err);
  }
  const ignore = path.join(dir, '.gitignore');
  if (existsSync(ignore)) return;
  try {
    writeFileSync(ignore, IGNORE, { flag: 'wx', mode: 0o644 });
  } catch (err) {
    // Another process wrote it first: fine.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw boardFolderError(dir, err);
  }
}

const ELSEWHERE = 'or keep the board elsewhere: the setting dreamos.boardDirectory (an absolute path), or `dreamos --dir <folder>`';

/**
 * Why the board folder cannot be made, from what is really there (not from the errno alone:
 * mkdir -p reports ENOENT or EACCES for the same read-only parent on some systems), and what to do.
 */
export function boardFolderError(dir: string, err: unknown): DreamError {
  const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
  // The nearest part of the path that exists: the folder itself or the parent that refused it.
  let at = path.resolve(dir);
  while (!existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  let blocker: string | undefined;
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    if (existsSync(p) && !statSync(p).isDirectory()) blocker = p;
    if (path.dirname(p) === p) break;
  }
  if (blocker) {
    return new DreamError('unavailable', `Dream.OS cannot create the board folder ${dir}: ${blocker} is a file, not a folder. Rename or remove that file, ${ELSEWHERE}.`, { folder: dir, blocker, cause: code });
  }
  const unwritable = (() => {
    try {
      accessSync(at, constants.W_OK);
      return undefined;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code ?? code;
    }
  })();
  const cause = unwritable ?? code;
  if (cause === 'EROFS') {
    return new DreamError('unavailable', `Dream.OS cannot write to ${at}: it is on a read-only file system (EROFS). Open a copy of the project in a writable place, ${ELSEWHERE}.`, { folder: at, cause });
  }
  if (cause === 'EACCES' || cause === 'EPERM') {
    return new DreamError('unavailable', `Dream.OS cannot write to ${at}: it is read-only for you (${cause}: permission denied). Make it writable (chmod u+w "${at}", or ask its owner), ${ELSEWHERE}.`, { folder: at, cause });
  }
  return new DreamError('unavailable', `Dream.OS cannot create the board folder ${dir} (${code}: ${(err as Error).message}). Check that ${at} exists and is writable, ${ELSEWHERE}.`, { folder: dir, cause: code });
}
