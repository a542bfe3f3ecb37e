/**
 * Dense bin store for DDSketch that keeps at most `maxBins` bins by collapsing the
 * lowest ones, as in DataDog's `CollapsingLowestDenseStore`
 * (https://github.com/DataDog/sketches-java, Masson, Rim & Lee, VLDB 2019,
 * https://arxiv.org/abs/1908.10693, section 2.2).
 *
 * The kept range is always `[maxIndex - maxBins + 1, maxIndex]` (or narrower): an index
 * below it is counted in the lowest kept bin. Because that lower bound depends only on the
 * highest index ever added, the final bins depend only on the multiset of indexes added —
 * not on their order — so merging stores is exactly equal to storing the union.
 */
const INITIAL_CAPACITY = 32;

export class CollapsingLowestStore {
  /**
   * Counts; `bins[i]` holds the count of index `offset + i`. A plain array, not a typed one:
   * V8 allocates small typed arrays off-heap at ~0.7 µs each, and there is one per window.
   * Integer counts stay small-integer elements; they turn to doubles past 2^30 on their own.
   */
  bins: number[] = [];
  offset = 0;
  /** Lowest and highest index with a count (Infinity / -Infinity when empty). */
  minIndex = Infinity;
  maxIndex = -Infinity;
  /** Total count held. */
  count = 0;

  constructor(readonly maxBins: number) {}

  add(index: number): void {
    if (index >= this.minIndex && index <= this.maxIndex) {
      this.bins[index - this.offset] += 1;
      this.count += 1;
      return;
    }
    this.addSlow(index, 1);
  }

  /** Adds `n` (> 0) to bin `index`, collapsing as needed. */
  addCount(index: number, n: number): void {
    if (n <= 0) return;
    if (index >= this.minIndex && index <= this.maxIndex) {
      this.bins[index - this.offset] += n;
      this.count += n;
      return;
    }
    this.addSlow(index, n);
  }

  private addSlow(index: number, n: number): void {
    if (this.count === 0) {
      this.minIndex = index;
      this.maxIndex = index;
      this.ensureCapacity(index, index);
      this.bins[index - this.offset] += n;
      this.count = n;
      return;
    }
    if (index > this.maxIndex) {
      const low = index - this.maxBins + 1;
      let folded = 0;
      if (low > this.minIndex) {
        // Collapse: everything below the new lower bound moves into it.
        const end = Math.min(low - 1, this.maxIndex);
        for (let i = this.minIndex; i <= end; i++) {
          const j = i - this.offset;
          folded += this.bins[j];
          this.bins[j] = 0;
        }
        this.minIndex = low;
      }
      this.maxIndex = index;
      if (this.minIndex > this.maxIndex) this.minIndex = this.maxIndex;
      this.ensureCapacity(this.minIndex, this.maxIndex);
      if (folded > 0) this.bins[this.minIndex - this.offset] += folded;
    } else {
      // index < minIndex
      const low = this.maxIndex - this.maxBins + 1;
      if (index < low) index = low;
      if (index < this.minIndex) {
        this.minIndex = index;
        this.ensureCapacity(this.minIndex, this.maxIndex);
      }
    }
    this.bins[index - this.offset] += n;
    this.count += n;
  }

  /**
   * Adds one count for each of `indexes[0..n)`: one range check and at most one
   * reallocation for the whole batch (DDSketch buffers values and bins them in batches).
   */
  addIndexes(indexes: ArrayLike<number>, n: number): void {
    if (n === 0) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < n; k++) {
      const i = indexes[k];
      if (i < lo) lo = i;
      if (i > hi) hi = i;
    }
    const newMax = Math.max(this.maxIndex, hi);
    const low = newMax - this.maxBins + 1;
    let folded = 0;
    if (this.count > 0 && this.minIndex < low) {
      const end = Math.min(low - 1, this.maxIndex);
      for (let i = this.minIndex; i <= end; i++) {
        const j = i - this.offset;
        folded += this.bins[j];
        this.bins[j] = 0;
      }
    }
    this.minIndex = Math.max(Math.min(this.minIndex, lo), low);
    this.maxIndex = newMax;
    this.ensureCapacity(this.minIndex, this.maxIndex);
    const bins = this.bins;
    const offset = this.offset;
    if (folded > 0) bins[this.minIndex - offset] += folded;
    if (lo >= low) {
      for (let k = 0; k < n; k++) bins[indexes[k] - offset] += 1;
    } else {
      for (let k = 0; k < n; k++) {
        const i = indexes[k];
        bins[(i < low ? low : i) - offset] += 1;
      }
    }
    this.count += n;
  }

  /** Makes `bins` cover [lo, hi], keeping the counts of the current range. */
  private ensureCapacity(lo: number, hi: number): void {
    const cap = this.bins.length;
    if (lo >= this.offset && hi < this.offset + cap) return;
    const span = hi - lo + 1;
    // First allocation: the exact span plus a little room (a batch already shows the range);
    // later ones double, so that a slowly widening range costs O(log) copies.
    let newCap = cap === 0 ? Math.max(INITIAL_CAPACITY, span + (span >> 2)) : cap * 2;
    while (newCap < span) newCap *= 2;
    newCap = Math.min(newCap, Math.max(this.maxBins, span));
    // Centre the occupied span, so that growth in either direction is cheap.
    const newOffset = lo - Math.floor((newCap - span) / 2);
    const next = new Array<number>(newCap).fill(0);
    if (cap > 0) {
      const from = Math.max(this.offset, newOffset);
      const to = Math.min(this.offset + cap, newOffset + newCap);
      for (let i = from; i < to; i++) next[i - newOffset] = this.bins[i - this.offset];
    }
    this.bins = next;
    this.offset = newOffset;
  }

  /** Adds every bin of `other` (same maxBins) into this store. */
  merge(other: CollapsingLowestStore): void {
    if (other.count === 0) return;
    // Adding the highest index first fixes the final lower bound before the rest arrive.
    for (let i = other.maxIndex; i >= other.minIndex; i--) {
      const c = other.bins[i - other.offset];
      if (c > 0) this.addCount(i, c);
    }
  }

  /** Calls `fn(index, count)` for each non-empty bin, ascending index. */
  forEach(fn: (index: number, count: number) => void): void {
    if (this.count === 0) return;
    for (let i = this.minIndex; i <= this.maxIndex; i++) {
      const c = this.bins[i - this.offset];
      if (c > 0) fn(i, c);
    }
  }

  copy(): CollapsingLowestStore {
    const s = new CollapsingLowestStore(this.maxBins);
    if (this.count === 0) return s;
    s.bins = this.bins.slice();
    s.offset = this.offset;
    s.minIndex = this.minIndex;
    s.maxIndex = this.maxIndex;
    s.count = this.count;
    return s;
  }
}
