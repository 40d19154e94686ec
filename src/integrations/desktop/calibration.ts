/**
 * Where each agent's chat input is: the window (title pattern, id, region when calibrated), the
 * point to click, a fingerprint of what surrounds it, and the chords to paste and send. Kept per
 * agent in `<boardDir>/desktop-calibration.json`, validated with zod on every read, written
 * atomically (temp file + rename). An agent whose window changed is marked `stale` with the reason
 * until it is re-checked or recalibrated.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ChordText } from './chords';
import { Fingerprint } from './fingerprint';
import { Point, Rect } from './geometry';
import { TitlePattern } from './titles';

export const CALIBRATION_FILE = 'desktop-calibration.json';

export const AgentCalibration = z
  .object({
    titlePattern: TitlePattern,
    /** The full title when calibrated, for messages. */
    windowTitle: z.string().max(2_000),
    windowId: z.string().min(1).max(64),
    windowRegion: Rect,
    /** The chat input, in screen coordinates and relative to the window's top-left corner. */
    input: Point,
    inputOffset: Point,
    /** null where the screen cannot be read (then only title, focus and region are checked). */
    fingerprint: Fingerprint.nullable(),
    screen: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }).strict(),
    pasteChord: ChordText,
    sendChord: ChordText,
    /** Select all in the input before pasting, so a half-typed draft does not get sent along. */
    clearInput: z.boolean().default(true),
    calibratedAt: z.string().datetime(),
    stale: z.object({ reason: z.string().max(2_000), at: z.string().datetime() }).strict().optional(),
  })
  .strict();
export type AgentCalibration = z.infer<typeof AgentCalibration>;

const AgentKey = z.string().trim().min(1).max(64).regex(/^[\w.-]+$/, 'agent names are letters, digits, . - _');

export const CalibrationFile = z
  .object({
    version: z.literal(1),
    agents: z.record(AgentKey, AgentCalibration),
  })
  .strict();
export type CalibrationFile = z.infer<typeof CalibrationFile>;

export class CalibrationStore {
  readonly file: string;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(boardDir: string) {
    this.file = path.join(boardDir, CALIBRATION_FILE);
  }

  async read(): Promise<CalibrationFile> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, agents: {} };
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`${this.file} is not valid JSON (${(err as Error).message}). Delete it and calibrate the agent windows again ("Dream.OS: Calibrate Agent Window").`);
    }
    const parsed = CalibrationFile.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
      throw new Error(`${this.file} is not a valid calibration file:\n  ${issues.join('\n  ')}\nCalibrate the agent windows again ("Dream.OS: Calibrate Agent Window").`);
    }
    return parsed.data;
  }

  async get(agent: string): Promise<AgentCalibration | null> {
    return (await this.read()).agents[agent] ?? null;
  }

  /** Read-modify-write, serialised within this process; the file is replaced atomically. */
  update(fn: (f: CalibrationFile) => void): Promise<CalibrationFile> {
    const next = this.writing.then(async () => {
      const f = await this.read();
      fn(f);
      const checked = CalibrationFile.parse(f);
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${randomUUID()}.tmp`;
      await fs.writeFile(tmp, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
      await fs.rename(tmp, this.file);
      return checked;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  put(agent: string, c: AgentCalibration): Promise<CalibrationFile> {
    return this.update((f) => {
      f.agents[AgentKey.parse(agent)] = c;
    });
  }

  remove(agent: string): Promise<CalibrationFile> {
    return this.update((f) => {
      delete f.agents[agent];
    });
  }

  markStale(agent: string, reason: string): Promise<CalibrationFile> {
    return this.update((f) => {
      const c = f.agents[agent];
      if (c) c.stale = { reason: reason.slice(0, 2_000), at: new Date().toISOString() };
    });
  }

  clearStale(agent: string): Promise<CalibrationFile> {
    return this.update((f) => {
      const c = f.agents[agent];
      if (c) delete c.stale;
    });
  }
}
