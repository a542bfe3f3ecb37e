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
import { sortRuns } from './batches';
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
 * again by later windows, so its values are copied. With hopping windows (`hopping`), each
 * pane's runs are sorted once (sortRuns) and merged here into cs.groupedSorted at the same
 * places, so that the fold finds each series' values already sorted (cs.presorted).
 */
export function gatherRuns(
  cs: CloseScratch,
  list: readonly Series[],
  batches: readonly PaneBatch[],
  now: number,
  freed: number,
  hopping: boolean,
): Float64Array {
  const { counts, stamp, cursor, first } = cs;
  cs.presorted = false;
  if (batches.length === 1 && batches[0].start === freed) {
    const { ids, starts, lens, count } = batches[0].runs;
    for (let r = 0; r < count; r++) cursor[ids[r]] = starts[r] + lens[r];
    return batches[0].values;
  }
  let total = 0;
  for (const se of list) {
    if (stamp[se.id] !== now) continue;
    cursor[se.id] = total;
    first[se.id] = total;
    total += counts[se.id];
  }
  if (cs.grouped.length < total) {
    let cap = cs.grouped.length;
    while (cap < total) cap *= 2;
    cs.grouped = new Float64Array(cap);
  }
  if (hopping && cs.groupedSorted.length < cs.grouped.length) cs.groupedSorted = new Float64Array(cs.grouped.length);
  const grouped = cs.grouped;
  for (const b of batches) {
    const values = b.values;
    const { ids: runIds, starts: runStarts, lens } = b.runs;
    if (hopping) sortRuns(b);
    for (let r = 0; r < b.runs.count; r++) {
      const id = runIds[r];
      const at = cursor[id];
      const from = runStarts[r];
      const to = from + lens[r];
      let w = at;
      for (let k = from; k < to; k++) grouped[w++] = values[k];
      if (hopping) mergeRun(cs.groupedSorted, first[id], at, b.sorted, from, to);
      cursor[id] = w;
    }
  }
  cs.presorted = hopping;
  return grouped;
}

/**
 * Merges the sorted run src[from..to) into the sorted dst[lo..at), giving the sorted
 * dst[lo .. at + (to − from)): backwards, in place, moving only the values above the run's.
 */
function mergeRun(dst: Float64Array, lo: number, at: number, src: Float64Array, from: number, to: number): void {
  let i = at - 1;
  let j = to - 1;
  let k = at + (to - from) - 1;
  while (j >= from) {
    const v = src[j];
    if (i >= lo && dst[i] > v) dst[k--] = dst[i--];
    else {
      dst[k--] = v;
      j--;
    }
  }
}

/**
 * Folds the series' gathered values (count > 0) into `cs.stats` — count, sum, min, max as
 * DDSketch.add folds them, the four signal quantiles as its estimator gives them — and
 * returns the array holding them sorted ascending at [cursor[id] − counts[id], cursor[id]):
 * cs.groupedSorted when gatherRuns merged them so, else `grouped`, sorted in place.
 */
export function foldWindow(cs: CloseScratch, id: number, grouped: Float64Array, sk: DDSketch): Float64Array {
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
  let sorted = grouped;
  if (cs.presorted) sorted = cs.groupedSorted;
  else sortRange(grouped, from, end);
  const stats = cs.stats;
  stats.count = n;
  stats.sum = sum;
  stats.min = min;
  stats.max = max;
  sk.quantilesOfSorted(sorted, from, n, stats, QUANTILES, stats.q);
  return sorted;
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
