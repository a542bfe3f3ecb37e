/**
 * Retry policies distributed to client fleets through a compacted topic
 * (`homeostat.client-config`, key = service): the `retry-policy` executor writes the
 * leased policy change of a service, a tombstone on revert; every client instance follows
 * the topic and applies its service's record to its retrier as a lease (src/client).
 *
 * The record carries the policy fields the command changes, not a whole policy: each
 * client keeps its own baseline, and the retrier applies the change on top of it until
 * `expiresAt`, then reverts by itself — so a client cut off from the topic, or a dead
 * executor, can never leave a fleet on an emergency policy.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { applyRetryPolicyCommand, type Retrier, type RetryPolicy, type RetryPolicyCommandResult } from '../../client';
import { InputError, describeError } from '../../errors';
import { createKafka } from '../../kafka/client';
import type { Command } from '../../model/command';
import type { KafkaConfig } from '../../config/kafka-schema';
import { silentLogger, type Logger } from '../../ops/logger';

export const DEFAULT_CLIENT_CONFIG_TOPIC = 'homeostat.client-config';

export interface ClientConfigRecord {
  v: 1;
  commandId: string;
  /** The policy fields the lease changes (the rest stay at each client's baseline). */
  policy: Partial<RetryPolicy>;
  /** Lease expiry, epoch ms (wall clock): the client reverts by itself after it. */
  expiresAt: number;
  issuedAt: number;
}

/** The client-config record of a `retry_policy.set` command. */
export function clientConfigRecord(cmd: Command): ClientConfigRecord {
  const p = cmd.params;
  const policy: Partial<RetryPolicy> = {};
  if (p.retryStrategy !== null) policy.strategy = p.retryStrategy;
  if (p.retryBaseMs !== null) policy.baseMs = p.retryBaseMs;
  if (p.retryCapMs !== null) policy.capMs = p.retryCapMs;
  if (p.retryMaxAttempts !== null) policy.maxAttempts = p.retryMaxAttempts;
  if (p.retryBudgetRatio !== null) policy.budgetRatio = p.retryBudgetRatio;
  if (p.retryBudgetFloorPerSec !== null) policy.budgetFloorPerSec = p.retryBudgetFloorPerSec;
  return { v: 1, commandId: cmd.id, policy, expiresAt: cmd.expiresAt, issuedAt: cmd.issuedAt };
}

export function parseClientConfigRecord(value: Buffer): ClientConfigRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    throw new InputError('INVALID_JSON', 'client-config record is not JSON');
  }
  const r = parsed as Partial<ClientConfigRecord> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    r.v !== 1 ||
    typeof r.policy !== 'object' ||
    r.policy === null ||
    typeof r.expiresAt !== 'number'
  ) {
    throw new InputError('INVALID_FIELD', 'client-config record needs v: 1, policy (object) and expiresAt (epoch ms)');
  }
  return r as ClientConfigRecord;
}

/** Apply one record (null: a tombstone) to a retrier. Throws InputError for an invalid policy. */
export function applyClientConfig(retrier: Retrier, record: ClientConfigRecord | null): RetryPolicyCommandResult {
  if (record === null)
    return applyRetryPolicyCommand(retrier, { type: 'retry_policy.revert', params: {}, expiresAt: 0 });
  return applyRetryPolicyCommand(retrier, {
    type: 'retry_policy.set',
    params: record.policy,
    expiresAt: record.expiresAt,
  });
}

export interface FollowClientConfigOptions {
  kafka: KafkaConfig;
  /** Default `homeostat.client-config`. */
  topic?: string;
  /** This client's service name: the record key it follows. */
  service: string;
  retrier: Retrier;
  logger?: Logger;
  /** Prefix of the consumer group; each follower adds a random suffix, since every instance needs every record. */
  groupIdPrefix?: string;
  /** Told about every record of this service applied (or found invalid). */
  onRecord?: (event: { result: RetryPolicyCommandResult } | { error: string }) => void;
}

export interface ClientConfigFollower {
  /** Records of this service applied so far. */
  applied(): number;
  stop(): Promise<void>;
}

/**
 * Follow the client-config topic from its beginning (compaction keeps the latest record
 * per service) and apply this service's records to `retrier` as they come.
 */
export async function followClientConfig(options: FollowClientConfigOptions): Promise<ClientConfigFollower> {
  const logger = options.logger ?? silentLogger();
  const topic = options.topic ?? DEFAULT_CLIENT_CONFIG_TOPIC;
  const kafka = createKafka(options.kafka, logger);
  const groupId = `${options.groupIdPrefix ?? 'homeostat-client'}-${options.service}-${randomBytes(6).toString('hex')}`;
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 1_000 });
  let applied = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ message }) => {
        if (message.key?.toString('utf8') !== options.service) return Promise.resolve();
        try {
          const record = message.value === null ? null : parseClientConfigRecord(message.value);
          const result = applyClientConfig(options.retrier, record);
          applied++;
          logger.info(
            { service: options.service, outcome: result.outcome, policy: result.policy },
            'client config applied',
          );
          options.onRecord?.({ result });
        } catch (err) {
          // A bad record must not stop the client from following later, good ones.
          logger.warn(
            { service: options.service, offset: message.offset, err: describeError(err) },
            'client config record ignored',
          );
          options.onRecord?.({ error: describeError(err) });
        }
        return Promise.resolve();
      },
    });
  } catch (err) {
    await consumer.disconnect();
    throw err;
  }
  return {
    applied: () => applied,
    stop: () => consumer.disconnect(),
  };
}
