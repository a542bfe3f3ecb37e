/**
 * The reference executors, by name, as `homeostat executor <name>` runs them:
 *   query-timeout  query_timeout.set/revert → a worker's HTTP admin endpoint
 *   retry-policy   retry_policy.set/revert  → the compacted client-config topic
 *   kafka-quota    quota.set/revert         → Kafka client quotas on the cluster
 */
import { HomeostatError } from '../../errors';
import type { ExecutorOptions } from '../options';
import { createExecutor, type Executor } from '../sdk';
import type { ReferenceHandlers } from './handlers';
import { kafkaQuotaHandlers, type KafkaQuotaOptions } from './kafka-quota';
import { queryTimeoutHandlers, type QueryTimeoutOptions } from './query-timeout';
import { retryPolicyHandlers, type RetryPolicyExecutorOptions } from './retry-policy';

export const REFERENCE_EXECUTORS = ['query-timeout', 'retry-policy', 'kafka-quota'] as const;
export type ReferenceExecutorName = (typeof REFERENCE_EXECUTORS)[number];

export interface ReferenceExecutorOptions extends Omit<
  ExecutorOptions,
  'name' | 'types' | 'apply' | 'revert' | 'validate'
> {
  /** Executor identity (results, consumer group, state topic). Default: the reference executor's name. */
  name?: string;
  queryTimeout?: QueryTimeoutOptions;
  retryPolicy?: RetryPolicyExecutorOptions;
  kafkaQuota?: KafkaQuotaOptions;
}

export function isReferenceExecutorName(name: string): name is ReferenceExecutorName {
  return (REFERENCE_EXECUTORS as readonly string[]).includes(name);
}

export function referenceHandlers(name: ReferenceExecutorName, options: ReferenceExecutorOptions): ReferenceHandlers {
  switch (name) {
    case 'query-timeout':
      return queryTimeoutHandlers(options.queryTimeout);
    case 'retry-policy':
      return retryPolicyHandlers(options.kafka, options.retryPolicy, options.logger);
    case 'kafka-quota':
      return kafkaQuotaHandlers(options.kafka, options.kafkaQuota);
  }
}

/** Start reference executor `name`; the returned executor's stop()/kill() also close its resources. */
export async function runReferenceExecutor(name: string, options: ReferenceExecutorOptions): Promise<Executor> {
  if (!isReferenceExecutorName(name)) {
    throw new HomeostatError(
      'USAGE',
      `unknown executor ${JSON.stringify(name)}; choose one of ${REFERENCE_EXECUTORS.join(', ')}`,
    );
  }
  const handlers = referenceHandlers(name, options);
  const { queryTimeout: _q, retryPolicy: _r, kafkaQuota: _k, ...common } = options;
  const executor = createExecutor({
    ...common,
    name: options.name ?? name,
    types: handlers.types,
    apply: handlers.apply,
    revert: handlers.revert,
    validate: handlers.validate,
  });
  await handlers.start?.();
  try {
    await executor.start();
  } catch (err) {
    await handlers.stop?.();
    throw err;
  }
  const closeResources = async (): Promise<void> => {
    await handlers.stop?.();
  };
  return {
    ...executor,
    name: executor.name,
    async stop() {
      await executor.stop();
      await closeResources();
    },
    async kill() {
      await executor.kill();
      await closeResources();
    },
  };
}
