/**
 * Screen geometry for window orchestration: rectangles, the grid N agent windows are arranged in,
 * and the tolerance with which "the window is where it was when calibrated" is judged.
 * Pure functions: no display needed.
 */
import { z } from 'zod';

export const Rect = z
  .object({
    x: z.number().int(),
    y: z.number().int(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
  })
  .strict();
export type Rect = z.infer<typeof Rect>;

export const Point = z.object({ x: z.number().int(), y: z.number().int() }).strict();
export type Point = z.infer<typeof Point>;

export function contains(r: Rect, p: Point): boolean {
  return p.x >= r.x && p.y >= r.y && p.x < r.x + r.width && p.y < r.y + r.height;
}

export function intersect(a: Rect, b: Rect): Rect | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const r = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return r > x && bottom > y ? { x, y, width: r - x, height: bottom - y } : null;
}

export function overlaps(a: Rect, b: Rect): boolean {
  return intersect(a, b) !== null;
}

/** Same place and size, give or take `tolerance` pixels on each edge (window managers round). */
export function sameRect(a: Rect, b: Rect, tolerance = 2): boolean {
  return Math.abs(a.x - b.x) <= tolerance && Math.abs(a.y - b.y) <= tolerance && Math.abs(a.width - b.width) <= tolerance && Math.abs(a.height - b.height) <= tolerance;
}

/** "moved by (+12, 0)" / "resized from 800x600 to 640x480": what changed, in a person's words. */
export function describeChange(before: Rect, after: Rect): string {
  const parts: string[] = [];
  if (before.x !== after.x || before.y !== after.y) parts.push(`moved from (${before.x}, ${before.y}) to (${after.x}, ${after.y})`);
  if (before.width !== after.width || before.height !== after.height) parts.push(`resized from ${before.width}x${before.height} to ${after.width}x${after.height}`);
  return parts.join(' and ') || 'unchanged';
}

export interface GridOptions {
  /** Pixels between cells and around the edge. */
  gap?: number;
  /** Force a column count; by default the most square layout that fits the area's aspect ratio. */
  columns?: number;
  /** Cells smaller than this are refused: a chat window that small is not usable. */
  minCell?: { width: number; height: number };
}

/**
 * N non-overlapping cells filling `area` row by row. Columns are chosen so cells come out closest
 * to the area's own aspect ratio (on a 16:10 screen 4 windows give 2x2, 2 give 2x1, 6 give 3x2).
 */
export function gridCells(n: number, area: Rect, opts: GridOptions = {}): Rect[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`gridCells: need at least one window, got ${n}`);
  const gap = opts.gap ?? 8;
  const columns = opts.columns ?? bestColumns(n, area, gap);
  if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`gridCells: columns must be a positive integer, got ${columns}`);
  const rows = Math.ceil(n / columns);
  const width = Math.floor((area.width - gap * (columns + 1)) / columns);
  const height = Math.floor((area.height - gap * (rows + 1)) / rows);
  const min = opts.minCell ?? { width: 200, height: 150 };
  if (width < min.width || height < min.height) {
    throw new RangeError(`${n} windows do not fit in ${area.width}x${area.height}: each would be ${Math.max(width, 0)}x${Math.max(height, 0)}, smaller than ${min.width}x${min.height}. Arrange fewer windows or use a larger screen.`);
  }
  return Array.from({ length: n }, (_, i) => ({
    x: area.x + gap + (i % columns) * (width + gap),
    y: area.y + gap + Math.floor(i / columns) * (height + gap),
    width,
    height,
  }));
}

function bestColumns(n: number, area: Rect, gap: number): number {
  let best = 1;
  let bestScore = Infinity;
  for (let c = 1; c <= n; c++) {
    const rows = Math.ceil(n / c);
    const w = (area.width - gap * (c + 1)) / c;
    const h = (area.height - gap * (rows + 1)) / rows;
    if (w <= 0 || h <= 0) continue;
    // Prefer cells near the screen's aspect ratio, and few empty cells.
    const score = Math.abs(Math.log(w / h / (area.width / area.height))) + (rows * c - n) * 0.25;
    if (score <= bestScore) { // ties go to more columns: side by side reads better than stacked
      bestScore = score;
      best = c;
    }
  }
  return best;
}
