/**
 * From a chart's data to its frame: x and y domains, ticks, and the data→pixel mappings.
 * Pure; the SVG writer (chart.ts) only draws what this decides.
 */
import type { Chart, Point } from './model';
import { decimateRuns, toRuns } from './downsample';
import { logTicks, niceTicks } from './ticks';
import { timeTicks, type TimeTick } from './time-ticks';
import { formatCompact, formatTicks } from './format';

/** Drawing area, in SVG user units (the viewBox scales it to the page width). */
export const LAYOUT = {
  width: 1000,
  height: 320,
  left: 68,
  right: 24,
  top: 32,
  bottom: 46,
} as const;

export interface Frame {
  /** Plot rectangle in user units. */
  px0: number;
  px1: number;
  py0: number; // top
  py1: number; // bottom
  x0: number;
  x1: number;
  y0: number; // bottom of the axis (data units)
  y1: number; // top of the axis
  logY: boolean;
  xTicks: TimeTick[];
  yTicks: { value: number; label: string }[];
  /** Per series: drawable runs after decimation. */
  runs: Point[][][];
  /** Drawable points per series before decimation. */
  counts: number[];
  empty: boolean;
}

export interface FrameOptions {
  /** Decimate a series (M4) when it has more drawable points than this. */
  maxPoints: number;
}

/** Whether a series of non-negative values should start at zero: when zero is "near" the data. */
function wantsZero(lo: number, hi: number, chart: Chart): boolean {
  if (lo < 0) return false;
  if (chart.series.some((s) => s.style === 'area')) return true;
  // Within a quarter of the range from zero, a zero baseline costs little room and stops
  // small changes from looking dramatic (Cleveland, "The Elements of Graphing Data", 1985).
  return lo <= hi * 0.25;
}

function finite(v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v);
}

export function computeFrame(chart: Chart, options: FrameOptions): Frame {
  const logY = chart.logY === true;
  const px0 = LAYOUT.left;
  const px1 = LAYOUT.width - LAYOUT.right;
  const py0 = LAYOUT.top;
  const py1 = LAYOUT.height - LAYOUT.bottom;

  const rawRuns = chart.series.map((s) => toRuns(s.points, logY));
  const counts = rawRuns.map((runs) => runs.reduce((n, r) => n + r.length, 0));

  let xLo = Infinity;
  let xHi = -Infinity;
  let yLo = Infinity;
  let yHi = -Infinity;
  for (const runs of rawRuns) {
    for (const run of runs) {
      xLo = Math.min(xLo, run[0][0]);
      xHi = Math.max(xHi, run[run.length - 1][0]);
      for (const p of run) {
        if (p[1] < yLo) yLo = p[1];
        if (p[1] > yHi) yHi = p[1];
      }
    }
  }
  // Markers widen the time range (a command after the data ended is worth seeing);
  // spans do not (a lease running past the data is clipped, not allowed to squash it).
  for (const m of chart.markers ?? []) {
    if (Number.isFinite(m.x)) {
      xLo = Math.min(xLo, m.x);
      xHi = Math.max(xHi, m.x);
    }
  }
  if (xLo > xHi) {
    for (const s of chart.spans ?? []) {
      if (Number.isFinite(s.start) && Number.isFinite(s.end)) {
        xLo = Math.min(xLo, s.start, s.end);
        xHi = Math.max(xHi, s.start, s.end);
      }
    }
  }
  const empty = !(xLo <= xHi) && counts.every((c) => c === 0);
  if (!(xLo <= xHi)) {
    xLo = 0;
    xHi = 3_600_000;
  } else if (xLo === xHi) {
    xLo -= 60_000;
    xHi += 60_000;
  }
  for (const t of chart.thresholds ?? []) {
    if (Number.isFinite(t.value) && (!logY || t.value > 0)) {
      yLo = Math.min(yLo, t.value);
      yHi = Math.max(yHi, t.value);
    }
  }

  let y0: number;
  let y1: number;
  let yTicks: { value: number; label: string }[];
  if (logY) {
    const lo = finite(chart.yMin) && chart.yMin > 0 ? chart.yMin : yLo;
    const hi = finite(chart.yMax) && chart.yMax > 0 ? chart.yMax : yHi;
    const t = logTicks(Math.min(lo, hi), Math.max(lo, hi));
    y0 = finite(chart.yMin) && chart.yMin > 0 ? chart.yMin : t.min;
    y1 = finite(chart.yMax) && chart.yMax > 0 ? chart.yMax : t.max;
    if (!(y1 > y0)) [y0, y1] = [t.min, t.max];
    yTicks = t.values
      .filter((v) => v >= y0 * (1 - 1e-9) && v <= y1 * (1 + 1e-9))
      .map((v) => ({ value: v, label: formatCompact(v) }));
  } else {
    if (!(yLo <= yHi)) {
      yLo = 0;
      yHi = 1;
    }
    if (wantsZero(yLo, yHi, chart)) yLo = 0;
    const fixedLo = finite(chart.yMin) ? chart.yMin : undefined;
    const fixedHi = finite(chart.yMax) ? chart.yMax : undefined;
    const usable = fixedLo === undefined || fixedHi === undefined || fixedHi > fixedLo;
    const lo = usable && fixedLo !== undefined ? fixedLo : yLo;
    const hi = usable && fixedHi !== undefined ? fixedHi : yHi;
    const t = niceTicks(Math.min(lo, hi), Math.max(lo, hi), 6);
    y0 = usable && fixedLo !== undefined ? fixedLo : t.min;
    y1 = usable && fixedHi !== undefined ? fixedHi : t.max;
    if (!(y1 > y0)) [y0, y1] = [t.min, t.max];
    const eps = (y1 - y0) * 1e-9;
    const values = t.values.filter((v) => v >= y0 - eps && v <= y1 + eps);
    const labels = formatTicks(values, t.step);
    yTicks = values.map((value, i) => ({ value, label: labels[i] }));
  }

  // About one time label per 85 user units keeps "Mar 14" labels from touching.
  const xTicks = chart.xType === 'linear' ? linearTicks(xLo, xHi) : timeTicks(xLo, xHi, Math.floor((px1 - px0) / 85));
  const buckets = Math.round(px1 - px0);
  const runs = rawRuns.map((r) => decimateRuns(r, xLo, xHi, buckets, options.maxPoints));
  return { px0, px1, py0, py1, x0: xLo, x1: xHi, y0, y1, logY, xTicks, yTicks, runs, counts, empty };
}

/** Ticks of a numeric x axis (e.g. a trade-off chart), in the TimeTick shape the axis draws. */
function linearTicks(lo: number, hi: number): TimeTick[] {
  const t = niceTicks(lo, hi, 6);
  const values = t.values.filter((v) => v >= lo - 1e-9 && v <= hi + 1e-9);
  const labels = formatTicks(values, t.step);
  return values.map((value, i) => ({ value, label: labels[i] }));
}

/** Data x → user units, rounded to 0.1 (plenty at viewBox scale, and keeps files small). */
export function sx(f: Frame, x: number): number {
  return round1(f.px0 + ((x - f.x0) / (f.x1 - f.x0)) * (f.px1 - f.px0));
}

/** Data y → user units (top is small). Far-off values are clamped; the clip path hides them. */
export function sy(f: Frame, y: number): number {
  const t = f.logY
    ? (Math.log10(y) - Math.log10(f.y0)) / (Math.log10(f.y1) - Math.log10(f.y0))
    : (y - f.y0) / (f.y1 - f.y0);
  const v = f.py1 - t * (f.py1 - f.py0);
  return round1(Math.max(-2000, Math.min(LAYOUT.height + 2000, v)));
}

export function round1(v: number): number {
  const r = Math.round(v * 10) / 10;
  return r === 0 ? 0 : r;
}
