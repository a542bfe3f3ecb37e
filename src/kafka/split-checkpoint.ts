/**
 * A decision shard's checkpoint on the state topic (runner.decisionShards): its engine state
 * as the policies' snapshot is written — frames with the large tables as gzip rows, split into
 * checked chunks when larger than one record (policy-snapshot.ts, snapshot-chunks.ts) — and
 * the rest (window awaited, targets under verification, control records applied, the shard
 * count, and the reported window it builds from) as JSON beside it — one record, or chunks
 * when that window's candidates make it larger — both in the shard's transaction. So a shard holds
 * as much state as the single stage two's snapshot may, not one record's worth.
 */
import type { Message } from 'kafkajs';
import { wireRefusal } from '../pipeline/split-protocol';
import type { SplitShardCheckpoint } from '../pipeline/split-shard';
import { decodeSnapshot, encodeSnapshot } from './policy-snapshot';
import { assembleSnapshot, chunkCount, isSnapshotKey, snapshotRecords, SNAPSHOT_MAX_CHUNKS } from './snapshot-chunks';

type Meta = Omit<SplitShardCheckpoint, 'state'> & { shards: number };

const metaKey = (key: string): string => `${key}/meta`;

export function ownsCheckpointKey(k: string, key: string): boolean {
  return isSnapshotKey(k, metaKey(key)) || isSnapshotKey(k, key);
}

/** Chunks of each part of the checkpoint in force (a smaller one written next tombstones the rest). */
export interface CheckpointChunks {
  inForce: number;
  metaInForce: number;
}

/**
 * The checkpoint's records; `inForce` the chunks of the last one written (tombstoned when the
 * new one has fewer), updated. Throws when the state cannot be written within the bounds (the
 * transaction then fails and the shard resumes from its last checkpoint: a shard never goes on
 * without its state committed).
 */
export function checkpointRecords(
  key: string,
  shards: number,
  cp: SplitShardCheckpoint,
  o: CheckpointChunks & { maxInflatedBytes: number },
): Message[] {
  const enc = encodeSnapshot({ engine: cp.state, verifier: null });
  if (enc.inflatedBytes > o.maxInflatedBytes)
    throw new Error(
      `decision shard checkpoint inflates to ${enc.inflatedBytes} bytes, over runner.snapshotMaxMiB; raise it or add shards`,
    );
  const records = snapshotRecords(key, enc.value, o.inForce);
  if (records === undefined)
    throw new Error(`decision shard checkpoint needs more than ${SNAPSHOT_MAX_CHUNKS} chunks; add shards`);
  o.inForce = chunkCount(records);
  const { state: _state, ...rest } = cp;
  const meta: Meta = { ...rest, shards };
  // The window it builds from (its candidates) rides here: chunked too when larger than a record.
  const metaRecords = snapshotRecords(metaKey(key), Buffer.from(JSON.stringify(meta)), o.metaInForce);
  if (metaRecords === undefined)
    throw new Error(`decision shard checkpoint's window needs more than ${SNAPSHOT_MAX_CHUNKS} chunks; add shards`);
  o.metaInForce = chunkCount(metaRecords);
  // The meta last: a reader that sees it sees the snapshot of the same transaction.
  return [...records, ...metaRecords];
}

type Read = { checkpoint: SplitShardCheckpoint } | { error: string };

/** The checkpoint as stored: none, refused (why), or written for another shard count; never throws. */
export function readCheckpoint(
  key: string,
  shards: number,
  stored: ReadonlyMap<string, Buffer>,
  maxInflatedBytes: number,
): (Read & CheckpointChunks) | undefined {
  const assembled = assembleSnapshot(key, stored);
  const metaRead = assembleSnapshot(metaKey(key), stored);
  const chunks: CheckpointChunks = { inForce: assembled.chunks, metaInForce: metaRead.chunks };
  if ('error' in assembled) return { error: assembled.error, ...chunks };
  if ('error' in metaRead) return { error: metaRead.error, ...chunks };
  if (assembled.value === undefined || metaRead.value === undefined) return undefined;
  try {
    const meta = JSON.parse(metaRead.value.toString('utf8')) as Meta;
    if (meta.shards !== shards)
      return { error: `written for ${meta.shards} decision shards, not ${shards}`, ...chunks };
    const version = wireRefusal(meta.building?.window);
    if (version !== undefined) return { error: `its reported window: ${version}`, ...chunks };
    const decoded = decodeSnapshot(assembled.value, maxInflatedBytes);
    if ('error' in decoded) return { error: decoded.error, ...chunks };
    const engine = 'engine' in decoded.state ? decoded.state.engine : decoded.state;
    const { shards: _s, ...rest } = meta;
    return { checkpoint: { ...rest, state: engine }, ...chunks };
  } catch (err) {
    return { error: (err as Error).message, ...chunks };
  }
}
