/**
 * Axis ticks at "nice" numbers: Paul S. Heckbert, "Nice numbers for graph labels",
 * Graphics Gems (Academic Press, 1990), pp. 61–63 — the loose-labelling variant, where the
 * axis is extended outward to the first nice tick on either side of the data, so every
 * value lies inside the labelled range and the step is 1, 2 or 5 × 10^k.
 */

export interface Ticks {
  /** Lower end of the axis (the first tick). */
  min: number;
  /** Upper end of the axis (the last tick). */
  max: number;
  /** Distance between ticks (0 for log axes, whose ticks are not evenly spaced). */
  step: number;
  values: number[];
  /** Decimals needed to print every tick exactly (Heckbert's `nfrac`). */
  decimals: number;
}

/**
 * Heckbert's `nicenum`: a 1, 2, 5 or 10 × 10^k near `x`. Rounded picks the nearest
 * (thresholds 1.5, 3, 7 from the paper); otherwise the smallest not below `x`.
 */
export function niceNumber(x: number, round: boolean): number {
  const exponent = Math.floor(Math.log10(x));
  const magnitude = Math.pow(10, exponent);
  const fraction = x / magnitude;
  let nice: number;
  if (round) nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  else nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  // Multiply for k ≥ 0 and divide for k < 0: 10^-k is exact in binary, 10^k for k < 0 is not,
  // so 0.1 comes out as 0.1 and not 0.30000000000000004 / 3.
  return exponent >= 0 ? nice * magnitude : nice / decade(-exponent);
}

/** 10^e, exact for negative e too (see niceNumber). */
function decade(e: number): number {
  return e >= 0 ? Math.pow(10, e) : 1 / Math.pow(10, -e);
}

/**
 * Widen a degenerate range so that it still gets a few ticks around the value: empty, too
 * narrow to label distinctly in doubles, or so small (denormal) that 10^k underflows.
 */
function widen(lo: number, hi: number): [number, number] {
  // 1e-12 relative: doubles resolve ~1e-16, and epoch-ms axes (1.7e12) must still separate
  // milliseconds.
  if (hi > lo && hi - lo > Math.max(Math.abs(lo), Math.abs(hi)) * 1e-12 && hi - lo > 1e-200) return [lo, hi];
  const mid = (lo + hi) / 2;
  const pad = mid === 0 ? 1 : Math.max(Math.abs(mid) * 0.1, 1e-200);
  return [mid - pad, mid + pad];
}

/**
 * Loose nice ticks covering [lo, hi] with about `target` ticks (Heckbert's `loose_label`).
 * Non-finite bounds give an empty 0..1 axis.
 */
export function niceTicks(lo: number, hi: number, target = 6): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return niceTicks(0, 1, target);
  if (lo > hi) [lo, hi] = [hi, lo];
  [lo, hi] = widen(lo, hi);
  const range = niceNumber(hi - lo, false);
  const step = niceNumber(range / Math.max(1, target - 1), true);
  // step = m × 10^p with m ∈ {1, 2, 5}. Each tick is computed as the integer k·m scaled by an
  // exact power of ten, so it is the double nearest the decimal value (0.3, not
  // 0.30000000000000004) without string rounding, at any magnitude.
  let p = Math.floor(Math.log10(step) + 1e-9);
  let m = Math.round(step / decade(p));
  if (m === 10) {
    m = 1;
    p += 1;
  }
  const at = (k: number): number => {
    const v = p >= 0 ? k * m * decade(p) : (k * m) / decade(-p);
    return v === 0 ? 0 : v; // no "-0" labels
  };
  let kFirst = Math.floor(lo / step);
  let kLast = Math.ceil(hi / step);
  // lo / step can underflow or round across a multiple; make sure the ticks enclose the data.
  while (at(kFirst) > lo) kFirst--;
  while (at(kLast) < hi) kLast++;
  const values: number[] = [];
  for (let k = kFirst; k <= kLast; k++) values.push(at(k));
  return { min: values[0], max: values[values.length - 1], step, values, decimals: Math.max(-p, 0) };
}

/**
 * Ticks for a log10 axis over positive [lo, hi]: every decade, plus 2× and 5× when the
 * range spans fewer than three decades (otherwise the axis would carry one or two labels).
 */
export function logTicks(lo: number, hi: number): Ticks {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return logTicks(1, 10);
  if (lo > hi) [lo, hi] = [hi, lo];
  let e0 = Math.floor(Math.log10(lo));
  let e1 = Math.ceil(Math.log10(hi));
  // log10 rounds: 999999999.9999977 gives exactly 9. Step out until the decades enclose the data.
  while (decade(e0) > lo) e0--;
  while (decade(e1) < hi) e1++;
  if (e1 === e0) e1 += 1;
  const decades = e1 - e0;
  const mults = decades < 3 ? [1, 2, 5] : [1];
  const values: number[] = [];
  for (let e = e0; e <= e1; e++) {
    for (const m of mults) {
      if (e === e1 && m > 1) break;
      values.push(e >= 0 ? m * decade(e) : m / decade(-e));
    }
  }
  // Trim multiples outside the data but keep the enclosing decades, so the axis ends on a label.
  const lower = decade(e0);
  const upper = decade(e1);
  const inner = values.filter((v) => v === lower || v === upper || (v >= lo && v <= hi));
  return { min: lower, max: upper, step: 0, values: inner, decimals: Math.max(0, -e0) };
}
