/**
 * TypeScript shapes of the wire records in schemas/*.avsc, exactly as decoded: Avro
 * `["null", X]` fields are `X | null`, timestamps are epoch-ms numbers. Telemetry and
 * WindowSignal live in src/model/. (These may move to src/model/ once the rooms that
 * own commands, decisions and outcomes settle their in-memory models.)
 */
import type { WindowSignal } from '../model/signal';
import type { Telemetry } from '../model/telemetry';

export type Mode = 'shadow' | 'canary' | 'enforce';

/** One signal value compared against a threshold. */
export interface Evidence {
  signal: string;
  value: number;
  threshold: number;
  /** One of `>`, `>=`, `<`, `<=`, `==`, `!=`. */
  comparison: string;
}

/** Typed parameters of a command; each family sets its own fields, the rest are null. */
export interface CommandParams {
  timeoutMs: number | null;
  /** `none`, `full`, `equal` or `decorrelated`. */
  retryStrategy: string | null;
  retryBaseMs: number | null;
  retryCapMs: number | null;
  retryMaxAttempts: number | null;
  retryBudgetRatio: number | null;
  retryBudgetFloorPerSec: number | null;
  quotaBytesPerSec: number | null;
  quotaRequestsPerSec: number | null;
  /** Parameters without a typed field yet. */
  extra: Record<string, string>;
}

export interface CommandRecord {
  id: string;
  /** e.g. `query_timeout.set`, `retry_policy.set`, `quota.set` and their `.revert`. */
  type: string;
  target: string;
  params: CommandParams;
  mode: Mode;
  policy: string;
  policyVersion: string;
  reason: string;
  evidence: Evidence[];
  windowStart: number;
  windowEnd: number;
  issuedAt: number;
  expiresAt: number;
  keyId: string;
  /** HMAC-SHA256, hex or base64. */
  signature: string;
}

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

export type DecisionKind = 'acted' | 'blocked' | 'shadowed' | 'escalated' | 'reverted' | 'control' | 'renewed';

export interface DecisionRecord {
  id: string;
  policy: string;
  policyVersion: string;
  target: string;
  kind: DecisionKind;
  /** The guardrail that blocked the action, when kind is `blocked`. */
  guardrail: string | null;
  commandId: string | null;
  actionType: string | null;
  mode: Mode;
  reason: string;
  evidence: Evidence[];
  windowStart: number;
  windowEnd: number;
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
