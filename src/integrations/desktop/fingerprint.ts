/**
 * A fingerprint of the chat input's surroundings: the region around the calibrated point,
 * grey-scaled and averaged down to a small grid of cells. Comparing two fingerprints tells "the
 * same panel is there" (a caret, a few typed letters: small change) from "the layout changed" (a
 * dialog on top, the panel closed, another view in its place: most cells change).
 */
import { z } from 'zod';
import { intersect, type Point, type Rect } from './geometry';
import type { Pixels } from './input';

export const CELLS_X = 24;
export const CELLS_Y = 8;
/** The area fingerprinted around the input point (clipped to the window). */
export const PATCH = { width: 360, height: 96 } as const;

export const Fingerprint = z
  .object({
    region: z.object({ x: z.number().int(), y: z.number().int(), width: z.number().int().positive(), height: z.number().int().positive() }).strict(),
    cellsX: z.number().int().positive(),
    cellsY: z.number().int().positive(),
    /** base64 of cellsX * cellsY grey levels, row by row. */
    luma: z.string(),
  })
  .strict();
export type Fingerprint = z.infer<typeof Fingerprint>;

/** The patch around `p`, kept inside `window` (and so inside the screen). */
export function patchAround(p: Point, window: Rect, size: { width: number; height: number } = PATCH): Rect | null {
  const want: Rect = { x: Math.round(p.x - size.width / 2), y: Math.round(p.y - size.height / 2), width: size.width, height: size.height };
  return intersect(want, window);
}

/** Averages the pixels into cellsX x cellsY grey levels (0..255). */
export function downscale(px: Pixels, cellsX = CELLS_X, cellsY = CELLS_Y): Uint8Array {
  const sums = new Float64Array(cellsX * cellsY);
  const counts = new Uint32Array(cellsX * cellsY);
  const ch = px.channels;
  for (let y = 0; y < px.height; y++) {
    const cy = Math.min(cellsY - 1, Math.floor((y * cellsY) / px.height));
    const row = y * px.rowBytes;
    for (let x = 0; x < px.width; x++) {
      const cx = Math.min(cellsX - 1, Math.floor((x * cellsX) / px.width));
      const o = row + x * ch;
      // Channel order (BGR vs RGB) does not matter for an unweighted mean.
      const grey = ch >= 3 ? (px.data[o]! + px.data[o + 1]! + px.data[o + 2]!) / 3 : px.data[o]!;
      sums[cy * cellsX + cx]! += grey;
      counts[cy * cellsX + cx]!++;
    }
  }
  return Uint8Array.from(sums, (s, i) => (counts[i] ? Math.round(s / counts[i]!) : 0));
}

export function makeFingerprint(region: Rect, px: Pixels): Fingerprint {
  return { region, cellsX: CELLS_X, cellsY: CELLS_Y, luma: Buffer.from(downscale(px)).toString('base64') };
}

export interface FingerprintDiff {
  /** Mean absolute grey difference over all cells, 0 (same) .. 1 (black vs white everywhere). */
  readonly mean: number;
  /** Share of cells whose grey level moved by more than 32 of 255. */
  readonly changedCells: number;
}

export function compareFingerprints(a: Fingerprint, b: Fingerprint): FingerprintDiff {
  const x = Buffer.from(a.luma, 'base64');
  const y = Buffer.from(b.luma, 'base64');
  if (x.length !== y.length || a.cellsX !== b.cellsX || a.cellsY !== b.cellsY) return { mean: 1, changedCells: 1 };
  let sum = 0;
  let changed = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    sum += d;
    if (d > 32) changed++;
  }
  return { mean: sum / x.length / 255, changedCells: changed / x.length };
}

/**
 * How much change still counts as "the same place". Typing a line into an empty chat input changes
 * well under a third of the cells; a different panel or a dialog changes most of them.
 */
export interface FingerprintTolerance {
  maxMean: number;
  maxChangedCells: number;
}
export const DEFAULT_TOLERANCE: FingerprintTolerance = { maxMean: 0.12, maxChangedCells: 0.35 };

export function withinTolerance(d: FingerprintDiff, t: FingerprintTolerance = DEFAULT_TOLERANCE): boolean {
  return d.mean <= t.maxMean && d.changedCells <= t.maxChangedCells;
}
