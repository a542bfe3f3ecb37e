/**
 * The batch loop of the processor driver: decodes a fetched batch's records and steps them
 * into their partition's processor, in offset order (batch-decoder.ts does each record).
 *
 * Most records are homeostat's own Avro or JSON, which the one-pass readers answer for: they
 * are stepped straight from the reading, without a decode result per record. Every other
 * record — bad input, a schema to fetch, another writer schema, a foreign format — takes
 * decodeSync and its result, which decides exactly as before (test/unit/codec/decode-fast.test.ts,
 * test/unit/kafka/driver-golden.test.ts).
 */
import type { EachBatchPayload } from 'kafkajs';
import type { BatchDecoder, FeedTarget } from './batch-decoder';
import type { BatchDead } from './dlq-arrival';

/** Samples stepped between two heartbeats within a batch of foreign records (a few tens of ms of work). */
const HEARTBEAT_EVERY_SAMPLES = 100_000;

/** Decodes and steps a batch's records into `t`; the offset of the last one stepped. */
export async function feedBatch(
  payload: EachBatchPayload,
  t: FeedTarget,
  decoder: BatchDecoder,
  dead: BatchDead,
): Promise<string | undefined> {
  const { batch, heartbeat, isRunning, isStale } = payload;
  const restoreBelow = t.progress.restoreBelow;
  // Only a partition re-read after a restart has records below its checkpoint: the others
  // skip the offset's BigInt per record.
  const mayRestore = restoreBelow > 0n;
  const messages = batch.messages;
  let last: string | undefined;
  let samplesSinceBeat = 0;
  // An index, not for…of: across the awaits below, the array iterator and a result object
  // per record would be made for real (an async function keeps them in its frame).
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    t.restoring = mayRestore && BigInt(m.offset) < restoreBelow;
    const value = decoder.decodeFast(m);
    if (value !== undefined) {
      decoder.stepValue(m, value, t);
      last = m.offset;
      continue;
    }
    let r = decoder.decodeSync(m, t.partition);
    if (r.status === 'schema-miss') {
      r = await decoder.afterMiss(m, t.partition, r.schemaId);
      if (!isRunning() || isStale()) break;
    }
    const samples = decoder.step(m, r, t);
    last = m.offset;
    if (!decoder.foreign) continue;
    dead.fold(t.out.dead);
    // A batch of records that each expand to many samples can take longer than the
    // session: keep it alive (kafkajs sends at most one heartbeat per heartbeatInterval).
    samplesSinceBeat += samples;
    if (samplesSinceBeat >= HEARTBEAT_EVERY_SAMPLES) {
      samplesSinceBeat = 0;
      await heartbeat();
      if (!isRunning() || isStale()) break;
    }
  }
  return last;
}
