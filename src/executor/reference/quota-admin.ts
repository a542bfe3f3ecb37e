/**
 * Kafka client quotas through @platformatic/kafka's Admin (AlterClientQuotas, API key 49;
 * DescribeClientQuotas, API key 48 — KIP-546), which kafkajs does not implement.
 * https://cwiki.apache.org/confluence/display/KAFKA/KIP-546%3A+Add+Client+Quota+APIs+to+the+Admin+Client
 *
 * @platformatic/kafka is an ES module. Node ≥ 20.19 can require() it from CommonJS, which
 * is how the built CLI loads it; older Node 20 releases import it instead. (The integration
 * tests hand jest's sandbox a copy loaded by Node: test/helpers/esm-environment.js.)
 */
import { pathToFileURL } from 'node:url';
import type { Admin, AdminOptions } from '@platformatic/kafka';
import { HomeostatError, describeError } from '../../errors';
import { kafkaJsConfig } from '../../kafka/client';
import type { KafkaConfig } from '../../config/kafka-schema';

type PlatformaticKafka = typeof import('@platformatic/kafka');

export type QuotaEntityType = 'client-id' | 'user';
export type QuotaKey = 'producer_byte_rate' | 'consumer_byte_rate' | 'request_percentage';
export type QuotaValues = Partial<Record<QuotaKey, number>>;

export interface QuotaEntity {
  type: QuotaEntityType;
  name: string;
}

/** The quota calls the kafka-quota executor makes; an interface so tests can count them. */
export interface QuotaAdmin {
  set(entity: QuotaEntity, values: QuotaValues): Promise<void>;
  remove(entity: QuotaEntity, keys: readonly QuotaKey[]): Promise<void>;
  /** Quotas set on exactly this entity (empty when none). */
  describe(entity: QuotaEntity): Promise<QuotaValues>;
  close(): Promise<void>;
}

let loaded: Promise<PlatformaticKafka> | undefined;

export function loadPlatformaticKafka(): Promise<PlatformaticKafka> {
  loaded ??= (async () => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require('@platformatic/kafka') as PlatformaticKafka;
    } catch (err) {
      // Not installed: say so. ERR_REQUIRE_ESM (Node 20 before 20.19) means "this Node cannot
      // require an ES module": import it. The Function keeps import() from being compiled to
      // require() by TypeScript's CommonJS output.
      if ((err as { code?: string }).code === 'MODULE_NOT_FOUND') throw err;
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const importer = new Function('url', 'return import(url)') as (url: string) => Promise<PlatformaticKafka>;
      return importer(pathToFileURL(require.resolve('@platformatic/kafka')).href);
    }
  })();
  return loaded;
}

const SASL_MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

/** The same brokers, TLS and SASL settings as every kafkajs client (kafkaJsConfig resolves secrets). */
export function platformaticAdminOptions(config: KafkaConfig): AdminOptions {
  const js = kafkaJsConfig(config);
  const options: AdminOptions = {
    clientId: `${config.clientId}-quota-admin`,
    bootstrapBrokers: config.brokers,
    connectTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
  };
  if (js.ssl === true) options.tls = {};
  else if (js.ssl) options.tls = js.ssl;
  if (config.sasl) {
    const sasl = js.sasl as { username: string; password: string };
    options.sasl = {
      mechanism: SASL_MECHANISMS[config.sasl.mechanism],
      username: sasl.username,
      password: sasl.password,
    };
  }
  return options;
}

function check(entries: readonly { errorCode: number; errorMessage?: string | null }[], what: string): void {
  const bad = entries.find((e) => e.errorCode !== 0);
  if (bad)
    throw new HomeostatError(
      'KAFKA',
      `${what}: broker error ${bad.errorCode}${bad.errorMessage ? ` (${bad.errorMessage})` : ''}`,
    );
}

export function quotaAdminFrom(admin: Admin): QuotaAdmin {
  const entities = (e: QuotaEntity) => [{ entityType: e.type, entityName: e.name }];
  return {
    async set(entity, values) {
      const ops = (Object.entries(values) as [QuotaKey, number][]).map(([key, value]) => ({
        key,
        value,
        remove: false as const,
      }));
      check(
        await admin.alterClientQuotas({ entries: [{ entities: entities(entity), ops }] }),
        `setting quotas on ${entity.type} ${entity.name}`,
      );
    },
    async remove(entity, keys) {
      const ops = keys.map((key) => ({ key, remove: true as const }));
      check(
        await admin.alterClientQuotas({ entries: [{ entities: entities(entity), ops }] }),
        `removing quotas from ${entity.type} ${entity.name}`,
      );
    },
    async describe(entity) {
      const found = await admin.describeClientQuotas({
        components: [{ entityType: entity.type, matchType: 0, match: entity.name }],
        strict: true,
      });
      const out: QuotaValues = {};
      for (const e of found) for (const v of e.values) out[v.key] = v.value;
      return out;
    },
    close: () => admin.close(),
  };
}

export async function createQuotaAdmin(config: KafkaConfig): Promise<QuotaAdmin> {
  try {
    const { Admin: AdminClass } = await loadPlatformaticKafka();
    return quotaAdminFrom(new AdminClass(platformaticAdminOptions(config)));
  } catch (err) {
    throw new HomeostatError(
      'PREREQUISITE_MISSING',
      `cannot load @platformatic/kafka for client quotas: ${describeError(err)}`,
      { cause: err },
    );
  }
}
