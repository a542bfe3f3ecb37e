/** Public surface of src/guardrails: config, the chain and each guardrail, control state and modes. */
export {
  guardrailsSchema,
  policyGuardrailsSchema,
  globalGuardrailsSchema,
  guardrailsOverrideSchema,
  defaultGuardrails,
  parseGuardrails,
  resolvePolicyGuardrails,
  mergeDeep,
} from './config';
export type { GuardrailsConfig, PolicyGuardrails, GlobalGuardrails, GuardrailsOverride } from './config';
export { parseConfig, describeIssues } from './validate';
export {
  applyControl,
  validateControlRecord,
  initialControlState,
  isPaused,
  isExcluded,
  controlMode,
  killSwitch,
  pause,
  exclusion,
  CONTROL_KINDS,
  ALL,
} from './control';
export type { ControlRecord, ControlState, ControlKind } from './control';
export { minWindows } from './min-windows';
export { cooldown } from './cooldown';
export { circuitBreaker, resetBreaker, breakerReset } from './circuit-breaker';
export { bounds } from './bounds';
export { leaseCap } from './lease-cap';
export { blastRadius, blastRadiusLimit } from './blast-radius';
export { rateLimit, refill } from './rate-limit';
export { runChain, checkChain, DEFAULT_CHAIN } from './chain';
export { canaryGroup, commandMode, decisionKind, DEFAULT_CANARY_FRACTION } from './modes';
export type { CanaryGroup } from './modes';
export { isReduction, targetKey, applyPatch, mergePatches, draftOf, patchDraft } from './types';
export type {
  GuardrailName,
  CandidateAction,
  Candidate,
  GuardContext,
  GuardState,
  GuardPatch,
  GuardDraft,
  Guardrail,
  CheckResult,
  Verdict,
  BreakerEntry,
  Bucket,
} from './types';
