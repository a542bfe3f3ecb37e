/**
 * Reference executor `kafka-quota`: turns `quota.set` into real Kafka client quotas.
 * `quota.set` → producer_byte_rate (and consumer_byte_rate if configured) =
 * params.quotaBytesPerSec on the entity (client-id by default) named by the target, or by
 * the target's entry in `entities` (tenant → client id). `quota.revert` or a lapsed lease
 * removes them. The broker enforces the rate by delaying responses and telling the
 * client its throttle time (KIP-13, KIP-219), so a tenant over its share slows down
 * instead of failing. https://kafka.apache.org/documentation/#design_quotas
 *
 * The executor owns the quota keys it sets on an entity: an operator quota with the same
 * key on the same entity is overwritten while the lease holds, and removed on revert
 * (reported in `previous` so that it can be restored by hand).
 */
import type { KafkaConfig } from '../../ops/config-kafka';
import type { ReferenceHandlers } from './handlers';
import { createQuotaAdmin, type QuotaAdmin, type QuotaEntity, type QuotaEntityType, type QuotaKey, type QuotaValues } from './quota-admin';

export interface KafkaQuotaOptions {
  /** Quota entity type. Default `client-id`. */
  entityType?: QuotaEntityType;
  /** Target (tenant) → entity name; a target not listed names itself. */
  entities?: Readonly<Record<string, string>>;
  /** Also set consumer_byte_rate to the same value. Default false (ingress only). */
  consumerByteRate?: boolean;
  /** Use this admin instead of @platformatic/kafka's on the executor's cluster (tests). */
  admin?: QuotaAdmin;
}

export function kafkaQuotaHandlers(kafka: KafkaConfig, options: KafkaQuotaOptions = {}): ReferenceHandlers {
  let admin: QuotaAdmin | undefined = options.admin;
  const keys: QuotaKey[] = options.consumerByteRate ? ['producer_byte_rate', 'consumer_byte_rate'] : ['producer_byte_rate'];
  const entity = (target: string): QuotaEntity => ({ type: options.entityType ?? 'client-id', name: options.entities?.[target] ?? target });
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
      if (cmd.type !== 'quota.set') return undefined;
      const rate = cmd.params.quotaBytesPerSec;
      if (rate === null) return 'quota.set without quotaBytesPerSec: Kafka quotas here are byte rates; set params.quotaBytesPerSec';
      if (!(Number.isFinite(rate) && rate > 0)) return `quotaBytesPerSec ${rate} is not a positive byte rate`;
      return undefined;
    },
    async apply(cmd) {
      const e = entity(cmd.target);
      const a = ready();
      const previous = asStrings(await a.describe(e));
      const rate = cmd.params.quotaBytesPerSec as number;
      await a.set(e, Object.fromEntries(keys.map((k) => [k, rate])));
      const ignored = cmd.params.quotaRequestsPerSec !== null ? '; quotaRequestsPerSec is not a Kafka quota and was ignored' : '';
      return { previous, detail: `${keys.map((k) => `${k}=${rate}`).join(', ')} on ${describeEntity(e)}${ignored}` };
    },
    async revert(req) {
      const e = entity(req.target);
      const a = ready();
      const previous = asStrings(await a.describe(e));
      await a.remove(e, keys);
      return { previous, detail: `removed ${keys.join(', ')} from ${describeEntity(e)}` };
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
