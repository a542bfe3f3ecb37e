import './kafkajs-patches'; // before kafkajs loads: its producer's grouping, fixed (kafkajs-patches.ts)
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig as KafkaJsConfig, type ProducerConfig, type SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../config/kafka-schema';
import { HomeostatError } from '../errors';
import { installBoundedCodecs } from './codecs';
import type { Logger } from '../ops/logger';
import { FastDefaultPartitioner } from './partitioner';

function readSecret(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new HomeostatError(
      'CONFIG_INVALID',
      `cannot read ${what} from ${path}: ${(err as Error).message}; check the path and its permissions`,
      { cause: err },
    );
  }
}

function saslOptions(config: KafkaConfig): SASLOptions | undefined {
  const s = config.sasl;
  if (!s) return undefined;
  let password = s.password;
  if (s.passwordEnv !== undefined) {
    password = process.env[s.passwordEnv];
    if (password === undefined) {
      throw new HomeostatError(
        'CONFIG_INVALID',
        `kafka.sasl.passwordEnv names ${s.passwordEnv}, which is not set; export it or use kafka.sasl.password`,
      );
    }
  }
  if (s.passwordFile !== undefined) password = readSecret(s.passwordFile, 'kafka.sasl.passwordFile');
  return { mechanism: s.mechanism, username: s.username, password: password ?? '' };
}

/** kafkajs settings for every client the project creates: brokers, TLS, SASL, timeouts. */
export function kafkaJsConfig(config: KafkaConfig, logger?: Logger): KafkaJsConfig {
  let ssl: KafkaJsConfig['ssl'] = false;
  if (config.ssl === true) ssl = true;
  else if (config.ssl && typeof config.ssl === 'object') {
    ssl = {
      rejectUnauthorized: config.ssl.rejectUnauthorized,
      ...(config.ssl.caFile ? { ca: [readSecret(config.ssl.caFile, 'kafka.ssl.caFile')] } : {}),
      ...(config.ssl.certFile ? { cert: readSecret(config.ssl.certFile, 'kafka.ssl.certFile') } : {}),
      ...(config.ssl.keyFile ? { key: readSecret(config.ssl.keyFile, 'kafka.ssl.keyFile') } : {}),
    };
  }
  return {
    clientId: config.clientId,
    brokers: config.brokers,
    ssl,
    sasl: saslOptions(config),
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    logLevel: logLevel.WARN,
    logCreator: logger
      ? () =>
          ({ level, log }) => {
            const { message, ...extra } = log;
            if (level <= logLevel.ERROR) logger.error({ kafkajs: extra }, message);
            else if (level <= logLevel.WARN) logger.warn({ kafkajs: extra }, message);
          }
      : undefined,
  };
}

export function createKafka(config: KafkaConfig, logger?: Logger): Kafka {
  installBoundedCodecs();
  return new Kafka(kafkaJsConfig(config, logger));
}

/**
 * A producer's config with its partitioner named. kafkajs 2 logs a warning for every producer
 * created without one. FastDefaultPartitioner (partitioner.ts) picks what kafkajs's default
 * would, Java's murmur2 of the key, so a keyed record lands where a Java client would put it,
 * without kafkajs's BigInt arithmetic per record.
 */
export function producerConfig(config: ProducerConfig = {}): ProducerConfig {
  return { createPartitioner: FastDefaultPartitioner, ...config };
}

/**
 * Turns kafkajs's errors into one that says what to do. SASL failures in particular
 * surface as "SASL SCRAM SHA256 authentication failed" deep in a stack; an operator
 * needs to hear that the credentials were refused.
 */
export function explainKafkaError(err: unknown, brokers: readonly string[]): HomeostatError {
  const e = err as { name?: string; message?: string; retriable?: boolean };
  const message = e?.message ?? String(err);
  if (e?.name === 'KafkaJSSASLAuthenticationError' || /SASL|authentication/i.test(message)) {
    return new HomeostatError(
      'KAFKA',
      `the broker refused the SASL credentials (${message}); check kafka.sasl.mechanism, username and password`,
      { cause: err },
    );
  }
  if (
    /ECONNREFUSED|Connection error|KafkaJSNumberOfRetriesExceeded|KafkaJSConnectionError/i.test(
      message + (e?.name ?? ''),
    )
  ) {
    return new HomeostatError(
      'KAFKA',
      `cannot reach Kafka at ${brokers.join(',')} (${message}); is the broker running? ` +
        '(npm run services:start starts one locally; --brokers or KAFKA_BROKERS point elsewhere)',
      { cause: err, retriable: true },
    );
  }
  return new HomeostatError('KAFKA', message, { cause: err, retriable: e?.retriable ?? false });
}
