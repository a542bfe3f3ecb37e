/**
 * TypeScript shapes of the wire records in schemas/*.avsc, exactly as decoded: Avro
 * `["null", X]` fields are `X | null`, timestamps are epoch-ms numbers. Telemetry and
 * WindowSignal live in src/model/. (These may move to src/model/ once the rooms that
 * own commands, decisions and outcomes settle their in-memory models.)
 */
import type { WindowSignal } from '../model/signal';
import type { Telemetry } from '../model/telemetry';

// Commands and decisions have one model, in src/model/ (what the decision engine builds and
// executors receive); the codec decodes into exactly those shapes. A decoded value's string
// enums are checked by their consumers (executors check types against an allow-list).
export type { Mode, Evidence, CommandParams } from '../model/command';
export type { Command as CommandRecord } from '../model/command';
export type { DecisionKind } from '../model/decision';
export type { Decision as DecisionRecord } from '../model/decision';
import type { Command as CommandRecord, CommandParams, Mode } from '../model/command';
import type { Decision as DecisionRecord } from '../model/decision';

export type ActionStatus = 'applied' | 'rejected' | 'failed' | 'reverted' | 'expired' | 'shadowed' | 'duplicate';

export interface ActionResultRecord {
  commandId: string;
  executor: string;
  target: string;
  type: string;
  status: ActionStatus;
  detail: string;
  startedAt: number;
  finishedAt: number;
  attempt: number;
  mode: Mode | null;
  leaseExpiresAt: number | null;
  previous: Record<string, string>;
}

export type Verdict = 'improved' | 'unchanged' | 'worsened' | 'inconclusive';

export interface SignalChange {
  signal: string;
  before: number;
  after: number;
}

export interface TrackRecordSnapshot {
  actions: number;
  successRate: number;
  medianTimeToRecoveryMs: number | null;
  reverts: number;
}

export interface CanaryEffect {
  signal: string;
  treatedMean: number;
  controlMean: number;
  effect: number;
  treatedTargets: number;
  controlTargets: number;
}

export interface OutcomeRecord {
  commandId: string;
  policy: string;
  policyVersion: string;
  target: string;
  type: string;
  mode: Mode;
  verdict: Verdict;
  signals: SignalChange[];
  verificationStart: number;
  verificationEnd: number;
  timeToRecoveryMs: number | null;
  trackRecord: TrackRecordSnapshot;
  canaryEffect: CanaryEffect | null;
  reason: string;
  eventTime: number;
}

export type ControlKind = 'pause' | 'resume' | 'mode' | 'exclude' | 'include' | 'kill' | 'unkill';

export interface ControlRecord {
  kind: ControlKind;
  /** null: every policy. */
  policy: string | null;
  /** null: every target. */
  target: string | null;
  /** The new mode when kind is `mode`. */
  mode: Mode | null;
  issuedBy: string;
  issuedAt: number;
  reason: string;
  /** Operator key that signed it; null: unsigned (refused by processors). */
  keyId: string | null;
  /** Ed25519 signature, base64; null: unsigned. */
  signature: string | null;
}

/** The TypeScript shape of each record kind. */
export interface RecordTypes {
  telemetry: Telemetry;
  command: CommandRecord;
  'action-result': ActionResultRecord;
  outcome: OutcomeRecord;
  decision: DecisionRecord;
  /** `sketch` is absent (not null) when the record has none. */
  signal: WindowSignal;
  control: ControlRecord;
}

/** Command params with every unset field null: `commandParams({ timeoutMs: 800 })`. */
export function commandParams(partial: Partial<CommandParams>): CommandParams {
  return {
    timeoutMs: partial.timeoutMs ?? null,
    retryStrategy: partial.retryStrategy ?? null,
    retryBaseMs: partial.retryBaseMs ?? null,
    retryCapMs: partial.retryCapMs ?? null,
    retryMaxAttempts: partial.retryMaxAttempts ?? null,
    retryBudgetRatio: partial.retryBudgetRatio ?? null,
    retryBudgetFloorPerSec: partial.retryBudgetFloorPerSec ?? null,
    quotaBytesPerSec: partial.quotaBytesPerSec ?? null,
    quotaRequestsPerSec: partial.quotaRequestsPerSec ?? null,
    extra: partial.extra ?? {},
  };
}
