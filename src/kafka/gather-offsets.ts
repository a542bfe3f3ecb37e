/**
 * Stage two's view of stage one: how far each telemetry partition has been written (its high
 * watermark) and read (stage one's committed offset, or the log start). The gather needs it to
 * tell a partition that is idle from one with records still to read (pipeline/gather.ts,
 * `offsets`); asking the brokers costs two admin requests, so it is asked at most every
 * OFFSETS_REFRESH_MS.
 */
import type { Gather, GatherOutputs } from '../pipeline/gather';
import { committedOrLow, type LazyAdmin } from './committed-offsets';

/** How often the owner asks the brokers how far stage one has read (idleness, backlog). */
export const OFFSETS_REFRESH_MS = 200;

export interface StageOneOffsets {
  /** Steps `gather` with stage one's offsets when the last ask is older than OFFSETS_REFRESH_MS. */
  refresh(gather: Gather, out: GatherOutputs): Promise<void>;
  /** The next refresh asks the brokers, however recent the last (after a reset). */
  expire(): void;
}

export function createStageOneOffsets(o: { admin: LazyAdmin; groupId: string; topic: string }): StageOneOffsets {
  let askedAt = 0;
  return {
    async refresh(gather, out) {
      if (Date.now() - askedAt < OFFSETS_REFRESH_MS) return;
      const a = await o.admin.get();
      const ends = await a.fetchTopicOffsets(o.topic);
      const [entry] = await a.fetchOffsets({ groupId: o.groupId, topics: [o.topic] });
      const high: string[] = [];
      const committed: string[] = [];
      for (const e of ends) {
        high[e.partition] = e.high;
        committed[e.partition] = committedOrLow(
          entry?.partitions.find((x) => x.partition === e.partition)?.offset,
          e.low,
        );
      }
      askedAt = Date.now();
      gather.step({ kind: 'offsets', high, committed }, out);
    },
    expire() {
      askedAt = 0;
    },
  };
}
