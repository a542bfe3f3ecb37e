/**
 * The arbiter's checkpoint on the state topic (runner.decisionShards): one JSON document — its
 * verifier state, the control replica, and the reports or built records of the window in hand —
 * written under its key as the policies' snapshots are, one record when it fits and checked
 * chunks when not (snapshot-chunks.ts). It grows with the commands of the shards already in,
 * so at a few thousand commands a shard it would outgrow one record of the state topic; the
 * output guard would then dead-letter it and a takeover resume from an older one.
 */
import type { Message } from 'kafkajs';
import type { SplitArbiterCheckpoint } from '../pipeline/split-arbiter';
import { wireRefusal } from '../pipeline/split-protocol';
import { assembleSnapshot, chunkCount, isSnapshotKey, snapshotRecords, SNAPSHOT_MAX_CHUNKS } from './snapshot-chunks';

interface Stored {
  shards: number;
  checkpoint: SplitArbiterCheckpoint;
}

export const ownsArbiterKey = (k: string, key: string): boolean => isSnapshotKey(k, key);

/**
 * The checkpoint's records; `o.inForce` the chunks of the last one written (tombstoned when the
 * new one has fewer), updated. Throws past SNAPSHOT_MAX_CHUNKS: the transaction then fails and
 * says so, rather than the arbiter going on without its state committed.
 */
export function arbiterCheckpointRecords(
  key: string,
  shards: number,
  checkpoint: SplitArbiterCheckpoint,
  o: { inForce: number },
): Message[] {
  const stored: Stored = { shards, checkpoint };
  const records = snapshotRecords(key, Buffer.from(JSON.stringify(stored)), o.inForce);
  if (records === undefined)
    throw new Error(`the arbiter's checkpoint needs more than ${SNAPSHOT_MAX_CHUNKS} chunks; add decision shards`);
  o.inForce = chunkCount(records);
  return records;
}

/** The checkpoint as stored: none, refused (why), or written for another shard count; never throws. */
export function readArbiterCheckpoint(
  key: string,
  shards: number,
  stored: ReadonlyMap<string, Buffer>,
): { checkpoint: SplitArbiterCheckpoint; chunks: number } | { error: string; chunks: number } | undefined {
  const assembled = assembleSnapshot(key, stored);
  if ('error' in assembled) return assembled;
  if (assembled.value === undefined) return undefined;
  try {
    const read = JSON.parse(assembled.value.toString('utf8')) as Stored;
    if (read.shards !== shards)
      return {
        error: `written with another runner.decisionShards (${read.shards}, not ${shards})`,
        chunks: assembled.chunks,
      };
    const version = read.checkpoint.reports.map((r) => wireRefusal(r?.window)).find((x) => x !== undefined);
    if (version !== undefined) return { error: `a report it holds: ${version}`, chunks: assembled.chunks };
    recountExclusions(read.checkpoint);
    return { checkpoint: read.checkpoint, chunks: assembled.chunks };
  } catch (err) {
    return { error: `unreadable (${(err as Error).message})`, chunks: assembled.chunks };
  }
}

/**
 * The exclusion check trusts the control replica's count (isExcluded skips the look-ups at 0):
 * counted again from the exclusions themselves, as a policy snapshot's read does, so a stored
 * count — stale, missing or written by someone else — never hides one.
 */
function recountExclusions(cp: SplitArbiterCheckpoint): void {
  const control = cp.own?.control as { excluded?: unknown; excludedCount?: number } | undefined;
  if (control === undefined) return;
  const excluded = control.excluded;
  control.excludedCount = typeof excluded === 'object' && excluded !== null ? Object.keys(excluded).length : 0;
}
