/**
 * Partition ownership and the event-time watermark.
 *
 * Per partition: watermark_p = (highest event time seen on p) - allowedOutOfOrdernessMs.
 * Engine: the minimum over owned partitions that are not idle, never decreasing.
 *
 * Idleness is judged in event time only, so a replay decides exactly as the live run did:
 * partition p is idle when M - last_p > idleAfterMs, where M is the highest event time seen
 * on any owned partition and last_p the highest event time seen on p — or, if p has not
 * delivered anything yet, the value of M when p was assigned (or, if the engine had seen
 * nothing then, the first event time it sees). An idle partition becomes active again as
 * soon as a record raises last_p to within idleAfterMs of M. Until then, a partition that
 * has delivered nothing holds the watermark at -Infinity, as Flink does.
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
  let min = Infinity;
  const parts = st.partitions;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    let last = p.maxTs;
    if (last === -Infinity) {
      if (Number.isNaN(p.since)) p.since = m;
      last = p.since;
    }
    if (!p.backlog && m - last > c.idleAfter) continue;
    if (p.maxTs < min) min = p.maxTs;
  }
  return min === Infinity ? -Infinity : min - c.ooo;
}

/** Smallest window start whose window is still open at watermark `w`. */
export function firstOpenWindowStart(w: number, c: Compiled): number {
  if (w === -Infinity) return -Infinity;
  if (w === Infinity) return Infinity;
  return (Math.floor((w - c.size - c.grace) / c.advance) + 1) * c.advance;
}
