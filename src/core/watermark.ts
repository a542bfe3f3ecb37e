/**
 * Partition ownership and the event-time watermark.
 *
 * Per partition: watermark_p = (highest event time seen on p) - allowedOutOfOrdernessMs.
 * Engine: the minimum over owned partitions that are not idle, never decreasing.
 *
 * Idleness is judged in event time only, so a replay decides exactly as the live run did.
 * last_p is the highest event time seen on p — or, if p has not delivered anything yet, the
 * highest event time on any owned partition when p was assigned (or, if the engine had seen
 * nothing then, the first event time it sees). Partition p is idle when R - last_p >
 * idleAfterMs, where R, the reference, is something no single partition can set on its own:
 *
 *   R = max(second-highest last over the owned partitions, M - idleAfterMs)
 *
 * with M the highest. So p is idle once two other partitions have passed it by idleAfterMs,
 * or once the leader alone has passed it by twice that. Flink judges idleness against the
 * leader (processing time, in its case): then one producer whose event time runs ahead —
 * up to limits.maxAheadOfLogTimeMs, or simply current while the honest producers deliver
 * later — made every other partition idle and their records late. Now a single leader needs
 * 2 × idleAfterMs of lead; a truly silent partition is still released (after 2 × idleAfterMs
 * when only one partition is moving). R ≤ M, so nothing is idle that the old rule kept
 * active. An idle partition becomes active again as soon as a record raises last_p to within
 * idleAfterMs of R. Until then, a partition that has delivered nothing holds the watermark
 * at -Infinity, as Flink does.
 *
 * A partition the driver reports as having a backlog (unread records on the broker) is never
 * idle: its silence is the consumer's, not the producers'. Without this, a consumer that reads
 * one partition's batch far ahead of another's would declare the other idle and then find
 * its records late, and the result would depend on fetch order.
 */
import type { Compiled, InternalState, PartitionState } from './state';

export function createPartition(id: number, maxEventTime: number): PartitionState {
  return {
    id,
    maxTs: -Infinity,
    since: maxEventTime === -Infinity ? NaN : maxEventTime,
    pending: new Map(),
    lastPendingEnd: NaN,
    backlog: false,
  };
}

/** Adds partitions (idempotent); keeps `partitions` sorted and `ownedIds` in step. */
export function assignPartitions(st: InternalState, ids: readonly number[]): void {
  let changed = false;
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0) continue;
    if (st.partitionById[id] !== undefined) continue;
    const p = createPartition(id, st.maxEventTime);
    st.partitionById[id] = p;
    st.partitions.push(p);
    changed = true;
  }
  if (changed) {
    st.partitions.sort((a, b) => a.id - b.id);
    st.ownedIds = st.partitions.map((p) => p.id);
  }
}

/** Removes partitions; returns the ids actually removed. */
export function removePartitions(st: InternalState, ids: readonly number[]): Set<number> {
  const removed = new Set<number>();
  for (const id of ids) {
    if (st.partitionById[id] === undefined) continue;
    st.partitionById[id] = undefined;
    removed.add(id);
  }
  if (removed.size > 0) {
    st.partitions = st.partitions.filter((p) => !removed.has(p.id));
    st.ownedIds = st.partitions.map((p) => p.id);
  }
  return removed;
}

/**
 * The watermark the partitions allow now (before the monotonic max with the current one);
 * -Infinity when no partition is active or none has data.
 */
export function candidateWatermark(st: InternalState, c: Compiled): number {
  const m = st.maxEventTime;
  if (m === -Infinity) return -Infinity;
  const parts = st.partitions;
  const reference = idleReference(parts.length, (i) => lastOf(parts[i], m), c.idleAfter);
  let min = Infinity;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (!p.backlog && reference - lastOf(p, m) > c.idleAfter) continue;
    if (p.maxTs < min) min = p.maxTs;
  }
  return min === Infinity ? -Infinity : min - c.ooo;
}

/**
 * What a partition's last event time is judged against for idleness (see the file comment):
 * the second-highest of the `n` lasts, or the highest less `idleAfter` if that is higher — the
 * time a second partition vouches for, so that no single partition can set it alone.
 */
export function idleReference(n: number, lastAt: (i: number) => number, idleAfter: number): number {
  let first = -Infinity;
  let second = -Infinity;
  for (let i = 0; i < n; i++) {
    const last = lastAt(i);
    if (last > first) {
      second = first;
      first = last;
    } else if (last > second) second = last;
  }
  return Math.max(second, first - idleAfter);
}

/** The highest event time seen on p, or the engine's when p was assigned (set on first use) if p has none. */
function lastOf(p: PartitionState, m: number): number {
  if (p.maxTs !== -Infinity) return p.maxTs;
  if (Number.isNaN(p.since)) p.since = m;
  return p.since;
}

/** Smallest window start whose window is still open at watermark `w`. */
export function firstOpenWindowStart(w: number, c: Compiled): number {
  if (w === -Infinity) return -Infinity;
  if (w === Infinity) return Infinity;
  return (Math.floor((w - c.size - c.grace) / c.advance) + 1) * c.advance;
}
