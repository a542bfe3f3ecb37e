/**
 * The values at a few ranks of a small buffer, without sorting it (DDSketch.quantilesFromBuffer).
 *
 * Why: a window's signal needs the values at four ranks (p50, p90, p99, p999) of a few dozen
 * values, and with hopping windows every value is in five windows — an insertion sort per
 * series and window was a tenth of the hopping engine's profile. A selection (quickselect,
 * Hoare, 1961: "Algorithm 65: Find", https://doi.org/10.1145/366622.366647) places one rank in
 * linear expected time, and the ranks below it are then selected among the values before it.
 *
 * The value at a rank is the same number whichever algorithm finds it: it is the rank-th
 * smallest of the multiset. (−0 and +0 compare equal, so either may be found for a zero;
 * every caller maps both to the same estimate.) Deterministic: pivots are medians of three
 * positions, never random.
 */

/** Below this many values a range is finished by insertion sort (fewer moves than partitioning). */
const SMALL = 12;

/**
 * Reorders a[lo..hi) so that a[k] is its (k − lo + 1)-th smallest value, every value before k
 * is ≤ it and every value from k on is ≥ it; returns that value. lo ≤ k < hi.
 */
export function selectRank(a: Float64Array, lo: number, hi: number, k: number): number {
  while (hi - lo > SMALL) {
    const p = medianOfThree(a[lo], a[(lo + hi) >>> 1], a[hi - 1]);
    // Three-way partition (Dijkstra's Dutch flag): [lo, lt) < p, [lt, gt) == p, [gt, hi) > p,
    // so that runs of equal values (counts, gauges) cannot make it quadratic.
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i < gt) {
      const v = a[i];
      if (v < p) {
        a[i] = a[lt];
        a[lt] = v;
        lt++;
        i++;
      } else if (v > p) {
        gt--;
        a[i] = a[gt];
        a[gt] = v;
      } else i++;
    }
    if (k < lt) hi = lt;
    else if (k >= gt) lo = gt;
    else {
      a[k] = p; // already equal to p as a number; written so that a[k] holds the returned value
      return p;
    }
  }
  for (let j = lo + 1; j < hi; j++) {
    const v = a[j];
    let m = j - 1;
    while (m >= lo && a[m] > v) {
      a[m + 1] = a[m];
      m--;
    }
    a[m + 1] = v;
  }
  return a[k];
}

function medianOfThree(x: number, y: number, z: number): number {
  if (x < y) return y < z ? y : x < z ? z : x;
  return x < z ? x : y < z ? z : y;
}
