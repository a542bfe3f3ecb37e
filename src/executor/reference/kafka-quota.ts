/**
 * Reference executor `kafka-quota`: turns `quota.set` into real Kafka client quotas.
 * `quota.set` → producer_byte_rate (and consumer_byte_rate if configured) =
 * params.quotaBytesPerSec on the entity (client-id by default) that the target's entry in
 * `entities` names (tenant → client id). A target without an entry is refused: telemetry
 * names targets, and must not choose which client's quota is changed. The broker enforces
 * the rate by delaying responses and telling the client its throttle time (KIP-13,
 * KIP-219), so a tenant over its share slows down instead of failing.
 * https://kafka.apache.org/documentation/#design_quotas
 *
 * An operator quota with the same key on the same entity is overridden while the lease
 * holds and restored on revert (the lease keeps what was there before its first apply);
 * only keys that were absent before are removed. A rate outside [minBytesPerSec,
 * maxBytesPerSec] is refused.
 */
import type { KafkaConfig } from '../../config/kafka-schema';
import type { ReferenceHandlers } from './handlers';
import {
  createQuotaAdmin,
  type QuotaAdmin,
  type QuotaEntity,
  type QuotaEntityType,
  type QuotaKey,
  type QuotaValues,
} from './quota-admin';

export interface KafkaQuotaOptions {
  /** Quota entity type. Default `client-id`. */
  entityType?: QuotaEntityType;
  /** Target (tenant) → entity name. Only listed targets are acted on. */
  entities?: Readonly<Record<string, string>>;
  /**
   * Let a target without an entry name its own entity (the old behaviour). Default false:
   * any telemetry producer could then pick a client id to throttle.
   */
  targetIsEntity?: boolean;
  /** Smallest byte rate applied. Default 1024 (1 KiB/s): below, a client is all but stopped. */
  minBytesPerSec?: number;
  /** Largest byte rate applied. Default 10 GiB/s. */
  maxBytesPerSec?: number;
  /** Also set consumer_byte_rate to the same value. Default false (ingress only). */
  consumerByteRate?: boolean;
  /** Use this admin instead of @platformatic/kafka's on the executor's cluster (tests). */
  admin?: QuotaAdmin;
}

export function kafkaQuotaHandlers(kafka: KafkaConfig, options: KafkaQuotaOptions = {}): ReferenceHandlers {
  let admin: QuotaAdmin | undefined = options.admin;
  const keys: QuotaKey[] = options.consumerByteRate
    ? ['producer_byte_rate', 'consumer_byte_rate']
    : ['producer_byte_rate'];
  const minRate = options.minBytesPerSec ?? 1024;
  const maxRate = options.maxBytesPerSec ?? 10 * 1024 ** 3;
  const mapped = (target: string): string | undefined =>
    options.entities !== undefined && Object.prototype.hasOwnProperty.call(options.entities, target)
      ? options.entities[target]
      : options.targetIsEntity
        ? target
        : undefined;
  const entity = (target: string): QuotaEntity => {
    const name = mapped(target);
    if (name === undefined) throw new Error(`target ${JSON.stringify(target)} has no entity mapping`);
    return { type: options.entityType ?? 'client-id', name };
  };
  const describeEntity = (e: QuotaEntity): string => `${e.type} ${JSON.stringify(e.name)}`;
  const asStrings = (v: QuotaValues): Record<string, string> =>
    Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  const ready = (): QuotaAdmin => {
    if (!admin) throw new Error('kafka-quota executor used before start()');
    return admin;
  };

  return {
    types: ['quota.set', 'quota.revert'],
    validate(cmd) {
      if (mapped(cmd.target) === undefined)
        return `target ${JSON.stringify(cmd.target)} has no entity mapping (--entity ${cmd.target}=<client id>); refused`;
      if (cmd.type !== 'quota.set') return undefined;
      const rate = cmd.params.quotaBytesPerSec;
      if (rate === null)
        return 'quota.set without quotaBytesPerSec: Kafka quotas here are byte rates; set params.quotaBytesPerSec';
      if (!(Number.isFinite(rate) && rate >= minRate && rate <= maxRate))
        return `quotaBytesPerSec ${rate} is outside [${minRate}, ${maxRate}]`;
      return undefined;
    },
    async apply(cmd) {
      const e = entity(cmd.target);
      const a = ready();
      const previous = asStrings(await a.describe(e));
      const rate = cmd.params.quotaBytesPerSec as number;
      await a.set(e, Object.fromEntries(keys.map((k) => [k, rate])));
      const ignored =
        cmd.params.quotaRequestsPerSec !== null ? '; quotaRequestsPerSec is not a Kafka quota and was ignored' : '';
      return { previous, detail: `${keys.map((k) => `${k}=${rate}`).join(', ')} on ${describeEntity(e)}${ignored}` };
    },
    async revert(req) {
      const e = entity(req.target);
      const a = ready();
      const previous = asStrings(await a.describe(e));
      // What was there before the lease began: restore it; remove only what was absent.
      const before = req.lease?.previous ?? {};
      const restore: QuotaValues = {};
      for (const k of keys) {
        const v = Number(before[k]);
        if (before[k] !== undefined && Number.isFinite(v)) restore[k] = v;
      }
      const absent = keys.filter((k) => restore[k] === undefined);
      if (Object.keys(restore).length > 0) await a.set(e, restore);
      if (absent.length > 0) await a.remove(e, absent);
      const restored = Object.entries(restore).map(([k, v]) => `restored ${k}=${v}`);
      const removed = absent.length > 0 ? [`removed ${absent.join(', ')}`] : [];
      return { previous, detail: `${[...restored, ...removed].join('; ')} on ${describeEntity(e)}` };
    },
    async start() {
      admin ??= await createQuotaAdmin(kafka);
    },
    async stop() {
      if (admin && admin !== options.admin) await admin.close();
      admin = options.admin;
    },
  };
}
