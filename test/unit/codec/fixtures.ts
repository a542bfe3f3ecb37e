/** One realistic record of every kind (typed, so the TS shapes are checked against real use). */
import type { WindowSignal } from '../../../src/model/signal';
import type { Telemetry } from '../../../src/model/telemetry';
import {
  commandParams,
  type ActionResultRecord,
  type CommandRecord,
  type ControlRecord,
  type DecisionRecord,
  type OutcomeRecord,
  type RecordTypes,
} from '../../../src/codec';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

export const telemetry: Telemetry = {
  ts: T0 + 1234,
  source: 'worker-7',
  metric: 'query.latency_ms',
  value: 842.5,
  tags: { service: 'search', tenant: 'acme', role: 'primary' },
};

export const command: CommandRecord = {
  id: '9f2c1d',
  type: 'retry_policy.set',
  target: 'checkout',
  params: commandParams({
    retryStrategy: 'decorrelated',
    retryBaseMs: 50,
    retryCapMs: 5000,
    retryMaxAttempts: 4,
    retryBudgetRatio: 0.1,
    retryBudgetFloorPerSec: 5,
    extra: { jitterSeed: '7' },
  }),
  mode: 'canary',
  policy: 'herd-control',
  policyVersion: '3',
  reason: 'retry ratio 0.62 > 0.3 for 2 windows',
  evidence: [{ signal: 'retries/requests', value: 0.62, threshold: 0.3, comparison: '>' }],
  windowStart: T0,
  windowEnd: T0 + 10_000,
  issuedAt: T0 + 10_000,
  expiresAt: T0 + 70_000,
  keyId: 'k1',
  signature: 'ab'.repeat(32),
  audience: 'retry_policy',
};

export const actionResult: ActionResultRecord = {
  commandId: '9f2c1d',
  executor: 'exec-1',
  target: 'checkout',
  type: 'retry_policy.set',
  status: 'applied',
  detail: 'retry policy set',
  startedAt: T0 + 10_050,
  finishedAt: T0 + 10_060,
  attempt: 1,
  mode: 'canary',
  leaseExpiresAt: T0 + 70_000,
  previous: { retryMaxAttempts: '10' },
};

export const outcome: OutcomeRecord = {
  commandId: '9f2c1d',
  policy: 'herd-control',
  policyVersion: '3',
  target: 'checkout',
  type: 'retry_policy.set',
  mode: 'canary',
  verdict: 'improved',
  signals: [{ signal: 'retries/requests', before: 0.62, after: 0.05 }],
  verificationStart: T0 + 10_000,
  verificationEnd: T0 + 70_000,
  timeToRecoveryMs: 20_000,
  trackRecord: { actions: 12, successRate: 0.75, medianTimeToRecoveryMs: 25_000, reverts: 1 },
  canaryEffect: {
    signal: 'retries/requests',
    treatedMean: -0.5,
    controlMean: -0.1,
    effect: -0.4,
    treatedTargets: 3,
    controlTargets: 7,
  },
  reason: 'retry ratio fell below 0.1 within 20 s',
  eventTime: T0 + 70_000,
};

export const decision: DecisionRecord = {
  id: 'd-1',
  policy: 'watermark-quota',
  policyVersion: '1',
  target: 'tenant-a',
  kind: 'blocked',
  guardrail: 'cooldown',
  commandId: 'c-77',
  actionType: 'quota.set',
  mode: 'enforce',
  reason: 'cluster load 0.93 > high watermark 0.85, cooldown active for 40 s',
  evidence: [{ signal: 'cluster.load', value: 0.93, threshold: 0.85, comparison: '>' }],
  windowStart: T0,
  windowEnd: T0 + 10_000,
  eventTime: T0 + 10_000,
};

export const signal: WindowSignal = {
  scope: 'tenant',
  key: 'tenant|tenant.bytes_in|tenant=acme',
  source: '',
  metric: 'tenant.bytes_in',
  tags: { tenant: 'acme' },
  windowStart: T0,
  windowEnd: T0 + 10_000,
  count: 120,
  sum: 1.2e9,
  min: 1e6,
  max: 2.5e7,
  mean: 1e7,
  ratePerSec: 1.2e8,
  p50: 9e6,
  p90: 1.8e7,
  p99: 2.4e7,
  p999: 2.5e7,
  ewma: 9.5e6,
  trend: 0.12,
  partial: true,
  partitions: [0, 3],
  sketch: 'AAECAw==',
};

export const control: ControlRecord = {
  kind: 'mode',
  policy: 'adaptive-timeout',
  target: null,
  mode: 'shadow',
  issuedBy: 'alice',
  issuedAt: T0,
  reason: 'investigating flapping',
  keyId: null,
  signature: null,
};

export const samples: { [K in keyof RecordTypes]: RecordTypes[K] } = {
  telemetry,
  command,
  'action-result': actionResult,
  outcome,
  decision,
  signal,
  control,
};
