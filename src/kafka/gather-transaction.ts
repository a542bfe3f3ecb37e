/**
 * Stage two's transactional writer: one producer under the group's transactional id (so a new
 * owner fences the last one before it reads anything), and the transaction of each unit of
 * work — the signals released, the policies' commands, decisions and snapshot, the scope
 * histories, the gather checkpoint and the stage-topic offset, committed together or not at all.
 *
 * The offset committed is that of the oldest stage record still buffered (or the first chunk of
 * a split message not yet complete), so a new owner re-reads what was waiting; its metadata
 * says how far records were handled (`next`), so the re-read only rebuilds the buffer, and the
 * checkpoint says what was released already.
 */
import type { TopicMessages } from 'kafkajs';
import type { HomeostatMetrics } from '../ops/metrics';
import type { Gather, GatherOutputs } from '../pipeline/gather';
import { encodeCheckpoint } from './checkpoint-meta';
import { newCommitId } from './checkpoint-wait';
import { scopeHistoryMessage, type HistoryCheckpoint } from './history-checkpoint';
import type { OutputEncoder } from './outputs';
import type { OutputGuard } from './output-guard';
import type { KafkaPort, PortProducer, TransactionOffsets } from './port';
import type { BatchExtension } from './batch-extension';
import { connectTransactional, writeTransaction } from './transaction';

export interface GatherWriterOptions {
  kafka: KafkaPort;
  transactionalId: string;
  /** Stage two's consumer group and the stage topic its offset is committed for. */
  groupId: string;
  stageTopic: string;
  signalsTopic: string;
  stateTopic: string;
  /** Key of the gather checkpoint on the state topic. */
  stateKey: string;
  signals: OutputEncoder<'signal'>;
  /** JSON outputs: a signal is published as the bytes stage one wrote (the same encoder's). */
  rawPassThrough: boolean;
  extension?: BatchExtension;
  history?: HistoryCheckpoint;
  metrics?: HomeostatMetrics;
  /** Dead-letters an output its topic would refuse instead of sending it (output-guard.ts); loaded by the caller. */
  guard?: OutputGuard;
}

/** What one transaction commits beside the outputs: the position read to, and the restore bound. */
export interface StagePosition {
  /** The next stage offset to read, as this transaction writes it (-1n: none read since the reset). */
  at: bigint;
  /** Stage records below it were handled before the last reset. */
  restoreBelow: bigint;
}

export interface GatherWriter {
  /** Fences the last owner: drops this process's producer and connects one holding the group's id. */
  fence(): Promise<void>;
  /** Keeps a stage record's bytes, to publish its signal unchanged (JSON outputs only). */
  keepBytes(signal: object, value: Buffer): void;
  /** Writes `out`, the checkpoint of `gather` and the stage offset in one transaction. */
  commit(gather: Gather, out: GatherOutputs, p: StagePosition): Promise<void>;
  /** A restored gather: metrics count its late signals from here. */
  restored(gather: Gather): void;
  /** When the last transaction committed (ms, 0: never). */
  committedAt(): number;
  /** The position the last transaction committed (a deferred batch leaves it behind). */
  committedPosition(): bigint;
  transactions(): number;
  close(): Promise<void>;
}

export function createGatherWriter(o: GatherWriterOptions): GatherWriter {
  let producer: PortProducer | undefined;
  /** Stage records' bytes by decoded signal, for publishing unchanged (dropped with the signal). */
  const raw = new WeakMap<object, Buffer>();
  let committedAt = 0;
  let committedPosition = -1n;
  let transactions = 0;
  /** The gather's `late` as of the last commit (metrics move with committed work only). */
  let lateCounted = 0;
  return {
    async fence() {
      await producer?.disconnect().catch(() => undefined);
      producer = undefined;
      producer = await connectTransactional(o.kafka, o.transactionalId);
    },
    keepBytes(signal, value) {
      if (o.rawPassThrough) raw.set(signal, value);
    },
    async commit(gather, out, p) {
      // The same id in the checkpoint and the offset's metadata: a reset tells the newest
      // checkpoint from an older one (gather-reset.ts).
      const tx = newCommitId();
      const messages = await transactionMessages(o, gather, out, raw, tx);
      await writeTransaction(producer!, messages, stageOffsets(o, gather, p, tx), o.guard);
      committedAt = Date.now();
      committedPosition = p.at;
      transactions++;
      const m = o.metrics;
      const late = gather.counters().late;
      if (m) {
        m.transactions.inc({ result: 'committed' });
        m.stageTwoBufferedWindows.set(gather.buffered());
        if (late > lateCounted) m.stageTwoLate.inc(late - lateCounted);
      }
      lateCounted = late;
    },
    restored(gather) {
      lateCounted = gather.counters().late;
    },
    committedAt: () => committedAt,
    committedPosition: () => committedPosition,
    transactions: () => transactions,
    async close() {
      await producer?.disconnect().catch(() => undefined);
    },
  };
}

/** The records of one transaction: signals, the extension's outputs, then the state topic's. */
async function transactionMessages(
  o: GatherWriterOptions,
  g: Gather,
  out: GatherOutputs,
  raw: WeakMap<object, Buffer>,
  tx: string,
): Promise<TopicMessages[]> {
  const messages: TopicMessages[] = [];
  const ext = o.extension;
  const published = ext?.publishes ? out.published.filter((s) => ext.publishes!(s)) : out.published;
  if (published.length > 0) {
    messages.push({
      topic: o.signalsTopic,
      messages: published.map((s) => ({ key: s.key, value: raw.get(s) ?? o.signals.message(s.key, s).value })),
    });
  }
  const released = out.finals.length > 0 || (out.windows?.length ?? 0) > 0;
  if (ext && (released || ext.hasPending?.())) messages.push(...(await ext.onFinals(out.finals, out.windows)));
  const state = [];
  if (o.history) {
    const seen = new Set<string>();
    for (const s of out.finals) {
      if (s.scope === 'series' || s.count === 0 || seen.has(s.key)) continue;
      seen.add(s.key);
      const h = g.history(s.key);
      if (h) state.push(scopeHistoryMessage(o.history, s.key, h));
    }
  }
  // Last of the transaction's state records (one partition, sent in order): once a reader sees
  // it, it sees the rest of the transaction too.
  state.push({ key: o.stateKey, value: Buffer.from(JSON.stringify({ ...g.checkpoint(), tx })) });
  messages.push({ topic: o.stateTopic, messages: state });
  return messages;
}

/** The lower of two offsets (the second may be absent). */
function resumeOffset(a: string, b: string | undefined): string {
  return b !== undefined && BigInt(b) < BigInt(a) ? b : a;
}

/**
 * The stage offset a transaction commits: the oldest record still buffered, else the position;
 * lower still when the extension holds the first chunks of a message not yet complete.
 */
function stageOffsets(o: GatherWriterOptions, g: Gather, p: StagePosition, tx: string): TransactionOffsets | undefined {
  if (p.at < 0n) return undefined;
  const next = p.at > p.restoreBelow ? p.at : p.restoreBelow;
  return {
    consumerGroupId: o.groupId,
    topics: [
      {
        topic: o.stageTopic,
        partitions: [
          {
            partition: 0,
            offset: resumeOffset(g.oldestBuffered() ?? p.at.toString(), o.extension?.heldFrom?.()),
            metadata: encodeCheckpoint({ next: next.toString(), wm: g.released(), tx }),
          },
        ],
      },
    ],
  };
}
