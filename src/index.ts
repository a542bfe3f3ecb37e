/**
 * The public surface of the `homeostat` package. What is exported here is a contract;
 * everything else is internal and may change.
 */

// Records and their wire formats.
export type { Telemetry } from './model/telemetry';
export type { WindowSignal } from './model/signal';
export type { Command, CommandParams, CommandType, Evidence, Mode } from './model/command';
export type { Decision, DecisionKind } from './model/decision';
export {
  createRecordCodec,
  createTelemetryDecoder,
  encodeTelemetryJson,
  createTelemetryAvroEncoder,
  registerSchema,
  subjectFor,
} from './codec';
export type { RecordCodec, RecordKind, SchemaResolver, TelemetryLimits } from './codec';
export { HomeostatError, InputError, ConfigError, type ErrorCode } from './errors';

// Producers: the telemetry SDK and foreign formats (OTLP, Influx line protocol).
export { createTelemetryProducer } from './producer';
export type { TelemetryProducer } from './producer';
export { createIngestDecoder } from './ingest';

// Executors: the SDK, the reference executors, the demo worker.
export {
  createExecutor,
  runReferenceExecutor,
  createDemoWorker,
  followClientConfig,
  REFERENCE_EXECUTORS,
} from './executor';
export type { Executor, ExecutorOptions } from './executor';

// Clients: retries with backoff, jitter and a retry budget, tunable by retry_policy.set.
export { createRetrier, applyRetryPolicyCommand, DEFAULT_RETRY_POLICY, createRandom } from './client';
export type { Retrier, RetryPolicy } from './client';

// Commands: signing and verification.
export { signCommand, verifyCommand, parseKeyring, loadSigningKey } from './actions';
export type { Keyring, SigningKey } from './actions';

// The pure pipeline, for replay, simulation and custom drivers.
export { createEngine, createScopeMerger, DEFAULT_ENGINE_CONFIG } from './core';
export { createProcessor } from './pipeline/processor';
export { createDecisionStage } from './pipeline/decide';
export { createDecisionEngine, createPolicies, loadPolicyModule } from './policies';
export type { Policy, Proposal } from './policies';
// Relative triggers for module policies: validate `{ threshold, baseline }`, keep the baseline in the policy state.
export { parseTriggerConfig, parseLevelledTrigger } from './policies';
export { stepBaseline, resolveThreshold, stepBurn, judgeBurn, judgeLevels } from './signals';
export type { BaselineSpec, BaselineState, Threshold, BurnSpec, BurnState, Trigger, LevelRun } from './signals';
export { createVerifier } from './verify';
export { runAllScenarios, runScenario } from './sim';
export { renderReport, writeReport } from './report';
export { loadConfig } from './config/homeostat-config';
export type { HomeostatConfig } from './config/homeostat-config';
