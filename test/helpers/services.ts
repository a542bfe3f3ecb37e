/**
 * Where the integration tests find Kafka and the Schema Registry. globalSetup exports
 * KAFKA_BROKERS / SCHEMA_REGISTRY_URL after `scripts/services.sh start`; set them yourself
 * to point the tests at services run elsewhere.
 */
import { resolve } from 'node:path';

export const DEFAULT_BROKERS = '127.0.0.1:9092';

/**
 * The base URL that `new SchemaRegistry({ host })` of @kafkajs/confluent-schema-registry
 * needs: Apicurio Registry serves the Confluent API under /apis/ccompat/v7, not at the root.
 */
export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:8081/apis/ccompat/v7';

/** Bootstrap brokers from KAFKA_BROKERS (comma-separated host:port), else the local broker. */
export function brokers(): string[] {
  const list = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  return list.length > 0 ? list : [DEFAULT_BROKERS];
}

/** The Confluent-compatible registry base URL from SCHEMA_REGISTRY_URL, else the local one. */
export function registryUrl(): string {
  const url = (process.env.SCHEMA_REGISTRY_URL ?? '').trim();
  return url.length > 0 ? url.replace(/\/+$/, '') : DEFAULT_REGISTRY_URL;
}

/** scripts/services.sh, the one place that knows how to start and stop the services. */
export const SERVICES_SCRIPT = resolve(__dirname, '..', '..', 'scripts', 'services.sh');

/** Env var through which globalSetup tells globalTeardown that it holds a services lease. */
export const LEASE_ENV = 'HOMEOSTAT_SERVICES_LEASE';
