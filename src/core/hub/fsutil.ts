import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Makes a rename or a new file's name durable. Windows cannot open a folder for fsync (and NTFS
 * journals names itself), so failures there are ignored.
 */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `file` so that a crash at any instant leaves either the old or the new content, never a
 * mix: write a temp file, fsync it, rename it over, fsync the folder.
 */
export async function atomicWriteFile(file: string, data: Uint8Array | string, opts: { mode?: number; durable?: boolean; tmp?: string } = {}): Promise<void> {
  const tmp = opts.tmp ?? `${file}.tmp`;
  const fh = await open(tmp, 'w', opts.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    if (opts.durable !== false) await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  if (opts.durable !== false) await fsyncDir(path.dirname(file));
}
