/**
 * @platformatic/kafka for the client benches (bench/clients.ts): loaded as the reference quota
 * executor loads it (an ES module, required from CommonJS on Node ≥ 20.19), with consumer and
 * producer options that mirror the processor's kafkajs settings, so the two clients are
 * compared on the same fetch sizes, session and isolation level.
 */
import type { Consumer, ConsumerOptions, Producer, ProducerOptions } from '@platformatic/kafka';
import { loadPlatformaticKafka } from '../../src/executor/reference/quota-admin';
import type { HomeostatConfig } from '../../src/ops/config';
import { randomName } from './kafka';

export type PlatformaticKafka = Awaited<ReturnType<typeof loadPlatformaticKafka>>;
export { loadPlatformaticKafka };

/** Fetch isolation READ_COMMITTED (FetchIsolationLevels in @platformatic/kafka's apis/enumerations). */
export const READ_COMMITTED = 1;

/**
 * A consumer in a fresh group with the runner's session, heartbeat and per-partition fetch
 * size; read_committed; no autocommit (the bench commits, or not, itself).
 */
export function platformaticConsumer(
  lib: PlatformaticKafka,
  brokers: string[],
  config: HomeostatConfig,
  groupId: string,
  maxBytesPerPartition = config.runner.maxBytesPerPartition,
): Consumer {
  const options: ConsumerOptions<Buffer, Buffer, Buffer, Buffer> = {
    clientId: randomName('bench-plt'),
    bootstrapBrokers: brokers,
    groupId,
    sessionTimeout: config.kafka.sessionTimeoutMs,
    heartbeatInterval: config.kafka.heartbeatIntervalMs,
    isolationLevel: READ_COMMITTED,
    maxBytesPerPartition,
    autocommit: false,
  };
  return new lib.Consumer(options);
}

/** A transactional, idempotent producer (acks=all), as connectTransactional makes for kafkajs. */
export function platformaticTransactionalProducer(
  lib: PlatformaticKafka,
  brokers: string[],
  transactionalId: string,
): Producer {
  const options: ProducerOptions<Buffer, Buffer, Buffer, Buffer> = {
    clientId: randomName('bench-plt-tx'),
    bootstrapBrokers: brokers,
    transactionalId,
    idempotent: true,
    autocreateTopics: false,
  };
  return new lib.Producer(options);
}

/**
 * Closes a client, forcing its streams closed too, and waits for it: `close(true)` without a
 * callback is typed as the callback overload (void), which `await` would not wait for.
 */
export function closeForced(client: {
  close(force: boolean, callback: (error?: Error | null) => void): void;
}): Promise<void> {
  return new Promise((resolve, reject) => client.close(true, (err) => (err ? reject(err) : resolve())));
}

/**
 * One line from a client error (made for @platformatic/kafka's): its codes and messages, and the broker responses
 * it nests (MultipleErrors → ResponseError → the per-partition error codes), bigints as text.
 */
export function describeClientError(err: unknown): string {
  const parts: string[] = [];
  const walk = (e: unknown, depth: number): void => {
    if (depth > 6 || e === null || typeof e !== 'object') return;
    const x = e as { message?: string; code?: string; apiId?: string; errors?: unknown[]; response?: unknown };
    parts.push([x.code, x.apiId, x.message].filter((v) => typeof v === 'string' && v !== '').join(' '));
    if (x.response !== undefined)
      parts.push(JSON.stringify(x.response, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    for (const c of Array.isArray(x.errors) ? x.errors : []) walk(c, depth + 1);
  };
  walk(err, 0);
  return parts.join(' | ').slice(0, 4000);
}
