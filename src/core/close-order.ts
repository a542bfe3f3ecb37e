/**
 * The two orders of a window close (closer.ts): the per-series work runs in series-id order,
 * the outputs and everything order-sensitive in key (rank) order.
 *
 * Why: a series' id indexes its row of numbers, the close's per-id scratch arrays and, for
 * series created together, sits next to its neighbours' Series objects; key order is a random
 * walk over all of them — a cache miss or two per series and window, five windows per pane
 * with 10 s / 2 s hopping windows. Measured with the engine bench's records, ids laid out in
 * key order made the hopping engine about 1.3× cheaper per record (docs/benchmarks.md); reading
 * the series in id order gets that locality whatever order they were created in. The results
 * are then put in key order through rank slots, reading only the close's own arrays.
 */
import { EMITTED_START, LAST_DATA_START } from './series-numbers';
import type { CloseScratch, Compiled, InternalState, Series } from './state';

const ROW_EMITTED = EMITTED_START;
const ROW_LAST_DATA = LAST_DATA_START;

/**
 * The series window s emits a signal for, each once, in id order: those with data in it
 * (stamped `now` by countEntries), then the recent ones zero-filled; series whose last data
 * is older than the zero-fill horizon leave `recent`.
 */
export function seriesToEmit(st: InternalState, c: Compiled, s: number, horizon: number, now: number): Series[] {
  const cs = st.close;
  const { stamp, emit } = cs;
  const nums = st.numbers.data;
  const stride = st.numbers.stride;
  const extra: number[] = [];
  if (c.zeroFill > 0) {
    for (const se of st.recent) {
      const id = se.id;
      if (nums[id * stride + ROW_LAST_DATA] < horizon) {
        st.recent.delete(se);
        se.inRecent = false;
      } else if (stamp[id] !== now && emit[id] !== now) {
        emit[id] = now;
        extra.push(id);
      }
    }
  }
  const list = cs.series;
  list.length = 0;
  const byId = st.seriesById;
  const marked = cs.touched.length + extra.length;
  if (marked * 8 >= byId.length) {
    // Most ids are listed: one sequential pass over them.
    for (let id = 0; id < byId.length; id++) {
      if (stamp[id] === now || emit[id] === now) listIfDue(st, id, s, list);
    }
  } else {
    const ids = Int32Array.from(cs.touched.concat(extra)).sort();
    for (let k = 0; k < ids.length; k++) listIfDue(st, ids[k], s, list);
  }
  return list;
}

/** Lists series `id` unless it is gone or window s has emitted it already. */
function listIfDue(st: InternalState, id: number, s: number, list: Series[]): void {
  const se = st.seriesById[id];
  const at = id * st.numbers.stride + ROW_EMITTED;
  if (se !== undefined && st.numbers.data[at] !== s) {
    st.numbers.data[at] = s;
    list.push(se);
  }
}

/**
 * Puts positions 0..n-1 of the close's list in rank (key) order into `cs.order`, from the ranks
 * the per-series pass wrote to `cs.ranks`. Ranks are distinct small integers (series-index.ts),
 * and a window usually holds most live series: placing each position in a slot by rank and
 * reading the slots back is linear. Falls back to a sort when the list is small against the
 * rank range, or if two ranks collide.
 */
export function rankOrder(cs: CloseScratch, n: number): Int32Array {
  const ranks = cs.ranks;
  if (cs.order.length < n) cs.order = new Int32Array(Math.max(n, 2 * cs.order.length));
  const order = cs.order;
  let maxRank = 0;
  for (let i = 0; i < n; i++) if (ranks[i] > maxRank) maxRank = ranks[i];
  if (n < 32 || maxRank > 4 * n) return sortedByRank(cs, n);
  if (cs.rankSlots.length <= maxRank) cs.rankSlots = new Int32Array(Math.max(maxRank + 1, 2 * cs.rankSlots.length));
  const slots = cs.rankSlots;
  let collided = false;
  for (let i = 0; i < n; i++) {
    if (slots[ranks[i]] !== 0) collided = true;
    slots[ranks[i]] = i + 1;
  }
  if (collided) {
    slots.fill(0, 0, maxRank + 1);
    return sortedByRank(cs, n);
  }
  let w = 0;
  for (let r = 0; r <= maxRank; r++) {
    const p = slots[r];
    if (p !== 0) {
      order[w++] = p - 1;
      slots[r] = 0;
    }
  }
  return order;
}

function sortedByRank(cs: CloseScratch, n: number): Int32Array {
  const ranks = cs.ranks;
  const order = cs.order;
  for (let i = 0; i < n; i++) order[i] = i;
  // Positions are in id order, so equal ranks (never expected) keep id order.
  order.subarray(0, n).sort((a, b) => ranks[a] - ranks[b] || a - b);
  return order;
}

/** Grows the close's per-position arrays to hold a list of n series. */
export function ensurePositions(cs: CloseScratch, n: number): void {
  if (cs.ranks.length >= n) return;
  const cap = Math.max(n, 2 * cs.ranks.length);
  cs.ids = new Int32Array(cap);
  cs.ranks = new Int32Array(cap);
  cs.flags = new Uint8Array(cap);
  cs.from = new Int32Array(cap);
  cs.to = new Int32Array(cap);
  cs.sumMinMax = new Float64Array(3 * cap);
}
