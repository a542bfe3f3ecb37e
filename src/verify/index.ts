/** Public surface of src/verify: did each action help? (docs/verification.md) */
export { createVerifier } from './verifier';
export type { Verifier } from './verifier';
export { verifierConfigSchema, parseVerifierConfig, DEFAULT_PROBES, PROBE_STATS, COMBINES, MATCHES } from './config';
export type { VerifierConfig, VerifierConfigInput, Probe, ProbeInput, SignalRef } from './config';
export { buildRevertCommand, revertCommandSpec } from './revert';
export { trackRecordOf, successRate, median } from './track-record';
export { canaryEffect } from './canary';
export { relativeChange } from './verdict';
export type {
  VerifierState,
  VerifierOutput,
  RevertProposal,
  CommandHints,
  PendingVerification,
  ProbeTrack,
  TrackRecordState,
  CanaryObservation,
  VerificationRole,
} from './types';
