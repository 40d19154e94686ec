/**
 * `<dir>/hub.json` tells clients how to reach the hub: socket path and a random token. It is
 * readable by the user only (mode 0600), and the token is what lets a process talk to the board,
 * so other users on the machine cannot, even if they can reach the socket.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { atomicWriteFile } from './fsutil';

/** hub.json. Checked without zod: every client reads it, and a client does not load zod. */
export interface HubDescriptor {
  pid: number;
  socketPath: string;
  token: string;
  protocolVersion: number;
  startedAt: number;
  /** True for a `dreamos hub` process (which `stopHub` may signal), absent for an editor-hosted hub. */
  standalone?: boolean;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** The descriptor in `v` (its known fields only), or undefined if it is not one. */
export function parseDescriptor(v: unknown): HubDescriptor | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const d = v as Record<string, unknown>;
  if (!isInt(d.pid) || typeof d.socketPath !== 'string' || d.socketPath.length === 0 || typeof d.token !== 'string' || !/^[0-9a-f]{64}$/.test(d.token)) return undefined;
  if (!isInt(d.protocolVersion) || typeof d.startedAt !== 'number' || !Number.isFinite(d.startedAt)) return undefined;
  if (d.standalone !== undefined && typeof d.standalone !== 'boolean') return undefined;
  return { pid: d.pid, socketPath: d.socketPath, token: d.token, protocolVersion: d.protocolVersion, startedAt: d.startedAt, ...(d.standalone !== undefined ? { standalone: d.standalone } : {}) };
}

export function descriptorPath(dir: string): string {
  return path.join(dir, 'hub.json');
}

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** sun_path holds 108 bytes on Linux and 104 on macOS, including the terminating NUL. */
const MAX_SOCKET_PATH = 103;

/**
 * The board's socket: beside the board when the path fits, else a name in the temp folder derived
 * from the board's path (so each board has its own); a named pipe on Windows.
 */
export function socketPathFor(dir: string): string {
  const abs = path.resolve(dir);
  const hash = createHash('sha256').update(abs).digest('hex').slice(0, 20);
  if (process.platform === 'win32') return `\\\\.\\pipe\\dreamos-${hash}`;
  const beside = path.join(abs, 'hub.sock');
  if (Buffer.byteLength(beside) <= MAX_SOCKET_PATH) return beside;
  return path.join(os.tmpdir(), `dreamos-${hash}.sock`);
}

export async function writeDescriptor(dir: string, d: HubDescriptor): Promise<void> {
  // Not fsynced: after a power loss there is no live hub to describe anyway.
  await atomicWriteFile(descriptorPath(dir), JSON.stringify(d), { mode: 0o600, durable: false, tmp: `${descriptorPath(dir)}.${process.pid}.tmp` });
}

export function readDescriptor(dir: string): HubDescriptor | undefined {
  try {
    return parseDescriptor(JSON.parse(readFileSync(descriptorPath(dir), 'utf8')));
  } catch {
    return undefined;
  }
}

export async function removeDescriptor(dir: string, token: string): Promise<void> {
  // Only our own: a successor may already have published its descriptor.
  if (readDescriptor(dir)?.token === token) await unlink(descriptorPath(dir)).catch(() => undefined);
}
