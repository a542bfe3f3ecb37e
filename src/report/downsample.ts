/**
 * Decimation for drawing: M4 aggregation (Jugel, Jerzak, Hackenbroich & Markl, "M4: A
 * Visualization-Oriented Time Series Data Aggregation", PVLDB 7(10), 2014,
 * https://www.vldb.org/pvldb/vol7/p797-jugel.pdf). For each pixel column it keeps the
 * first, last, minimum and maximum point. A line chart drawn from those is pixel-identical
 * to one drawn from all the points — spikes and dips are never lost, unlike every-n-th or
 * averaging — and the output is at most 4 points per column, however long the series.
 * It keeps original points (no interpolation), so hover values are real measurements.
 */
import type { Point } from './model';

/**
 * M4 over points sorted by x: at most 4 points per bucket, buckets being `buckets` equal
 * slices of [x0, x1] (points outside are clamped into the first/last bucket).
 * Returns the kept points in their original order.
 */
export function m4(points: readonly Point[], x0: number, x1: number, buckets: number): Point[] {
  const n = points.length;
  if (n <= 4 || buckets < 1) return points.slice();
  const width = x1 - x0;
  const scale = width > 0 ? buckets / width : 0;
  const bucketOf = (x: number): number => Math.min(buckets - 1, Math.max(0, Math.floor((x - x0) * scale)));
  const out: Point[] = [];
  let start = 0;
  while (start < n) {
    const b = bucketOf(points[start][0]);
    let end = start;
    let lo = start;
    let hi = start;
    while (end + 1 < n && bucketOf(points[end + 1][0]) === b) {
      end++;
      const y = points[end][1];
      if (y < points[lo][1]) lo = end;
      if (y > points[hi][1]) hi = end;
    }
    // Emit first, min, max, last in index order, each once.
    const keep = [start, lo, hi, end].sort((a, c) => a - c);
    for (let i = 0; i < keep.length; i++) if (i === 0 || keep[i] !== keep[i - 1]) out.push(points[keep[i]]);
    start = end + 1;
  }
  return out;
}

/**
 * Split a series into drawable runs: finite x, finite y (and y > 0 on a log axis), sorted by
 * x. A non-drawable y ends a run, so a gap in the data is a gap in the line, not a straight
 * line across it.
 */
export function toRuns(points: readonly Point[], logY: boolean): Point[][] {
  let sorted: readonly Point[] = points.every((p) => Number.isFinite(p[0]))
    ? points
    : points.filter((p) => Number.isFinite(p[0]));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i][0] < sorted[i - 1][0]) {
      // Stable sort keeps duplicate timestamps in input order (deterministic output).
      sorted = sorted.slice().sort((a, b) => a[0] - b[0]);
      break;
    }
  }
  const runs: Point[][] = [];
  let run: Point[] = [];
  for (const p of sorted) {
    const ok = Number.isFinite(p[1]) && (!logY || p[1] > 0);
    if (ok) run.push(p);
    else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * The points to draw for one series: its runs, each decimated with M4 over the shared pixel
 * grid when the series has more than `maxPoints` drawable points.
 */
export function decimateRuns(runs: Point[][], x0: number, x1: number, buckets: number, maxPoints: number): Point[][] {
  const total = runs.reduce((s, r) => s + r.length, 0);
  if (total <= maxPoints) return runs;
  return runs.map((r) => m4(r, x0, x1, buckets));
}
