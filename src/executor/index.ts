/** Public surface of src/executor: the executor SDK, its pure parts, and the reference executors. */
export { createExecutor } from './sdk';
export type { Executor, ExecutorStatus } from './sdk';
export { checkExecutorOptions, resolveNames } from './options';
export type { ExecutorOptions, ExecutorTopics, ResolvedNames } from './options';
export { createExecutorCore } from './core';
export type { ExecutorCore, Incoming } from './core';
export { checkCommand, boundsViolation, targetAllowed, INTERRUPTED_DETAIL } from './check';
export type { CheckContext, CheckVerdict } from './check';
export { createSeenSet } from './dedup';
export type { SeenSet } from './dedup';
export { executorLeaseKey, leaseFor, putLease, dropLease, getLease, lapsedLeases } from './lease-table';
export type { ExecutorLeaseTable } from './lease-table';
export { restoreState } from './restore';
export type { RestoredState } from './restore';
export { createKafkaLedger, stateMessage, parseStateMessage } from './kafka-ledger';
export type { KafkaLedgerOptions } from './kafka-ledger';
export { createMemoryLedger } from './memory-ledger';
export type { MemoryLedger } from './memory-ledger';
export type {
  ApplyContext,
  ApplyFn,
  ApplyOutcome,
  ConsumedOffset,
  ExecutorCoreOptions,
  ExecutorLease,
  ExecutorLedger,
  ExecutorMetrics,
  LedgerCommit,
  ParamBounds,
  RevertFn,
  RevertRequest,
  SeenEntry,
  StateEntry,
  TargetAllowList,
  ValidateFn,
  WallClock,
} from './types';

export { createDemoWorker } from './demo-worker';
export type { DemoWorker, DemoWorkerOptions, DemoWorkerStats } from './demo-worker';
export { admitQuery, initialWorkerModel, workerGauges } from './demo-worker-model';
export type { QueryOutcome, WorkerModelState } from './demo-worker-model';

export { REFERENCE_EXECUTORS, isReferenceExecutorName, referenceHandlers, runReferenceExecutor } from './reference';
export type { ReferenceExecutorName, ReferenceExecutorOptions } from './reference';
export type { ReferenceHandlers } from './reference/handlers';
export { checkUrlTemplate, queryTimeoutHandlers, timeoutUrl } from './reference/query-timeout';
export type { QueryTimeoutOptions } from './reference/query-timeout';
export { createHttpJson } from './reference/http';
export type { HttpJson, HttpJsonOptions } from './reference/http';
export { retryPolicyHandlers } from './reference/retry-policy';
export type { RetryPolicyExecutorOptions } from './reference/retry-policy';
export {
  DEFAULT_CLIENT_CONFIG_TOPIC,
  applyClientConfig,
  clientConfigRecord,
  followClientConfig,
  parseClientConfigRecord,
} from './reference/client-config';
export type { ClientConfigFollower, ClientConfigRecord, FollowClientConfigOptions } from './reference/client-config';
export { kafkaQuotaHandlers } from './reference/kafka-quota';
export type { KafkaQuotaOptions } from './reference/kafka-quota';
export {
  createQuotaAdmin,
  loadPlatformaticKafka,
  platformaticAdminOptions,
  quotaAdminFrom,
} from './reference/quota-admin';
export type { QuotaAdmin, QuotaEntity, QuotaEntityType, QuotaKey, QuotaValues } from './reference/quota-admin';
