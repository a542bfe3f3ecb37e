/**
 * A decision shard of a split stage two in stage two's driver (runner.decisionShards,
 * docs/scale-out.md "The Kafka wiring"): the driver (gather-driver.ts) reads the shard's topic
 * — the finals and partials stage one routed here, every partition's marks with their window
 * summaries, the arbiter's verdicts, settlements and forwarded control records — and releases
 * the shard's windows one at a time (holds: none while a settlement is awaited). Each window's
 * report, the commands and decisions it builds from its verdicts, each control record's ack and
 * the shard's checkpoint go into the driver's transaction with the topic's offset, so a shard
 * that moves to another process resumes exactly where the last committed one left off. Its
 * finals never leave the shard.
 */
import type { Message, TopicMessages } from 'kafkajs';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';
import type { WindowSignal } from '../model/signal';
import type { ControlDeps } from '../policies/engine-control';
import type { ToArbiter } from '../pipeline/split-protocol';
import type { SplitRouter } from '../pipeline/split-route';
import { createSplitShard, type SplitShard, type SplitShardOptions } from '../pipeline/split-shard';
import type { BatchExtension } from './batch-extension';
import { createSplitReassembly } from './split-chunks';
import { readSplitRecord, splitRecords } from './split-records';
import { checkpointRecords, ownsCheckpointKey, readCheckpoint } from './split-checkpoint';
import { createSplitRefusals, type SplitDlq } from './split-refusals';

export interface ShardExtensionOptions extends SplitShardOptions {
  deps: ControlDeps;
  route: SplitRouter;
  /** The arbiter's topic, where reports and acks go. */
  arbiterTopic: string;
  stateTopic: string;
  stateKey: string;
  /** Most bytes a checkpoint may inflate to (runner.snapshotMaxMiB). */
  maxSnapshotBytes: number;
  /** Where a record of its topic it cannot take goes, with the reason (as the arbiter's). */
  dlq: SplitDlq;
  logger: Logger;
  metrics?: HomeostatMetrics;
}

/** What a part of a split stage two has done in this process: windows, and the time their synchronous work took. */
export interface SplitWork {
  windows: number;
  ms: number;
}

export interface ShardExtension extends BatchExtension {
  /** The shard's evaluation and building in this process (the driver's Kafka reads and writes aside). */
  work(): SplitWork;
  /** Records of its topic it dead-lettered (refused), in this process. */
  refused(): number;
}

/** What a shard awaits, for a refusal's reason. */
function awaited(shard: SplitShard): string {
  const end = shard.awaiting();
  if (end === null) return 'it awaits none';
  return `it awaits the ${shard.awaits('verdicts', end) ? 'verdicts' : 'settlement'} of window ${end}`;
}

export function createShardExtension(o: ShardExtensionOptions): ShardExtension {
  const work: SplitWork = { windows: 0, ms: 0 };
  const fresh = (): SplitShard => createSplitShard(o);
  let shard = fresh();
  let out: ToArbiter[] = [];
  let dead: Message[] = [];
  let dirty = false;
  const what = `decision shard ${o.index}`;
  const refusals = createSplitRefusals({ ...o, part: `shard-${o.index}`, what });
  /** The arbiter's chunked messages being put back together. */
  const assembly = createSplitReassembly();
  /** Chunks of the checkpoint last written or read (a smaller one tombstones the rest), and the inflation bound. */
  const chunks = { inForce: 0, metaInForce: 0, maxInflatedBytes: o.maxSnapshotBytes };

  const take = (): TopicMessages[] => {
    const messages: TopicMessages[] = [];
    if (out.length > 0)
      messages.push({ topic: o.arbiterTopic, messages: out.flatMap((m) => splitRecords(m, `shard/${o.index}`)) });
    if (dead.length > 0) messages.push({ topic: o.dlq.topic, messages: dead });
    const records = checkpointRecords(o.stateKey, o.plan.shards, shard.checkpoint(), chunks);
    messages.push({ topic: o.stateTopic, messages: records });
    out = [];
    dead = [];
    dirty = false;
    return messages;
  };

  const resetFrom = (stored: ReadonlyMap<string, Buffer>): void => {
    shard = fresh();
    out = [];
    dead = [];
    dirty = false;
    assembly.clear();
    const read = readCheckpoint(o.stateKey, o.plan.shards, stored, chunks.maxInflatedBytes);
    chunks.inForce = read?.inForce ?? 0;
    chunks.metaInForce = read?.metaInForce ?? 0;
    if (read === undefined) return;
    if ('error' in read) {
      o.logger.error(
        { key: o.stateKey, reason: read.error },
        `${what}: refused its checkpoint on the state topic; starting the policies afresh`,
      );
      return;
    }
    shard.restore(read.checkpoint);
  };

  return {
    onFinals(finals, windows) {
      for (const w of windows ?? []) {
        const began = performance.now();
        const mine = finals.filter((s: WindowSignal) => s.windowEnd === w.end);
        out.push(shard.window(w, mine));
        work.windows++;
        work.ms += performance.now() - began;
      }
      if ((windows?.length ?? 0) === 0 && finals.length > 0)
        throw new Error(`${what}: finals without window summaries: stage one must run with runner.decisionShards too`);
      return take();
    },
    hasPending: () => dirty,
    takePending: take,
    reset: () => Promise.reject(new Error(`${what}: reset through resetFrom (stage two reads the state topic)`)),
    stateKey: o.stateKey,
    ownsKey: (k) => ownsCheckpointKey(k, o.stateKey),
    resetFrom,
    onRecord(m, restoring) {
      const read = readSplitRecord(assembly, m, ['verdicts', 'settle', 'control'], restoring);
      if (read === undefined) return false;
      for (const x of read.refused) dead.push(refusals.refuse(x.record, x.reason));
      if (read.refused.length > 0) dirty = true;
      if (read.message === undefined) return true;
      const { record, decoded: r } = read.message;
      dirty = true;
      // Not the exactly-once guard (a window before its settlement throws, in onFinals): a record it cannot use.
      if ('error' in r) dead.push(refusals.refuse(record, r.error));
      else if (r.kind === 'control') out.push(shard.control(r, o.deps));
      else if (!shard.awaits(r.kind, r.end))
        dead.push(refusals.refuse(record, `${r.kind} of window ${r.end}; ${awaited(shard)}`));
      else if (r.kind === 'settle') shard.settle(r);
      else {
        const began = performance.now();
        out.push(shard.verdicts(r));
        work.ms += performance.now() - began;
      }
      return true;
    },
    heldFrom: () => assembly.heldFrom(),
    holds: () => shard.awaiting() !== null,
    publishes: (s) => o.route(s)[0] === o.index,
    work: () => ({ ...work }),
    refused: refusals.count,
  };
}
