/** Small builders of processor outputs for the dashboard's unit tests. */
import { completeParams, emptyParams } from '../../../src/actions';
import type { Command, CommandParams, CommandType, Evidence, Mode } from '../../../src/model/command';
import type { Decision, DecisionKind } from '../../../src/model/decision';
import type { WindowSignal } from '../../../src/model/signal';

export const WINDOW = 10_000;
export const T0 = Date.UTC(2026, 2, 14, 9, 0, 0);

export function signal(
  source: string,
  metric: string,
  windowEnd: number,
  value: number,
  extra: Partial<WindowSignal> = {},
): WindowSignal {
  const tags = extra.tags ?? {};
  return {
    scope: 'series',
    key: `${source}|${metric}|${Object.entries(tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`,
    source,
    metric,
    tags,
    windowStart: windowEnd - WINDOW,
    windowEnd,
    count: 10,
    sum: value * 10,
    min: value,
    max: value,
    mean: value,
    ratePerSec: value,
    p50: value,
    p90: value,
    p99: value,
    p999: value,
    ewma: value,
    trend: 0,
    partial: false,
    partitions: [0],
    ...extra,
  };
}

export interface CommandSpec {
  id?: string;
  policy?: string;
  target?: string;
  type?: CommandType;
  mode?: Mode;
  params?: Partial<CommandParams>;
  evidence?: Evidence[];
  at: number;
  leaseMs?: number;
  reason?: string;
}

let next = 0;
export function command(s: CommandSpec): Command {
  const type = s.type ?? 'query_timeout.set';
  return {
    id: s.id ?? `cmd-${++next}`,
    type,
    target: s.target ?? 'worker-7',
    params: type.endsWith('.revert') ? emptyParams() : completeParams(s.params ?? { timeoutMs: 4000 }),
    mode: s.mode ?? 'enforce',
    policy: s.policy ?? 'timeouts',
    policyVersion: '1',
    reason: s.reason ?? 'queue.depth:mean 120 > 50',
    evidence: s.evidence ?? [{ signal: 'queue.depth:mean', value: 120, threshold: 50, comparison: '>' }],
    windowStart: s.at - WINDOW,
    windowEnd: s.at,
    issuedAt: s.at,
    expiresAt: s.at + (s.leaseMs ?? 3 * WINDOW),
    keyId: '',
    signature: '',
    audience: 'query_timeout',
  };
}

export function decisionFor(c: Command, kind: DecisionKind, overrides: Partial<Decision> = {}): Decision {
  return {
    id: `dec-${c.id}`,
    policy: c.policy,
    policyVersion: c.policyVersion,
    target: c.target,
    kind,
    guardrail: null,
    commandId: c.id,
    actionType: c.type,
    mode: c.mode === 'shadow' ? 'shadow' : 'enforce',
    reason: c.reason,
    evidence: c.evidence,
    windowStart: c.windowStart,
    windowEnd: c.windowEnd,
    eventTime: c.issuedAt,
    ...overrides,
  };
}
