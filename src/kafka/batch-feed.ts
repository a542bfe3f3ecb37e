/**
 * The batch loop of the processor driver: decodes a fetched batch's records and steps them
 * into their partition's processor, in offset order (batch-decoder.ts does each record).
 *
 * Most records are homeostat's own Avro or JSON, which the one-pass readers answer for: they
 * are read in runs, then stepped straight from the readings, without a decode result per
 * record (fast-run.ts says why in runs). Every other record — bad input, a schema to fetch,
 * another writer schema, a foreign format — ends the run before it and takes decodeSync and
 * its result at its place, which decides exactly as before (test/unit/kafka/batch-feed.test.ts,
 * test/unit/codec/decode-fast.test.ts, test/unit/kafka/driver-golden.test.ts).
 */
import type { EachBatchPayload } from 'kafkajs';
import type { BatchDecoder, FeedTarget } from './batch-decoder';
import type { BatchDead } from './dlq-arrival';
import { FastRun, RestoreLine } from './fast-run';

/** Samples stepped between two heartbeats within a batch of foreign records (a few tens of ms of work). */
const HEARTBEAT_EVERY_SAMPLES = 100_000;

/**
 * One for the process: a run is read and stepped with no await in between, so the feeds of
 * several partitions or drivers, which interleave only at awaits, never hold it at once.
 */
const run = new FastRun();

/** Decodes and steps a batch's records into `t`; the offset of the last one stepped. */
export async function feedBatch(
  payload: EachBatchPayload,
  t: FeedTarget,
  decoder: BatchDecoder,
  dead: BatchDead,
): Promise<string | undefined> {
  const { batch, heartbeat, isRunning, isStale } = payload;
  const restore = new RestoreLine(t.progress.restoreBelow);
  const messages = batch.messages;
  let last: string | undefined;
  let samplesSinceBeat = 0;
  // An index, not for…of: across the awaits below, the array iterator and a result object
  // per record would be made for real (an async function keeps them in its frame).
  for (let i = 0; i < messages.length;) {
    const n = run.read(messages, i, decoder);
    if (n > 0) {
      last = run.step(messages, i, n, t, decoder, restore);
      i += n;
    }
    if (!run.refused) continue;
    // messages[i] is the record the readers refused: the general path, at its place.
    const m = messages[i++];
    t.restoring = restore.covers(m.offset);
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
