/**
 * The verifier's state and outputs. State is plain JSON (no Maps, no class instances,
 * no undefined) so it can be snapshotted with the policies' state and restored without
 * changing later outputs.
 */
import type { CommandFamily, CommandType, Comparison, Evidence, Mode } from '../model/command';
import type { OutcomeRecord } from '../codec/records';

/** `treated`: enforced (mode enforce or canary). `control`: a canary's control group (mode shadow). */
export type VerificationRole = 'treated' | 'control';

/** One key signal of one verification, followed window by window. */
export interface ProbeTrack {
  /** The probe's name (config `signal`), as in outcomes and command evidence. */
  signal: string;
  /** The command's evidence named this signal as over its threshold: it is what triggered the action. */
  triggered: boolean;
  /** Unhealthy while `value <comparison> threshold` holds; null: relative to `before` (see healthy()). */
  threshold: number | null;
  comparison: Comparison;
  /** Value in the triggering window; null until known. */
  before: number | null;
  /** Event time (window end) the before value was measured at; null: taken from the command's evidence. */
  beforeAt: number | null;
  /** Last value seen in the verification window. */
  after: number | null;
  afterAt: number | null;
  /** Verification windows with a value. */
  samples: number;
  /** Window end of the first healthy verification window. */
  firstHealthyAt: number | null;
}

export interface PendingVerification {
  commandId: string;
  policy: string;
  policyVersion: string;
  target: string;
  type: CommandType;
  family: CommandFamily;
  mode: Mode;
  role: VerificationRole;
  issuedAt: number;
  /** Exclusive end of the verification window: issuedAt + N × windowMs, or an earlier revert. */
  endAt: number;
  windowMs: number;
  /** Lease length of the command (expiresAt − issuedAt): a revert proposal reuses it. */
  leaseMs: number;
  /** Event time of a revert that ended the intervention early; such a verification never proposes another revert. */
  revertedAt: number | null;
  probes: ProbeTrack[];
}

/** One finished verification's relative change, kept for the canary comparison. */
export interface CanaryObservation {
  target: string;
  signal: string;
  issuedAt: number;
  change: number;
}

/** Per policy identity (name and version): what its enforced actions did. */
export interface TrackRecordState {
  policy: string;
  policyVersion: string;
  actions: number;
  improved: number;
  worsened: number;
  unchanged: number;
  inconclusive: number;
  reverts: number;
  /** The latest times to recovery of improved outcomes (ms), oldest first, at most `recoveryReservoir`. */
  recoveries: number[];
  /** Event time of the last update (eviction order). */
  updatedAt: number;
  treated: CanaryObservation[];
  control: CanaryObservation[];
}

export interface VerifierState {
  /** Window length last observed, ms (for commands without a usable window). */
  windowMs: number | null;
  lastEventTime: number | null;
  /** In arrival order: the first is the oldest. */
  pending: PendingVerification[];
  /** `policy \u001f policyVersion` → track record. */
  records: Record<string, TrackRecordState>;
  /** Verifications dropped because more than `maxPending` were in flight. */
  dropped: number;
}

/**
 * Ask the decision stage to roll back an action that made things worse. Everything a
 * CommandSpec needs is here; `buildRevertCommand` (revert.ts) turns it into a signed command.
 */
export interface RevertProposal {
  policy: string;
  policyVersion: string;
  target: string;
  /** `<family>.revert`. */
  type: CommandType;
  /** The mode of the command that worsened things (enforce or canary): the same executors act on it. */
  mode: Mode;
  /** Starts with `verification: worsened`. */
  reason: string;
  evidence: Evidence[];
  /** The command whose effect is rolled back. */
  commandId: string;
  /** The window whose close reached the verdict; the revert is issued at its end. */
  windowStart: number;
  windowEnd: number;
  issuedAt: number;
  /** Lease length for the revert command (the worsened command's own). */
  leaseMs: number;
}

export interface VerifierOutput {
  state: VerifierState;
  /** Sorted by (policy, target, type, commandId). */
  outcomes: OutcomeRecord[];
  /** At most one per (policy, target, family), sorted by (policy, target, type). */
  reverts: RevertProposal[];
}

/** Optional hints from the caller; without them the verifier infers from the command. */
export interface CommandHints {
  /**
   * How the command changes its lease: only tightening `set`s are verified. Inferred when
   * absent: a reason `renew lease (…` is a renewal, evidence with only `<`/`<=` comparisons
   * is a relax, a `.revert` type is a revert, anything else a set.
   */
  action?: 'set' | 'relax' | 'renew' | 'revert';
  /** For mode shadow: `control` marks the canary's control group (inferred from the reason prefix `[control group`). */
  group?: 'canary' | 'control' | null;
}
