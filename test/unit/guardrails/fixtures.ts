/** A guard context and a candidate for guardrail tests; override what a test is about. */
import { completeParams } from '../../../src/actions/params';
import {
  defaultGuardrails,
  resolvePolicyGuardrails,
  targetKey,
  type Candidate,
  type GuardContext,
} from '../../../src/guardrails';

export const W = 10_000;
export const cfg = resolvePolicyGuardrails(defaultGuardrails(), {}, 'p');
export const ctx = (o: Partial<GuardContext> = {}): GuardContext => ({
  eventTime: 100 * W,
  windowMs: W,
  config: cfg,
  global: defaultGuardrails().global,
  knownTargets: 100,
  targetsUnderAction: 0,
  targetUnderAction: false,
  leaseExists: false,
  policyLeases: 0,
  totalLeases: 0,
  // The key of cand()'s default (policy, target); a test of another target passes its own.
  targetKey: targetKey('p', 't'),
  ...o,
});
export const cand = (o: Partial<Candidate> = {}): Candidate => ({
  policy: 'p',
  target: 't',
  family: 'query_timeout',
  type: 'query_timeout.set',
  action: 'set',
  params: completeParams({ timeoutMs: 1000 }),
  streak: 3,
  severity: 1,
  reason: 'r',
  evidence: [],
  windowStart: 99 * W,
  windowEnd: 100 * W,
  ...o,
});
