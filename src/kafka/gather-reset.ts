/**
 * What stage two rebuilds from the last commit when it takes over, or after a failed unit: the
 * gather from its checkpoint (refusing one that is not), the scope histories and the policies'
 * snapshot — from one read of the state topic — and where to read the stage topic from.
 * The caller fences the last owner first, so what is read here is final.
 */
import type { EngineConfig } from '../core';
import { describeError } from '../errors';
import type { Logger } from '../ops/logger';
import { createGather, type Gather, type GatherCheckpoint } from '../pipeline/gather';
import { decodeCheckpoint } from './checkpoint-meta';
import { seekToResumePoints, type LazyAdmin } from './committed-offsets';
import { historyKeys, type HistoryCheckpoint } from './history-checkpoint';
import type { KafkaPort, PortConsumer } from './port';
import { resetExtension, type BatchExtension } from './batch-extension';
import { readCompacted } from './state-topic';

export interface GatherRestoreOptions {
  kafka: KafkaPort;
  stateTopic: string;
  /** Key of the gather checkpoint on the state topic. */
  stateKey: string;
  partitionCount: number;
  engine: EngineConfig;
  extension?: BatchExtension;
  history?: HistoryCheckpoint;
  logger: Logger;
  /** The transaction id in the committed offset's metadata: the checkpoint the reset must find (none: any). */
  expectTx?: string;
}

export interface RestoredGather {
  gather: Gather;
  /** Whether the state topic held a checkpoint (even one refused). */
  checkpointed: boolean;
  /**
   * False when the checkpoint read is not the one the committed offset was written with: a
   * transaction still open on the state topic (a dead process's, until it is fenced or times
   * out) hides the newest from read_committed readers. Resuming then would pair older state
   * with a newer offset.
   */
  current: boolean;
}

/** A gather as of the last commit, its scope histories seeded, and the extension reset from the same read. */
export async function restoreGather(o: GatherRestoreOptions): Promise<RestoredGather> {
  const hold = o.extension?.holds ? () => o.extension!.holds!() : undefined;
  let g = createGather({ partitionCount: o.partitionCount, engine: o.engine, hold });
  // One read of the state topic for the checkpoint, the scope histories and the policies'
  // snapshot (see resetExtension).
  const scopes = o.history ? historyKeys(o.history, 'scopes') : undefined;
  const stored = await readCompacted(
    o.kafka,
    o.stateTopic,
    (k) =>
      k === o.stateKey || o.extension?.ownsKey(k) === true || (scopes !== undefined && k.startsWith(scopes.prefix)),
  );
  const saved = stored.get(o.stateKey);
  let tx: unknown;
  if (saved) {
    // Anyone who can write the state topic wrote this: a value that is not a checkpoint is
    // refused with a reason, and stage two starts afresh from the stage topic, never crashes.
    try {
      const parsed: unknown = JSON.parse(saved.toString('utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      g.restore(parsed as GatherCheckpoint);
      tx = (parsed as { tx?: unknown }).tx;
    } catch (err) {
      o.logger.error(
        { topic: o.stateTopic, key: o.stateKey, reason: describeError(err) },
        'stage two: refused its checkpoint on the state topic; starting afresh — check who can write the state topic',
      );
      g = createGather({ partitionCount: o.partitionCount, engine: o.engine, hold });
    }
  }
  if (scopes) g.seedHistories(scopes.parse(stored).scopes);
  await resetExtension(o.extension, stored);
  return { gather: g, checkpointed: saved !== undefined, current: o.expectTx === undefined || tx === o.expectTx };
}

/** Where stage two reads on from after a reset. */
export interface StageResume {
  /** The stage offset committed (undefined or '-1': none). */
  committed: string | undefined;
  /** Where the consumer was sought to: the committed offset or the log start. */
  resumeAt: bigint;
  /** Stage records below it were handled before the last commit: they only rebuild the buffer. */
  restoreBelow: bigint;
  /** The id of the transaction that committed the offset, when it carries one. */
  tx?: string;
}

/** Seeks the stage topic's one partition to stage two's committed offset (or the log start). */
export async function resumeStage(
  admin: LazyAdmin,
  consumer: Pick<PortConsumer, 'seek'>,
  groupId: string,
  stageTopic: string,
): Promise<StageResume> {
  const [p] = await seekToResumePoints(await admin.get(), consumer, groupId, stageTopic, [0]);
  const meta = decodeCheckpoint(p.metadata);
  return {
    committed: p.committed,
    resumeAt: BigInt(p.from),
    restoreBelow: BigInt(meta?.next ?? '-1'),
    tx: meta?.tx,
  };
}
