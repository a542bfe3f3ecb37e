/** Public surface of src/policies: the Policy interface, the built-ins, config, module loading and the decision engine. */
export type { Policy, PolicyResult, PolicyView, LeaseView, Proposal, ProposalKind, ConfiguredPolicy } from './types';
export { createPolicy, createPolicies, parsePolicyConfig, policyConfigSchema } from './create';
export type { PolicyConfig, CreatePolicyOptions } from './create';
export { policyVersion, baseFields, modeSchema, policyNameSchema, POLICY_TYPES } from './config-base';
export type { PolicyType } from './config-base';
export { selectorSchema, matchesSelector, groupByTarget } from './select';
export type { Selector } from './select';
export { nextStreak, ewmaStep, windowOf } from './streak';
export type { Streak } from './streak';
export { weightedFairShares } from './fair-share';
export type { Claim } from './fair-share';
export { createAdaptiveTimeout } from './adaptive-timeout';
export type { AdaptiveTimeoutState } from './adaptive-timeout';
export { adaptiveTimeoutConfigSchema, adaptiveTimeoutParamsSchema } from './adaptive-timeout.config';
export type { AdaptiveTimeoutConfig, AdaptiveTimeoutParams } from './adaptive-timeout.config';
export { createHerdControl, herdLevelParams, herdMaxLevel } from './herd-control';
export type { HerdControlState } from './herd-control';
export { herdControlConfigSchema, herdControlParamsSchema } from './herd-control.config';
export type { HerdControlConfig, HerdControlParams } from './herd-control.config';
export { shareLineName, thresholdFloor } from './herd-shares';
export { createWatermarkQuota } from './watermark-quota';
export type { WatermarkQuotaState } from './watermark-quota';
export { watermarkQuotaConfigSchema, watermarkQuotaParamsSchema } from './watermark-quota.config';
export type { WatermarkQuotaConfig, WatermarkQuotaParams } from './watermark-quota.config';
export { modulePolicyConfigSchema, assertPolicyShape } from './module-policy';
export type { ModulePolicyConfig, PolicyFactory, PolicyFactoryInput } from './module-policy';
export { loadPolicyModule } from './module-loader';
export { createDecisionEngine } from './engine';
export type {
  DecisionEngine,
  DecisionEngineOptions,
  DecisionEngineState,
  PolicyDrafts,
  WindowOutput,
  ControlOutput,
} from './engine';
export {
  parseTriggerConfig,
  parseLevelledTrigger,
  thresholdSchema,
  triggerSchema,
  baselineSchema,
  burnPairsSchema,
  baselineSpec,
} from './trigger.config';
export type { BaselineConfig } from './trigger.config';
export { relativeReadings, isOver, isCalm } from './relative-readings';
export type { Reading, TriggerMemory, TriggerSpec, LatencySlo } from './relative-readings';
