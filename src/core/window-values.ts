/**
 * A series' numbers in the window being closed, from its values gathered pane by pane.
 *
 * gatherRuns lays each series' values out contiguously — pane by pane, arrival order within
 * a pane, the order that fixes the floating-point sum — and foldWindow folds them with the
 * operations DDSketch.add uses (so count, sum, min and max are the doubles the series'
 * sketch held), sorts them in place and applies the sketch's own estimator to them
 * (DDSketch.quantilesOfSorted), so the quantiles are those the sketch gives. A signal built
 * from these numbers is the signal built from the sketch, without the sketch: no second copy
 * of every value into a sketch buffer and a third into its sort scratch.
 *
 * Windows holding a compacted pane (PaneBatch.compacted) are not folded here: their
 * compacted part is a sketch, so the closer builds the series' sketch for them.
 */
import type { DDSketch } from '../signals/ddsketch';
import { SIGNAL_QUANTILES } from '../signals/window-signal';
import type { CloseScratch, PaneBatch, Series } from './state';

/** Values per window beyond which a series' window is sorted with the typed-array sort. */
const INSERTION_MAX = 32;
// Local copy: under tsx an imported binding is a getter call on every use.
const QUANTILES = SIGNAL_QUANTILES;

/**
 * Lays each listed series' values out contiguously, pane by pane, and leaves cursor[id] at
 * the end of its values in the returned array (the series in list order, so the per-series
 * pass reads it sequentially). The fold sorts each series' values in place: a window whose
 * only pane is the one this close frees (tumbling windows) already has them so in the
 * pane's grouped columns, which no later window reads — no copy; any other pane is read
 * again by later windows, so its values are copied.
 */
export function gatherRuns(
  cs: CloseScratch,
  list: readonly Series[],
  batches: readonly PaneBatch[],
  now: number,
  freed: number,
): Float64Array {
  const { counts, stamp, cursor } = cs;
  if (batches.length === 1 && batches[0].start === freed) {
    const { ids, starts, lens, count } = batches[0].runs;
    for (let r = 0; r < count; r++) cursor[ids[r]] = starts[r] + lens[r];
    return batches[0].values;
  }
  let total = 0;
  for (const se of list) {
    if (stamp[se.id] !== now) continue;
    cursor[se.id] = total;
    total += counts[se.id];
  }
  if (cs.grouped.length < total) {
    let cap = cs.grouped.length;
    while (cap < total) cap *= 2;
    cs.grouped = new Float64Array(cap);
  }
  const grouped = cs.grouped;
  for (const b of batches) {
    const values = b.values;
    const { ids: runIds, starts: runStarts, lens } = b.runs;
    for (let r = 0; r < b.runs.count; r++) {
      const id = runIds[r];
      let at = cursor[id];
      const from = runStarts[r];
      const to = from + lens[r];
      for (let k = from; k < to; k++) grouped[at++] = values[k];
      cursor[id] = at;
    }
  }
  return grouped;
}

/**
 * Folds the series' gathered values (count > 0) into `cs.stats` — count, sum, min, max as
 * DDSketch.add folds them, the four signal quantiles as its estimator gives them — leaving
 * them sorted ascending in place, at `grouped[cursor[id] − counts[id] .. cursor[id])`.
 */
export function foldWindow(cs: CloseScratch, id: number, grouped: Float64Array, sk: DDSketch): void {
  const end = cs.cursor[id];
  const n = cs.counts[id];
  const from = end - n;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let j = from; j < end; j++) {
    const v = grouped[j];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  sortRange(grouped, from, end);
  const stats = cs.stats;
  stats.count = n;
  stats.sum = sum;
  stats.min = min;
  stats.max = max;
  sk.quantilesOfSorted(grouped, from, n, stats, QUANTILES, stats.q);
}

/** Sorts a[from..to) ascending: insertion sort for the few values of most windows, the typed-array sort beyond. */
function sortRange(a: Float64Array, from: number, to: number): void {
  if (to - from > INSERTION_MAX) {
    a.subarray(from, to).sort();
    return;
  }
  for (let k = from + 1; k < to; k++) {
    const v = a[k];
    let j = k - 1;
    while (j >= from && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}
