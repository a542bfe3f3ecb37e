/**
 * A record of a split stage two's topic that its part cannot take (unreadable, from a shard
 * the part does not have, of a window it does not await): dead-lettered with the reason,
 * counted (homeostat_stage_two_split_refused_total{part}) and logged, in the transaction that
 * moves past it — never a reset into the same record for ever, never dropped silently.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';
import { dlqMessage } from './dlq';

export interface SplitDlq {
  topic: string;
  maxMessageBytes: number;
  /** The part's topic, named in the DLQ record as the record's source. */
  source: string;
}

export interface SplitRefusals {
  /** The DLQ record of `m` with why; the caller writes it in the transaction that moves past `m`. */
  refuse(m: KafkaMessage, reason: string): Message;
  /** Records refused in this process. */
  count(): number;
}

export function createSplitRefusals(o: {
  dlq: SplitDlq;
  logger: Logger;
  metrics?: HomeostatMetrics;
  /** The part's label: `shard-<i>` or `arbiter`. */
  part: string;
  what: string;
}): SplitRefusals {
  let refused = 0;
  return {
    refuse(m, reason) {
      refused++;
      o.metrics?.splitRefused.inc({ part: o.part });
      o.logger.error({ offset: m.offset, reason }, `${o.what}: refused a record of its topic; dead-lettered`);
      const source = { topic: o.dlq.source, partition: 0, offset: m.offset, timestamp: m.timestamp };
      return dlqMessage(
        { ...source, key: m.key ?? null, value: m.value, headers: m.headers },
        { code: 'INVALID_FIELD', message: reason, field: undefined },
        o.dlq.maxMessageBytes,
      );
    },
    count: () => refused,
  };
}
